"""Non-JSON bodies with a documented schema: what can be checked is checked.

A string schema's rules hold for a text body (an empty body where a non-empty string is required, a
length, a pattern); a body documented as `application/jwt` (or `+jwt`) must have a JWT's compact form
(RFC 7519 §3: base64url parts separated by dots, three for a signed JWT, five for an encrypted one,
the first a JSON object naming its `alg`). Binary bodies are held only to what an empty body would break.
"""

from __future__ import annotations

import base64
import binascii
import json
import re

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import MediaType
from govstack_conform.engine.checks.base import MAX_VIOLATIONS, REQ, StepContext, _result, passed
from govstack_conform.engine.results import CheckResult, Outcome

_NAME = "response_schema_valid"
_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_CHARSET = re.compile(r";\s*charset\s*=\s*\"?([\w.:-]+)", re.IGNORECASE)


def is_jwt(media: str) -> bool:
    return media == "application/jwt" or media.endswith("+jwt")


def is_text(media: str) -> bool:
    return media.startswith("text/") or is_jwt(media)


def _string_schema(ctx: StepContext, media: MediaType) -> bool:
    """Whether the documented schema describes the body as one string (not binary data)."""
    if media.schema is None:
        return False
    node = schemas.resolve(ctx.contract, media.schema).node
    if not isinstance(node, dict):
        return False
    kind = node.get("type")
    return (kind == "string" or (isinstance(kind, list) and "string" in kind)) and node.get("format") != "binary"


def jwt_problem(text: str) -> str | None:
    """What keeps `text` from being a JWT in compact serialization, if anything."""
    parts = text.strip().split(".")
    if len(parts) not in (3, 5):
        plural = "s" if len(parts) != 1 else ""
        return f"has {len(parts)} dot-separated part{plural}, where a JWT has 3 (signed) or 5 (encrypted)"
    if not all(_B64URL.fullmatch(p) for p in parts):
        return "has a part that is not base64url"
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (ValueError, binascii.Error):
        return "has a first part (the JOSE header) that is not base64url-encoded JSON"
    if not isinstance(header, dict):
        return "has a JOSE header that is not a JSON object"
    if not isinstance(header.get("alg"), str):
        return "has a JOSE header without the `alg` member every JWS and JWE header carries (RFC 7515 §4.1.1)"
    return None


def _text(ctx: StepContext, media: str) -> str | None:
    """The body as text in its declared charset (UTF-8 unless declared), or None when it is not."""
    found = _CHARSET.search(ctx.reply.header("content-type") or "")
    try:
        text = ctx.reply.body.decode(found.group(1) if found else "utf-8")
    except (LookupError, UnicodeDecodeError):
        return None
    # a text body's one closing line break is the convention of text, not part of the value
    return text[:-2] if text.endswith("\r\n") else text[:-1] if text.endswith("\n") else text


def non_json_body(ctx: StepContext, media: MediaType, actual: str) -> list[CheckResult]:
    """response_schema_valid for a body in a documented non-JSON media type `actual`."""
    string = _string_schema(ctx, media)
    jwt = is_jwt(actual)
    if not string and not jwt:
        return []
    if ctx.reply.truncated:
        return [
            _result(
                _NAME, REQ, Outcome.UNTESTABLE,
                f"untestable: the body exceeds the size cap ({len(ctx.reply.body)} bytes) and was not checked", ctx,
            )
        ]  # fmt: skip
    value: str | None = "" if not ctx.reply.body else _text(ctx, actual) if is_text(actual) else None
    if value is None:
        return []  # binary data, or text not in its charset: nothing a string schema can say about it
    where = {"schema_file": media.schema.doc, "schema_pointer": media.schema.pointer} if media.schema else {}
    if jwt and (problem := jwt_problem(value)) is not None:
        shown = value[:60] + ("…" if len(value) > 60 else "")
        return [
            _result(
                _NAME, REQ, Outcome.FAILED,
                f"the {ctx.status} body is documented as {media.media_type} but is no JWT: {shown!r} {problem}",
                ctx, instance_pointer="", **where,
            )
        ]  # fmt: skip
    if not string or media.schema is None:
        return [passed(_NAME, REQ, f"the {ctx.status} body is a JWT in compact form", ctx.step.name)]
    return _string_rules(ctx, media, value, actual)


def _string_rules(ctx: StepContext, media: MediaType, value: str, actual: str) -> list[CheckResult]:
    assert media.schema is not None
    try:
        found = schemas.validate(ctx.contract, media.schema, value, direction="response")
    except schemas.SchemaUnusable as exc:
        return [
            _result(
                _NAME, REQ, Outcome.UNTESTABLE,
                f"untestable: the spec's schema for {actual} cannot be evaluated: {exc}",
                ctx, schema_file=media.schema.doc, schema_pointer=media.schema.pointer,
            )
        ]  # fmt: skip
    if not found:
        return [passed(_NAME, REQ, f"the {ctx.status} {actual} body meets its string schema", ctx.step.name)]
    empty = " (the body is empty)" if not value else ""
    return [
        _result(
            _NAME, REQ, Outcome.FAILED,
            f"the {ctx.status} {actual} body{empty} breaks the spec's string schema {v.message}",
            ctx, instance_pointer=v.instance_pointer, schema_file=v.schema_file, schema_pointer=v.schema_pointer,
        )
        for v in found[:MAX_VIOLATIONS]
    ]  # fmt: skip


__all__ = ["is_jwt", "jwt_problem", "non_json_body"]
