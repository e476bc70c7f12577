"""The named checks: small functions that judge one answered step and return results, never raise.

Each check returns a list of CheckResult (empty when it does not apply). The rule broken is said in
words a vendor can act on. Where the spec itself is broken the outcome is UNTESTABLE, never FAILED.
Where our own input may not be valid for the product (a generated id), a refusal is not blamed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from govstack_conform import schemas
from govstack_conform.engine.cases import Case, CaseKind, Expect, Level, Step
from govstack_conform.engine.runner import Reply
from govstack_conform.model import Contract, MediaType, Operation, Response
from govstack_conform.results import CheckResult, Outcome

REQ = Level.REQUIRED
REC = Level.RECOMMENDED
MAX_VIOLATIONS = 20
_ID_NAME = re.compile(r"(^id$|_id$|Id$|ID$|^uuid$|Uuid$|_uuid$)")
_NO_BODY_STATUSES = (204, 205, 304)
# Refusals HTTP servers give before the application sees the request (wrong media type, too large...):
# acceptable for invalid input even where the spec lists other 4xx codes.
_HTTP_LEVEL_4XX = frozenset({406, 411, 413, 414, 415, 431})
_INPUT_ERROR_CODES = frozenset({"400", "422", "4XX"})


class StepContext:
    """Everything a check may look at for one answered step; the parsed body is computed once."""

    __slots__ = ("_json", "case", "contract", "has_credentials", "known_valid", "latency_ms", "op", "reply", "step")

    def __init__(
        self,
        contract: Contract,
        op: Operation | None,
        case: Case,
        step: Step,
        reply: Reply,
        *,
        has_credentials: bool,
        latency_ms: float,
        known_valid: bool,
    ) -> None:
        self.contract = contract
        self.op = op
        self.case = case
        self.step = step
        self.reply = reply
        self.has_credentials = has_credentials
        self.latency_ms = latency_ms
        self.known_valid = known_valid
        self._json: Any = _UNSET

    @property
    def status(self) -> int:
        return self.reply.status

    def response(self) -> Response | None:
        return self.op.response_for(self.reply.status) if self.op is not None else None

    def json(self) -> Any:
        """The body as JSON, or _INVALID when it is not JSON."""
        if self._json is _UNSET:
            try:
                self._json = json.loads(self.reply.body)
            except (ValueError, RecursionError):
                self._json = _INVALID
        return self._json


_UNSET = object()
_INVALID = object()

# A PASSED result with the same words is shared between steps: it is immutable and there are many.
_PASSED: dict[tuple[str, Level, str, str], CheckResult] = {}


def passed(check: str, level: Level, message: str, step: str) -> CheckResult:
    key = (check, level, message, step)
    found = _PASSED.get(key)
    if found is None:
        if len(_PASSED) > 4096:
            _PASSED.clear()
        found = _PASSED[key] = CheckResult(check, level, Outcome.PASSED, message, step)
    return found


def _result(check: str, level: Level, outcome: Outcome, message: str, ctx: StepContext, **kw: Any) -> CheckResult:
    return CheckResult(check, level, outcome, message, ctx.step.name, **kw)


def _documented_4xx(op: Operation | None) -> list[str]:
    return [r.status.upper() for r in op.responses if r.status[:1] == "4"] if op else []


def _covers(codes: list[str] | tuple[str, ...], status: int) -> bool:
    exact, ranged = str(status), f"{str(status)[0]}XX"
    return any(c.upper() in (exact, ranged) for c in codes)


def _documented_list(op: Operation | None) -> str:
    return ", ".join(r.status for r in op.responses) if op and op.responses else "none"


def _excused_refusal(ctx: StepContext) -> str | None:
    """Why a 4xx on a request we meant as valid says nothing about the product, if it says nothing."""
    status = ctx.status
    if status in (401, 403):
        if ctx.has_credentials:
            return (
                f"untestable: the product refused the configured credentials with {status}; "
                "check --token/--api-key/--basic/--oauth2-token-url"
            )
        return (
            f"untestable: credentials needed (the product answered {status} and no credentials were configured; "
            "give --token, --api-key, --basic or --oauth2-token-url)"
        )
    if status in (404, 410) and not ctx.known_valid:
        return (
            f"{status} for an identifier the product need not know (generated test data); "
            "supply a fixtures file with real identifiers to test this operation on existing records"
        )
    return None


# --- REQUIRED -------------------------------------------------------------------------------------------------


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
    resp = op.response_for(s)
    if resp is not None:
        return [passed("status_code_documented", REQ, f"{s} is documented ({resp.status})", ctx.step.name)]
    return [
        _result(
            "status_code_documented",
            REQ,
            Outcome.FAILED,
            f"answered {s}, which the spec does not document for {op.key} (documented: {_documented_list(op)}); "
            "answer with a documented status code",
            ctx,
            schema_file=op.source_file,
            schema_pointer=op.pointer + "/responses",
        )
    ]


def media_type(value: str | None) -> str:
    """'application/json; charset=utf-8' -> 'application/json'."""
    return (value or "").split(";", 1)[0].strip().lower()


def match_media(actual: str, documented: tuple[MediaType, ...]) -> MediaType | None:
    """The documented media type covering `actual`: exact, then type/*, then */*."""
    best: MediaType | None = None
    rank = 0
    main = actual.split("/", 1)[0]
    for m in documented:
        d = media_type(m.media_type)
        if d == actual:
            return m
        if d == f"{main}/*" and rank < 2:
            best, rank = m, 2
        elif d == "*/*" and rank < 1:
            best, rank = m, 1
    return best


def is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json") or media == "text/json"


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
    return [
        _result(
            "content_type_documented",
            REQ,
            Outcome.FAILED,
            f"the {ctx.status} answer has Content-Type {actual}, which the spec does not document "
            f"(documented: {documented}); send one of the documented media types",
            ctx,
            schema_file=ctx.op.source_file if ctx.op else None,
            schema_pointer=resp.pointer + "/content",
        )
    ]


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
        out = tuple(schemas.validate(ctx.contract, schema, value, direction="response"))
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
    if media is None or not (is_json(actual) or is_json(media_type(media.media_type))):
        return []
    if ctx.reply.truncated:
        return [_result(name, REQ, Outcome.SKIPPED, "the body exceeds the size cap and was not validated", ctx)]
    if not ctx.reply.body:
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
    if isinstance(found, str):
        return [_not_json(ctx, media)]
    if not found:
        return [passed(name, REQ, f"the {resp.status} body matches its schema", ctx.step.name)]
    out = [
        _result(
            name,
            REQ,
            Outcome.FAILED,
            f"the {ctx.status} body breaks the spec's schema {v.message}",
            ctx,
            instance_pointer=v.instance_pointer,
            schema_file=v.schema_file,
            schema_pointer=v.schema_pointer,
        )
        for v in found[:MAX_VIOLATIONS]
    ]
    if len(found) > MAX_VIOLATIONS:
        out.append(_result(name, REQ, Outcome.FAILED, f"… and {len(found) - MAX_VIOLATIONS} more violations", ctx))
    return out


def _not_json(ctx: StepContext, media: MediaType) -> CheckResult:
    return _result(
        "response_schema_valid",
        REQ,
        Outcome.FAILED,
        f"the {ctx.status} body is not valid JSON although the spec documents {media.media_type}",
        ctx,
        instance_pointer="",
        schema_file=media.schema.doc if media.schema else (ctx.op.source_file if ctx.op else None),
        schema_pointer=media.schema.pointer if media.schema else media.pointer,
    )


def _header_value(text: str, node: Any) -> Any:
    """A header's text as the value its schema expects (integer, number, boolean), else the text."""
    kind = node.get("type") if isinstance(node, dict) else None
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if kind == "array":
        return [p.strip() for p in text.split(",")]
    return text


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
            node = schemas.resolve(ctx.contract, h.schema).node
            violations = schemas.validate(ctx.contract, h.schema, _header_value(value, node), direction="response")
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


