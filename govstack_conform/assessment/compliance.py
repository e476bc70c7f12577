"""The assessment: every figure a verdict states, computed here once for the terminal, the gate and every format.

Operations and cases per verdict, failed checks, REQUIRED compliance %, API level, requirements and
waivers applied. Waived failures count as met here (and only here); the results keep them as failures.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from govstack_conform.assessment.coverage import BBVerdict, Coverage, bb_verdict, coverage, level_text, verdict_text
from govstack_conform.assessment.findings import Finding, findings
from govstack_conform.assessment.waivers import expired
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.plan.select import NOT_SELECTED
from govstack_conform.engine.results import BBResult, CaseResult, CheckResult, Outcome, RunResults, Verdict
from govstack_conform.text import one_line

LEVEL_RULE = (
    "GovStack API-compliance level: Level 2 when every service API requirement (one per operation of the "
    "BB's API) is met; Level 1 when at least one is met; otherwise none. Operations the specification itself "
    "makes untestable are excluded (NA); operations that were not run, were declared not implemented or ended in "
    "an error prevent Level 2. "
    "Waived failures count as met and stay listed as waived."
)
COMPLIANCE_RULE = (
    "Compliance % = REQUIRED checks met (waived failures included) / REQUIRED checks passed or failed; "
    "untestable and skipped checks are not counted."
)
PLATFORM_RULE = (
    "Case pass rate = passed / (passed + failed + not implemented + error), the GovStack compliance platform's "
    "compatibility rule (a case passes when none of its steps failed); untestable and skipped cases are not sent."
)

# The reason app/declarations gives an operation the product declares it leaves out by design.
DECLARED = "declared not implemented by the product"

# Verdicts the compliance platform sees as failed cases (a step FAILED), and the ones never sent to it.
PLATFORM_FAILED = frozenset({Verdict.FAILED, Verdict.NOT_IMPLEMENTED, Verdict.ERROR})
NOT_RUN = frozenset({Verdict.UNTESTABLE, Verdict.SKIPPED})
VERDICT_ORDER = (
    Verdict.PASSED,
    Verdict.FAILED,
    Verdict.NOT_IMPLEMENTED,
    Verdict.UNTESTABLE,
    Verdict.ERROR,
    Verdict.SKIPPED,
)


class Fulfillment(IntEnum):
    """As the GovStack compliance form encodes it."""

    MET = 1
    NOT_MET = 0
    NA = -1


class ApiLevel(IntEnum):
    NONE = -1  # the form's NA
    LEVEL_1 = 1
    LEVEL_2 = 2


STATUS_CODE = {Level.REQUIRED: 0, Level.RECOMMENDED: 1, Level.OPTIONAL: 2}


@dataclass(frozen=True)
class CaseView:
    """A case as the assessment sees it: its verdict after waivers and its failures. The case itself is read
    from the results' cases when a report shows it (`case`): a large run's views never hold every case."""

    source: Sequence[CaseResult] = field(compare=False, repr=False)
    index: int  # in source
    case_id: str
    operation: str
    kind: CaseKind
    verdict: Verdict  # after waivers
    waived: bool  # passes only because every failure is waived
    reason: str | None = None
    failures: tuple[CheckResult, ...] = ()

    @property
    def case(self) -> CaseResult:
        return self.source[self.index]


@dataclass(frozen=True)
class Failure:
    """One failed check of one case (counted once per case, however many steps failed it)."""

    bb: str  # "consent@main"
    case_id: str
    check: str
    level: Level
    waived: bool

    @property
    def label(self) -> str:
        """The check as the terminal and the gate name it: "check", or "check (recommended)"."""
        return self.check if self.level is Level.REQUIRED else f"{self.check} ({self.level.value})"


@dataclass(frozen=True)
class OperationCompliance:
    key: str
    method: str
    path: str
    operation_id: str | None
    verdict: Verdict  # after waivers
    engine_verdict: Verdict
    reason: str | None
    waived: bool
    cases: tuple[CaseView, ...]
    case_counts: Mapping[str, int]


@dataclass(frozen=True)
class Requirement:
    requirement: str
    level: Level
    fulfillment: Fulfillment
    comment: str
    operation: str | None = None
    blocks_level_2: bool = False  # NA because not run / errored, not because of the spec
    declared: bool = False  # NA because the vendor declared the operation not implemented
    not_selected: bool = False  # NA because the run's selection left the operation out

    def to_form(self) -> dict[str, Any]:
        return {
            "requirement": self.requirement,
            "comment": self.comment,
            "fulfillment": int(self.fulfillment),
            "status": STATUS_CODE[self.level],
        }


@dataclass(frozen=True)
class CheckCounts:
    met: int = 0
    waived: int = 0
    not_met: int = 0
    untestable: int = 0
    skipped: int = 0

    def to_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in ("met", "waived", "not_met", "untestable", "skipped")}


@dataclass(frozen=True)
class BBCompliance:
    result: BBResult
    operations: tuple[OperationCompliance, ...]
    operation_counts: Mapping[str, int]
    case_counts: Mapping[str, int]
    waived_cases: int
    checks: Mapping[str, CheckCounts]  # by level value
    compliance_pct: float | None
    level: ApiLevel
    level_reason: str
    requirements: tuple[Requirement, ...]
    case_pass_rate: float | None
    verdict: BBVerdict
    coverage: Coverage
    failures: tuple[Failure, ...] = ()  # waived ones included, marked
    findings: tuple[Finding, ...] = ()  # unwaived failures grouped by root cause
    answered: bool = False  # a request of it got an answer
    errored: bool = False  # a request of it ended in a transport error

    @property
    def conformant(self) -> bool:
        """Only when every operation was checked and none failed: a partial check is never "conformant"."""
        return self.verdict is BBVerdict.CONFORMANT

    @property
    def verdict_text(self) -> str:
        return verdict_text(self.verdict, self.coverage)

    @property
    def level_text(self) -> str:
        return level_text(int(self.level), self.coverage)

    @property
    def errors(self) -> int:
        """Cases that could not be judged (no answer to judge): what makes a BB incomplete."""
        return self.case_counts["error"]

    @property
    def label(self) -> str:
        return f"{self.result.bb}@{self.result.ref}"

    @property
    def cases_passed(self) -> int:
        return self.case_counts["passed"]

    @property
    def cases_total(self) -> int:
        return sum(self.case_counts.values())

    @property
    def failed_checks(self) -> dict[str, int]:
        """Unwaived failed checks by label, as the number of cases that failed them."""
        out: Counter[str] = Counter(f.label for f in self.failures if not f.waived)
        return dict(sorted(out.items()))

    def to_dict(self) -> dict[str, Any]:
        return {
            "bb": self.result.bb,
            "ref": self.result.ref,
            "platform_id": self.result.platform_id,
            "target": self.result.target,
            "operations": dict(self.operation_counts),
            "cases": dict(self.case_counts),
            "waived_cases": self.waived_cases,
            "checks": {k: v.to_dict() for k, v in self.checks.items()},
            "compliance_pct": None if self.compliance_pct is None else round(self.compliance_pct, 2),
            "api_level": int(self.level),
            "api_level_reason": self.level_reason,
            "case_pass_rate": None if self.case_pass_rate is None else round(self.case_pass_rate, 2),
            "conformant": self.conformant,
            "verdict": self.verdict.value,
            "verdict_text": self.verdict_text,
            "api_level_text": self.level_text,
            "coverage": self.coverage.to_dict(),
            "operation_verdicts": {o.key: o.verdict.value for o in self.operations},
        }


@dataclass(frozen=True)
class Compliance:
    bbs: tuple[BBCompliance, ...]
    expired_waivers: tuple[Mapping[str, Any], ...]
    complete: bool = True  # False when the run was interrupted
    unanswered: bool = False  # requests were sent and every one ended in a transport error
    level_rule: str = LEVEL_RULE
    compliance_rule: str = COMPLIANCE_RULE
    platform_rule: str = PLATFORM_RULE

    @property
    def conformant(self) -> bool:
        return all(b.conformant for b in self.bbs)

    @property
    def verdict(self) -> BBVerdict:
        """The worst BB verdict: not conformant, then incomplete, then partially checked."""
        order = (BBVerdict.NOT_CONFORMANT, BBVerdict.INCOMPLETE, BBVerdict.PARTIAL)
        return next((v for v in order if any(b.verdict is v for b in self.bbs)), BBVerdict.CONFORMANT)

    @property
    def failures(self) -> tuple[Failure, ...]:
        return tuple(f for b in self.bbs for f in b.failures)

    @property
    def findings(self) -> tuple[Finding, ...]:
        return tuple(f for b in self.bbs for f in b.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "conformant": self.conformant,
            "verdict": self.verdict.value,
            "level_rule": self.level_rule,
            "compliance_rule": self.compliance_rule,
            "platform_rule": self.platform_rule,
            "expired_waivers": [dict(w) for w in self.expired_waivers],
            "building_blocks": [b.to_dict() for b in self.bbs],
        }


def case_view(case: CaseResult, source: Sequence[CaseResult] | None = None, index: int = 0) -> CaseView:
    """The view of `case`, the `index`-th of `source` (by default a view of that one case alone)."""
    failures = tuple(c for c in case.checks if c.outcome is Outcome.FAILED)
    verdict, waived = case.verdict, False
    if case.verdict is Verdict.FAILED and failures and all(c.waived for c in failures):
        verdict, waived = Verdict.PASSED, True
    where = (case,) if source is None else source
    return CaseView(where, index, case.case_id, case.operation, case.kind, verdict, waived, case.reason, failures)


def _count(verdicts: Iterable[Verdict]) -> dict[str, int]:
    c = Counter(verdicts)
    return {v.value: c.get(v, 0) for v in VERDICT_ORDER}


def _op_verdict(engine: Verdict, views: list[CaseView]) -> tuple[Verdict, bool]:
    """The operation's verdict after waivers: a FAILED operation whose failures are all waived passes."""
    if engine is not Verdict.FAILED or not any(v.verdict is Verdict.FAILED or v.waived for v in views):
        return engine, False
    if any(v.verdict in PLATFORM_FAILED - {Verdict.ERROR} for v in views):
        return engine, False
    if any(v.verdict is Verdict.ERROR for v in views):
        return Verdict.ERROR, True
    return Verdict.PASSED, True


