"""CI gating: the exit code a pipeline sees (--fail-under, --fail-on, --baseline), read from the assessment.

The gate reads the assessment only (compliance.assess), so the terminal, the reports and the exit code
count the same failures, and `run` and a later look at a merged results.json decide the same way.
Without options any unwaived REQUIRED failure fails.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from govstack_conform.assessment.compliance import BBCompliance, Compliance, Failure
from govstack_conform.engine.cases import Level
from govstack_conform.engine.results import Verdict
from govstack_conform.errors import ConfigError
from govstack_conform.exitcodes import ExitCode

FAIL_ON = ("required", "recommended")


class Standing(StrEnum):
    """Where the failures of one check stand with the gate."""

    FAILS = "fails"  # they fail the run
    KNOWN = "known"  # they failed in the baseline too: never fail the run
    WITHIN = "within"  # REQUIRED, in a BB whose compliance % meets --fail-under


@dataclass(frozen=True)
class CheckTally:
    """The unwaived failures of one check in one BB that stand alike with the gate: one line, not one per case."""

    bb: str  # "consent@23Q4.1"
    check: str  # as the terminal names it: "status", or "location_header (recommended)"
    level: Level
    standing: Standing
    cases: tuple[str, ...]  # the failing case ids, in results order

    @property
    def count(self) -> int:
        return len(self.cases)


@dataclass(frozen=True)
class Threshold:
    """A BB's REQUIRED compliance % against --fail-under (None: no REQUIRED check could be judged)."""

    bb: str
    compliance_pct: float | None
    fail_under: float

    @property
    def met(self) -> bool:
        return self.compliance_pct is not None and self.compliance_pct >= self.fail_under


@dataclass(frozen=True)
class Unjudged:
    """A BB with cases that could not be judged (no answer to judge), and the first of them."""

    bb: str
    errors: int
    case_id: str | None
    reason: str | None


@dataclass(frozen=True)
class GateDecision:
    """The exit code and everything it was decided from, as data; the front end puts it into words."""

    exit_code: ExitCode
    checks: tuple[CheckTally, ...] = ()  # every unwaived failure of the gated levels, per BB, check and standing
    thresholds: tuple[Threshold, ...] = ()  # per BB, with --fail-under
    unjudged: tuple[Unjudged, ...] = ()
    allow_incomplete: bool = False
    interrupted: bool = False
    unanswered: bool = False  # the target answered no request
    baseline: bool = False  # failures were compared with a baseline

    @property
    def passed(self) -> bool:
        return self.exit_code is ExitCode.OK

    @property
    def failing(self) -> tuple[CheckTally, ...]:
        return tuple(t for t in self.checks if t.standing is Standing.FAILS)

    @property
    def below(self) -> tuple[Threshold, ...]:
        return tuple(t for t in self.thresholds if not t.met)


def _failures(compliance: Compliance, levels: Iterable[Level]) -> list[Failure]:
    wanted = set(levels)
    return [f for f in compliance.failures if not f.waived and f.level in wanted]


def known_failures(baseline: Compliance) -> frozenset[tuple[str, str]]:
    """(case_id, check) of every failed check in the baseline, waived or not, of any level."""
    return frozenset((f.case_id, f.check) for f in baseline.failures)


def _tallies(failures: Sequence[tuple[Failure, Standing]]) -> tuple[CheckTally, ...]:
    """Failures grouped by BB, check and standing, failing ones first, in results order within."""
    groups: dict[tuple[str, str, Standing], list[Failure]] = {}
    for f, standing in failures:
        groups.setdefault((f.bb, f.label, standing), []).append(f)
    order = list(Standing)
    tallies = [
        CheckTally(bb, label, fs[0].level, standing, tuple(f.case_id for f in fs))
        for (bb, label, standing), fs in groups.items()
    ]
    return tuple(sorted(tallies, key=lambda t: order.index(t.standing)))


def gate(
    compliance: Compliance,
    *,
    fail_under: float | None = None,
    fail_on: str = "required",
    baseline: Compliance | None = None,
    allow_incomplete: bool = False,
) -> GateDecision:
    """Decide the exit code.

    - no option: every unwaived REQUIRED failure fails (exit 1);
    - fail_on="recommended": unwaived RECOMMENDED failures fail too;
    - fail_under=P: instead of "every REQUIRED failure", each BB's REQUIRED compliance % must be at
      least P; a BB with no REQUIRED check judged cannot show P and fails; the REQUIRED failures of a BB
      below P fail the run, those of a BB at or above P do not;
    - baseline: a failure (case id + check) already failed in the baseline is known, never fails;
    - a BB with cases that could not be judged (the connection broke, TLS failed mid-run) is incomplete:
      exit 4 unless a failure already gives 1, or allow_incomplete tolerates it.
    Exit 3 when the target answered nothing at all (nothing to judge), 130 when the run was interrupted.
    """
    if fail_on not in FAIL_ON:
        raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON)}, got {fail_on!r}")
    if fail_under is not None and not 0 <= fail_under <= 100:
        raise ConfigError(f"--fail-under must be a percentage between 0 and 100, got {fail_under:g}")
    known = known_failures(baseline) if baseline is not None else frozenset()
    levels = [Level.REQUIRED] + ([Level.RECOMMENDED] if fail_on == "recommended" else [])
    failures = _failures(compliance, levels)
    thresholds = (
        () if fail_under is None else tuple(Threshold(b.label, b.compliance_pct, fail_under) for b in compliance.bbs)
    )
    met = {t.bb for t in thresholds if t.met}

    def standing(f: Failure) -> Standing:
        if (f.case_id, f.check) in known:
            return Standing.KNOWN
        if fail_under is not None and f.level is Level.REQUIRED and f.bb in met:
            return Standing.WITHIN
        return Standing.FAILS

    tallies = _tallies([(f, standing(f)) for f in failures])
    unjudged = tuple(_unjudged(b) for b in compliance.bbs if b.errors)
    decided = GateDecision(
        ExitCode.OK, tallies, thresholds, unjudged, allow_incomplete, not compliance.complete,
        compliance.unanswered and not failures, baseline is not None,
    )  # fmt: skip
    if decided.interrupted:
        code = ExitCode.INTERRUPTED
    elif decided.unanswered:
        code = ExitCode.UNUSABLE
    elif decided.failing or decided.below:
        code = ExitCode.NONCONFORMANT
    elif unjudged and not allow_incomplete:
        code = ExitCode.INCOMPLETE
    else:
        code = ExitCode.OK
    return dataclasses.replace(decided, exit_code=code)


def _unjudged(b: BBCompliance) -> Unjudged:
    first = next((v.case for op in b.operations for v in op.cases if v.verdict is Verdict.ERROR), None)
    return Unjudged(b.label, b.errors, first.case_id if first else None, first.reason if first else None)