def invalid_input_rejected(ctx: StepContext) -> list[CheckResult]:
    s, name, op = ctx.status, "invalid_input_rejected", ctx.op
    what = ctx.case.description or ctx.case.name
    if s < 400 or s >= 500:
        return [
            _result(
                name,
                REQ,
                Outcome.FAILED,
                f"answered {s} to invalid input ({what}); invalid input must be rejected with a 4xx"
                + (" documented for the operation" if _documented_4xx(op) else ""),
                ctx,
            )
        ]
    if s in (401, 403) and not _covers(ctx.step.statuses or _documented_4xx(op), s):
        reason = _excused_refusal(ctx)
        return [_result(name, REQ, Outcome.UNTESTABLE, reason or "untestable: refused for credentials", ctx)]
    codes = list(ctx.step.statuses) or _documented_4xx(op)
    if not any(c in _INPUT_ERROR_CODES for c in codes):
        # The spec names no status for invalid input (only e.g. 404): any 4xx is a proper refusal.
        return [passed(name, REQ, f"invalid input rejected with {s}", ctx.step.name)]
    if _covers(codes, s):
        return [passed(name, REQ, f"invalid input rejected with {s}", ctx.step.name)]
    if s in (404, 410) and not ctx.known_valid:
        return [
            passed(name, REQ, f"{s}: the identifier in the path is not known to the product (generated)", ctx.step.name)
        ]
    if s in _HTTP_LEVEL_4XX:
        return [passed(name, REQ, f"rejected with {s}, an HTTP-level refusal (acceptable)", ctx.step.name)]
    return [
        _result(
            name,
            REQ,
            Outcome.FAILED,
            f"rejected invalid input ({what}) with {s}, which is not among the documented 4xx answers "
            f"({', '.join(codes)}); use the documented status",
            ctx,
            schema_file=op.source_file if op else None,
            schema_pointer=(op.pointer + "/responses") if op else None,
        )
    ]


