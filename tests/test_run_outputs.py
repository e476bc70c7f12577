"""`run --report/--evidence/--sign` and `demo` end to end: real mock on 127.0.0.1, real files, real verification."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts import load as contracts
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread
from govstack_conform.report.evidence.bundle import PRIVATE_NAME, PUBLIC_NAME

TOKEN = "RUN-OUTPUTS-SECRET-5c2e9"


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    monkeypatch.setenv("GSC_TEST_TOKEN", TOKEN)


def _all_bytes(folder: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())


def test_run_writes_every_report_and_a_signed_evidence_bundle(tmp_path: Path) -> None:
    runner = CliRunner()
    keys = tmp_path / "keys"
    assert runner.invoke(app, ["evidence", "keygen", "--out", str(keys)]).exit_code == 0
    private, public = keys / PRIVATE_NAME, keys / PUBLIC_NAME
    contract = contracts.load_contract("consent@23Q4")  # every operation secured with OAuth2 (bearer)
    out, evidence = tmp_path / "out", tmp_path / "evidence"
    with serve_in_thread(contract, MockOptions(token=TOKEN)) as server:
        result = runner.invoke(
            app,
            [
                "run", "consent@23Q4", "--target", server.base_url, "--token", "env:GSC_TEST_TOKEN",
                "--out", str(out), "--report", "all", "--evidence", str(evidence), "--sign", str(private), "--quiet",
            ],
        )  # fmt: skip
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {"results.json", "junit.xml", "report.html", "summary.md", "cucumber.ndjson"} <= names
    assert "compliance-form.json" in names
    data = json.loads((out / "results.json").read_text())
    assert data["results"][0]["bb"] == "consent" and data["complete"] is True
    # The bundle verifies against the pinned key, and names a file that is then changed.
    ok = runner.invoke(app, ["evidence", "verify", str(evidence), "--public-key", str(public)])
    assert ok.exit_code == 0, ok.output
    spec_hashes = (evidence / "results.json").read_text()
    (evidence / "results.json").write_text(spec_hashes.replace('"passed"', '"failed"', 1))
    bad = runner.invoke(app, ["evidence", "verify", str(evidence), "--public-key", str(public)])
    assert bad.exit_code == 1 and "results.json" in bad.output
    # The token never lands in any byte written, nor in the console.
    assert TOKEN.encode() not in _all_bytes(out) + _all_bytes(evidence)
    assert TOKEN not in result.output


def test_unknown_report_format_is_a_usage_error_before_sending(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "consent", "--target", "http://127.0.0.1:9", "--report", "pdf", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2
    assert "unknown report format pdf" in result.output
    assert not (tmp_path / "results.json").exists()


def test_sign_without_evidence_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["run", "consent", "--target", "http://127.0.0.1:9", "--sign", str(tmp_path / "k.pem")]
    )
    assert result.exit_code == 2 and "--sign needs --evidence" in result.output


def test_demo_runs_the_mock_of_named_bbs_and_writes_reports(tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = CliRunner().invoke(app, ["demo", "consent", "digital-registries", "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    assert [b["bb"] for b in data["results"]] == ["consent", "digital-registries"]
    assert all(c["verdict"] != "failed" for b in data["results"] for c in b["cases"])
    assert (out / "report.html").stat().st_size > 10_000
    assert "consent@23Q4.1" in result.output and "reports in" in result.output


def test_demo_without_network_or_store_says_how_to_use_a_mirror(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVSTACK_CONFORM_SPECS")
    monkeypatch.setenv("GOVSTACK_CONFORM_CACHE", str(tmp_path / "cache"))
    # Any outbound connection fails at once, as on an air-gapped machine.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    result = CliRunner().invoke(app, ["demo", "consent", "--out", str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 3
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "--mirror" in lines[0]
    assert not (tmp_path / "cache" / "specs" / "consent").exists()


def test_demo_pulls_missing_contracts_from_a_mirror_into_an_empty_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path
) -> None:
    monkeypatch.delenv("GOVSTACK_CONFORM_SPECS")
    monkeypatch.setenv("GOVSTACK_CONFORM_CACHE", str(tmp_path / "cache"))
    runner = CliRunner()
    pulled = runner.invoke(app, ["specs", "pull", "consent", "--mirror", str(corpus_dir)])
    assert pulled.exit_code == 0, pulled.output
    result = runner.invoke(app, ["demo", "consent", "--out", str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 0, result.output
