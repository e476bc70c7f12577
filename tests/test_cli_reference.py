"""The README's command reference is the current `--help`, and every command, option and argument has help."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def _tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_cli_reference", REPO / "tools" / "gen_cli_reference.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _tool()
COMMANDS: list[tuple[list[str], Any]] = list(GEN.commands())


def _name(path: list[str]) -> str:
    return " ".join(["govstack-conform", *path])


def test_readme_command_reference_is_up_to_date() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = GEN.current(readme)
    assert block is not None, f"README.md lacks the markers {GEN.START} / {GEN.END}"
    assert block == GEN.generate(), (
        "README.md command reference is out of date: run `python tools/gen_cli_reference.py`"
    )


def test_reference_covers_every_command_once() -> None:
    block = GEN.generate()
    names = [_name(p) for p, _ in COMMANDS]
    assert len(names) == len(set(names)) > 10
    for name in names:
        assert block.count(f"#### `{name}`\n") == 1
        assert f"Usage: {name} " in block
    assert "\x1b" not in block  # no colour codes


def test_generation_is_stable_and_check_mode_detects_drift(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = GEN.generate()
    assert fresh == GEN.generate()
    stale = tmp_path / "README.md"
    stale.write_text(f"# x\n\n{GEN.START}\nold\n{GEN.END}\n\n## after\n", encoding="utf-8")
    monkeypatch.setattr(GEN, "README", stale)
    assert GEN.main(["--check"]) == 1
    assert GEN.main([]) == 0
    text = stale.read_text(encoding="utf-8")
    assert text.startswith("# x\n\n") and text.endswith("\n\n## after\n")
    assert GEN.current(text) == fresh
    assert GEN.main(["--check"]) == 0


@pytest.mark.parametrize(("path", "cmd"), COMMANDS, ids=[_name(p) for p, _ in COMMANDS])
def test_every_command_has_help(path: list[str], cmd: Any) -> None:
    assert (cmd.help or cmd.short_help or "").strip(), f"{_name(path)} has no help text"


def _options() -> list[tuple[str, Any]]:
    return [
        (f"{_name(p)} {'/'.join(param.opts)}", param)
        for p, cmd in COMMANDS
        for param in cmd.params
        if param.param_type_name == "option" and not getattr(param, "hidden", False)
    ]


def _arguments() -> list[tuple[str, Any]]:
    return [
        (f"{_name(p)} {param.metavar or param.name}", param)
        for p, cmd in COMMANDS
        for param in cmd.params
        if param.param_type_name == "argument"
    ]


def test_every_option_has_help() -> None:
    missing = [name for name, param in _options() if not (param.help or "").strip()]
    assert missing == [], "options without help text: " + ", ".join(missing)


def test_every_argument_has_help() -> None:
    missing = [name for name, param in _arguments() if not (getattr(param, "help", None) or "").strip()]
    assert missing == [], "arguments without help text: " + ", ".join(missing)
