"""Verdicts: a case's from its checks, an operation's from its cases (the run's exit code is assessment.gate's).

The order of precedence is chosen so that a candidate is blamed only on evidence: a REQUIRED check
that failed; a spec defect or missing credentials make things untestable, network trouble an error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from govstack_conform.contracts.model import Operation
from govstack_conform.engine.cases import SETUP_STEP, Case, CaseKind, Expect, Level
from govstack_conform.engine.results import CaseResult, CheckResult, Exchange, Outcome, Verdict

# An operation without a case (in this shard, say), as opposed to one whose cases were skipped by choice.
NOT_PLANNED = "no case was planned for this operation"


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


# The checks that judge a valid request's answer (a positive case's, or a sequence step's).
_VALID_CHECKS = ("valid_input_accepted", "created_resource_readable")


@dataclass(frozen=True)
class Attempt:
    """One valid request sent to an operation in this run, and what became of it."""

    operation: str
    status: int | None  # None: no answer (a transport error)
    blamed: bool  # a REQUIRED check on it failed
    documented_404: bool  # a 404 the spec documents for a request naming no identifier (a RECOMMENDED finding)
    reason: str | None  # what the check said, when it did not pass

    @property
    def accepted(self) -> bool:
        return self.status is not None and 200 <= self.status < 400


def success_steps(plan: Iterable[Case]) -> dict[str, dict[str, str]]:
    """By sequence case id, the operation of each step that expects success (for `attempts`)."""
    return {
        c.case_id: {s.name: s.operation for s in c.steps if s.expect is Expect.SUCCESS}
        for c in plan
        if c.kind is CaseKind.STATEFUL
    }


def attempts(cases: Iterable[CaseResult], step_ops: Mapping[str, Mapping[str, str]]) -> list[Attempt]:
    """Every valid request of the run: positive cases and the steps of sequences expecting success.

    `step_ops` gives, by case id, the operation of each step that expects success (from the plan); without
    it a positive case's step and a sequence's "create" step belong to the case's operation.
    """
    out: list[Attempt] = []
    for c in cases:
        if c.kind not in (CaseKind.POSITIVE, CaseKind.STATEFUL):
            continue
        ops = step_ops.get(c.case_id)
        for x in c.exchanges:
            if x.step == SETUP_STEP:  # the create that made the record a change acts on: not this operation's
                continue
            if ops is not None:
                op = ops.get(x.step)
            else:
                op = c.operation if c.kind is CaseKind.POSITIVE or x.step == "create" else None
            if op is None:
                continue
            mine = [k for k in c.checks if k.step == x.step and k.check in _VALID_CHECKS]
            out.append(
                Attempt(
                    op,
                    x.response.status if x.response is not None else None,
                    any(blames(k) for k in c.checks if k.step == x.step),
                    any(k.outcome is Outcome.FAILED and k.level is Level.RECOMMENDED for k in mine)
                    and x.response is not None
                    and x.response.status == 404,
                    next((k.message for k in mine if k.outcome is not Outcome.PASSED), None) or x.error,
                )
            )
    return out


def unaccepted(key: str, tried: Sequence[Attempt], cases: Iterable[CaseResult]) -> str:
    """Why no valid request of operation `key` was accepted, in words (for inconclusive verdicts)."""
    mine = [a for a in tried if a.operation == key]
    codes = sorted({a.status for a in mine if a.status is not None})
    if codes:
        said = next((a.reason for a in mine if a.reason), None)
        return f"its valid requests answered {', '.join(map(str, codes))}" + (f": {said}" if said else "")
    reason = next((c.reason for c in cases if c.operation == key and c.kind is CaseKind.POSITIVE and c.reason), None)
    if reason:
        return f"its valid request was not judged: {reason}"
    return "no valid request of it was sent"


def inconclusive_negatives(
    cases: Sequence[CaseResult], tried: Sequence[Attempt], known: Iterable[str] = ()
) -> list[CaseResult]:
    """Negative cases of operations that accepted no valid request: their refusal proves nothing.

    A rejection counts only when the same operation accepted valid input in the same run; else the
    refusal may have nothing to do with what is invalid (an unknown record, a route not there), so the
    case is untestable with a reason starting "inconclusive:", never passed. Accepting invalid input
    (2xx) or failing with a 5xx is conclusive either way. `known`: operations that accepted valid input
    in an earlier run of the same session.
    """
    settle = negatives_settler(cases, tried, known)
    return [settle(c) for c in cases]


def negatives_settler(
    cases: Iterable[CaseResult], tried: Sequence[Attempt], known: Iterable[str] = ()
) -> Callable[[CaseResult], CaseResult]:
    """`inconclusive_negatives` for one case at a time (cases read from the journal are never all held):
    one pass over `cases` keeps the first positive case with a reason of each operation, all `unaccepted`
    reads of them."""
    accepted = {a.operation for a in tried if a.accepted} | set(known)
    said: dict[str, CaseResult] = {}
    for c in cases:
        if c.kind is CaseKind.POSITIVE and c.reason and c.operation not in said:
            said[c.operation] = replace(c, checks=(), exchanges=())
    by_operation: dict[str, list[Attempt]] = {}
    for a in tried:
        by_operation.setdefault(a.operation, []).append(a)
    words: dict[str, str] = {}  # by operation: said once, not once per negative case (that was quadratic)

    def why_not(key: str) -> str:
        found = words.get(key)
        if found is None:
            found = words[key] = unaccepted(key, by_operation.get(key, []), [said[key]] if key in said else [])
        return found

    def settle(c: CaseResult) -> CaseResult:
        status = next((x.response.status for x in reversed(c.exchanges) if x.response is not None), None)
        if (
            c.kind is not CaseKind.NEGATIVE
            or c.operation in accepted
            or c.verdict not in (Verdict.PASSED, Verdict.FAILED)
            or status is None
            or not 400 <= status < 500
        ):
            return c
        why = (
            f"inconclusive: {c.operation} accepted no valid request in this run "
            f"({why_not(c.operation)[:400]}), so this refusal ({status}) says nothing about the "
            "invalid input"
        )
        checks = tuple(
            replace(k, outcome=Outcome.UNTESTABLE, message=why) if k.check == "invalid_input_rejected" else k
            for k in c.checks
        )
        verdict, reason = case_verdict(checks, c.exchanges)
        return replace(c, checks=checks, verdict=verdict, reason=reason)

    return settle


def operation_verdict(
    op: Operation, cases: Iterable[CaseResult], tried: Sequence[Attempt] | None = None
) -> tuple[Verdict, str | None]:
    """The operation's verdict from its cases and the valid requests sent to it (`tried`; by default its
    positive cases'); see the module docstring for the precedence."""
    cases = tuple(cases)
    defect = op.blocked("operation")
    if defect is not None:
        return Verdict.UNTESTABLE, f"spec defect: {defect.message} ({defect.file}#{defect.pointer})"
    ran = [c for c in cases if c.verdict is not Verdict.SKIPPED]
    if not ran:
        reason = next((c.reason for c in cases if c.reason), None)
        return Verdict.SKIPPED, reason or NOT_PLANNED
    if tried is None:
        tried = attempts(cases, {})
    key = op.key
    mine = [a for a in tried if a.operation == key]
    # Only valid requests tell whether the operation is there: a 405 to another method proves the path
    # is routed, not that this operation is implemented.
    answered = [a for a in mine if a.status is not None]
    if answered and all(a.status in (404, 501) for a in answered):
        if any(a.status == 501 or a.blamed for a in answered):
            return Verdict.NOT_IMPLEMENTED, "every valid request answered 404 or 501"
        if all(a.documented_404 for a in answered):
            return Verdict.UNTESTABLE, (
                "untestable: every valid request answered 404, which the spec documents for this operation; "
                "nothing showed the operation at work"
            )
        return Verdict.UNTESTABLE, (
            "untestable: every valid request answered 404, but the identifiers were generated, so the operation may "
            "exist: supply a fixtures file with real identifiers"
        )
    failed = [c for c in ran if c.verdict is Verdict.FAILED]
    if failed:
        names = sorted({k.check for c in failed for k in c.checks if blames(k)})
        return Verdict.FAILED, f"{len(failed)} of {len(ran)} cases failed: " + ", ".join(names)
    errors = [c for c in ran if c.verdict is Verdict.ERROR]
    if errors:
        return Verdict.ERROR, errors[0].reason
    positive = [c for c in cases if c.kind is CaseKind.POSITIVE]
    if positive and all(c.verdict is Verdict.SKIPPED for c in positive):  # no valid request was sent
        return Verdict.SKIPPED, positive[0].reason
    untestable = [c for c in ran if c.verdict is Verdict.UNTESTABLE]
    core = [c for c in ran if c.kind in (CaseKind.POSITIVE, CaseKind.STATEFUL)]
    if untestable and (len(untestable) == len(ran) or (core and not any(c.verdict is Verdict.PASSED for c in core))):
        return Verdict.UNTESTABLE, untestable[0].reason
    if not any(a.accepted for a in mine):  # whatever was excused on the way, nothing showed it at work
        return Verdict.UNTESTABLE, (
            f"untestable: no valid request of this operation was accepted in this run "
            f"({unaccepted(op.key, tried, cases)[:400]})"
        )
    if untestable:
        return Verdict.PASSED, f"{len(untestable)} of {len(ran)} cases untestable: {untestable[0].reason}"
    return Verdict.PASSED, None
