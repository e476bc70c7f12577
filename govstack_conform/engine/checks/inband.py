"""Errors reported inside a success answer, where the contract says that is how errors are reported.

See engine/inband.py for when a contract does that. There, a 2xx whose documented error field is
non-empty is a refusal: correct for invalid input, a refusal of valid input otherwise. Anywhere else a
2xx means accepted, as before.
"""

from __future__ import annotations

from typing import Any

from govstack_conform.engine.checks.base import _INVALID, StepContext
from govstack_conform.engine.inband import body_error_field, reports_errors_in_body


def reported_errors(ctx: StepContext) -> tuple[str, Any] | None:
    """(field, value) when a 2xx answer reports errors in the body the contract documents for them."""
    if not 200 <= ctx.status < 300 or ctx.op is None or not reports_errors_in_body(ctx.contract, ctx.op):
        return None
    resp = ctx.response()
    field = body_error_field(ctx.contract, resp) if resp is not None else None
    body = ctx.json()
    if field is None or body is _INVALID or not isinstance(body, dict):
        return None
    value = body.get(field)
    if value in (None, "", [], {}):
        return None
    return field, value


def describe(found: tuple[str, Any]) -> str:
    """'errors: invalid_client_id (the client id is bad)' from the reported errors, short."""
    field, value = found
    items = value if isinstance(value, list) else [value]
    words = []
    for item in items[:3]:
        if isinstance(item, dict):
            code = item.get("errorCode") or item.get("code") or item.get("error")
            text = item.get("errorMessage") or item.get("message")
            words.append(" ".join(str(x) for x in (code, f"({text})" if text else None) if x) or str(item)[:80])
        else:
            words.append(str(item)[:80])
    more = f" and {len(items) - 3} more" if len(items) > 3 else ""
    return f"{field}: {'; '.join(words)}{more}"
