"""`govstack-conform run` through the real CLI: exit codes, results.json, summary, and no secret anywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import PETS_SPEC, TOKEN, pets_app, serve
from typer.testing import CliRunner

from govstack_conform.cli import app


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "pets.yaml"
    path.write_text(PETS_SPEC)
    return path


@pytest.fixture(scope="module")
def product() -> Iterator[str]:
    with serve(pets_app(echo_secrets=True)) as url:
        yield url


def invoke(*args: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["run", *args], env=env)


def test_conformant_product_exits_0_and_writes_results(spec: Path, product: str, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = invoke(
        "--spec", str(spec), "--target", product, "--token", "env:PETS_TOKEN", "--out", str(out),
        "--header", "X-Trace: cli-test", env={"PETS_TOKEN": TOKEN},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((out / "results.json").read_text())
    bb = data["results"][0]
    assert {o["verdict"] for o in bb["operations"]} == {"passed"}
    assert data["options"]["headers"] == [["X-Trace", "cli-test"]]
    assert " conformant " in result.output and "failed checks (cases): none" in result.output


def test_non_conformant_exits_1_and_secrets_stay_out(spec: Path, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    with serve(pets_app(frozenset({"valid_input_accepted"}), echo_secrets=True)) as url:
        result = invoke(
            "--spec", str(spec), "--target", url, "--token", "env:PETS_TOKEN", "--out", str(out), "--quiet",
            "--header", "X-Session-Token: hdr-SECRET-555", env={"PETS_TOKEN": TOKEN},
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert "valid_input_accepted" in result.output
    written = "".join(p.read_text() for p in out.rglob("*") if p.is_file())
    for secret in (TOKEN, "hdr-SECRET-555"):
        assert secret not in result.output
        assert secret not in written
    assert "custom@local: not conformant (checked 2 of 5 operations); operations" in result.output  # --quiet


def test_usage_errors_exit_2(spec: Path, product: str) -> None:
    missing = invoke("--spec", str(spec), "--target", product, "--token", "env:GC_NOT_SET_ANYWHERE")
    assert missing.exit_code == 2
    assert "GC_NOT_SET_ANYWHERE" in missing.output and "Traceback" not in missing.output
    assert invoke("--spec", str(spec)).exit_code == 2  # no --target
    assert invoke("--spec", str(spec), "--target", product, "--header", "no colon").exit_code == 2
    assert invoke("--spec", str(spec), "--target", product, "--concurrency", "0").exit_code == 2
    assert invoke("--spec", str(spec), "--target", "ftp://x").exit_code == 2


def test_unreachable_target_exits_3(spec: Path, tmp_path: Path) -> None:
    result = invoke("--spec", str(spec), "--target", "http://127.0.0.1:1", "--out", str(tmp_path))
    assert result.exit_code == 3
    assert "refused the connection" in result.output
    assert len([line for line in result.output.splitlines() if "error" in line]) == 1
