"""`diff` command: a product's own OpenAPI checked statically against a BB release's contract."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from govstack_conform.cli.common import guarded, out
from govstack_conform.errors import ReportError, UsageError
from govstack_conform.exitcodes import ExitCode

SPECS_HELP = "Read BB contracts from this spec store directory (laid out <bb>/<ref>/<file>)."


class Format(StrEnum):
    text = "text"
    json = "json"
    md = "md"


@guarded
def diff(
    bb: Annotated[
        str, typer.Argument(metavar="BB[@REF]", help="Building block release to compare with, e.g. consent@23Q4.")
    ],
    candidate_spec: Annotated[
        list[str] | None,
        typer.Option(
            "--candidate-spec",
            metavar="FILE_OR_URL",
            help="The product's own OpenAPI file or URL; repeat for a spec split over several files.",
        ),
    ] = None,
    fmt: Annotated[Format, typer.Option("--format", help="Output format: text (console), json or md (Markdown).")] = (
        Format.text
    ),
    out_file: Annotated[
        Path | None, typer.Option("--out", metavar="FILE", help="Write the report to FILE instead of the console.")
    ] = None,
    specs: Annotated[Path | None, typer.Option("--specs", metavar="DIR", help=SPECS_HELP)] = None,
) -> None:
    """Compare a product's own OpenAPI with a BB's contract, without calling the product.

    Reports operations missing or extra, parameters added, removed or made required, request schemas that
    reject what the BB allows, response schemas that may return what the BB forbids, and status codes,
    content types and security the candidate does not match; each finding with its severity (breaking,
    non-breaking, info) and its location in both files.

    Exit codes: 0 no breaking difference; 1 at least one breaking difference; 2 usage error;
    3 a spec could not be read.
    """
    from govstack_conform.contracts.load import load_contract, load_spec_files
    from govstack_conform.interface_diff import diff_contracts, render

    if not candidate_spec:
        raise UsageError("give the product's OpenAPI with --candidate-spec FILE")
    reference = load_contract(bb, specs_option=specs)
    candidate = load_spec_files(candidate_spec)
    report = diff_contracts(reference, candidate, candidate_label=", ".join(candidate_spec))
    text = render(report, fmt.value)
    if out_file is not None:
        try:
            out_file.write_text(text, encoding="utf-8")
        except OSError as e:
            raise ReportError(f"cannot write {out_file}: {e.strerror or e}") from None
        summary = render(report, "text").rstrip("\n").rsplit("\n", 1)[-1]
        out.print(f"{summary}; report written to {out_file}", markup=False, emoji=False, highlight=False)
    else:
        out.print(text.rstrip("\n"), markup=False, emoji=False, highlight=False)
    raise typer.Exit(int(ExitCode.NONCONFORMANT if report.breaking else ExitCode.OK))
