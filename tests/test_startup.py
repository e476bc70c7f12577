"""Start-up stays cheap: `--help` imports none of the core, `specs list` none of the validators.

No timing here (the machine is shared and noisy; bench/startup.py measures the CPU): what a command imports
is what it costs, so each test runs the CLI in a fresh interpreter and reads its `sys.modules` afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Runs one command in this interpreter, then writes every module it imported to the file named first.
_PROBE = """
import json, sys
from govstack_conform.cli import app
where, args = sys.argv[1], sys.argv[2:]
try:
    app(args, prog_name="govstack-conform")
except SystemExit as e:
    code = e.code
else:
    code = 0
with open(where, "w") as fh:
    json.dump({"code": code, "modules": sorted(sys.modules)}, fh)
"""

# What the validators and the heavy dependencies bring in; none is needed to list the BBs.
VALIDATORS = ("openapi_schema_validator", "openapi_core", "jsonschema", "pydantic")
HEAVY = (*VALIDATORS, "referencing", "httpx", "cryptography", "starlette", "yaml", "rich.console")
# The layers below cli/: declaring options needs none of them.
CORE = ("app", "config", "report", "assessment", "mock", "interface_diff", "engine", "datagen", "contracts")


def _imported(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, list[str]]:
    where = tmp_path / "modules.json"
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(where), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {}), "COLUMNS": "100"},
    )
    assert where.is_file(), proc.stderr
    data = json.loads(where.read_text())
    return int(data["code"] or 0), list(data["modules"])


def _loaded(modules: list[str], names: tuple[str, ...]) -> list[str]:
    return sorted({n for n in names for m in modules if m == n or m.startswith(n + ".")})


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["report", "render", "--help"], ["specs", "--help"]])
def test_help_imports_no_core_and_no_heavy_dependency(tmp_path: Path, args: list[str]) -> None:
    code, modules = _imported(tmp_path, *args)
    assert code == 0
    assert _loaded(modules, HEAVY) == []
    assert _loaded(modules, tuple(f"govstack_conform.{layer}" for layer in CORE)) == []
    assert "govstack_conform.engine.plan.planner" not in modules


def test_specs_list_imports_no_validator(tmp_path: Path, corpus_dir: Path) -> None:
    """It loads every default release (the loader names documents by contracts/uris.py, no validator)."""
    env = {"GOVSTACK_CONFORM_SPECS": str(corpus_dir), "GOVSTACK_CONFORM_CACHE": str(tmp_path / "cache")}
    code, modules = _imported(tmp_path, "specs", "list", env=env)
    assert code == 0
    assert "govstack_conform.contracts.loader" in modules  # it did load the contracts
    assert _loaded(modules, VALIDATORS) == []
    assert _loaded(modules, ("govstack_conform.datagen", "govstack_conform.engine", "httpx")) == []
    assert _loaded(modules, ("referencing",)) == []  # the $ref registry is built when a schema is validated
    # the second time the counts come from the cache (contracts/summary.py): no contract is loaded at all
    code, modules = _imported(tmp_path, "specs", "list", env=env)
    assert code == 0 and "govstack_conform.contracts.loader" not in modules


def test_help_names_are_the_cores_own() -> None:
    """The literals --help states (cli/names.py) are the constants the core acts on."""
    from govstack_conform import datagen
    from govstack_conform.cli import names
    from govstack_conform.config.file import CONFIG_NAME
    from govstack_conform.contracts.store import ENV_CACHE, ENV_SPECS
    from govstack_conform.engine.options import DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH
    from govstack_conform.report.formats.base import FORMATS
    from govstack_conform.report.publish import DEFAULT_TEST_SUITE

    assert names.CONFIG_NAME == CONFIG_NAME
    assert (names.ENV_SPECS, names.ENV_CACHE) == (ENV_SPECS, ENV_CACHE)
    assert names.DEFAULT_TEST_SUITE == DEFAULT_TEST_SUITE
    assert (names.MAX_DEPTH, names.DEEPEST) == (datagen.MAX_DEPTH, datagen.DEEPEST)
    assert (names.MAX_DEPTH, names.DEEPEST) == (DEFAULT_MAX_DEPTH, MAX_MAX_DEPTH)
    assert tuple(FORMATS) == names.FORMAT_NAMES
    from govstack_conform.contracts.catalog import QUERY_STYLES

    assert names.QUERY_STYLES == QUERY_STYLES


def test_deferred_console_serves_rich_live_display() -> None:
    """The consoles are made on first use; rich's Live (the progress bars) still drives them, `with` included."""
    from rich.live import Live
    from rich.progress import Progress

    from govstack_conform.cli.common import err

    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("x", total=2)
        bar.update(task, completed=1)
        bar.refresh()
    with Live("", console=err, transient=True) as live:
        live.refresh()
    assert err.stderr and err.width > 0
