"""The BB's own Gherkin scenarios a case tests, as every report shows them: "GovStack scenario: <name> (<file>:<line>)".

The planner matched them (engine/plan/scenarios.py) and each case carries them as `<file>:<line> <name>`; the
reports only lay that out, never reading a feature file. Results written before names were carried hold
`<file>:<line>` alone, shown as it is.
"""

from __future__ import annotations

from govstack_conform.engine.results import CaseResult

LABEL = "GovStack scenario"


def scenario_names(case: CaseResult) -> list[str]:
    """Each scenario the case covers as "<name> (<file>:<line>)", in the case's order."""
    out = []
    for cover in case.covers:
        ref, _, name = cover.partition(" ")
        out.append(f"{name.strip()} ({ref})" if name.strip() else ref)
    return out


def scenario_lines(case: CaseResult) -> list[str]:
    """One "GovStack scenario: ..." line per scenario the case covers."""
    return [f"{LABEL}: {name}" for name in scenario_names(case)]
