"""A new user's first steps work: the demo says how to run air-gapped, and the built wheel carries what it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app

REPO = Path(__file__).resolve().parent.parent


def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No spec store and no way out: every outbound connection fails at once, as on an air-gapped machine."""
    monkeypatch.delenv("GOVSTACK_CONFORM_SPECS")
    monkeypatch.setenv("GOVSTACK_CONFORM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")


def test_offline_demo_names_both_ways_and_the_second_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path
) -> None:
    _offline(monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["demo", "consent", "--out", str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 3
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert "specs pull --mirror DIR_OR_URL" in line and "GOVSTACK_CONFORM_SPECS" in line
    # Following the hint, still without any network: the demo runs.
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    result = CliRunner().invoke(app, ["demo", "consent", "--out", str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "results.json").is_file()


def test_readme_says_in_one_line_how_to_run_the_demo_air_gapped() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (line,) = [line for line in text.splitlines() if "air-gapped" in line.lower() and "demo" in line]
    assert "GOVSTACK_CONFORM_SPECS=" in line and "govstack-conform demo" in line
