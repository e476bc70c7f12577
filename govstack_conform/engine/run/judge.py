"""Verdicts: a case's from its checks, an operation's from its cases (the run's exit code is assessment.gate's).

The order of precedence is chosen so that a candidate is blamed only on evidence: a REQUIRED check
that failed; a spec defect or missing credentials make things untestable, network trouble an error.
"""

from __future__ import annotations

from collections.abc import Iterable

from govstack_conform.contracts.model import Operation
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.results import CaseResult, CheckResult, Exchange, Outcome, Verdict


def blames(check: CheckResult) -> bool:
    """A REQUIRED check that failed and is not waived: what makes a candidate non-conformant."""
    return check.outcome is Outcome.FAILED and check.level is Level.REQUIRED and not check.waived


def case_verdict(
    checks: Iterable[CheckResult], exchanges: Iterable[Exchange], stopped: str | None = None
) -> tuple[Verdict, str | None]:
    """failed > error > untestable > passed; `stopped` says why a sequence could not go on."""
    checks = tuple(checks)
    failed = sorted({c.check for c in checks if blames(c)})
    if failed:
        return Verdict.FAILED, "failed: " + ", ".join(failed)
    for x in exchanges:
        if x.error:
            return Verdict.ERROR, f"{x.step}: {x.error}"
    for c in checks:
        if c.outcome is Outcome.UNTESTABLE:
            return Verdict.UNTESTABLE, c.message
    if stopped:
        return Verdict.UNTESTABLE, stopped
    return Verdict.PASSED, None


def _statuses(case: CaseResult) -> list[int]:
    return [x.response.status for x in case.exchanges if x.response is not None]


def operation_verdict(op: Operation, cases: Iterable[CaseResult]) -> tuple[Verdict, str | None]:
    """The operation's verdict from its cases (see the module docstring for the precedence)."""
    cases = tuple(cases)
    defect = op.blocked("operation")
    if defect is not None:
        return Verdict.UNTESTABLE, f"spec defect: {defect.message} ({defect.file}#{defect.pointer})"
    ran = [c for c in cases if c.verdict is not Verdict.SKIPPED]
    if not ran:
        reason = next((c.reason for c in cases if c.reason), None)
        return Verdict.SKIPPED, reason or "no case was planned for this operation"
    answered = [c for c in ran if _statuses(c)]
    if answered and all(s in (404, 501) for c in answered for s in _statuses(c)):
        sure = any(s == 501 for c in answered for s in _statuses(c)) or any(
            blames(k) for c in answered for k in c.checks if k.check == "valid_input_accepted"
        )
        if sure:
            return Verdict.NOT_IMPLEMENTED, "every request answered 404 or 501"
        return Verdict.UNTESTABLE, (
            "untestable: every request answered 404, but the identifiers were generated, so the operation may "
            "exist: supply a fixtures file with real identifiers"
        )
    failed = [c for c in ran if c.verdict is Verdict.FAILED]
    if failed:
        names = sorted({k.check for c in failed for k in c.checks if blames(k)})
        return Verdict.FAILED, f"{len(failed)} of {len(ran)} cases failed: " + ", ".join(names)
    errors = [c for c in ran if c.verdict is Verdict.ERROR]
    if errors:
        return Verdict.ERROR, errors[0].reason
    untestable = [c for c in ran if c.verdict is Verdict.UNTESTABLE]
    core = [c for c in ran if c.kind in (CaseKind.POSITIVE, CaseKind.STATEFUL)]
    if untestable and (len(untestable) == len(ran) or (core and not any(c.verdict is Verdict.PASSED for c in core))):
        return Verdict.UNTESTABLE, untestable[0].reason
    if untestable:
        return Verdict.PASSED, f"{len(untestable)} of {len(ran)} cases untestable: {untestable[0].reason}"
    return Verdict.PASSED, None
