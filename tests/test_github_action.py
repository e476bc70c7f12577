"""The GitHub Action (action.yml) run step by step on this machine, the way a runner runs a composite action:
inputs and `${{ }}` values substituted, each `run:` step in bash with GITHUB_OUTPUT, GITHUB_STEP_SUMMARY,
GITHUB_WORKSPACE and GITHUB_ACTION_PATH set, against the reference mock on 127.0.0.1. `uses:` steps
(setup-python, upload-artifact) cannot run here: they are checked for how they are configured.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml
from source_tree import REPO, source_copy

from govstack_conform.contracts.model import Contract
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import MockServer, serve_in_thread

ACTION = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
TOKEN, API_KEY = "action-SECRET-token-51", "action-SECRET-key-52"
_EXPR = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class Runner:
    """What a runner keeps while it runs one composite action."""

    workspace: Path
    action_path: Path
    inputs: dict[str, str]
    env: dict[str, str]
    outputs: dict[str, dict[str, str]] = field(default_factory=dict)
    summary: Path = field(init=False)
    skipped_uses: list[dict[str, Any]] = field(default_factory=list)
    codes: list[tuple[str, int]] = field(default_factory=list)
    last_error: str = ""

    def __post_init__(self) -> None:
        self.summary = self.workspace.parent / "step_summary.md"
        self.summary.write_text("")

    def value(self, text: Any) -> str:
        """`${{ inputs.x }}`, `${{ github.action_path }}`, `${{ steps.id.outputs.x }}`: all this action uses."""

        def one(m: re.Match[str]) -> str:
            expr = m.group(1)
            if expr.startswith("inputs."):
                return self.inputs[expr.removeprefix("inputs.")]
            if expr == "github.action_path":
                return str(self.action_path)
            step, _, name = expr.removeprefix("steps.").partition(".outputs.")
            if expr.startswith("steps.") and name:
                return self.outputs.get(step, {}).get(name, "")
            raise AssertionError(f"action.yml uses an expression this emulator does not know: {expr}")

        return _EXPR.sub(one, str(text))

    def run(self) -> int:
        """Every step in order; a failed step skips the rest except those with `if: always()`. The job's code."""
        failed = 0
        for step in ACTION["runs"]["steps"]:
            condition = step.get("if")
            assert condition in (None, "always()"), condition
            if failed and condition is None:
                continue
            if "uses" in step:
                self.skipped_uses.append(step)
                continue
            assert step["shell"] == "bash"
            out = self.workspace.parent / f"output-{len(self.codes)}"
            out.write_text("")
            env = {
                **self.env,
                **{k: self.value(v) for k, v in (step.get("env") or {}).items()},
                "GITHUB_OUTPUT": str(out), "GITHUB_STEP_SUMMARY": str(self.summary),
                "GITHUB_WORKSPACE": str(self.workspace), "GITHUB_ACTION_PATH": str(self.action_path),
                "GITHUB_ACTIONS": "true", "RUNNER_TEMP": str(self.workspace.parent),
            }  # fmt: skip
            script = self.workspace.parent / "step.sh"
            script.write_text(self.value(step["run"]))
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace, env=env, capture_output=True, text=True, timeout=600, check=False,
            )  # fmt: skip
            self.codes.append((step.get("name", ""), proc.returncode))
            if "id" in step:
                self.outputs[step["id"]] = dict(
                    line.split("=", 1) for line in out.read_text().splitlines() if "=" in line
                )
            if proc.returncode and not failed:
                failed = proc.returncode
                self.last_error = proc.stdout[-3000:] + proc.stderr[-3000:]
        return failed