def _op_requirement(op: OperationCompliance, title: str) -> Requirement:
    name = f"{op.key}" + (f" ({op.operation_id})" if op.operation_id else "")
    text = f"Service API: {name} behaves as the {title} API specification requires"
    n = op.case_counts
    run = sum(n[v.value] for v in VERDICT_ORDER if v not in NOT_RUN)
    if op.verdict is Verdict.PASSED:
        comment = f"{n['passed']} of {run} cases passed"
        if op.waived:
            why = sorted({c.waived or "" for v in op.cases for c in v.failures if c.waived})
            comment += "; failures waived: " + "; ".join(one_line(w, 200) for w in why)
        return Requirement(text, Level.REQUIRED, Fulfillment.MET, comment, op.key)
    if op.verdict in (Verdict.FAILED, Verdict.NOT_IMPLEMENTED):
        failed = [v for v in op.cases if v.verdict in PLATFORM_FAILED]
        first = next((c for v in failed for c in v.failures if not c.waived), None)
        comment = f"{op.verdict.value}: {len(failed)} of {run} cases failed"
        if first is not None:
            comment += f"; e.g. {first.check}: {one_line(first.message, 300)}"
        return Requirement(text, Level.REQUIRED, Fulfillment.NOT_MET, comment, op.key)
    reason = one_line(op.reason or next((v.reason for v in op.cases if v.reason), "") or "", 300)
    blocks = op.verdict is not Verdict.UNTESTABLE
    skipped = op.verdict is Verdict.SKIPPED
    declared = skipped and (op.reason or "").startswith(DECLARED)
    left_out = skipped and (op.reason or "").startswith(NOT_SELECTED)
    comment = f"{op.verdict.value}: {reason}".rstrip(": ")
    return Requirement(text, Level.REQUIRED, Fulfillment.NA, comment, op.key, blocks, declared, left_out)


