"""`--debug`: an internal error is one line and exit 3 without it, a traceback with it (the parsed option)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app


def _boom(*_a: object, **_k: object) -> None:
    raise RuntimeError("boom")


def test_internal_error_is_one_line_without_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("govstack_conform.contracts.catalog.load_catalog", _boom)
    result = CliRunner().invoke(app, ["specs", "list"])
    assert result.exit_code == 3
    assert "internal error (RuntimeError: boom)" in result.output
    assert "Traceback" not in result.output


def test_debug_option_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("govstack_conform.contracts.catalog.load_catalog", _boom)
    result = CliRunner().invoke(app, ["--debug", "specs", "list"])
    assert isinstance(result.exception, RuntimeError) and str(result.exception) == "boom"


def test_debug_is_read_from_the_option_not_the_argv(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("govstack_conform.contracts.catalog.load_catalog", _boom)
    monkeypatch.setattr("sys.argv", ["govstack-conform", "--debug"])
    result = CliRunner().invoke(app, ["specs", "list"])
    assert result.exit_code == 3 and "internal error" in result.output
