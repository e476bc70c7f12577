"""An evaluator's campaign, as documented (docs/campaign/): the GitHub matrix's commands run here in a loop,
candidate × part, then its final job; and the Kubernetes Indexed Job's command once per completion index.
The joined report of each candidate must give every case the verdict one unsharded run gives it.

The candidates are reference mocks on 127.0.0.1: candidate-a conformant, candidate-b accepting invalid input.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from govstack_conform.contracts import load as contracts
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

pytestmark = pytest.mark.slow

DOCS = Path(__file__).resolve().parent.parent / "docs" / "campaign"
WORKFLOW = yaml.safe_load((DOCS / "github-matrix.yml").read_text(encoding="utf-8"))
K8S = yaml.safe_load((DOCS / "k8s-indexed-job.yml").read_text(encoding="utf-8"))
RELEASES = {"consent": "consent@23Q4.1", "digital-registries": "digital-registries@23Q4"}
SECRETS = {"candidate-a": "camp-SECRET-a-71", "candidate-b": "camp-SECRET-b-72"}
_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[Path]:
    """The campaign repository: candidates/<name>.toml, each BB of each candidate served by its own mock."""
    root = tmp_path_factory.mktemp("campaign")
    (root / "candidates").mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        loaded = {bb: contracts.load_contract(sel) for bb, sel in RELEASES.items()}
    servers = []
    try:
        for name, secret in SECRETS.items():
            lines = [f'[product]\nname = "{name}"\n']
            for bb, contract in loaded.items():
                lax = name == "candidate-b" and bb == "consent"
                server = serve_in_thread(contract, MockOptions(token=secret, api_key=secret, validate_requests=not lax))
                url = server.__enter__().base_url
                servers.append(server)
                var = f"{name.upper().replace('-', '_')}_TOKEN"
                lines.append(
                    f'[bb.{bb}]\nrelease = "{RELEASES[bb].split("@")[1]}"\ntarget = "{url}"\n'
                    f'[bb.{bb}.auth]\ntoken = "env:{var}"\napi_key = "env:{var}"\n'
                )
            (root / "candidates" / f"{name}.toml").write_text("\n".join(lines))
        yield root
    finally:
        for server in reversed(servers):
            server.__exit__(None, None, None)


def _env(corpus_dir: Path, **more: str) -> dict[str, str]:
    tokens = {f"{n.upper().replace('-', '_')}_TOKEN": s for n, s in SECRETS.items()}
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return {**os.environ, **tokens, "PATH": path, "GOVSTACK_CONFORM_SPECS": str(corpus_dir), **more}


def _bash(script: str, cwd: Path, env: dict[str, str], shell: str = "bash") -> subprocess.CompletedProcess[str]:
    args = (
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script] if shell == "bash" else ["sh", "-c", script]
    )
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False)


def _steps(job: dict[str, Any], values: dict[str, str]) -> Iterator[tuple[str, dict[str, str]]]:
    """The job's run: steps with `${{ }}` values filled in; the install step (it needs GitHub) is not run here."""
    for step in job["steps"]:
        if "run" not in step or "pip install" in step["run"]:
            continue
        env = {k: _EXPR.sub(lambda m: values[m.group(1)], str(v)) for k, v in (step.get("env") or {}).items()}
        assert "${{" not in step["run"]
        yield step["run"], env


def verdicts(results: Path, bb: str | None = None) -> dict[tuple[str, str], str]:
    data = json.loads(results.read_text())
    return {(b["bb"], c["case_id"]): c["verdict"] for b in data["results"] if bb in (None, b["bb"]) for c in b["cases"]}


