"""`govstack-conform mock` run for real, as a subprocess, behind each switch: each behaves as docs/mock.md says."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from test_conformance_mock import SABOTAGE_SPEC

SPEC = SABOTAGE_SPEC  # notes: POST /notes creates, /notes/{id} reads; bearer security
TOKEN = "cli-token-5c2a"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "notes.yaml"
    path.write_text(SPEC)
    return path


def _command(spec: Path, *switches: str) -> list[str]:
    return [sys.executable, "-m", "govstack_conform", "mock", "--spec", str(spec), "--port", "0", *switches]


@contextmanager
def running(spec: Path, *switches: str) -> Iterator[tuple[str, list[str]]]:
    """The mock started as a real process; yields (its URL as printed, the banner lines); Ctrl-C at the end."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"}
    proc = subprocess.Popen(
        _command(spec, "--token", TOKEN, *switches),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    try:
        for line in proc.stdout:
            lines.append(line.rstrip("\n"))
            if line.startswith("Press Ctrl-C"):
                break
        banner = "\n".join(lines)
        found = re.search(r"listening on (http://\S+)", banner)
        assert found, banner
        yield found.group(1), lines
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stdout.close()


def test_default_enforces_security_and_validation(spec: Path) -> None:
    with running(spec) as (url, _), httpx.Client(base_url=url, timeout=20) as c:
        assert c.get("/notes/n1").status_code == 401
        assert c.post("/notes", json={"text": ""}, headers=BEARER).status_code == 400
        assert c.post("/notes", json={"text": "kept"}, headers=BEARER).status_code == 201


def test_no_auth_accepts_requests_without_credentials(spec: Path) -> None:
    with running(spec, "--no-auth") as (url, lines), httpx.Client(base_url=url, timeout=20) as c:
        assert any("--no-auth" in line for line in lines)
        made = c.post("/notes", json={"text": "anonymous"})
        assert made.status_code == 201
        assert c.get(made.headers["Location"]).json()["text"] == "anonymous"
        assert c.post("/notes", json={"text": ""}).status_code == 400  # validation is still on


def test_no_validate_answers_invalid_requests(spec: Path) -> None:
    with running(spec, "--no-validate") as (url, lines), httpx.Client(base_url=url, timeout=20) as c:
        assert any("--no-validate" in line for line in lines)
        assert c.post("/notes", json={"text": ""}, headers=BEARER).status_code == 201
        assert c.post("/notes", json={"text": 5}, headers=BEARER).status_code == 201
        assert c.get("/notes/n1").status_code == 401  # security is still on


def test_base_path_serves_under_the_prefix_only(spec: Path) -> None:
    with running(spec, "--base-path", "api/v1/") as (url, _), httpx.Client(timeout=20) as c:
        assert url.endswith("/api/v1")
        root = url.removesuffix("/api/v1")
        made = c.post(f"{url}/notes", json={"text": "prefixed"}, headers=BEARER)
        assert made.status_code == 201
        assert made.headers["Location"] == f"/api/v1/notes/{made.json()['id']}"
        assert c.get(root + made.headers["Location"], headers=BEARER).json()["text"] == "prefixed"
        outside = c.get(f"{root}/notes", headers=BEARER)
        assert outside.status_code == 404 and "/api/v1" in outside.json()["message"]


def test_seed_chooses_the_generated_data(spec: Path) -> None:
    def created_id(seed: str) -> str:
        with running(spec, "--seed", seed) as (url, _), httpx.Client(base_url=url, timeout=20) as c:
            made: str = c.post("/notes", json={"text": "seeded"}, headers=BEARER).json()["id"]
            return made

    first = created_id("11")
    assert created_id("11") == first
    assert created_id("12") != first


def test_delay_holds_every_answer(spec: Path) -> None:
    with running(spec, "--delay", "3000") as (url, lines):
        assert any("3000 ms" in line for line in lines)
        with httpx.Client(base_url=url, timeout=1.0) as impatient, pytest.raises(httpx.ReadTimeout):
            impatient.get("/notes/n1", headers=BEARER)
        with httpx.Client(base_url=url, timeout=30) as patient:
            assert patient.get("/notes/n1", headers=BEARER).status_code == 404


@pytest.mark.parametrize(
    ("switch", "value", "said"),
    [("--base-path", "a b", "--base-path"), ("--base-path", "/x/../y", "--base-path"), ("--delay", "-5", "--delay")],
)
def test_bad_switch_values_are_one_line_and_exit_2(spec: Path, switch: str, value: str, said: str) -> None:
    run = subprocess.run(_command(spec, switch, value), capture_output=True, text=True, timeout=60)
    assert run.returncode == 2, run.stderr
    assert said in run.stderr and len(run.stderr.strip().splitlines()) == 1 and "Traceback" not in run.stderr


def test_spec_defects_are_said_at_start(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    # a date format with a month name has no one reading as a regex: it stays a defect the mock does not enforce
    broken.write_text(SPEC.replace("text: {type: string,", "text: {type: string, pattern: 'dd MMM yyyy',", 1))
    with running(broken) as (url, lines), httpx.Client(base_url=url, timeout=20) as c:
        said = [line for line in lines if "spec defect, not enforced on requests" in line]
        assert len(said) == 1 and "date-format-pattern" in said[0] and "/text/pattern" in said[0]
        assert any("1 spec defect(s)" in line for line in lines)
        assert c.post("/notes", json={"text": "not a date format"}, headers=BEARER).status_code == 201
        assert c.post("/notes", json={"text": ""}, headers=BEARER).status_code == 400  # minLength still holds


def test_docs_mock_md_describes_every_switch() -> None:
    import typer

    from govstack_conform.cli import app

    command = typer.main.get_command(app).commands["mock"]  # type: ignore[attr-defined]
    flags = {o for p in command.params for o in p.opts if o.startswith("--") and o != "--help"}
    text = (Path(__file__).resolve().parent.parent / "docs" / "mock.md").read_text(encoding="utf-8")
    assert {"--no-auth", "--no-validate", "--base-path", "--seed", "--delay"} <= flags
    assert sorted(f for f in flags if f"`{f}" not in text) == []
    assert "Prefer: code=" in text and "example=" in text
