"""`init`: write a commented govstack-conform.toml for the BBs asked for. Parsing and printing only."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from govstack_conform.cli.common import err, guarded
from govstack_conform.cli.names import CONFIG_NAME
from govstack_conform.errors import UsageError


@guarded
def init(
    selectors: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="BB[@REF]...", help="Building blocks the product implements, e.g. consent registration."
        ),
    ] = None,
    out_file: Annotated[
        Path, typer.Option("--out", "-o", metavar="FILE", help=f"File to write (default ./{CONFIG_NAME}).")
    ] = Path(CONFIG_NAME),
    force: Annotated[bool, typer.Option("--force", help="Overwrite the file if it exists.")] = False,
) -> None:
    """Write a commented config file for the building blocks named: release, target, the BB profile's
    headers, and every other key (auth as env:VAR, fixtures, path map, waivers, operations not implemented)
    shown commented. `run` reads it from the working directory or with --config FILE."""
    from govstack_conform.config.template import render_config

    text = render_config(selectors or [])
    if out_file.exists() and not force:
        raise UsageError(f"{out_file} exists; use --force to overwrite it")
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text, encoding="utf-8")
    err.print(f"wrote {out_file}: set each target, then run `govstack-conform run`", markup=False)
