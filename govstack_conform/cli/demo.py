"""`demo`: the README's main job — reference mocks as candidates, the full suite, every report."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from govstack_conform.cli.common import err, guarded, out


@guarded
def demo(
    selectors: Annotated[
        list[str] | None,
        typer.Argument(metavar="[BB[@REF]]...", help="BB releases to run (default: every BB's default release)."),
    ] = None,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help="Where the reports are written.")] = Path(
        "govstack-reports"
    ),
    seed: Annotated[int, typer.Option("--seed", help="Seed for generated data.")] = 0,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar; one summary line per BB.")] = False,
) -> None:
    """Start the built-in reference mock of each BB, run the full suite against it, and write every report.

    Works on a fresh machine: contracts missing from the user cache are pulled first (sha256-verified).
    """
    from govstack_conform.app.demo import run_demo
    from govstack_conform.cli.run import print_summary

    progress = None
    pull_progress = None
    bar = None
    if not quiet and err.is_terminal:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        bar = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=err, transient=True,
        )  # fmt: skip
        task = bar.add_task("preparing", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=f"testing {label}")

        def pull_progress(path: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description="pulling contracts")

        bar.start()
    try:
        with _mock_log_held():
            outcome = run_demo(selectors or [], out_dir, seed=seed, progress=progress, pull_progress=pull_progress)
    finally:
        if bar is not None:
            bar.stop()
    if outcome.pulled:
        err.print(f"pulled {outcome.pulled} contract files into the spec cache", markup=False)
    print_summary(outcome.compliance, quiet=quiet)
    for label, note in outcome.mock_notes:
        err.print(f"govstack-conform: warning: {label}: mock: {note}", markup=False, highlight=False)
    out.print(f"reports in {out_dir}/:", markup=False)
    for path in outcome.written:
        out.print(f"  {path}", markup=False)
    raise typer.Exit(int(outcome.decision.exit_code))


@contextmanager
def _mock_log_held() -> Iterator[None]:
    """The mocks log what they cannot honour without saying which BB; the demo says it after, per BB."""
    log = logging.getLogger("govstack_conform.mock")
    null, propagate = logging.NullHandler(), log.propagate
    log.addHandler(null)
    log.propagate = False
    try:
        yield
    finally:
        log.removeHandler(null)
        log.propagate = propagate
