"""How an answer is framed on the wire, judged where a parser would paper over it (RECOMMENDED checks).

Python's JSON parser (and the schema check after it) reads UTF-16 and UTF-32 as happily as UTF-8, and
an HTTP library keeps the first of two Content-Type headers, so both pass unseen; a consumer that reads
UTF-8 only, or the other header, sees something else. Each check says nothing (no result) where there
is nothing to say, so a correct answer adds no result to the record.

A 503 with Retry-After is throttling (checks/base.py `throttled`): `unavailable` is what the checks
that judge a status say of it instead.
"""

from __future__ import annotations

import json

from govstack_conform.engine.checks.base import REC, REQ, StepContext, _result, is_json, media_type
from govstack_conform.engine.results import CheckResult, Outcome

_ENCODINGS = {
    "utf-8-sig": "UTF-8 with a byte order mark",
    "utf-16": "UTF-16 (with a byte order mark)",
    "utf-16-be": "UTF-16 big-endian",
    "utf-16-le": "UTF-16 little-endian",
    "utf-32": "UTF-32 (with a byte order mark)",
    "utf-32-be": "UTF-32 big-endian",
    "utf-32-le": "UTF-32 little-endian",
}


def json_encoded_as_utf8(ctx: StepContext) -> list[CheckResult]:
    """RFC 8259 §8.1: JSON exchanged between systems MUST be UTF-8, without a byte order mark."""
    body, ct = ctx.reply.body, ctx.reply.header("content-type")
    if not body or not is_json(media_type(ct)):
        return []
    found = json.detect_encoding(body)  # the detection RFC 4627 §3 described: BOMs and the NUL pattern
    if found == "utf-8":
        return []
    charset = next((p.split("=", 1)[1].strip() for p in (ct or "").split(";")[1:] if "=" in p), None)
    declared = f" (declared as charset={charset})" if charset else " (no charset declared)"
    return [
        _result(
            "json_encoded_as_utf8",
            REC,
            Outcome.FAILED,
            f"the {ctx.status} answer's JSON is encoded as {_ENCODINGS.get(found, found)}{declared}; RFC 8259 §8.1 "
            "requires UTF-8 without a byte order mark for JSON exchanged between systems: a consumer reading "
            "UTF-8 cannot parse it",
            ctx,
        )
    ]


def single_content_type(ctx: StepContext) -> list[CheckResult]:
    """RFC 9110 §5.3: a field whose value is not a list (Content-Type's is not) must not be sent twice."""
    values = [v for n, v in ctx.reply.headers if n.lower() == "content-type"]
    if len(values) < 2:
        return []
    shown = "; ".join(repr(v[:80]) for v in values[:4])
    return [
        _result(
            "single_content_type",
            REC,
            Outcome.FAILED,
            f"the {ctx.status} answer has {len(values)} Content-Type headers ({shown}); Content-Type is a single "
            "value (RFC 9110 §8.3), and a field may be repeated only when its value is a list (§5.3): "
            "clients disagree on which one counts, send one",
            ctx,
        )
    ]


def unavailable(ctx: StepContext, check: str) -> CheckResult:
    """What a check that judges the status says of a 503 with Retry-After: nothing about the product."""
    return _result(check, REQ, Outcome.UNTESTABLE, ctx.throttled or "", ctx)
