"""`report diff` matches BB releases and cases, not target URLs: two candidates, or one product whose CI URL moved.

Before, results were keyed by target URL, so two runs at different URLs shared nothing: "REMOVED …
ADDED … 0 regressions", exit 0, even from all-pass to failing.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from candidates import Candidate, run_candidates
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.engine.results import Verdict, read_json, write_json
from govstack_conform.report.compare import diff, merge


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> tuple[Candidate, Candidate]:
    return run_candidates(tmp_path_factory.mktemp("diff"), corpus_dir)


def _diff(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["report", "diff", *args])
    return r.exit_code, r.output


def test_all_pass_to_failing_at_a_new_url_is_every_lost_case_a_regression(runs: tuple[Candidate, Candidate]) -> None:
    good, sloppy = runs
    old, new = read_json(good.results), read_json(sloppy.results)
    failing = {c.case_id for c in new.results[0].cases if c.verdict is Verdict.FAILED}
    passing_before = {c.case_id for c in old.results[0].cases if c.verdict is Verdict.PASSED}
    assert failing and failing <= passing_before
    d = diff(old, new)
    case_regressions = {c.item for c in d.regressions if "::" in c.item}
    assert case_regressions == failing
    assert not [c for c in d.changes if c.item == "building block"]  # the BB is the same, at another URL
    assert all(c.bb == "consent@23Q4" for c in d.changes)
    code, out = _diff(str(good.results), str(sloppy.results))
    assert code == 1, out
    assert f"{len(d.regressions)} regressions" in out
    assert "ADDED" not in out and "REMOVED" not in out
    assert f"target: {good.target} -> {sloppy.target}" in out


def test_the_better_candidate_second_is_improvements_only(runs: tuple[Candidate, Candidate]) -> None:
    good, sloppy = runs
    code, out = _diff(str(sloppy.results), str(good.results), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["regressions"] == 0 and data["improvements"] > 0
    code, out = _diff(str(good.results), str(good.results))
    assert code == 0 and out.splitlines()[-1] == "0 regressions, 0 improvements, 0 changes"


def test_a_bb_missing_from_the_second_run_is_a_regression(runs: tuple[Candidate, Candidate], tmp_path: Path) -> None:
    good, _ = runs
    old = read_json(good.results)
    empty = write_json(dataclasses.replace(old, results=()), tmp_path / "empty.json")
    d = diff(old, read_json(empty))
    assert [(c.bb, c.item, c.kind) for c in d.changes] == [("consent@23Q4", "building block", "regression")]
    code, out = _diff(str(good.results), str(empty))
    assert code == 1 and out.startswith("REGRESSION") and "1 regressions" in out
    # the other way round it is new, not a regression
    assert _diff(str(empty), str(good.results))[0] == 0


def test_a_passing_case_missing_from_the_second_run_is_a_regression(runs: tuple[Candidate, Candidate]) -> None:
    good, _ = runs
    old = read_json(good.results)
    bb = old.results[0]
    dropped = next(c for c in bb.cases if c.verdict is Verdict.PASSED)
    fewer = dataclasses.replace(bb, cases=tuple(c for c in bb.cases if c is not dropped))
    d = diff(old, dataclasses.replace(old, results=(fewer,)))
    assert [(c.item, c.old, c.new, c.kind) for c in d.changes] == [(dropped.case_id, "passed", "absent", "regression")]


def test_one_release_at_two_targets_is_told_apart_by_target(runs: tuple[Candidate, Candidate]) -> None:
    good, sloppy = runs
    both, _ = merge([read_json(good.results), read_json(sloppy.results)])
    assert [b.target for b in both.results] == [good.target, sloppy.target]
    assert diff(both, both).changes == ()
    d = diff(both, read_json(good.results))  # the sloppy target's results are gone
    assert [(c.item, c.target, c.kind) for c in d.changes] == [("building block", sloppy.target, "regression")]
