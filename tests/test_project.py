"""Project-level promises: README commands match CI, the CLI starts, exit codes are documented."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from govstack_conform import __version__
from govstack_conform.cli import app
from govstack_conform.exitcodes import ExitCode

REPO = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_starts_with_install_and_test_commands() -> None:
    install, tests = _readme_commands()[:2]
    assert "pip install" in install and install.endswith("govstack-conform demo")
    assert "pytest" in tests


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme_test = _readme_commands()[1]
    ci = (REPO / ".ci" / "run").read_text().splitlines()
    runner = [line for line in ci if "pytest" in line and not line.lstrip().startswith("#")]
    assert len(runner) == 1
    # CI exports GOVSTACK_CONFORM_SPECS itself; the command after the variable must be identical.
    assert readme_test.split(" ", 1)[1] == runner[0].strip()


def test_ci_installs_the_way_the_readme_says() -> None:
    install = _readme_commands()[0]
    ci = (REPO / ".ci" / "run").read_text()
    assert "pip install -q -e '.[test]'" in ci and "pip install -e '.[test]'" in install


def test_version_and_help() -> None:
    runner = CliRunner()
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and __version__ in result.output
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for code in ExitCode:
        if code is not ExitCode.INTERRUPTED:
            assert f"{int(code)} " in result.output


def test_module_entry_point() -> None:
    proc = subprocess.run([sys.executable, "-m", "govstack_conform", "--version"], capture_output=True, text=True)
    assert proc.returncode == 0 and proc.stdout.strip() == f"govstack-conform {__version__}"


def test_readme_documents_every_exit_code() -> None:
    text = (REPO / "README.md").read_text()
    for code in ExitCode:
        assert f"| {int(code)} |" in text


def test_ci_installs_a_browser_and_requires_the_browser_tests() -> None:
    """A fresh machine skips the browser tests (tests/browser.py); CI must run them, never skip them."""
    from browser import REQUIRE

    ci = (REPO / ".ci" / "run").read_text()
    assert "apt-get install" in ci and " chromium " in ci
    exported = ci.index(f"export {REQUIRE}=1")
    assert exported < ci.index("python -m pytest")