def test_the_github_matrix_joined_equals_unsharded_runs(workspace: Path, corpus_dir: Path) -> None:
    matrix = WORKFLOW["jobs"]["part"]["strategy"]["matrix"]
    combos = list(itertools.product(matrix["candidate"], matrix["part"]))
    assert any(p.endswith(" 1/3") for p in matrix["part"]) and any(p.endswith(" 1/1") for p in matrix["part"])
    summary = workspace / "summary.md"
    for candidate in SECRETS:  # the previous round: one unsharded run of each candidate, same products
        previous = workspace / "previous" / candidate
        cmd = f"govstack-conform run --config candidates/{candidate}.toml --out {previous} --quiet"
        proc = _bash(cmd, workspace, _env(corpus_dir))
        assert proc.returncode == (0 if candidate == "candidate-a" else 1), proc.stdout + proc.stderr
    for index, (candidate, part) in enumerate(combos):
        values = {"matrix.candidate": candidate, "matrix.part": part, "strategy.job-index": str(index)}
        for script, env in _steps(WORKFLOW["jobs"]["part"], values):
            proc = _bash(script, workspace, _env(corpus_dir, **env))
            assert proc.returncode == 0, proc.stdout + proc.stderr
    for script, env in _steps(WORKFLOW["jobs"]["compare"], {}):
        proc = _bash(script, workspace, _env(corpus_dir, GITHUB_STEP_SUMMARY=str(summary), **env))
        assert proc.returncode == 0, proc.stdout + proc.stderr

    for candidate in SECRETS:
        joined = verdicts(workspace / "merged" / candidate / "results.json")
        assert joined == verdicts(workspace / "previous" / candidate / "results.json")
        assert {bb for bb, _ in joined} == set(RELEASES)
        codes = {p.parent.name: p.read_text().strip() for p in (workspace / "results" / candidate).glob("*/exit-code")}
        assert len(codes) == len(matrix["part"])
        assert set(codes.values()) == ({"0"} if candidate == "candidate-a" else {"0", "1"})
        # the tool's own diff of the joined parts against the unsharded run finds nothing either
        since = (workspace / "compare" / f"{candidate}-since-previous.txt").read_text()
        assert since.strip().endswith("0 regressions, 0 improvements, 0 changes"), since
    table = (workspace / "compare" / "comparison.md").read_text()
    assert summary.read_text() == table and "candidate-a" in table and "candidate-b" in table
    assert (workspace / "compare" / "comparison.html").is_file()
    for blob in [p.read_bytes() for p in workspace.rglob("*") if p.is_file() and p.suffix != ".toml"]:
        assert not any(s.encode() in blob for s in SECRETS.values())


def test_the_kubernetes_indexed_job_shards_join_to_the_unsharded_run(
    workspace: Path, corpus_dir: Path, tmp_path: Path
) -> None:
    spec = K8S["spec"]
    assert spec["completionMode"] == "Indexed" and spec["completions"] == spec["parallelism"]
    (container,) = spec["template"]["spec"]["containers"]
    shell, flag, script = container["command"]
    n = spec["completions"]
    assert (shell, flag) == ("sh", "-c") and f'shard="$((JOB_COMPLETION_INDEX + 1))/{n}"' in script
    env = {e["name"]: e.get("value", "") for e in container["env"]}
    env.update(CONFIG=str(workspace / "candidates" / "candidate-b.toml"), RESULTS=str(tmp_path / "results"))
    env.pop("CANDIDATE_A_TOKEN")  # from the cluster's Secret; here from the test's environment
    for index in range(n):  # JOB_COMPLETION_INDEX counts from 0
        proc = _bash(script, tmp_path, _env(corpus_dir, JOB_COMPLETION_INDEX=str(index), **env), shell="sh")
        assert proc.returncode == 0, proc.stdout + proc.stderr
    parts = sorted((tmp_path / "results").glob("*/results.json"))
    assert [p.parent.name for p in parts] == [f"consent-{i}" for i in range(1, n + 1)]
    merged = tmp_path / "merged"
    proc = _bash(
        f"govstack-conform report merge {' '.join(map(str, parts))} --out {merged}", tmp_path, _env(corpus_dir)
    )
    assert proc.returncode == 0, proc.stderr
    whole = tmp_path / "whole"
    proc = _bash(
        f"govstack-conform run consent --config {env['CONFIG']} --out {whole} --quiet", tmp_path, _env(corpus_dir)
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # candidate-b accepts invalid input
    assert verdicts(merged / "results.json") == verdicts(whole / "results.json")
    shards = [verdicts(p) for p in parts]
    assert all(shards) and sum(len(s) for s in shards) == len(verdicts(whole / "results.json"))