@pytest.fixture(scope="module")
def runner_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's own Python (setup-python's): a fresh venv that sees this one's packages as its dependencies,
    so the install step really installs the action's checkout (without its dependencies) and nothing else."""
    import site
    import sys

    venv = tmp_path_factory.mktemp("runner") / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    (own,) = venv.glob("lib/python*/site-packages")
    (own / "test-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return venv / "bin"


@pytest.fixture(scope="module")
def action_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The action's checkout, as a runner fetches it (a copy: installing from it builds inside it)."""
    return source_copy(tmp_path_factory.mktemp("action") / "govstack-conform")


@pytest.fixture(scope="module")
def consent(contract_of: Callable[[str], Contract]) -> Contract:
    return contract_of("consent@23Q4.1")


@pytest.fixture(scope="module")
def good(consent: Contract) -> Iterator[MockServer]:
    with serve_in_thread(consent, MockOptions(token=TOKEN, api_key=API_KEY)) as server:
        yield server


@pytest.fixture(scope="module")
def lax(consent: Contract) -> Iterator[MockServer]:
    with serve_in_thread(consent, MockOptions(token=TOKEN, api_key=API_KEY, validate_requests=False)) as server:
        yield server


def _runner(tmp_path: Path, action_path: Path, corpus_dir: Path, bin_dir: Path, **inputs: str) -> Runner:
    defaults = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "GOVSTACK_CONFORM_SPECS": str(corpus_dir),
        "CONSENT_TOKEN": TOKEN,
        "CONSENT_KEY": API_KEY,
        "PIP_NO_DEPS": "1",
    }
    return Runner(workspace, action_path, {**defaults, **inputs}, env)


def test_the_action_runs_the_suite_writes_the_summary_and_passes(
    tmp_path: Path, action_path: Path, corpus_dir: Path, good: MockServer, runner_python: Path
) -> None:
    runner = _runner(
        tmp_path, action_path, corpus_dir, runner_python,
        bb="consent@23Q4.1", target=good.base_url, **{"token-env": "CONSENT_TOKEN", "api-key-env": "CONSENT_KEY"},
    )  # fmt: skip
    code = runner.run()
    assert code == 0, (runner.codes, runner.last_error)
    assert [c for _, c in runner.codes] == [0, 0, 0, 0]  # install, contracts, run, exit
    assert (runner_python / "govstack-conform").is_file()  # installed from the action's checkout, and run
    assert list(runner_python.parent.glob("lib/python*/site-packages/govstack_conform/__init__.py"))
    assert runner.outputs["run"]["exit-code"] == "0"
    reports = runner.workspace / "govstack-reports"
    assert runner.outputs["run"]["results"] == "govstack-reports/results.json"
    for name in ("results.json", "report.html", "summary.md", "junit.xml"):
        assert (reports / name).is_file(), name
    summary = runner.summary.read_text()
    assert summary == (reports / "summary.md").read_text() and "consent" in summary
    setup, upload = runner.skipped_uses
    assert setup["uses"].startswith("actions/setup-python@") and runner.value(setup["with"]["python-version"])
    assert upload["uses"].startswith("actions/upload-artifact@") and upload["if"] == "always()"
    assert runner.value(upload["with"]["path"]) == "govstack-reports"
    for blob in [runner.summary.read_bytes(), *(p.read_bytes() for p in reports.rglob("*") if p.is_file())]:
        assert TOKEN.encode() not in blob and API_KEY.encode() not in blob


def test_a_non_conformant_product_fails_the_action_after_the_reports_are_kept(
    tmp_path: Path, action_path: Path, corpus_dir: Path, lax: MockServer, runner_python: Path
) -> None:
    runner = _runner(
        tmp_path, action_path, corpus_dir, runner_python, bb="consent@23Q4.1", target=lax.base_url, install="",
        **{"token-env": "CONSENT_TOKEN", "api-key-env": "CONSENT_KEY", "report": "md", "out": "reports"},
    )  # fmt: skip
    assert runner.run() == 1
    names = [n for n, _ in runner.codes]
    assert runner.codes[-1] == ("Exit with the tool's code", 1) and len(names) == 4
    assert runner.outputs["run"]["exit-code"] == "1"
    assert "not conformant" in runner.summary.read_text()
    (_, upload) = runner.skipped_uses  # the upload still runs: `if: always()`
    assert runner.value(upload["with"]["path"]) == "reports" and (runner.workspace / "reports/results.json").is_file()


def test_every_input_reaches_the_scripts_through_the_environment() -> None:
    """No `${{ inputs.x }}` is pasted into a script (a value with quotes or `$(...)` would run as code)."""
    for step in ACTION["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step.get("name")
    used = {m for step in ACTION["runs"]["steps"] for v in (step.get("env") or {}).values() for m in _EXPR.findall(v)}
    used |= {
        m for step in ACTION["runs"]["steps"] for v in (step.get("with") or {}).values() for m in _EXPR.findall(str(v))
    }
    assert {f"inputs.{name}" for name in ACTION["inputs"]} <= used