def valid_input_accepted(ctx: StepContext) -> list[CheckResult]:
    s, name = ctx.status, "valid_input_accepted"
    if s < 400:
        return [passed(name, REQ, f"accepted with {s}", ctx.step.name)]
    if s >= 500:
        return []
    excuse = _excused_refusal(ctx)
    if excuse is not None:
        outcome = Outcome.UNTESTABLE if excuse.startswith("untestable") else Outcome.SKIPPED
        return [_result(name, REQ, outcome, excuse, ctx)]
    if ctx.known_valid:
        return [
            _result(
                name,
                REQ,
                Outcome.FAILED,
                f"refused valid input with {s} ({ctx.case.description or ctx.case.name}); "
                "a request that follows the spec must be accepted",
                ctx,
            )
        ]
    return [
        _result(
            name,
            REC,
            Outcome.FAILED,
            f"refused generated input with {s}; the request follows the spec, but it may name records the "
            "product does not have: supply a fixtures file if so",
            ctx,
        )
    ]


def _security_unjudgeable(ctx: StepContext) -> str | None:
    """Why the spec's security declaration cannot be tested with header credentials, if it cannot."""
    op = ctx.op
    if op is None or not op.security:
        return "untestable: the spec declares no security for this operation"
    schemes = ctx.contract.security_schemes
    for alternative in op.security:
        if not alternative:
            return "untestable: the spec also allows anonymous access (an empty security requirement)"
        for scheme, _scopes in alternative:
            if scheme not in schemes:
                return f"untestable: the spec's security scheme '{scheme}' is not defined in components/securitySchemes"
        if all(schemes[n].type == "mutualTLS" for n, _ in alternative):
            return "untestable: the operation may be secured by mutual TLS alone, which request credentials cannot test"
    return None


def auth_required(ctx: StepContext) -> list[CheckResult]:
    s, name = ctx.status, "auth_required"
    how = "without credentials" if ctx.step.request.auth.value == "none" else "with wrong credentials"
    if s in (401, 403):
        return [passed(name, REQ, f"refused {how} with {s}", ctx.step.name)]
    if s < 400 and (why := _security_unjudgeable(ctx)) is not None:
        return [_result(name, REQ, Outcome.UNTESTABLE, why, ctx)]
    if s < 400:
        op = ctx.op
        return [
            _result(
                name,
                REQ,
                Outcome.FAILED,
                f"answered {s} to a request {how}; the spec declares security for this operation, "
                "so the product must refuse it with 401 or 403",
                ctx,
                schema_file=op.source_file if op else None,
                schema_pointer=(op.pointer + "/security") if op else None,
            )
        ]
    if s >= 500:
        return []
    return [_result(name, REQ, Outcome.SKIPPED, f"answered {s}: refused, but not visibly for credentials", ctx)]


def _at(doc: Any, pointer: str) -> Any:
    node = doc
    if not pointer:
        return node
    for raw in pointer.lstrip("/").split("/"):
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return _UNSET
    return node