def _practice_requirements(tally: Mapping[tuple[str, Level], list[Any]]) -> list[Requirement]:
    """One RECOMMENDED / OPTIONAL requirement per named check of that level, over all operations, from
    `tally`: (check, level) -> [failed unwaived, passed or waived, the first failure's message]."""
    out = []
    for (name, level), (failed, passed, first) in sorted(
        tally.items(), key=lambda kv: (STATUS_CODE[kv[0][1]], kv[0][0])
    ):
        if failed:
            ful, comment = (
                Fulfillment.NOT_MET,
                f"{failed} of {failed + passed} checks failed; e.g. {one_line(first, 300)}",
            )
        elif passed:
            ful, comment = Fulfillment.MET, f"{passed} checks met"
        else:
            ful, comment = Fulfillment.NA, "not checked (untestable or skipped)"
        out.append(Requirement(f"{level.value.capitalize()} practice: {name}", level, ful, comment))
    return out


def _level(reqs: list[Requirement]) -> tuple[ApiLevel, str]:
    service = [r for r in reqs if r.level is Level.REQUIRED and r.operation]
    met = sum(r.fulfillment is Fulfillment.MET for r in service)
    not_met = sum(r.fulfillment is Fulfillment.NOT_MET for r in service)
    blocked = sum(r.blocks_level_2 for r in service)
    declared = sum(r.declared for r in service)
    unselected = sum(r.not_selected for r in service)
    na = sum(r.fulfillment is Fulfillment.NA for r in service) - blocked
    left_out = f"{declared} declared not implemented, " if declared else ""
    left_out += f"{unselected} not selected, " if unselected else ""
    facts = (
        f"{met} met, {not_met} not met, {left_out}{blocked - declared - unselected} not run or errored, "
        f"{na} untestable of {len(service)}"
    )
    if met and not not_met and not blocked:
        return ApiLevel.LEVEL_2, f"Level 2: every service API requirement met ({facts})"
    if met:
        return ApiLevel.LEVEL_1, f"Level 1: at least one service API requirement met ({facts})"
    return ApiLevel.NONE, f"none: no service API requirement met ({facts})"


