"""`init` writes a commented config that load_config accepts, for every BB of the catalog."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from govstack_conform.cli import init as cli_init
from govstack_conform.config.file import CONFIG_NAME, load_config
from govstack_conform.config.template import PLACEHOLDER_TARGET, render_config
from govstack_conform.contracts.catalog import load_catalog

BBS = [bb.key for bb in load_catalog().bbs]


def _app() -> typer.Typer:
    # `init` as the root app registers it (cli.py, owned by the lead)
    app = typer.Typer()
    app.command("init")(cli_init.init)
    app.command("noop", hidden=True)(lambda: None)  # keep `init` a subcommand
    return app


@pytest.mark.parametrize("key", BBS)
def test_each_bb_round_trips_with_its_default_release_and_profile_headers(tmp_path: Path, key: str) -> None:
    bb = load_catalog().get(key)
    (tmp_path / CONFIG_NAME).write_text(render_config([key]), encoding="utf-8")
    cfg = load_config(None, tmp_path)
    assert cfg is not None
    (mine,) = cfg.bbs
    assert mine.selector == f"{key}@{bb.default_ref}"
    assert mine.settings["target"] == PLACEHOLDER_TARGET
    assert dict(mine.headers) == dict(bb.profile.headers)
    assert f"# {bb.title} ({bb.platform_id})" in render_config([key])
    assert cfg.defaults.settings["report"] == ("html", "md", "junit")


def test_all_bbs_and_none_round_trip(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(render_config(BBS), encoding="utf-8")
    cfg = load_config(None, tmp_path)
    assert cfg is not None and [b.key for b in cfg.bbs] == BBS
    (tmp_path / CONFIG_NAME).write_text(render_config([]), encoding="utf-8")
    cfg = load_config(None, tmp_path)
    assert cfg is not None and cfg.bbs == ()


def test_every_commented_key_is_valid_when_uncommented(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The commented examples are real keys: uncomment them all and the file still loads."""
    text = render_config(["consent"])
    lines = []
    for line in text.splitlines():
        stripped = line[2:] if line.startswith("# ") else line
        # commented lines that are TOML (key = value or a table header) become live
        if line.startswith("# ") and ("=" in stripped.split("#")[0] or stripped.startswith("[")):
            lines.append(stripped)
        elif not line.startswith("# "):
            lines.append(line)
    (tmp_path / CONFIG_NAME).write_text("\n".join(lines) + "\n", encoding="utf-8")
    cfg = load_config(None, tmp_path)
    assert cfg is not None
    consent = cfg.bb("consent")
    assert consent is not None and consent.not_implemented is not None and consent.waivers
    assert cfg.waivers and dict(consent.auth) == {
        "token": "env:CONSENT_TOKEN",
        "api_key": "env:CONSENT_API_KEY",
        "basic": "user:env:CONSENT_PASSWORD",
    }
    assert cfg.defaults.settings["fail_on"] == "required"


def test_init_writes_and_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "conf" / CONFIG_NAME
    result = runner.invoke(_app(), ["init", "consent", "registration@23Q4", "--out", str(out)])
    assert result.exit_code == 0, result.output
    cfg = load_config(out, tmp_path)
    assert cfg is not None and [b.selector for b in cfg.bbs] == ["consent@23Q4.1", "registration@23Q4"]
    out.write_text("# mine\n", encoding="utf-8")
    again = runner.invoke(_app(), ["init", "gis", "--out", str(out)])
    assert again.exit_code == 2
    assert "exists; use --force" in again.output
    assert out.read_text() == "# mine\n"
    forced = runner.invoke(_app(), ["init", "gis", "--out", str(out), "--force"])
    assert forced.exit_code == 0
    cfg = load_config(out, tmp_path)
    assert cfg is not None and [b.key for b in cfg.bbs] == ["gis"]


def test_init_unknown_bb_is_a_usage_error_with_a_suggestion(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["init", "consnet", "--out", str(tmp_path / "c.toml")])
    assert result.exit_code == 2
    assert "did you mean 'consent'?" in result.output
    assert not (tmp_path / "c.toml").exists()
