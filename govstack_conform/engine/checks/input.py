"""Checks on what the answer means for the request: invalid input refused, valid input accepted,
credentials required, sequences (created resource readable, deleted resource gone), undeclared methods."""

from __future__ import annotations

import json
import re
from typing import Any

from govstack_conform.engine.checks.base import (
    _HTTP_LEVEL_4XX,
    _INPUT_ERROR_CODES,
    _INVALID,
    _UNSET,
    RATE_LIMITED,
    RATE_LIMITED_WHY,
    REC,
    REQ,
    StepContext,
    _at,
    _covers,
    _documented_4xx,
    _excused_refusal,
    _result,
    filled_param_problem,
    passed,
)
from govstack_conform.engine.checks.inband import describe, reported_errors
from govstack_conform.engine.checks.refusal import excerpt, refusal_kind
from govstack_conform.engine.results import CheckResult, Outcome

# Tag of negative cases whose input breaks only a `format` (plan_negative.FORMAT_ONLY): JSON Schema makes
# `format` an annotation unless the validator opts in, so accepting such input is not a REQUIRED failure.
_FORMAT_ONLY = "format-only"


def invalid_input_rejected(ctx: StepContext) -> list[CheckResult]:
    # The case's description is not repeated here: every report shows it beside the message.
    s, name, op = ctx.status, "invalid_input_rejected", ctx.op
    level = REC if _FORMAT_ONLY in ctx.case.tags else REQ
    if (found := reported_errors(ctx)) is not None:
        why = f"invalid input rejected in the {s} answer's body ({describe(found)}), where the contract reports errors"
        return [passed(name, level, why, ctx.step.name)]
    if s < 400 or s >= 500:
        return [
            _result(
                name,
                level,
                Outcome.FAILED,
                f"answered {s} to invalid input; invalid input must be rejected with a 4xx"
                + (" documented for the operation" if _documented_4xx(op) else "")
                + (
                    " (recommended only: the value breaks nothing but its `format`, which JSON Schema treats "
                    "as an annotation unless a validator asserts it)"
                    if level is REC
                    else ""
                ),
                ctx,
            )
        ]
    if s == RATE_LIMITED:
        return [_result(name, REQ, Outcome.UNTESTABLE, RATE_LIMITED_WHY, ctx)]
    if s in (401, 403) and not _covers(ctx.step.statuses or _documented_4xx(op), s):
        reason = _excused_refusal(ctx)
        return [_result(name, REQ, Outcome.UNTESTABLE, reason or "untestable: refused for credentials", ctx)]
    codes = list(ctx.step.statuses) or _documented_4xx(op)
    if not any(c in _INPUT_ERROR_CODES for c in codes):
        # The spec names no status for invalid input (only e.g. 404): any 4xx is a proper refusal.
        return [passed(name, level, f"invalid input rejected with {s}", ctx.step.name)]
    if _covers(codes, s):
        return [passed(name, level, f"invalid input rejected with {s}", ctx.step.name)]
    if s in (404, 410) and not ctx.known_valid:
        known = f"{s}: the identifier in the path is not known to the product (generated)"
        return [passed(name, level, known, ctx.step.name)]
    if s in _HTTP_LEVEL_4XX:
        return [passed(name, level, f"rejected with {s}, an HTTP-level refusal (acceptable)", ctx.step.name)]
    return [
        _result(
            name,
            level,
            Outcome.FAILED,
            f"rejected invalid input with {s}, which is not among the documented 4xx answers "
            f"({', '.join(codes)}); use the documented status",
            ctx,
            schema_file=op.source_file if op else None,
            schema_pointer=(op.pointer + "/responses") if op else None,
        )
    ]


def valid_input_accepted(ctx: StepContext) -> list[CheckResult]:
    s, name = ctx.status, "valid_input_accepted"
    if s < 400 and (found := reported_errors(ctx)) is not None:
        return [_refused_in_band(ctx, name, found)]
    if s < 400:
        return [passed(name, REQ, f"accepted with {s}", ctx.step.name)]
    if s >= 500:
        return []
    excuse = _excused_refusal(ctx)
    if excuse is not None:
        outcome = Outcome.UNTESTABLE if excuse.startswith("untestable") else Outcome.SKIPPED
        return [_result(name, REQ, outcome, excuse, ctx)]
    return [filled_param_problem(ctx, name) or _refused(ctx, name)]


