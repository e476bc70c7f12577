"""What `run` prints about the gate stays readable in CI: one line per check, never "tolerated" on a failing run.

Real runs of `run --quiet` against the consent@23Q4 mock that accepts any input (157 invalid-input
failures, 88 % of REQUIRED checks met) and the one that also ignores authentication. Before, every
failure got its own "tolerated:" line (157 of them, even with --quiet), and a run failing --fail-under
listed its failures as tolerated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.cli.common import err
from govstack_conform.cli.gate_words import fit
from govstack_conform.contracts import load as contracts
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

TOKEN = "GATE-OUTPUT-TOKEN-77c2"


@pytest.fixture(scope="module")
def targets(corpus_dir: Path) -> Iterator[tuple[str, str]]:
    """(sloppy, open): accepts any input; also ignores authentication."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        contract = contracts.load_contract("consent@23Q4")
    lax = MockOptions(token=TOKEN, validate_requests=False)
    with serve_in_thread(contract, lax) as sloppy, serve_in_thread(contract, MockOptions(
        token=TOKEN, validate_requests=False, enforce_auth=False
    )) as open_:  # fmt: skip
        yield sloppy.base_url, open_.base_url


@pytest.fixture(autouse=True)
def _env(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    monkeypatch.setenv("GATE_TOKEN", TOKEN)


def _run(url: str, out: Path, *gate: str) -> tuple[int, list[str]]:
    args = ["run", "--quiet", "consent@23Q4", "--target", url, "--token", "env:GATE_TOKEN", "--out", str(out), *gate]
    r = CliRunner().invoke(app, args)
    return r.exit_code, r.output.splitlines()


def _pct(out: Path) -> str:
    """The BB's REQUIRED compliance as results.json states it (the one assessment), as the gate prints it."""
    (bb,) = json.loads((out / "results.json").read_text())["compliance"]["building_blocks"]
    return f"{bb['compliance_pct']:.1f}%"


def _gate(lines: list[str]) -> list[str]:
    return [x for x in lines if x.startswith("gate: ")]


def test_fail_under_met_is_one_tolerated_line_per_check(targets: tuple[str, str], tmp_path: Path) -> None:
    code, lines = _run(targets[0], tmp_path, "--fail-under", "85")
    assert code == 0, lines
    assert _gate(lines) == [
        "gate: consent@23Q4 invalid_input_rejected: 157 failed cases, within --fail-under 85% "
        f"(consent@23Q4 at {_pct(tmp_path)}): tolerated"
    ]
    assert not [x for x in lines if x.startswith(("tolerated:", "failed:"))]


def test_fail_under_missed_never_says_tolerated(targets: tuple[str, str], tmp_path: Path) -> None:
    code, lines = _run(targets[0], tmp_path, "--fail-under", "90")
    assert code == 1, lines
    assert "tolerated" not in "\n".join(lines)
    pct = _pct(tmp_path)
    assert _gate(lines) == [
        f"gate: consent@23Q4 invalid_input_rejected: 157 failed cases, consent@23Q4 at {pct} is below "
        "--fail-under 90%: fail the run"
    ]
    assert [x for x in lines if x.startswith("failed:")] == [
        f"failed: consent@23Q4: REQUIRED compliance {pct} is below --fail-under 90%"
    ]


def test_baseline_counts_known_and_new_per_check(targets: tuple[str, str], tmp_path: Path) -> None:
    sloppy, open_ = targets
    first, _ = _run(sloppy, tmp_path / "baseline")
    assert first == 1
    baseline = str(tmp_path / "baseline" / "results.json")
    code, lines = _run(sloppy, tmp_path / "same", "--baseline", baseline)
    assert code == 0, lines
    assert _gate(lines) == [
        "gate: consent@23Q4 invalid_input_rejected: 157 failed cases, known in the baseline: tolerated"
    ]
    code, lines = _run(open_, tmp_path / "worse", "--baseline", baseline)
    assert code == 1, lines
    assert "tolerated" not in "\n".join(lines)
    gate = _gate(lines)
    assert len(gate) == 2, gate
    assert gate[0].startswith("gate: consent@23Q4 auth_required: ") and gate[0].endswith(", new: fail the run")
    assert gate[1].startswith("gate: consent@23Q4 invalid_input_rejected: ")
    assert gate[1].endswith(" failed cases, known in the baseline")
    (failed,) = [x for x in lines if x.startswith("failed:")]
    assert failed.startswith("failed: ") and " new REQUIRED failures: consent::" in failed
    assert len(failed) <= err.width and failed.endswith(" more in the reports")


def test_the_failed_line_is_cut_to_the_width_and_counts_the_rest() -> None:
    items = [f"consent::GET /consents/{{id}}::negative-{i:03}: invalid_input_rejected" for i in range(157)]
    for width in (80, 120, 200):
        line = fit("failed: 157 REQUIRED failures", items, width)
        assert len(line) <= width
        shown = line.split(": ", 1)[1].split("; … ")[0].split("; ")
        assert line.endswith(f"; … {157 - len(shown)} more in the reports")
    assert fit("failed: 2 REQUIRED failures", ["a: x", "b: y"], 80) == "failed: 2 REQUIRED failures: a: x; b: y"
    long = fit("failed: 1 REQUIRED failures", ["c" * 300], 80)
    assert len(long) <= 80 and long.endswith("…")
    narrow = fit("failed: 157 REQUIRED failures", items, 50)
    assert len(narrow) <= 50 and narrow.startswith("failed: 157 REQUIRED failures (listed in the")
