"""CI gating: the exit code a pipeline sees (--fail-under, --fail-on, --baseline).

The gate reads results only, so `run` and a later look at a merged results.json decide the same way.
Without options it agrees with engine.judge.exit_code: any unwaived REQUIRED failure fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govstack_conform.assessment.compliance import assess
from govstack_conform.engine.cases import Level
from govstack_conform.engine.results import Outcome, RunResults
from govstack_conform.errors import ConfigError
from govstack_conform.exitcodes import ExitCode

FAIL_ON = ("required", "recommended")
_SHOWN = 10  # failures named one by one in the reasons; the rest are counted


@dataclass(frozen=True)
class GateDecision:
    exit_code: ExitCode
    reasons: tuple[str, ...]  # why the run fails (empty when it passes)
    tolerated: tuple[str, ...]  # failures that do not fail the run: known in the baseline, or within --fail-under

    @property
    def passed(self) -> bool:
        return self.exit_code is ExitCode.OK


@dataclass(frozen=True)
class _Failure:
    label: str  # "consent@main"
    case_id: str
    check: str
    level: Level

    def __str__(self) -> str:
        extra = "" if self.level is Level.REQUIRED else f" ({self.level.value})"
        return f"{self.case_id}: {self.check}{extra}"


def _failures(results: RunResults, levels: Iterable[Level]) -> list[_Failure]:
    wanted = set(levels)
    out: dict[tuple[str, str, str], _Failure] = {}
    for bb in results.results:
        for case in bb.cases:
            for c in case.checks:
                if c.outcome is Outcome.FAILED and not c.waived and c.level in wanted:
                    key = (case.case_id, c.check, bb.ref)
                    out.setdefault(key, _Failure(f"{bb.bb}@{bb.ref}", case.case_id, c.check, c.level))
    return list(out.values())


def known_failures(baseline: RunResults) -> frozenset[tuple[str, str]]:
    """(case_id, check) of every failed check in the baseline, waived or not, of any level."""
    return frozenset(
        (case.case_id, c.check)
        for bb in baseline.results
        for case in bb.cases
        for c in case.checks
        if c.outcome is Outcome.FAILED
    )


def _listed(what: str, failures: Sequence[_Failure]) -> str:
    names = "; ".join(str(f) for f in failures[:_SHOWN])
    more = f"; and {len(failures) - _SHOWN} more" if len(failures) > _SHOWN else ""
    return f"{len(failures)} {what}: {names}{more}"


def gate(
    results: RunResults,
    *,
    fail_under: float | None = None,
    fail_on: str = "required",
    baseline: RunResults | None = None,
) -> GateDecision:
    """Decide the exit code.

    - no option: every unwaived REQUIRED failure fails (exit 1);
    - fail_on="recommended": unwaived RECOMMENDED failures fail too;
    - fail_under=P: instead of "every REQUIRED failure", each BB's REQUIRED compliance % (report.compliance)
      must be at least P; a BB with no REQUIRED check judged cannot show P and fails;
    - baseline: a failure (case id + check) already failed in the baseline is tolerated, never fails.
    Exit 3 when the target answered nothing at all (nothing to judge), 130 when the run was interrupted.
    """
    if fail_on not in FAIL_ON:
        raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    if fail_under is not None and not 0 <= fail_under <= 100:
        raise ConfigError(f"--fail-under must be a percentage between 0 and 100, got {fail_under:g}")
    known = known_failures(baseline) if baseline is not None else frozenset()
    reasons: list[str] = []
    tolerated: list[str] = []
    levels = [Level.REQUIRED] + ([Level.RECOMMENDED] if fail_on == "recommended" else [])
    failures = _failures(results, levels)
    old = [f for f in failures if (f.case_id, f.check) in known]
    new = [f for f in failures if (f.case_id, f.check) not in known]
    tolerated += [f"{f} (known in the baseline)" for f in old]
    required_new = [f for f in new if f.level is Level.REQUIRED]
    other_new = [f for f in new if f.level is not Level.REQUIRED]
    if fail_under is None:
        if required_new:
            reasons.append(_listed("new REQUIRED failures" if baseline else "REQUIRED failures", required_new))
    else:
        for bbc in assess(results).bbs:
            pct = bbc.compliance_pct
            if pct is None:
                reasons.append(
                    f"{bbc.label}: no REQUIRED check could be judged, so --fail-under {fail_under:g} is not met"
                )
            elif pct < fail_under:
                reasons.append(f"{bbc.label}: REQUIRED compliance {pct:.1f}% is below --fail-under {fail_under:g}%")
        tolerated += [f"{f} (within --fail-under {fail_under:g}%)" for f in required_new]
    if other_new:
        reasons.append(_listed("RECOMMENDED failures (--fail-on recommended)", other_new))
    if not results.complete:
        return GateDecision(ExitCode.INTERRUPTED, ("the run was interrupted", *reasons), tuple(tolerated))
    if not failures and _unanswered(results):
        return GateDecision(ExitCode.UNUSABLE, ("the target answered no request", *reasons), tuple(tolerated))
    return GateDecision(ExitCode.NONCONFORMANT if reasons else ExitCode.OK, tuple(reasons), tuple(tolerated))


def _unanswered(results: RunResults) -> bool:
    """Requests were sent, every one ended in a transport error (as engine.judge.exit_code's 3)."""
    answered = errored = False
    for bb in results.results:
        for case in bb.cases:
            for x in case.exchanges:
                answered = answered or x.response is not None
                errored = errored or x.error is not None
    return errored and not answered