def _refused_in_band(ctx: StepContext, name: str, found: tuple[str, Any]) -> CheckResult:
    """A 2xx whose documented error field reports errors: the product refused a request that follows the spec."""
    s, u = ctx.status, ctx.unknowns
    what = ctx.case.description or ctx.case.name
    said = describe(found)
    if u.any:
        return _result(
            name, REC, Outcome.FAILED,
            f"answered {s} but reported errors in the body ({said}) to generated input; the request follows the "
            f"spec, but it may name records the product does not have ({u.where()}): supply a fixtures file if so",
            ctx,
        )  # fmt: skip
    return _result(
        name, REQ, Outcome.FAILED,
        f"answered {s} but reported errors in the body ({said}) to valid input ({what}); a request that follows "
        "the spec must be accepted with an empty error list",
        ctx,
    )  # fmt: skip


def _refused(ctx: StepContext, name: str) -> CheckResult:
    """A 4xx to a request that follows the spec, not excused by credentials or throttling: whose fault it is."""
    s, u, op = ctx.status, ctx.unknowns, ctx.op
    said = excerpt(ctx.reply.body)
    quoted = f" (the answer says: {said})" if said else ""
    kind = refusal_kind(ctx.reply.body)
    if s == 409:
        return _result(
            name, REC, Outcome.FAILED,
            f"refused valid input with 409 Conflict{quoted}: the product holds state the request conflicts with, "
            "perhaps left by an earlier run with the same data (try another --seed)",
            ctx,
        )  # fmt: skip
    if s in (404, 410) and not u.names_identifier and op is not None and any(r.status == str(s) for r in op.responses):
        return _result(
            name, REC, Outcome.FAILED,
            f"answered {s}{quoted}, which the spec documents for {op.key}; the request names no identifier, "
            "so a valid request is expected to succeed",
            ctx,
        )  # fmt: skip
    if s in (400, 422) and kind in ("missing", "malformed"):
        return _result(
            name, REQ, Outcome.FAILED,
            f"refused valid input with {s}, naming a {kind} field{quoted}; the request follows the spec, "
            "so the product expects another shape than the contract documents",
            ctx,
        )  # fmt: skip
    if u.any:
        return _result(
            name, REC, Outcome.FAILED,
            f"refused generated input with {s}{quoted}; the request follows the spec, but it may name records "
            f"the product does not have ({u.where()}): supply a fixtures file with real identifiers if so",
            ctx,
        )  # fmt: skip
    return _result(
        name, REQ, Outcome.FAILED,
        f"refused valid input with {s}{quoted}; a request that follows the spec, naming only records "
        "from the fixtures or created earlier in this run, must be accepted",
        ctx,
    )  # fmt: skip


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
    if 300 <= s < 400:  # e.g. to a sign-in page: access is not given, though not refused with 401/403
        where = ctx.reply.header("location")
        to = f" to {where[:200]}" if where else ""
        return [
            _result(
                name,
                REQ,
                Outcome.SKIPPED,
                f"redirected {how} ({s}{to}, not followed): no access given, though 401 or 403 is the clear refusal",
                ctx,
            )
        ]
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
    if s == RATE_LIMITED:
        return [_result(name, REQ, Outcome.UNTESTABLE, RATE_LIMITED_WHY, ctx)]
    return [_result(name, REQ, Outcome.SKIPPED, f"answered {s}: refused, but not visibly for credentials", ctx)]


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
        return _same_instant(expected, actual) or _same_case_insensitive(expected, actual)
    return bool(expected == actual)


# Values whose case carries no meaning and which products commonly normalize: e-mail addresses (domains are
# case-insensitive, RFC 5321 §2.4, and services lower-case the whole address) and UUIDs (RFC 9562 §4).
_CASELESS = re.compile(r"[^@\s]+@[^@\s]+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def _same_case_insensitive(a: str, b: str) -> bool:
    return a.lower() == b.lower() and bool(_CASELESS.fullmatch(a))


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
    if s in (401, 403, RATE_LIMITED):
        return [_result(name, REQ, Outcome.UNTESTABLE, _excused_refusal(ctx) or "", ctx)]
    if s >= 300 and (spec_at_odds := filled_param_problem(ctx, name)) is not None:
        return [spec_at_odds]
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
        elif isinstance(got, (dict, list)) and not isinstance(value, (dict, list)):
            # e.g. a reference written as an id and read back expanded, as a read schema may document
            shape = "an object" if isinstance(got, dict) else "an array"
            out.append(
                _result(
                    name,
                    REQ,
                    Outcome.SKIPPED,
                    f"the read-back returns {shape} at {pointer or '/'} where {_short(value)} was written: "
                    "another representation, not compared",
                    ctx,
                    instance_pointer=pointer,
                )
            )
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
    if s in (401, 403, RATE_LIMITED):
        return [_result(name, REQ, Outcome.UNTESTABLE, _excused_refusal(ctx) or "", ctx)]
    if s >= 500:
        return []
    return [_result(name, REQ, Outcome.SKIPPED, f"answered {s} after delete; expected 404 or 410", ctx)]


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
