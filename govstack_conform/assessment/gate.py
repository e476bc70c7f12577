"""CI gating: the exit code a pipeline sees (--fail-under, --fail-on, --baseline), read from the assessment.

The gate reads the assessment only (compliance.assess), so the terminal, the reports and the exit code
count the same failures, and `run` and a later look at a merged results.json decide the same way.
Without options any unwaived REQUIRED failure fails.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from govstack_conform.assessment.compliance import BBCompliance, Compliance, Failure
from govstack_conform.engine.cases import Level
from govstack_conform.engine.results import Verdict
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


def _named(f: Failure) -> str:
    extra = "" if f.level is Level.REQUIRED else f" ({f.level.value})"
    return f"{f.case_id}: {f.check}{extra}"


def _failures(compliance: Compliance, levels: Iterable[Level]) -> list[Failure]:
    wanted = set(levels)
    return [f for f in compliance.failures if not f.waived and f.level in wanted]


def known_failures(baseline: Compliance) -> frozenset[tuple[str, str]]:
    """(case_id, check) of every failed check in the baseline, waived or not, of any level."""
    return frozenset((f.case_id, f.check) for f in baseline.failures)


def _listed(what: str, failures: Sequence[Failure]) -> str:
    names = "; ".join(_named(f) for f in failures[:_SHOWN])
    more = f"; and {len(failures) - _SHOWN} more" if len(failures) > _SHOWN else ""
    return f"{len(failures)} {what}: {names}{more}"


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
      least P; a BB with no REQUIRED check judged cannot show P and fails;
    - baseline: a failure (case id + check) already failed in the baseline is tolerated, never fails;
    - a BB with cases that could not be judged (the connection broke, TLS failed mid-run) is incomplete:
      exit 4 unless a failure already gives 1, or allow_incomplete tolerates it.
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
    failures = _failures(compliance, levels)
    old = [f for f in failures if (f.case_id, f.check) in known]
    new = [f for f in failures if (f.case_id, f.check) not in known]
    tolerated += [f"{_named(f)} (known in the baseline)" for f in old]
    required_new = [f for f in new if f.level is Level.REQUIRED]
    other_new = [f for f in new if f.level is not Level.REQUIRED]
    if fail_under is None:
        if required_new:
            reasons.append(_listed("new REQUIRED failures" if baseline else "REQUIRED failures", required_new))
    else:
        for bbc in compliance.bbs:
            pct = bbc.compliance_pct
            if pct is None:
                reasons.append(
                    f"{bbc.label}: no REQUIRED check could be judged, so --fail-under {fail_under:g} is not met"
                )
            elif pct < fail_under:
                reasons.append(f"{bbc.label}: REQUIRED compliance {pct:.1f}% is below --fail-under {fail_under:g}%")
        tolerated += [f"{_named(f)} (within --fail-under {fail_under:g}%)" for f in required_new]
    if other_new:
        reasons.append(_listed("RECOMMENDED failures (--fail-on recommended)", other_new))
    if not compliance.complete:
        return GateDecision(ExitCode.INTERRUPTED, ("the run was interrupted", *reasons), tuple(tolerated))
    if not failures and compliance.unanswered:
        return GateDecision(ExitCode.UNUSABLE, ("the target answered no request", *reasons), tuple(tolerated))
    if reasons:
        return GateDecision(ExitCode.NONCONFORMANT, tuple(reasons), tuple(tolerated))
    incomplete = [_incomplete(b) for b in compliance.bbs if b.errors]
    if incomplete and not allow_incomplete:
        return GateDecision(ExitCode.INCOMPLETE, tuple(incomplete), tuple(tolerated))
    tolerated += [f"{line} (--allow-incomplete)" for line in incomplete]
    return GateDecision(ExitCode.OK, (), tuple(tolerated))


def _incomplete(b: BBCompliance) -> str:
    first = next((v.case for op in b.operations for v in op.cases if v.verdict is Verdict.ERROR), None)
    why = f"; e.g. {first.case_id}: {first.reason}" if first is not None and first.reason else ""
    return f"{b.label}: incomplete: {b.errors} cases could not be judged (no answer to judge){why}"
