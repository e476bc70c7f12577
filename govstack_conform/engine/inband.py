"""Whether a contract reports errors inside its success answers (a fact about the contract, planner and checks alike).

Some BBs (identity's MOSIP-style APIs) document only 200 for an operation and put an `errors` list in its
body; their own harnesses send invalid input and expect 200 with the error in the body. An operation does
that when it documents no status for invalid input (no 400, 422 or 4XX) and a documented 2xx JSON body
has a top-level error field.
"""

from __future__ import annotations

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Operation, Response

ERROR_FIELDS = ("errors", "error", "faults", "fault")
INPUT_ERROR_CODES = frozenset({"400", "422", "4XX"})


def _json(media: str) -> bool:
    m = media.split(";", 1)[0].strip().lower()
    return m == "application/json" or m.endswith("+json") or m == "text/json"


def body_error_field(contract: Contract, resp: Response) -> str | None:
    """The top-level field of a documented body that carries errors, if its schema has one."""
    for media in resp.content:
        if media.schema is None or not _json(media.media_type):
            continue
        try:
            node = schemas.resolve(contract, media.schema).node
        except schemas.SchemaUnusable:
            continue
        props = node.get("properties") if isinstance(node, dict) else None
        if isinstance(props, dict):
            found = next((f for f in ERROR_FIELDS if f in props), None)
            if found is not None:
                return found
    return None


def reports_errors_in_body(contract: Contract, op: Operation) -> bool:
    """Whether invalid input to `op` is refused by a 2xx whose body lists the errors, as the contract says."""
    if any(r.status.upper() in INPUT_ERROR_CODES for r in op.responses):
        return False
    return any(r.status[:1] == "2" and body_error_field(contract, r) is not None for r in op.responses)
