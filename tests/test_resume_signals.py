"""Ctrl-C and SIGTERM in the middle of a real run, then `run --resume`: nothing lost, nothing sent twice,
and the same verdict for every case as a run that was never interrupted (against the built-in mock)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts import load as contracts
from govstack_conform.engine.run.journal import JOURNAL_NAME
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

BB = "consent@main"
TOKEN = "resume-SECRET-token-51c"
KEY = "resume-SECRET-key-8e2"
ENV = {"GC_TOKEN": TOKEN, "GC_KEY": KEY}
AUTH = ["--token", "env:GC_TOKEN", "--api-key", "env:GC_KEY", "--quiet"]


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


def mock_url() -> Iterator[str]:
    contract = contracts.load_contract(BB)
    with serve_in_thread(contract, MockOptions(token=TOKEN, api_key=KEY)) as server:
        yield server.base_url


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> tuple[int, dict[str, str]]:
    """An uninterrupted run against a fresh mock: exit code and verdict per case id."""
    os.environ["GOVSTACK_CONFORM_SPECS"] = str(corpus_dir)
    out = tmp_path_factory.mktemp("reference")
    for url in mock_url():
        result = CliRunner().invoke(app, ["run", BB, "--target", url, "--out", str(out), *AUTH], env=ENV)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, verdicts(out)


def verdicts(out: Path) -> dict[str, str]:
    data = json.loads((out / "results.json").read_text())
    return {c["case_id"]: c["verdict"] for bb in data["results"] for c in bb["cases"]}


def journal_lines(out: Path) -> list[dict[str, object]]:
    path = out / JOURNAL_NAME
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_bytes().split(b"\n")[1:] if line.strip()]


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_interrupt_then_resume_gives_the_uninterrupted_verdicts(
    sig: signal.Signals, tmp_path: Path, reference: tuple[int, dict[str, str]]
) -> None:
    code, expected = reference
    out = tmp_path / "out"
    for url in mock_url():
        cmd = [sys.executable, "-m", "govstack_conform", "run", BB, "--target", url, "--out", str(out), *AUTH,
               "--concurrency", "2", "--rate-limit", "40", "--report", "md"]  # fmt: skip
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env={**os.environ, **ENV})
        deadline = time.monotonic() + 60
        while len([r for r in journal_lines(out) if "case" in r]) < 20:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the run journaled nothing"
            time.sleep(0.05)
        proc.send_signal(sig)
        stdout, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr.decode()
        assert b"Traceback" not in stderr

        partial = json.loads((out / "results.json").read_text())
        assert partial["complete"] is False
        assert "interrupted: results incomplete" in (out / "summary.md").read_text()  # reports say so too
        cases = [c for bb in partial["results"] for c in bb["cases"]]
        interrupted = [c for c in cases if c["reason"] == "interrupted"]
        journaled = [r for r in journal_lines(out) if "case" in r]
        assert interrupted and len(journaled) + len(interrupted) == len(expected)
        assert {r["case"]["case_id"] for r in journaled} == {  # type: ignore[index]
            c["case_id"] for c in cases if c["reason"] != "interrupted"
        }

        # a different plan is refused before anything is sent
        other = CliRunner().invoke(app, ["run", BB, "--target", url, "--resume", str(out), "--seed", "7", *AUTH])
        assert other.exit_code == 2 and "different plan" in other.output and "seed 0 then, 7 now" in other.output

        resumed = CliRunner().invoke(app, ["run", BB, "--target", url, "--resume", str(out), *AUTH], env=ENV)
    assert resumed.exit_code == code, resumed.output
    final = json.loads((out / "results.json").read_text())
    assert final["complete"] is True
    assert verdicts(out) == expected
    ids = [r["case"]["case_id"] for r in journal_lines(out) if "case" in r]  # type: ignore[index]
    assert len(ids) == len(set(ids)) == len(expected)  # every case sent exactly once over both runs
    written = b"".join(p.read_bytes() for p in out.rglob("*") if p.is_file()) + stdout + stderr
    assert TOKEN.encode() not in written and KEY.encode() not in written


def test_a_used_evidence_folder_is_refused_before_anything_is_sent(tmp_path: Path) -> None:
    """Resuming with the --evidence folder the interrupted run filled would fail only at the end: say it first."""
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "MANIFEST.sha256").write_text("x\n")
    spec = tmp_path / "s.yaml"
    spec.write_text("openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
                    "        '200': {description: ok}\n")  # fmt: skip
    result = CliRunner().invoke(
        app, ["run", "--spec", str(spec), "--target", "http://127.0.0.1:1", "--evidence", str(evidence),
              "--out", str(tmp_path / "out")],
    )  # fmt: skip
    assert result.exit_code == 2 and "is not empty" in result.output and "refused the connection" not in result.output
