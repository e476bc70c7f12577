"""Checks on list answers: a list filtered by an identifier no record holds comes back empty."""

from __future__ import annotations

import json

from govstack_conform.engine.checks.base import _INVALID, REC, StepContext, _result, passed
from govstack_conform.engine.results import CheckResult, Outcome


def unmatched_filter_empty(ctx: StepContext) -> list[CheckResult]:
    """The filter the case set selects nothing, so the list must be empty; records in it mean it was ignored."""
    key, name = ctx.step.unmatched_filter, "unmatched_filter_empty"
    if key is None or not 200 <= ctx.status < 300:
        return []  # a refusal or an error is judged by the step's other checks
    body = ctx.json()
    if body is _INVALID:
        return []  # response_schema_valid reports a body that is not JSON
    if not isinstance(body, list):
        why = f"the answer is {type(body).__name__}, not a list: nothing to compare"
        return [_result(name, REC, Outcome.SKIPPED, why, ctx)]
    if not body:
        return [passed(name, REC, "the filtered list is empty: the filter selects by its value", ctx.step.name)]
    value = next((v for k, v in ctx.step.request.query if k == key), "")
    first = json.dumps(body[0], ensure_ascii=False, default=str)
    first = first if len(first) <= 120 else first[:120] + "…"
    why = (
        f"filtered by {key}={value!r}, a value made for this run that no record holds, the list answered "
        f"{len(body)} item{'s' if len(body) != 1 else ''} (first: {first}): the filter was not applied"
    )
    return [_result(name, REC, Outcome.FAILED, why, ctx, instance_pointer="")]