def echoes(expected: Any, actual: Any) -> bool:
    """Whether `actual` carries `expected`: objects as subsets, lists element-wise, numbers by value."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(k in actual and echoes(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return isinstance(actual, list) and all(any(echoes(e, a) for a in actual) for e in expected)
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return float(expected) == float(actual)
    if isinstance(expected, str) and isinstance(actual, str) and expected != actual:
        return _same_instant(expected, actual)
    return bool(expected == actual)


def _same_instant(a: str, b: str) -> bool:
    from datetime import datetime

    try:
        da = datetime.fromisoformat(a.replace("Z", "+00:00"))
        db = datetime.fromisoformat(b.replace("Z", "+00:00"))
    except ValueError:
        return False
    return da == db


def created_resource_readable(ctx: StepContext) -> list[CheckResult]:
    s, name = ctx.status, "created_resource_readable"
    if s >= 500:
        return []
    if s in (401, 403):
        return [_result(name, REQ, Outcome.UNTESTABLE, _excused_refusal(ctx) or "", ctx)]
    if s >= 300:
        return [
            _result(
                name,
                REQ,
                Outcome.FAILED,
                f"reading back the resource created earlier in this sequence answered {s}; "
                "a created resource must be readable by the id the product returned",
                ctx,
            )
        ]
    if not ctx.step.must_echo:
        return [passed(name, REQ, "created resource read back", ctx.step.name)]
    body = ctx.json()
    if body is _INVALID:
        return []  # the schema check reports a body that is not JSON
    out: list[CheckResult] = []
    for pointer, value in ctx.step.must_echo:
        got = _at(body, pointer)
        if got is _UNSET:
            out.append(_result(name, REQ, Outcome.SKIPPED, f"the read-back has nothing at {pointer or '/'}", ctx))
        elif not echoes(value, got):
            out.append(
                _result(
                    name,
                    REQ,
                    Outcome.FAILED,
                    f"the resource read back differs from what was written at {pointer or '/'}: "
                    f"sent {_short(value)}, got {_short(got)}",
                    ctx,
                    instance_pointer=pointer,
                )
            )
    return out or [passed(name, REQ, "created resource read back with the data written", ctx.step.name)]


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 120 else text[:120] + "…"


def deleted_resource_gone(ctx: StepContext) -> list[CheckResult]:
    s, name = ctx.status, "deleted_resource_gone"
    if s in (404, 410):
        return [passed(name, REQ, f"deleted resource gone ({s})", ctx.step.name)]
    if s < 300:
        return [
            _result(
                name,
                REQ,
                Outcome.FAILED,
                f"the resource deleted earlier in this sequence is still readable ({s}); "
                "after a successful delete a read must answer 404 (or 410)",
                ctx,
            )
        ]
    if s in (401, 403):
        return [_result(name, REQ, Outcome.UNTESTABLE, _excused_refusal(ctx) or "", ctx)]
    if s >= 500:
        return []
    return [_result(name, REQ, Outcome.SKIPPED, f"answered {s} after delete; expected 404 or 410", ctx)]


# --- RECOMMENDED ----------------------------------------------------------------------------------------------


def method_not_allowed(ctx: StepContext) -> list[CheckResult]:
    s, name, method = ctx.status, "method_not_allowed", ctx.step.request.method
    if s == 405:
        return [passed(name, REC, f"{method} refused with 405", ctx.step.name)]
    if 400 <= s < 500 or s == 501:
        return [passed(name, REC, f"{method} refused with {s} (acceptable; 405 is recommended)", ctx.step.name)]
    return [
        _result(
            name,
            REC,
            Outcome.FAILED,
            f"answered {s} to {method}, a method the spec does not declare for this path; "
            "answer 405 Method Not Allowed",
            ctx,
        )
    ]


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


Check = Callable[[StepContext], list[CheckResult]]

COMMON: tuple[Check, ...] = (
    no_server_error,
    status_code_documented,
    content_type_documented,
    response_schema_valid,
    required_headers_present,
    latency_within_budget,
    response_within_size_cap,
)
BY_EXPECT: dict[Expect, Check] = {
    Expect.CLIENT_ERROR: invalid_input_rejected,
    Expect.AUTH_REFUSED: auth_required,
    Expect.METHOD_REFUSED: method_not_allowed,
    Expect.GONE: deleted_resource_gone,
}
ALL_CHECKS = (
    "no_server_error",
    "status_code_documented",
    "content_type_documented",
    "response_schema_valid",
    "required_headers_present",
    "invalid_input_rejected",
    "valid_input_accepted",
    "auth_required",
    "created_resource_readable",
    "deleted_resource_gone",
    "method_not_allowed",
    "latency_within_budget",
    "response_within_size_cap",
)


def is_read_back(case: Case, step: Step) -> bool:
    """A read in a sequence after the resource was created: judged by created_resource_readable."""
    return (
        case.kind is CaseKind.STATEFUL
        and step.request.method == "GET"
        and step.expect is Expect.SUCCESS
        and any("${" in v for _, v in step.request.path_params)
    )


def checks_for(case: Case, step: Step) -> tuple[Check, ...]:
    """Which checks judge this step, by what it expects."""
    specific: Check
    if step.expect is Expect.SUCCESS:
        specific = created_resource_readable if is_read_back(case, step) else valid_input_accepted
    else:
        specific = BY_EXPECT[step.expect]
    return (*COMMON, specific)


def run_checks(ctx: StepContext) -> list[CheckResult]:
    out: list[CheckResult] = []
    for check in checks_for(ctx.case, ctx.step):
        out.extend(check(ctx))
    return out


def mentions_id(value: Any) -> bool:
    """Whether a generated body names identifiers (which the product may not know)."""
    if isinstance(value, dict):
        return any(
            (_ID_NAME.search(str(k)) and not (isinstance(v, str) and "${" in v)) or mentions_id(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(mentions_id(v) for v in value)
    return False