def assess_bb(bb: BBResult, complete: bool = True) -> BBCompliance:
    """The BB's figures from one pass over its cases (read from the journal, they are never all held): per
    case only its view, its failures and what the counts need."""
    by_op: dict[str, list[CaseView]] = {}
    views: list[CaseView] = []
    counts: dict[str, dict[str, int]] = {lv.value: Counter() for lv in Level}
    tally: dict[tuple[str, Level], list[Any]] = {}
    failing: list[CaseResult] = []  # cases with an unwaived failure: what findings group
    failures: dict[tuple[str, str], Failure] = {}
    answered = errored = False
    label = f"{bb.bb}@{bb.ref}"
    for i, case in enumerate(bb.cases):
        v = case_view(case, bb.cases, i)
        views.append(v)
        by_op.setdefault(v.operation, []).append(v)
        for c in case.checks:
            k = {Outcome.PASSED: "met", Outcome.UNTESTABLE: "untestable", Outcome.SKIPPED: "skipped"}.get(
                c.outcome, "waived" if c.waived else "not_met"
            )
            counts[c.level.value][k] += 1
            if c.level is not Level.REQUIRED:
                t = tally.setdefault((c.check, c.level), [0, 0, ""])
                if c.outcome is Outcome.FAILED and not c.waived:
                    t[0], t[2] = t[0] + 1, t[2] if t[0] else c.message
                elif c.outcome is Outcome.PASSED or c.outcome is Outcome.FAILED:
                    t[1] += 1
        _failures(label, case, v.failures, failures)
        if any(not c.waived for c in v.failures):
            failing.append(case)
        for x in case.exchanges:
            answered = answered or x.response is not None
            errored = errored or x.error is not None
    ops: list[OperationCompliance] = []
    known = set()
    for o in bb.operations:
        known.add(o.key)
        mine = by_op.get(o.key, [])
        verdict, waived = _op_verdict(o.verdict, mine)
        ops.append(
            OperationCompliance(
                o.key,
                o.method,
                o.path,
                o.operation_id,
                verdict,
                o.verdict,
                o.reason,
                waived,
                tuple(mine),
                _count(v.verdict for v in mine),
            )
        )
    for key, mine in by_op.items():  # cases of an operation the results do not list: still reported
        if key not in known:
            method, _, path = key.partition(" ")
            worst = next((v for v in VERDICT_ORDER[1:] if any(c.verdict is v for c in mine)), Verdict.PASSED)
            ops.append(
                OperationCompliance(
                    key, method, path, None, worst, worst, None, False, tuple(mine), _count(v.verdict for v in mine)
                )
            )
    checks = {lv: CheckCounts(**dict(n)) for lv, n in counts.items()}
    req = checks[Level.REQUIRED.value]
    denominator = req.met + req.waived + req.not_met
    pct = 100.0 * (req.met + req.waived) / denominator if denominator else None
    reqs = [_op_requirement(o, bb.title) for o in ops] + _practice_requirements(tally)
    level, reason = _level(reqs)
    case_counts = _count(v.verdict for v in views)
    sent = sum(case_counts[v.value] for v in VERDICT_ORDER if v not in NOT_RUN)
    pass_rate = 100.0 * case_counts["passed"] / sent if sent else None
    failed = req.not_met > 0 or any(o.verdict in (Verdict.FAILED, Verdict.NOT_IMPLEMENTED) for o in ops)
    left_out = sum(v.verdict is Verdict.SKIPPED and (v.reason or "").startswith(NOT_SELECTED) for v in views)
    cover = coverage([(o.key, o.verdict, o.reason) for o in ops], left_out)
    incomplete = not complete or case_counts["error"] > 0
    return BBCompliance(
        failures=tuple(failures.values()),
        findings=findings(label, failing),
        result=bb,
        operations=tuple(ops),
        operation_counts=_count(o.verdict for o in ops),
        case_counts=case_counts,
        waived_cases=sum(v.waived for v in views),
        checks=checks,
        compliance_pct=pct,
        level=level,
        level_reason=reason,
        requirements=tuple(reqs),
        case_pass_rate=pass_rate,
        verdict=bb_verdict(failed, incomplete, cover),
        coverage=cover,
        answered=answered,
        errored=errored,
    )


def _failures(label: str, case: CaseResult, failed: Iterable[CheckResult], out: dict[tuple[str, str], Failure]) -> None:
    """Each failed check of the case once (an unwaived failure of it wins over a waived one)."""
    for c in failed:
        key = (case.case_id, c.check)
        known = out.get(key)
        if known is None or (known.waived and not c.waived):
            out[key] = Failure(label, case.case_id, c.check, c.level, bool(c.waived))


def assess(results: RunResults) -> Compliance:
    """Every figure of every BB release in `results`: the one place they are computed."""
    bbs = tuple(assess_bb(b, results.complete) for b in results.results)
    unanswered = any(b.errored for b in bbs) and not any(b.answered for b in bbs)
    return Compliance(bbs, tuple(expired(results)), results.complete, unanswered)
