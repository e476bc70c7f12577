"""Checks on the answer itself: server errors, documented status, content type, body schema, headers,
latency and size. They apply to every answered step (not to undeclared-method probes)."""

from __future__ import annotations

from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import MediaType, Response
from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.checks.base import (
    _INVALID,
    _NO_BODY_STATUSES,
    MAX_VIOLATIONS,
    REC,
    REQ,
    StepContext,
    _documented_list,
    _result,
    is_json,
    match_media,
    media_type,
    passed,
    wire_value,
)
from govstack_conform.engine.checks.media import non_json_body
from govstack_conform.engine.results import CheckResult, Outcome


def no_server_error(ctx: StepContext) -> list[CheckResult]:
    s = ctx.status
    if s < 500:
        return [passed("no_server_error", REQ, "no 5xx answer", ctx.step.name)]
    if s == 501 and ctx.case.kind is CaseKind.METHOD:
        return [passed("no_server_error", REQ, "501 for an undeclared method is acceptable HTTP", ctx.step.name)]
    what = "the operation is not implemented (501)" if s == 501 else f"the server failed with {s}"
    return [
        _result(
            "no_server_error",
            REQ,
            Outcome.FAILED,
            f"{what}; a product must never answer a 5xx to a well-formed or malformed request: "
            "fix the error behind it (invalid input must get a 4xx)",
            ctx,
        )
    ]


def status_code_documented(ctx: StepContext) -> list[CheckResult]:
    """Success and redirect codes must be documented; 4xx are judged by the input checks, 5xx always fail."""
    s, op, kind = ctx.status, ctx.op, ctx.case.kind
    if op is None or kind is CaseKind.METHOD or s >= 400:
        return []
    if kind is CaseKind.SECURITY and s >= 300:  # a redirect without credentials (to sign in): auth_required's
        return []
    resp = op.response_for(s)
    if resp is not None:
        return [passed("status_code_documented", REQ, f"{s} is documented ({resp.status})", ctx.step.name)]
    defect = op.blocked(f"response:{s}")
    if defect is not None or not op.responses:  # OpenAPI 3.1 lets an operation document none: nothing to hold to
        why = defect.message if defect is not None else "the operation documents no responses"
        return [
            _result(
                "status_code_documented",
                REQ,
                Outcome.UNTESTABLE,
                f"untestable: whether {s} is documented cannot be told: {why}",
                ctx,
                schema_file=defect.file if defect is not None else op.source_file,
                schema_pointer=defect.pointer if defect is not None else op.pointer,
            )
        ]
    return [
        _result(
            "status_code_documented",
            REQ,
            Outcome.FAILED,
            f"answered {s}{_redirect_note(ctx)}, which the spec does not document for {op.key} "
            f"(documented: {_documented_list(op)}); answer with a documented status code",
            ctx,
            schema_file=op.source_file,
            schema_pointer=op.pointer + "/responses",
        )
    ]


def _redirect_note(ctx: StepContext) -> str:
    """Where a redirect points, said plainly: redirects are never followed, so no credential goes there."""
    if not 300 <= ctx.status < 400:
        return ""
    location = ctx.reply.header("location")
    if not location:
        return " (a redirect without Location)"
    shown = location[:200]
    return f" (a redirect to {shown}, not followed: the tool judges the answer it gets and sends nothing elsewhere)"


def _body_checkable(ctx: StepContext) -> Response | None:
    if ctx.case.kind is CaseKind.METHOD or ctx.step.request.method == "HEAD" or ctx.status in _NO_BODY_STATUSES:
        return None
    return ctx.response()


def content_type_documented(ctx: StepContext) -> list[CheckResult]:
    resp = _body_checkable(ctx)
    if resp is None or not resp.content:
        return []
    ct = ctx.reply.header("content-type")
    if not ctx.reply.body and not ct:
        return []
    documented = ", ".join(m.media_type for m in resp.content)
    actual = media_type(ct)
    if not actual:
        return [
            _result(
                "content_type_documented",
                REQ,
                Outcome.FAILED,
                f"the {ctx.status} answer has a body but no Content-Type header; documented: {documented}",
                ctx,
                schema_file=ctx.op.source_file if ctx.op else None,
                schema_pointer=resp.pointer + "/content",
            )
        ]
    if match_media(actual, resp.content) is not None:
        return [passed("content_type_documented", REQ, f"{actual} is documented", ctx.step.name)]
    hint = "send one of the documented media types"
    if is_json(actual) and any(is_json(media_type(m.media_type)) for m in resp.content):
        # e.g. application/problem+json (RFC 9457) where the contract names application/json: JSON either
        # way, but a client negotiating by media type cannot know it
        hint = (
            f"{actual} is JSON too, but not the media type the contract names: send {documented} or document {actual}"
        )
    return [
        _result(
            "content_type_documented",
            REQ,
            Outcome.FAILED,
            f"the {ctx.status} answer has Content-Type {actual}, which the spec does not document "
            f"(documented: {documented}); {hint}",
            ctx,
            schema_file=ctx.op.source_file if ctx.op else None,
            schema_pointer=resp.pointer + "/content",
        )
    ]


