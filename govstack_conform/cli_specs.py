"""`specs` commands: list, show, lint, pull."""

from __future__ import annotations

import typer

app = typer.Typer(help="Inspect, lint and fetch GovStack contracts.", no_args_is_help=True)
