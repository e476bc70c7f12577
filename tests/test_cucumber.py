"""Cucumber Messages as the GovStack compliance platform takes them, at every size, checked with Cucumber's
own packages: every line is a valid `Envelope` (cucumber-messages), and every feature's source parses with
the official Gherkin parser (gherkin-official) into the very document and pickles we wrote.

The platform stores an upload as one MongoDB document (16 MiB cap): the largest catalog BB with every case
failing, each at the most places a run records, must stay under 4 MiB.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import report_fixture as fx
from cucumber_messages import Envelope, message_converter
from gherkin.parser import Parser
from gherkin.pickles.compiler import Compiler

from govstack_conform.assessment.compliance import assess
from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.engine.cases import Case, Level
from govstack_conform.engine.checks.base import MAX_VIOLATIONS
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    CheckResult,
    Exchange,
    OperationResult,
    Outcome,
    RecordedRequest,
    RecordedResponse,
    RunResults,
    Verdict,
)
from govstack_conform.report.formats.base import FORMATS
from govstack_conform.report.redact import redact_results

MIB = 1024 * 1024


@cache
def _largest(store: Path) -> tuple[Any, tuple[Case, ...]]:
    """The catalog BB release with the most planned cases, and its plan."""
    best: tuple[Any, tuple[Case, ...]] | None = None
    for bb in load_catalog().bbs:
        for release in bb.releases:
            contract = contracts.load_contract(f"{bb.key}@{release.ref}", specs_option=store)
            cases = tuple(plan_contract(contract, seed=0))
            if best is None or len(cases) > len(best[1]):
                best = (contract, cases)
    assert best is not None
    return best


def _failing(case: Case, target: str) -> CaseResult:
    """The case as a run records it against a product that breaks everything at once: a 500, and a body
    breaking its schema at the most places the check lists, at every step."""
    checks: list[CheckResult] = []
    exchanges = []
    for step in case.steps:
        name = step.name
        checks.append(
            CheckResult(
                "no_server_error", Level.REQUIRED, Outcome.FAILED,
                "the server failed with 500; a product must never answer a 5xx to a well-formed or malformed "
                "request: fix the error behind it (invalid input must get a 4xx)", name,
            )
        )  # fmt: skip
        for i in range(MAX_VIOLATIONS):
            checks.append(
                CheckResult(
                    "response_schema_valid", Level.REQUIRED, Outcome.FAILED,
                    f"the 500 body breaks the spec's schema at /items/{i}/reference: null is not allowed: the "
                    "schema's type is string", name, f"/items/{i}/reference", "bb/main/openapi.yaml",
                    "/components/schemas/ErrorResponse/properties/items/items/properties/reference/type",
                )
            )  # fmt: skip
        checks.append(CheckResult("latency_within_budget", Level.RECOMMENDED, Outcome.PASSED, "within 15000 ms", name))
        url = target + step.request.path
        exchanges.append(
            Exchange(name, RecordedRequest(step.request.method, url, (("Accept", "application/json"),)),
                     RecordedResponse(500, (("Content-Type", "application/json"),), '{"items": []}'))
        )  # fmt: skip
    return CaseResult(
        case.case_id, case.operation, case.kind, case.name, case.description, Verdict.FAILED,
        tuple(checks), tuple(exchanges), 12.5, "failed: no_server_error, response_schema_valid",
    )  # fmt: skip


def _all_failing(store: Path) -> RunResults:
    contract, cases = _largest(store)
    target = "https://candidate.example/api"
    sent = [c for c in cases if not c.untestable]
    ops = tuple(
        OperationResult(op.key, op.method, op.path, op.operation_id, op.source_file, Verdict.FAILED)
        for op in contract.operations
    )
    bb = BBResult(
        contract.bb, contract.ref, contract.title, f"bb-{contract.bb}", target, (), ops,
        tuple(_failing(c, target) for c in sent), started="2024-05-02T09:00:00+00:00",
    )  # fmt: skip
    return RunResults("0.1.0", "2024-05-02T09:00:00+00:00", "2024-05-02T09:10:00+00:00", 0, {"seed": 0}, (bb,))


@pytest.mark.slow
def test_the_largest_bb_with_every_case_failing_stays_under_4_mib(corpus_dir: Path) -> None:
    results = _all_failing(corpus_dir)
    compliance = assess(results)
    data = FORMATS["cucumber"].render(results, compliance)
    assert len(data) < 4 * MIB, f"{len(data) / MIB:.1f} MiB"
    counts = fx.platform_counts(data.decode())
    assert sum(failed for _, failed in counts.values()) == len(results.results[0].cases)  # every case failed
    assert sum(passed for passed, _ in counts.values()) == 0
    _valid(data.decode())


def test_run_level_data_is_written_once() -> None:
    results = redact_results(fx.build())
    text = FORMATS["cucumber"].render(results, assess(results)).decode()
    features = [
        json.loads(line)["gherkinDocument"]["feature"] for line in text.splitlines() if "gherkinDocument" in line
    ]
    assert len(features) > 3
    with_options = [f for f in features if "options that change results" in f["description"]]
    assert len(with_options) == 1 and with_options[0] is features[0]
    # each BB's facts (target, verdict, spec files) once, in its first feature
    for bb in results.results:
        assert sum(bb.target in f["description"] for f in features) == 1


def _without_ids(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_ids(v) for k, v in node.items() if k not in ("id", "astNodeId", "astNodeIds")}
    if isinstance(node, list):
        return [_without_ids(v) for v in node]
    return node


def _valid(ndjson: str) -> None:
    """Every line an Envelope of the official messages (nothing unknown, nothing missing), and every
    feature what the official Gherkin parser and pickle compiler make of its source."""
    lines = [json.loads(line) for line in ndjson.splitlines()]
    for line in lines:
        envelope = message_converter.from_dict(line, Envelope)  # raises on a missing required field
        assert message_converter.to_dict(envelope) == line  # and a key it does not know would be lost here
    sources = {m["source"]["uri"]: m["source"]["data"] for m in lines if "source" in m}
    docs = {m["gherkinDocument"]["uri"]: m["gherkinDocument"] for m in lines if "gherkinDocument" in m}
    ours = [m["pickle"] for m in lines if "pickle" in m]
    assert set(sources) == set(docs)
    compiled = []
    for uri, text in sources.items():
        parsed = Parser().parse(text)
        assert _without_ids(parsed["feature"]) == _without_ids(docs[uri]["feature"]), uri
        compiled += Compiler().compile({"uri": uri, **parsed})
    official = [{k: v for k, v in p.items() if k != "location"} for p in compiled]
    assert _without_ids(ours) == _without_ids(official)


def test_what_we_write_is_what_cucumber_reads() -> None:
    results = redact_results(fx.build())
    _valid(FORMATS["cucumber"].render(results, assess(results)).decode())
