"""The gate's decision in words: one line per check (count and outcome), then why the run fails, cut to width.

The decision (assessment/gate.py) is data; only here does it become text. A failing gate never calls a
failure "tolerated": that word is kept for failures that really let the run pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from govstack_conform.assessment.gate import CheckTally, GateDecision, Standing, Threshold, Unjudged
from govstack_conform.engine.cases import Level
from govstack_conform.exitcodes import ExitCode
from govstack_conform.text import one_line, pct


def fit(head: str, items: Sequence[str], width: int) -> str:
    """`head: a; b; …` within `width` characters, saying how many more there are (all are in the reports)."""
    shown: list[str] = []
    for n, item in enumerate(items):
        left = len(items) - n - 1
        more = f"; … {left} more in the reports" if left else ""
        if len(f"{head}: {'; '.join([*shown, item])}{more}") > width:
            room = width - len(f"{head}: {more}")
            if not shown and room >= 8:  # even the first does not fit: cut it, keep the count
                shown.append(one_line(item, room))
            break
        shown.append(item)
    if not shown:
        return one_line(f"{head} (listed in the reports)", width)
    left = len(items) - len(shown)
    return f"{head}: {'; '.join(shown)}" + (f"; … {left} more in the reports" if left else "")


def _threshold(d: GateDecision, bb: str) -> Threshold | None:
    return next((t for t in d.thresholds if t.bb == bb), None)


def _below(t: Threshold) -> str:
    if t.compliance_pct is None:
        return f"{t.bb}: no REQUIRED check could be judged, so --fail-under {t.fail_under:g} is not met"
    return f"{t.bb}: REQUIRED compliance {pct(t.compliance_pct)} is below --fail-under {t.fail_under:g}%"


def tally_line(t: CheckTally, d: GateDecision) -> str:
    """`gate: consent@23Q4 status: 12 failed cases, new: fail the run`, one per check and standing."""
    limit = _threshold(d, t.bb)
    if t.standing is Standing.KNOWN:
        why = ", known in the baseline"
    elif t.standing is Standing.WITHIN and limit is not None:
        why = f", within --fail-under {limit.fail_under:g}% ({t.bb} at {pct(limit.compliance_pct)})"
    elif limit is not None and t.level is Level.REQUIRED and not limit.met:
        why = f", {t.bb} at {pct(limit.compliance_pct)} is below --fail-under {limit.fail_under:g}%"
    elif d.baseline:
        why = ", new"
    else:
        why = ""
    outcome = ": fail the run" if t.standing is Standing.FAILS else ": tolerated" if d.passed else ""
    return f"gate: {t.bb} {t.check}: {t.count} failed cases{why}{outcome}"


def _named(tallies: Sequence[CheckTally]) -> list[str]:
    return [f"{case}: {t.check}" for t in tallies for case in t.cases]


def _unjudged(u: Unjudged) -> str:
    why = f"; e.g. {u.case_id}: {one_line(u.reason, 200)}" if u.case_id and u.reason else ""
    return f"{u.bb}: incomplete: {u.errors} cases could not be judged (no answer to judge){why}"


def gate_lines(d: GateDecision, width: int) -> list[str]:
    """Every line the gate prints after a run: per check, then `failed:` reasons (or what was tolerated)."""
    lines = [tally_line(t, d) for t in d.checks]
    if d.interrupted:
        lines.append("failed: the run was interrupted")
    if d.unanswered:
        lines.append("failed: the target answered no request")
    new = "new " if d.baseline else ""
    required = [t for t in d.failing if t.level is Level.REQUIRED and _threshold(d, t.bb) is None]
    if required:
        n = sum(t.count for t in required)
        lines.append(fit(f"failed: {n} {new}REQUIRED failures", _named(required), width))
    lines += [f"failed: {_below(t)}" for t in d.below]
    other = [t for t in d.failing if t.level is not Level.REQUIRED]
    if other:
        n = sum(t.count for t in other)
        lines.append(fit(f"failed: {n} {new}RECOMMENDED failures (--fail-on recommended)", _named(other), width))
    for u in d.unjudged:
        if d.exit_code is ExitCode.INCOMPLETE:
            lines.append(f"failed: {_unjudged(u)}")
        elif d.passed:
            lines.append(f"tolerated: {_unjudged(u)} (--allow-incomplete)")
        else:
            lines.append(_unjudged(u))
    return lines
