"""`plan`: print the suite that `run` would send, without sending anything. Parsing and printing only."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govstack_conform.cli.common import err, guarded, out
from govstack_conform.cli.names import DEPTH_HELP, MAX_DEPTH
from govstack_conform.errors import UsageError

if TYPE_CHECKING:
    from govstack_conform.engine.cases import Case

_KIND_HELP = "Only cases of this kind (positive, negative, security, method, stateful). Repeatable."
_BB_HELP = "Building block(s), e.g. consent@main."
_SPEC_HELP = "An OpenAPI file or URL to plan for. Repeatable."
_SPECS_HELP = "Read contracts from this spec store."
_FIXTURES_HELP = "Test data (YAML/JSON, or testCustomParameters.json). Repeatable."


def _expects(case: Case) -> str:
    parts = []
    for s in case.steps:
        codes = f" {'/'.join(s.statuses)}" if s.statuses else ""
        parts.append(f"{s.expect.value}{codes}")
    return " → ".join(parts)


def _lines(cases: list[Case]) -> list[str]:
    """An aligned text table, one case a line (grep-friendly; long ids never wrap)."""
    rows = [("CASE ID", "KIND", "EXPECTS", "NOTE")]
    for c in cases:
        note = f"untestable: {c.untestable}" if c.untestable else c.skip or ", ".join(c.tags)
        rows.append((c.case_id, c.kind.value, _expects(c), note))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    return [f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]}".rstrip() for r in rows]


@guarded
def plan(
    selectors: Annotated[list[str] | None, typer.Argument(metavar="BB[@REF]", help=_BB_HELP)] = None,
    spec: Annotated[list[str] | None, typer.Option("--spec", metavar="FILE", help=_SPEC_HELP)] = None,
    specs: Annotated[Path | None, typer.Option("--specs", metavar="DIR", help=_SPECS_HELP)] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed for generated data: same seed, same cases.")] = 0,
    max_depth: Annotated[int, typer.Option("--max-depth", metavar="N", help=DEPTH_HELP)] = MAX_DEPTH,
    fixtures: Annotated[
        list[Path] | None,
        typer.Option(
            "--fixtures", metavar="FILE", help="Test data (YAML/JSON, or testCustomParameters.json). Repeatable."
        ),
    ] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Only GET/HEAD/OPTIONS cases.")] = False,
    allow_destructive: Annotated[
        bool, typer.Option("--allow-destructive", help="Plan changes and deletes on records the run did not create.")
    ] = False,
    kind: Annotated[list[str] | None, typer.Option("--kind", metavar="KIND", help=_KIND_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as stable JSON.")] = False,
) -> None:
    """Show the test cases that would run against a candidate (case id, operation, kind, expectation)."""
    from govstack_conform.contracts.load import load_selected
    from govstack_conform.engine.cases import CaseKind
    from govstack_conform.engine.plan.planner import plan_contract, plan_to_json
    from govstack_conform.engine.testdata import load_testdata

    if not selectors and not spec:
        raise UsageError("name a building block (e.g. consent@main) or give --spec FILE")
    kinds = None
    if kind:
        known = {k.value: k for k in CaseKind}
        bad = [k for k in kind if k not in known]
        if bad:
            raise UsageError(f"unknown case kind '{bad[0]}'; kinds: {', '.join(known)}")
        kinds = frozenset(known[k] for k in kind)
    testdata = load_testdata(fixtures or [])
    contracts = load_selected(selectors or [], spec or [], specs_option=specs)
    cases: list[Case] = []
    for contract in contracts:
        for key in testdata.unknown_operations(contract):
            err.print(
                f"govstack-conform: warning: test data names no operation of {contract.label}: {key}", markup=False
            )
        cases.extend(
            plan_contract(
                contract, seed=seed, testdata=testdata, read_only=read_only, kinds=kinds,
                allow_destructive=allow_destructive, max_depth=max_depth,
            )
        )  # fmt: skip
    if as_json:
        typer.echo(plan_to_json(cases), nl=False)
        return
    for line in _lines(cases):
        out.print(line, markup=False, highlight=False, emoji=False)
    untestable = sum(1 for c in cases if c.untestable)
    labels = ", ".join(c.label for c in contracts)
    out.print(
        f"{len(cases)} cases for {labels}; {untestable} untestable (spec defects).", markup=False, highlight=False
    )
