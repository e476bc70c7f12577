"""Definitions a request cannot tell apart: judged so that no product is blamed for the spec's ambiguity.

Payments defines `POST /callback` in three files and `POST /billTransferRequests` in four, with nothing
in a request (method, path, fixed query) to say which one is meant (lint: `duplicate-operation`). A
product can only answer one of them, so an answer is held against the case's own definition only
where no twin explains it: an answer documented by a twin passes with that said; a refusal of valid
input, or acceptance of input invalid for this definition, is untestable (the product may have taken
the request for a twin).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.engine.checks.base import StepContext, passed
from govstack_conform.engine.results import CheckResult, Outcome

Check = Callable[[StepContext], list[CheckResult]]
# Checks about what the answer looks like: a twin's documented answer satisfies them.
SHAPE = frozenset(
    {"status_code_documented", "content_type_documented", "response_schema_valid", "required_headers_present"}
)
# Checks about whether the request was accepted: a twin's reading of it explains either outcome.
FATE = frozenset({"valid_input_accepted", "invalid_input_rejected"})


def twins_of(contract: Contract, op: Operation | None) -> tuple[Operation, ...]:
    """The other definitions with the same method, path and fixed query as `op`."""
    return () if op is None else contract.twins(op)


def settle(ctx: StepContext, results: list[CheckResult], checks: Sequence[Check]) -> list[CheckResult]:
    """`results` with each failure that a twin of the step's operation explains turned into what it is."""
    twins = twins_of(ctx.contract, ctx.op)
    if not twins or not any(r.outcome is Outcome.FAILED for r in results):
        return results
    by_name = {c.__name__: c for c in checks}
    names = ", ".join(t.key for t in twins)
    out: list[CheckResult] = []
    for r in results:
        if r.outcome is not Outcome.FAILED:
            out.append(r)
        elif r.check in SHAPE and r.check in by_name and (twin := _explaining(ctx, twins, by_name[r.check])):
            why = f"the answer is what {twin.key} documents, and the request cannot be told apart from it"
            out.append(passed(r.check, r.level, why, ctx.step.name))
        elif r.check in FATE and (twin := _reads_otherwise(ctx, twins, r.check)) is not None:
            why = (
                f"untestable: the request cannot be told apart from {names} (the spec defines the same method, "
                f"path and query more than once: duplicate-operation), and its body is "
                f"{'valid' if r.check == 'invalid_input_rejected' else 'invalid'} for {twin.key}, so the product may "
                f"have answered as that one; {r.message}"
            )
            out.append(CheckResult(r.check, r.level, Outcome.UNTESTABLE, why, r.step))
        else:
            out.append(r)
    return out


def _body_valid(ctx: StepContext, op: Operation) -> bool | None:
    """Whether the step's JSON body is valid for `op`'s request schema; None when that cannot be told."""
    from govstack_conform.contracts.schemas import SchemaUnusable, validate

    req = ctx.step.request
    body = op.request_body
    if req.raw_body is not None or not req.has_body or body is None:
        return None
    media = next((m for m in body.content if m.schema is not None and "json" in m.media_type), None)
    if media is None or media.schema is None:
        return None
    value = ctx.filled_body()
    try:
        return not validate(ctx.contract, media.schema, value, direction="request")
    except (SchemaUnusable, AttributeError, TypeError, ValueError):
        return None


def _reads_otherwise(ctx: StepContext, twins: Sequence[Operation], check: str) -> Operation | None:
    """A twin for which the body means the opposite: valid where an acceptance was blamed, invalid where a
    refusal was."""
    want = check == "invalid_input_rejected"
    return next((t for t in twins if _body_valid(ctx, t) is want), None)


def _explaining(ctx: StepContext, twins: Sequence[Operation], check: Check) -> Operation | None:
    for twin in twins:
        other = ctx.with_op(twin)
        if not any(r.outcome is Outcome.FAILED for r in check(other)):
            return twin
    return None
