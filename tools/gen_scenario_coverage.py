"""Regenerate docs/scenario-coverage.md: every Gherkin scenario of every default release, and what covers it.

    python tools/gen_scenario_coverage.py          # rewrite docs/scenario-coverage.md
    python tools/gen_scenario_coverage.py --check  # exit 1 when it is out of date

The feature files are read from the spec store (GOVSTACK_CONFORM_SPECS), never copied into the repository.
A scenario is covered by the planned cases (seed 0, no test data) that send the same operation and expect
the same class of outcome (engine/plan/scenarios.py); every other one is listed with the reason.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from govstack_conform.contracts.catalog import BuildingBlock
    from govstack_conform.engine.plan.scenarios import Coverage

DOC = Path(__file__).resolve().parent.parent / "docs" / "scenario-coverage.md"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


# Reasons that lie in the contract or the feature file, not in our suite: no case of any tool could cover them.
_CONTRACT = ("which the contract does not define", "which the contract does not document", "states no status",
             "names no operation", "is a date format")  # fmt: skip


def _bucket(cov: Coverage, with_data: Coverage | None) -> str:
    if cov.cases:
        return "covered"
    if with_data is not None and with_data.cases:
        return "with data"
    return "contract" if any(r in cov.reason for r in _CONTRACT) else "open"


_UNDEFINED = "which the contract does not define"


def _other_releases(bb: BuildingBlock, default: str, undefined: list[Coverage]) -> dict[str, str]:
    """For scenarios calling an operation the default release lacks: the other catalog release of the BB that
    defines it, and what of its own suite covers the scenario there (run that release to test it)."""
    from govstack_conform.contracts.load import load_contract
    from govstack_conform.engine.plan.planner import plan_contract
    from govstack_conform.engine.plan.scenarios import cover

    out: dict[str, str] = {}
    for release in bb.releases:
        if release.ref == default or not undefined:
            continue
        contract = load_contract(f"{bb.key}@{release.ref}")
        cases = plan_contract(contract)
        left = []
        for c in undefined:
            there = cover(contract, cases, c.scenario)
            if _UNDEFINED in there.reason:
                left.append(c)
                continue
            sel = f"{bb.key}@{release.ref}"
            out[c.scenario.ref] = (
                f"{sel} defines {there.operation}: covered there by " + "<br>".join(there.cases)
                if there.cases
                else f"{sel} defines {there.operation}, not covered there: {there.reason}"
            )
        undefined = left
    return out


def _pct(n: int, d: int) -> str:
    return f"{n * 100 // d} %" if d else "-"


def render() -> str:
    from govstack_conform.contracts.catalog import load_catalog
    from govstack_conform.contracts.load import load_contract
    from govstack_conform.engine.cases import CaseKind
    from govstack_conform.engine.plan.planner import plan_contract
    from govstack_conform.engine.plan.scenarios import candidate_testdata, coverage

    rows: list[str] = []
    summary: list[str] = []
    workflows: list[str] = []
    totals = dict.fromkeys(("all", "covered", "with data", "contract", "open", "elsewhere", "there"), 0)
    for bb in load_catalog().bbs:
        contract = load_contract(bb.key)
        cases = plan_contract(contract)
        flows = [c for c in cases if c.kind is CaseKind.STATEFUL and "workflow" in c.tags]
        if flows:
            workflows.append(f"| {bb.key}@{contract.ref} | {len(flows)} | {', '.join(c.name for c in flows)} |")
        found = coverage(contract, cases)
        if not found:
            continue
        data = candidate_testdata(contract, cases, found)
        again = {c.scenario.ref: c for c in coverage(contract, plan_contract(contract, testdata=data))} if data else {}
        counts = dict.fromkeys(totals, 0)
        elsewhere = _other_releases(bb, contract.ref, [c for c in found if _UNDEFINED in c.reason])
        for c in found:
            later = again.get(c.scenario.ref)
            bucket = _bucket(c, later)
            counts[bucket] += 1
            if c.scenario.ref in elsewhere:
                counts["elsewhere"] += 1
                counts["there"] += ": covered there by " in elsewhere[c.scenario.ref]
                what = f"not covered: {c.reason}; {elsewhere[c.scenario.ref]}"
            elif bucket == "with data" and later is not None:
                table = data.operations if c.operation in data.operations else data.disposable_operations
                named = ", ".join(sorted(table[c.operation].parameters))
                what = f"with the candidate's records ({named} named by --fixtures): " + "<br>".join(later.cases)
            else:
                what = "<br>".join(c.cases) if c.cases else f"not covered: {c.reason}"
            op = c.operation or f"{c.scenario.method} {c.scenario.endpoint}"
            note = f" ({c.note})" if c.note else ""
            status = "/".join(str(s) for s in c.scenario.statuses) or "-"
            rows.append(
                f"| `{c.scenario.ref}` | {_cell(c.scenario.name)} | `{op}`{_cell(note)} | {status} | {_cell(what)} |"
            )
        counts["all"] = len(found)
        for k in totals:
            totals[k] += counts[k]
        summary.append(_summary_row(f"{bb.key}@{contract.ref}", counts))
    summary.append(_summary_row("**all**", totals))
    expressible = totals["all"] - totals["contract"]
    reached = totals["covered"] + totals["with data"]
    return "\n".join(
        [
            "# GovStack scenarios and the cases that cover them",
            "",
            "Generated by `python tools/gen_scenario_coverage.py` from the feature files of each BB's default release",
            "(read from the spec store, not copied here); `tests/test_scenario_coverage.py` checks it is current.",
            "A scenario is covered by a planned case that sends the same operation and expects the same class of",
            "outcome (success, a refused invalid input, refused credentials, a refused method) where our case can",
            "demand it: a success on an item path counts only from a case that reads what it created itself, and a",
            "workflow step that must be refused counts when it addresses only what the workflow itself created.",
            "",
            "Some scenarios need records only the candidate holds (a registry and its version, a service, a task),",
            "which GovStack's harness reads from `testCustomParameters.json`. They count as covered *with the",
            "candidate's records* when the plan made with test data naming them (`--fixtures`, which also reads",
            "that harness file; identifiers that a case may change go under `disposable:`) has a case that covers",
            "them. Others cannot be covered by any suite built from the contract: the feature calls an operation the",
            "default release does not define (payments' features were written for another release's paths), or",
            "expects a status the contract does not document, or a schema its defects leave with no valid value (a",
            "Java date pattern written as `pattern` is read as the regex it spells, which real timestamps match).",
            "",
            f"**{totals['covered']} of {totals['all']} scenarios covered by the default plan"
            f" ({_pct(totals['covered'], totals['all'])}); {reached} ({_pct(reached, totals['all'])}) with the"
            f" candidate's records named; {totals['contract']} cannot"
            f" be covered from the contract; of the {expressible} the contract can express,"
            f" {_pct(reached, expressible)} are covered. Of those the contract cannot express, {totals['elsewhere']}"
            f" call an operation another release of the BB defines, whose own suite covers {totals['there']}"
            " (named in their row).**",
            "",
            "| release | scenarios | covered | with the candidate's records | cannot be covered from the contract"
            " | other | covered of expressible |",
            "|---|---|---|---|---|---|---|",
            *summary,
            "",
            "## BB workflows planned per default release",
            "",
            "| release | workflow cases | names |",
            "|---|---|---|",
            *workflows,
            "",
            "## Every scenario",
            "",
            "| scenario | name | operation | expects | covering cases, or why none |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )


def _summary_row(label: str, n: dict[str, int]) -> str:
    expressible = n["all"] - n["contract"]
    return (
        f"| {label} | {n['all']} | {n['covered']} | {n['with data']} | {n['contract']} | {n['open']} |"
        f" {_pct(n['covered'] + n['with data'], expressible)} |"
    )


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = DOC.read_text(encoding="utf-8") if DOC.exists() else ""
        if current != text:
            print("docs/scenario-coverage.md is out of date: run `python tools/gen_scenario_coverage.py`")
            return 1
        return 0
    DOC.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
