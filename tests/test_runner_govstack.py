"""Real GovStack contracts end to end against the project's mock (a conformant product by construction),
and against the mock with one correct behaviour switched off (a plausible non-conformant product)."""

from __future__ import annotations

from pathlib import Path

import pytest

from govstack_conform.assessment.compliance import assess
from govstack_conform.assessment.gate import gate
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import Outcome, RunResults, Verdict
from govstack_conform.engine.run.session import Target, run
from govstack_conform.exitcodes import ExitCode
from govstack_conform.mock import MockOptions, serve_in_thread

TOKEN = "mock-SECRET-token-31337"
KEY = "mock-SECRET-key-31337"
CREDS = RunOptions(credentials=Credentials(bearer=TOKEN, api_key=KEY))


def required_failures(results: RunResults) -> set[str]:
    return {
        k.check
        for bb in results.results
        for c in bb.cases
        for k in c.checks
        if k.outcome is Outcome.FAILED and k.level.value == "required"
    }


@pytest.fixture(autouse=True)
def _specs(corpus_dir: Path) -> None:
    global SPECS
    SPECS = corpus_dir


SPECS: Path | None = None


def _run(selector: str, options: RunOptions = CREDS, **switches: bool) -> RunResults:
    contract = load_contract(selector, specs_option=SPECS)
    bb = load_catalog().get(contract.bb)
    with serve_in_thread(contract, MockOptions(token=TOKEN, api_key=KEY, **switches)) as mock:
        target = Target(
            contract, mock.base_url, bb.platform_id, tuple(bb.profile.headers.items()), bb.profile.latency_ms
        )
        return run([target], options)


@pytest.mark.parametrize("selector", ["consent@23Q4", "digital-registries@23Q4"])
def test_real_contract_against_conformant_mock(selector: str) -> None:
    results = _run(selector)
    bb = results.results[0]
    assert required_failures(results) == set()
    assert gate(assess(results)).exit_code is ExitCode.OK
    assert bb.platform_id.startswith("bb-")
    assert {o.verdict for o in bb.operations} == {Verdict.PASSED, Verdict.SKIPPED}
    # Skipped only where a case would change a record the run did not create (docs/data-safety.md).
    assert all((o.reason or "").startswith("not sent:") for o in bb.operations if o.verdict is Verdict.SKIPPED)
    assert len(bb.cases) > 100
    kinds = {c.kind.value for c in bb.cases}
    assert {"positive", "negative"} <= kinds
    if selector.startswith("consent@23Q4"):  # every operation secured in this release
        assert any(c.kind.value == "security" and c.verdict is Verdict.PASSED for c in bb.cases)
    if selector.startswith("digital-registries"):  # the profile header is sent
        x = next(x for c in bb.cases if c.verdict is Verdict.PASSED for x in c.exchanges)
        assert x.response is not None
        full = _run(selector, RunOptions(credentials=CREDS.credentials, record_passed_bodies=True))
        sent = {n for c in full.results[0].cases for x in c.exchanges for n, _ in x.request.headers}
        assert "Information-Mediator-Client" in sent


def test_mock_without_auth_is_caught_by_auth_required() -> None:
    results = _run("consent@23Q4", enforce_auth=False)
    assert required_failures(results) == {"auth_required"}
    assert gate(assess(results)).exit_code is ExitCode.NONCONFORMANT


def test_mock_without_validation_is_caught_by_invalid_input_rejected() -> None:
    results = _run("consent@main", validate_requests=False)
    assert required_failures(results) == {"invalid_input_rejected"}


def test_without_credentials_nothing_is_blamed() -> None:
    results = _run("consent@23Q4", RunOptions())
    assert required_failures(results) == set()
    ops = {o.verdict for o in results.results[0].operations}
    assert ops == {Verdict.UNTESTABLE, Verdict.SKIPPED}  # skipped: not sent for data safety
