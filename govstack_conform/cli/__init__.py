"""CLI layer: the typer app; each command parses its options, calls the core and prints what it returns.

May import every layer below; the only place that prints, imports typer or rich, or turns errors into exit codes.
"""

from __future__ import annotations

import typer

from govstack_conform import __version__
from govstack_conform.exitcodes import EXIT_CODE_HELP

app = typer.Typer(
    name="govstack-conform",
    help=f"Test whether a product implements a GovStack building block.\n\n{EXIT_CODE_HELP}",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"govstack-conform {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Print the version."),
    debug: bool = typer.Option(False, "--debug", help="Show a traceback on internal errors."),
) -> None:
    """Test whether a product implements a GovStack building block."""
    from govstack_conform.cli.common import set_debug

    set_debug(debug)


def _register() -> None:
    """Attach each command group; each lives in its own cli_* module."""
    from govstack_conform.cli import demo as cli_demo
    from govstack_conform.cli import diff as cli_diff
    from govstack_conform.cli import init as cli_init
    from govstack_conform.cli import mock as cli_mock
    from govstack_conform.cli import plan as cli_plan
    from govstack_conform.cli import report as cli_report
    from govstack_conform.cli import run as cli_run
    from govstack_conform.cli import specs as cli_specs

    app.command("demo")(cli_demo.demo)
    app.add_typer(cli_specs.app, name="specs")
    app.command("plan")(cli_plan.plan)
    app.command("run")(cli_run.run)
    app.command("init")(cli_init.init)
    app.command("mock")(cli_mock.mock)
    app.command("diff")(cli_diff.diff)
    cli_report.register(app)


_register()


def main() -> None:
    app()
