"""The named checks and which of them judge a step: each a small function that judges one answered
step and returns results, never raises (see checks_response and checks_input).

The rule broken is said in words a vendor can act on. Where the spec itself is broken the outcome is
UNTESTABLE, never FAILED. Where our own input may not be valid for the product (a generated id), a
refusal is not blamed.
"""

from __future__ import annotations

from collections.abc import Callable

from govstack_conform.engine.cases import Case, CaseKind, Expect, Step
from govstack_conform.engine.checks.base import (
    _INVALID,
    _UNSET,
    PLACEHOLDER,
    UNAVAILABLE,
    StepContext,
    _at,
    match_media,
    media_type,
    mentions_id,
    passed,
)
from govstack_conform.engine.checks.input import (
    auth_required,
    created_resource_readable,
    deleted_resource_gone,
    echoes,
    invalid_input_rejected,
    method_not_allowed,
    valid_input_accepted,
)
from govstack_conform.engine.checks.lists import unmatched_filter_empty
from govstack_conform.engine.checks.response import (
    allow_header_present,
    answered_within_timeout,
    content_type_documented,
    latency_within_budget,
    no_server_error,
    required_headers_present,
    response_schema_valid,
    response_within_size_cap,
    status_code_documented,
)
from govstack_conform.engine.checks.twins import settle
from govstack_conform.engine.checks.wire_format import json_encoded_as_utf8, single_content_type, unavailable
from govstack_conform.engine.results import CheckResult

Check = Callable[[StepContext], list[CheckResult]]


COMMON: tuple[Check, ...] = (
    no_server_error,
    status_code_documented,
    content_type_documented,
    response_schema_valid,
    required_headers_present,
    latency_within_budget,
    response_within_size_cap,
    allow_header_present,
    json_encoded_as_utf8,
    single_content_type,
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
    "answered_within_timeout",
    "allow_header_present",
    "json_encoded_as_utf8",
    "single_content_type",
    "unmatched_filter_empty",
)


def is_read_back(case: Case, step: Step) -> bool:
    """A read in a sequence after the resource was created: judged by created_resource_readable. A step
    that must return fields as written (a workflow's read by a body query, `POST .../read`) is one too."""
    if case.kind is not CaseKind.STATEFUL or step.expect is not Expect.SUCCESS:
        return False
    return bool(step.must_echo) or (
        step.request.method == "GET" and any("${" in v for _, v in step.request.path_params)
    )


def checks_for(case: Case, step: Step) -> tuple[Check, ...]:
    """Which checks judge this step, by what it expects."""
    specific: Check
    if step.expect is Expect.SUCCESS:
        specific = created_resource_readable if is_read_back(case, step) else valid_input_accepted
    else:
        specific = BY_EXPECT[step.expect]
    if step.unmatched_filter is not None:
        return (*COMMON, specific, unmatched_filter_empty)
    return (*COMMON, specific)


def run_checks(ctx: StepContext) -> list[CheckResult]:
    """Every check of the step; for a 503 with Retry-After (throttling, like a 429) the checks that judge the
    status (no_server_error and the step's own) say untestable with the reason instead."""
    out: list[CheckResult] = []
    shed = ctx.status == UNAVAILABLE and ctx.throttled is not None
    checks = checks_for(ctx.case, ctx.step)
    for check in checks:
        if shed and (check is no_server_error or check not in COMMON):
            out.append(unavailable(ctx, check.__name__))
        else:
            out.extend(check(ctx))
    return settle(ctx, out, checks)


__all__ = [
    "ALL_CHECKS",
    "PLACEHOLDER",
    "_INVALID",
    "_UNSET",
    "StepContext",
    "_at",
    "answered_within_timeout",
    "checks_for",
    "echoes",
    "match_media",
    "media_type",
    "mentions_id",
    "passed",
    "run_checks",
]