TOO_DEEP_TO_VALIDATE = "nested too deeply for the schema validator"


def _validate_body(ctx: StepContext, schema: Any) -> tuple[schemas.Violation, ...] | str:
    """Violations of the body (memoised per schema and exact body), or a string when it is not JSON."""
    body = ctx.reply.body
    memo: dict[tuple[str, str, bytes], tuple[schemas.Violation, ...] | str]
    memo = ctx.contract.__dict__.setdefault("_body_verdicts", {})
    key = (schema.doc, schema.pointer, body)
    small = len(body) <= 65536
    if small:
        found = memo.get(key)
        if found is not None:
            return found
    value = ctx.json()
    if value is _INVALID:
        out: tuple[schemas.Violation, ...] | str = "not valid JSON"
    else:
        try:
            out = tuple(schemas.validate(ctx.contract, schema, value, direction="response"))
        except RecursionError:  # a deep body under a recursive schema: our limit, never the product's fault
            return TOO_DEEP_TO_VALIDATE
    if small:
        if len(memo) > 2048:
            memo.clear()
        memo[key] = out
    return out


def response_schema_valid(ctx: StepContext) -> list[CheckResult]:
    resp = _body_checkable(ctx)
    op = ctx.op
    if resp is None or op is None or not resp.content:
        return []
    name = "response_schema_valid"
    defect = op.blocked(f"response:{resp.status}")
    if defect is not None:
        return [
            _result(
                name,
                REQ,
                Outcome.UNTESTABLE,
                f"untestable: the spec's {resp.status} response cannot be checked: {defect.message}",
                ctx,
                schema_file=defect.file,
                schema_pointer=defect.pointer,
            )
        ]
    actual = media_type(ctx.reply.header("content-type"))
    media = match_media(actual, resp.content) if actual else None
    if media is None:
        return []
    if not (is_json(actual) or is_json(media_type(media.media_type))):
        return non_json_body(ctx, media, actual)
    if ctx.reply.truncated:
        return [
            _result(
                name,
                REQ,
                Outcome.UNTESTABLE,
                f"untestable: the body exceeds the size cap ({len(ctx.reply.body)} bytes) and was not validated",
                ctx,
            )
        ]
    if not ctx.reply.body:
        if media.schema is None:
            return []  # the spec promises no particular body: an empty one is not held against the product
        return [
            _result(
                name,
                REQ,
                Outcome.FAILED,
                f"the {ctx.status} answer says Content-Type {actual} but its body is empty; "
                "send the documented JSON body",
                ctx,
                instance_pointer="",
                schema_file=ctx.op.source_file if ctx.op else None,
                schema_pointer=media.pointer,
            )
        ]
    if media.schema is None:
        if ctx.json() is _INVALID:
            return [_not_json(ctx, media)]
        return []
    try:
        found = _validate_body(ctx, media.schema)
    except schemas.SchemaUnusable as exc:
        return [
            _result(
                name,
                REQ,
                Outcome.UNTESTABLE,
                f"untestable: the spec's schema for {resp.status} cannot be evaluated: {exc}",
                ctx,
                schema_file=media.schema.doc,
                schema_pointer=media.schema.pointer,
            )
        ]
    if found == TOO_DEEP_TO_VALIDATE:
        return [_result(name, REQ, Outcome.UNTESTABLE, f"untestable: the {ctx.status} body is {found}", ctx)]
    if isinstance(found, str):
        return [_not_json(ctx, media)]
    if not found:
        return [passed(name, REQ, f"the {resp.status} body matches its schema", ctx.step.name)]
    # One result per instance location (schemas.validate keeps the most specific error there); what is past
    # the cap is said on the last one, never as a failure of its own without a location.
    shown = found[:MAX_VIOLATIONS]
    more = len(found) - len(shown)
    return [
        _result(
            name,
            REQ,
            Outcome.FAILED,
            f"the {ctx.status} body breaks the spec's schema {v.message}"
            + (f" ({more} more violations of this body are not listed)" if more and i == len(shown) - 1 else ""),
            ctx,
            instance_pointer=v.instance_pointer,
            schema_file=v.schema_file,
            schema_pointer=v.schema_pointer,
        )
        for i, v in enumerate(shown)
    ]


