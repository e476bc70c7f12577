"""Reports from real engine output: a run against the mock of a real contract renders and validates."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import report_fixture as fx

from govstack_conform.assessment.compliance import assess
from govstack_conform.contracts.load import load_selected
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import RunResults
from govstack_conform.engine.run.session import Target, run
from govstack_conform.mock import MockOptions, serve_in_thread
from govstack_conform.report.formats.json import schema
from govstack_conform.report.render import render


@pytest.fixture(scope="module")
def results(corpus_dir: Path) -> RunResults:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        (contract,) = load_selected(["consent"], [])
    # A conformant mock: whatever the engine judges, the reports must agree with the compliance model.
    with serve_in_thread(contract, MockOptions(enforce_auth=False)) as server:
        return run([Target(contract, server.base_url, platform_id="bb-consent")], RunOptions(concurrency=2, seed=3))


def test_engine_results_render_and_validate(results: RunResults, tmp_path: Path) -> None:
    render(results, ["all"], tmp_path)
    data = json.loads((tmp_path / "results.json").read_text())
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    (bb,) = assess(results).bbs
    n = bb.case_counts
    assert n["passed"] > 0
    counts = fx.platform_counts((tmp_path / "cucumber.ndjson").read_text())
    assert sum(p for p, _ in counts.values()) == n["passed"]
    assert sum(f for _, f in counts.values()) == n["failed"] + n["not-implemented"] + n["error"]
    assert "<script" not in (tmp_path / "report.html").read_text()
