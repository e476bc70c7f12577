"""`run` with a config file and the CI gates, end to end against the mock on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts import load as contracts
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import MockServer, serve_in_thread

TOKEN = "CONFIG-RUN-SECRET-81fa"


@pytest.fixture(autouse=True)
def _env(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    monkeypatch.setenv("CONSENT_TOKEN", TOKEN)


@pytest.fixture(scope="module")
def sloppy(corpus_dir: Path) -> Iterator[MockServer]:
    """consent@23Q4 that accepts any input: invalid_input_rejected fails, everything else is fine."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        contract = contracts.load_contract("consent@23Q4")
    with serve_in_thread(contract, MockOptions(token=TOKEN, validate_requests=False)) as server:
        yield server


def _config(tmp_path: Path, url: str, extra: str = "") -> Path:
    path = tmp_path / "govstack-conform.toml"
    path.write_text(
        f"""
[product]
name = "Sloppy Consent"
version = "0.9"

[defaults]
report = ["html", "md", "junit"]
out = "reports"

[bb.consent]
release = "23Q4"
target = "{url}"

[bb.consent.auth]
token = "env:CONSENT_TOKEN"
{extra}
"""
    )
    return path


def _invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", "--quiet", *args])
    return result.exit_code, result.output


def test_config_alone_runs_the_bb_and_writes_its_reports(tmp_path: Path, sloppy: MockServer) -> None:
    code, output = _invoke("--config", str(_config(tmp_path, sloppy.base_url)))
    assert code == 1, output  # the sloppy mock accepts invalid input
    out = tmp_path / "reports"  # relative to the config file
    assert {"results.json", "report.html", "summary.md", "junit.xml"} <= {p.name for p in out.iterdir()}
    data = json.loads((out / "results.json").read_text())
    assert data["product"] == {"name": "Sloppy Consent", "version": "0.9"}
    assert data["results"][0]["ref"] == "23Q4"
    failed = {
        c["check"] for b in data["results"] for case in b["cases"] for c in case["checks"] if c["outcome"] == "failed"
    }
    assert failed == {"invalid_input_rejected"}
    assert TOKEN not in output and all(TOKEN.encode() not in p.read_bytes() for p in out.iterdir())


def test_baseline_tolerates_known_failures_only(tmp_path: Path, sloppy: MockServer) -> None:
    config = _config(tmp_path, sloppy.base_url)
    first, _ = _invoke("--config", str(config), "--out", str(tmp_path / "first"))
    assert first == 1
    code, output = _invoke("--config", str(config), "--baseline", str(tmp_path / "first" / "results.json"))
    assert code == 0, output
    assert "known in the baseline: tolerated" in output


def test_fail_under_decides_on_the_required_compliance_percentage(tmp_path: Path, sloppy: MockServer) -> None:
    config = _config(tmp_path, sloppy.base_url)
    low, _ = _invoke("--config", str(config), "--fail-under", "50")
    high, output = _invoke("--config", str(config), "--fail-under", "99.9")
    assert (low, high) == (0, 1), output


def test_command_line_wins_over_config(tmp_path: Path, sloppy: MockServer) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9")  # a dead target in the file
    code, output = _invoke("--config", str(config), "--target", sloppy.base_url, "--read-only")
    data = json.loads((tmp_path / "reports" / "results.json").read_text())
    assert data["results"][0]["target"] == sloppy.base_url
    assert data["options"]["read_only"] is True
    assert code in (0, 1), output


def test_bad_config_key_is_one_line_with_a_suggestion(tmp_path: Path) -> None:
    config = _config(tmp_path, "http://127.0.0.1:9", extra="\n[bb.consent.headerz]\nX = 'y'\n")
    code, output = _invoke("--config", str(config))
    assert code == 2
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and "did you mean" in lines[0] and "govstack-conform.toml:" in lines[0]


def test_fail_on_is_validated(tmp_path: Path) -> None:
    code, output = _invoke("consent", "--target", "http://127.0.0.1:9", "--fail-on", "optional")
    assert code == 2 and "--fail-on" in output


def test_shards_merged_equal_one_run(tmp_path: Path, sloppy: MockServer) -> None:
    base = ["consent@23Q4", "--target", sloppy.base_url, "--token", "env:CONSENT_TOKEN"]
    whole, _ = _invoke(*base, "--out", str(tmp_path / "whole"))
    parts = [_invoke(*base, "--shard", f"{i}/3", "--out", str(tmp_path / f"s{i}"))[0] for i in (1, 2, 3)]
    assert whole == 1 and 1 in parts
    merged = CliRunner().invoke(
        app,
        [
            "report",
            "merge",
            *(str(tmp_path / f"s{i}" / "results.json") for i in (1, 2, 3)),
            "--out",
            str(tmp_path / "m"),
        ],
    )
    assert merged.exit_code == 0, merged.output

    def verdicts(path: Path) -> dict[str, str]:
        data = json.loads(path.read_text())
        return {c["case_id"]: c["verdict"] for b in data["results"] for c in b["cases"]}

    assert verdicts(tmp_path / "m" / "results.json") == verdicts(tmp_path / "whole" / "results.json")
    sizes = [len(verdicts(tmp_path / f"s{i}" / "results.json")) for i in (1, 2, 3)]
    assert all(s > 0 for s in sizes) and sum(sizes) == len(verdicts(tmp_path / "whole" / "results.json"))
