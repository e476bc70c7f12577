"""`govstack-conform plan`: byte-identical JSON across processes, the text table, one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from plan_contracts import PETS


def run(args: list[str], corpus: Path, hashseed: str = "0") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVSTACK_CONFORM_SPECS": str(corpus), "PYTHONHASHSEED": hashseed, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", "govstack_conform", "plan", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_plan_json_byte_identical_across_processes(corpus_dir: Path, tmp_path: Path) -> None:
    fx = tmp_path / "testCustomParameters.json"
    fx.write_text('{"REGISTRY_NAME": "mcts", "VERSION_NUMBER": "1.0"}')
    args = ["consent@main", "digital-registries", "--json", "--seed", "5", "--fixtures", str(fx)]
    first = run(args, corpus_dir, hashseed="1")
    second = run(args, corpus_dir, hashseed="2024")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    doc = json.loads(first.stdout)
    bbs = {c["bb"] for c in doc["cases"]}
    assert bbs == {"consent", "digital-registries"}
    read = next(c for c in doc["cases"] if c["case_id"].endswith("/{id}/delete::positive-valid"))
    assert read["steps"][0]["request"]["path_params"]["registryName"] == "mcts"


def test_plan_table_and_filters(corpus_dir: Path) -> None:
    res = run(["consent@main", "--read-only", "--kind", "positive"], corpus_dir)
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert lines[0].split() == ["CASE", "ID", "KIND", "EXPECTS", "NOTE"]
    body = lines[1:-1]
    assert body and all("::GET " in line and " positive " in line for line in body)
    assert "consent::GET /config/policy/{policyId}/::positive-valid" in res.stdout
    assert lines[-1].startswith(f"{len(body)} cases for consent@main; 0 untestable")


def test_plan_from_spec_file_reports_untestable(corpus_dir: Path, tmp_path: Path) -> None:
    spec = tmp_path / "broken.yaml"
    put_body = "operationId: updatePet\n      requestBody:\n        content: {application/json: {schema: {$ref: "
    assert put_body in PETS
    spec.write_text(PETS.replace(put_body + "'#/components/schemas/Pet'", put_body + "'#/nowhere'"))
    res = run(["--spec", str(spec), "--json"], corpus_dir)
    assert res.returncode == 0, res.stderr
    cases = {c["case_id"]: c for c in json.loads(res.stdout)["cases"]}
    assert cases["custom::PUT /pets/{petId}::positive-valid"]["untestable"]
    assert cases["custom::GET /pets/{petId}::positive-valid"]["untestable"] is None


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["consent", "--fixtures", "MISSING"], "test data file not found"),
        (["consent", "--kind", "fuzz"], "unknown case kind 'fuzz'"),
        ([], "name a building block"),
        (["no-such-bb"], "unknown building block"),
    ],
)
def test_plan_usage_errors_are_one_line(corpus_dir: Path, tmp_path: Path, args: list[str], needle: str) -> None:
    args = [str(tmp_path / a) if a == "MISSING" else a for a in args]
    res = run(args, corpus_dir)
    assert res.returncode == 2
    assert res.stdout == ""
    assert res.stderr.count("\n") == 1 and needle in res.stderr and "Traceback" not in res.stderr


def test_bad_fixtures_file_is_usage_error(corpus_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "fx.yaml"
    bad.write_text("operations: {readPolicy: 3}\n")
    res = run(["consent", "--fixtures", str(bad)], corpus_dir)
    assert res.returncode == 2 and res.stderr.strip().endswith(
        "operations/readPolicy must be a mapping with 'parameters' and/or 'body'"
    )