def _not_json(ctx: StepContext, media: MediaType) -> CheckResult:
    ctx.json()
    if ctx.past_our_limits:  # valid JSON may nest that deep, or hold such numbers (RFC 8259 §6, §9): our limit
        return _result(
            "response_schema_valid",
            REQ,
            Outcome.UNTESTABLE,
            f"untestable: the {ctx.status} body is JSON {ctx.json_problem}, more than this tool reads",
            ctx,
        )
    return _result(
        "response_schema_valid",
        REQ,
        Outcome.FAILED,
        f"the {ctx.status} body is {ctx.json_problem or 'not valid JSON'} although the spec documents "
        f"{media.media_type}",
        ctx,
        instance_pointer="",
        schema_file=media.schema.doc if media.schema else (ctx.op.source_file if ctx.op else None),
        schema_pointer=media.schema.pointer if media.schema else media.pointer,
    )


def required_headers_present(ctx: StepContext) -> list[CheckResult]:
    resp = None if ctx.case.kind is CaseKind.METHOD else ctx.response()
    if resp is None:
        return []
    name = "required_headers_present"
    out: list[CheckResult] = []
    for h in resp.headers:
        if not h.required or h.name.lower() == "content-type":
            continue
        value = ctx.reply.header(h.name)
        if value is None:
            out.append(
                _result(
                    name,
                    REQ,
                    Outcome.FAILED,
                    f"the {ctx.status} answer lacks the response header {h.name}, which the spec declares required",
                    ctx,
                    schema_file=ctx.op.source_file if ctx.op else None,
                    schema_pointer=h.pointer,
                )
            )
            continue
        if h.schema is None:
            out.append(passed(name, REQ, f"header {h.name} present", ctx.step.name))
            continue
        try:
            wire = wire_value(ctx.contract, value, h.schema)
            violations = schemas.validate(ctx.contract, h.schema, wire, direction="response")
        except schemas.SchemaUnusable as exc:
            out.append(_result(name, REQ, Outcome.UNTESTABLE, f"untestable: header {h.name}'s schema: {exc}", ctx))
            continue
        if not violations:
            out.append(passed(name, REQ, f"header {h.name} present and valid", ctx.step.name))
        for v in violations[:MAX_VIOLATIONS]:
            out.append(
                _result(
                    name,
                    REQ,
                    Outcome.FAILED,
                    f"response header {h.name} value {value[:80]!r} breaks its schema {v.message}",
                    ctx,
                    instance_pointer=v.instance_pointer,
                    schema_file=v.schema_file,
                    schema_pointer=v.schema_pointer,
                )
            )
    return out


def latency_within_budget(ctx: StepContext) -> list[CheckResult]:
    took, budget = ctx.reply.elapsed_ms, ctx.latency_ms
    if took <= budget:
        return [passed("latency_within_budget", REC, f"within {budget:g} ms", ctx.step.name)]
    return [
        _result(
            "latency_within_budget",
            REC,
            Outcome.FAILED,
            f"answered after {took:.0f} ms; the GovStack harnesses expect an answer within {budget:g} ms",
            ctx,
        )
    ]


def response_within_size_cap(ctx: StepContext) -> list[CheckResult]:
    if not ctx.reply.truncated:
        return []
    return [
        _result(
            "response_within_size_cap",
            REC,
            Outcome.FAILED,
            f"response exceeds size cap: the body is larger than {len(ctx.reply.body)} bytes and was cut off",
            ctx,
        )
    ]


def answered_within_timeout(step: str, error: str, timeout_s: float) -> CheckResult:
    """The product took the request but gave no whole answer within --timeout: its failure, not ours
    (judged where the transport gives up, so there is no answer for a StepContext)."""
    return CheckResult(
        "answered_within_timeout",
        REQ,
        Outcome.FAILED,
        f"{error} (--timeout {timeout_s:g}); a product must answer every request within the deadline "
        "(the GovStack harnesses wait 15000 ms): the request is the evidence",
        step,
    )


def allow_header_present(ctx: StepContext) -> list[CheckResult]:
    """RFC 9110 §15.5.6: a 405 answer must say, in Allow, which methods the resource supports."""
    if ctx.status != 405:
        return []
    if ctx.reply.header("allow") is not None:
        return [passed("allow_header_present", REC, "the 405 answer lists the allowed methods", ctx.step.name)]
    return [
        _result(
            "allow_header_present",
            REC,
            Outcome.FAILED,
            f"the 405 answer to {ctx.step.request.method} has no Allow header; RFC 9110 §15.5.6 requires one "
            "listing the methods the resource supports",
            ctx,
        )
    ]
