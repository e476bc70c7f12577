"""The data-safety opt-in as users give it: `run --allow-destructive`, or `allow_destructive` in the config.

Against the notes product (tests/notes_server.py, records that exist before the run): without the opt-in
the cases that would change records the run did not create are reported "not sent" and the seeded data
is untouched; with it, by flag or by config, they are sent and the results say so.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from notes_server import NOTES_SPEC, TOKEN, Store, notes_app
from servers import serve
from typer.testing import CliRunner

from govstack_conform.cli import app


def _run(tmp_path: Path, *extra: str, config: str = "") -> tuple[dict[str, Any], Store]:
    spec = tmp_path / "notes.yaml"
    spec.write_text(NOTES_SPEC)
    store = Store()
    store.seed()
    args = ["run", "--quiet", "--spec", str(spec), "--out", str(tmp_path / "out"), *extra]
    with serve(notes_app(store)) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("NOTES_TOKEN", TOKEN)
        if config:
            path = tmp_path / "govstack-conform.toml"
            path.write_text(config.format(url=url))
            args += ["--config", str(path)]
        else:
            args += ["--target", url, "--token", "env:NOTES_TOKEN"]
        result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1), result.output
    return json.loads((tmp_path / "out" / "results.json").read_text()), store


def _not_sent(data: dict[str, Any]) -> list[str]:
    return [
        c["case_id"]
        for b in data["results"]
        for c in b["cases"]
        if c["verdict"] == "skipped" and (c.get("reason") or "").startswith("not sent:")
    ]


def test_without_the_opt_in_nothing_seeded_is_touched(tmp_path: Path) -> None:
    data, store = _run(tmp_path)
    assert _not_sent(data), "the suite has cases that would change records the run did not create"
    assert data["options"]["allow_destructive"] is False
    assert store.touched_existing() == []


def test_the_flag_sends_them_and_the_results_say_so(tmp_path: Path) -> None:
    data, _ = _run(tmp_path, "--allow-destructive")
    assert _not_sent(data) == [] and data["options"]["allow_destructive"] is True


def test_the_config_key_does_the_same(tmp_path: Path) -> None:
    config = """
[bb.custom]
target = "{url}"
allow_destructive = true

[bb.custom.auth]
token = "env:NOTES_TOKEN"
"""
    data, _ = _run(tmp_path, config=config)
    assert _not_sent(data) == [] and data["options"]["allow_destructive"] is True
