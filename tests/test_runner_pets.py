"""The engine end to end against a real product on 127.0.0.1 (tests/servers.py), conformant and broken.

A conformant product must pass every check (no false positive); a product that breaks one rule must be
caught by exactly the check for that rule and no other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from servers import BREAKS, PETS_SPEC, TOKEN, pets_app, serve

from govstack_conform.assessment.compliance import assess
from govstack_conform.assessment.gate import gate
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import Outcome, RunResults, Verdict, to_dict, write_json
from govstack_conform.engine.run.session import Target, run
from govstack_conform.engine.testdata import load_testdata
from govstack_conform.exitcodes import ExitCode
from govstack_conform.redact import REDACTED

# The budget sits far above normal answers on a loaded machine and far below the deliberately slow one.
OPTIONS = RunOptions(credentials=Credentials(bearer=TOKEN), latency_budget_ms=4000)


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("pets") / "pets.yaml"
    path.write_text(PETS_SPEC)
    c = load_spec_files([str(path)])
    assert not [d for d in c.defects if d.severity.value == "error"]
    return c


@pytest.fixture(scope="module")
def conformant_url() -> Iterator[str]:
    with serve(pets_app()) as url:
        yield url


def failed_checks(results: RunResults) -> set[str]:
    return {k.check for bb in results.results for c in bb.cases for k in c.checks if k.outcome is Outcome.FAILED}


def test_conformant_product_passes_every_check(contract: Contract, conformant_url: str) -> None:
    results = run([Target(contract, conformant_url)], OPTIONS)
    bb = results.results[0]
    assert failed_checks(results) == set()
    assert {c.verdict for c in bb.cases} == {Verdict.PASSED}
    assert {o.verdict for o in bb.operations} == {Verdict.PASSED}
    assert gate(assess(results)).exit_code is ExitCode.OK
    ran = {k.check for c in bb.cases for k in c.checks}
    # every check had something to judge on this contract (so "no failure" means something)
    assert {
        "no_server_error",
        "status_code_documented",
        "content_type_documented",
        "response_schema_valid",
        "required_headers_present",
        "invalid_input_rejected",
        "valid_input_accepted",
        "auth_required",
        "created_resource_readable",
        "deleted_resource_gone",
        "method_not_allowed",
        "latency_within_budget",
    } <= ran
    sequence = next(c for c in bb.cases if c.kind is CaseKind.STATEFUL)
    assert [x.step for x in sequence.exchanges] == [
        "create", "read", "update", "read-after-update", "delete", "read-after-delete",
    ]  # fmt: skip
    assert [x.response.status for x in sequence.exchanges if x.response] == [201, 200, 200, 200, 204, 404]


@pytest.mark.parametrize("broken", sorted(BREAKS))
def test_each_broken_rule_is_caught_by_exactly_its_check(contract: Contract, broken: str) -> None:
    with serve(pets_app(frozenset({broken}))) as url:
        results = run([Target(contract, url)], OPTIONS)
    assert failed_checks(results) == {broken}, BREAKS[broken]
    bb = results.results[0]
    failures = [(c, k) for c in bb.cases for k in c.checks if k.outcome is Outcome.FAILED]
    for case, check in failures:
        assert check.message and check.step
        exchange = next(x for x in case.exchanges if x.step == check.step)
        assert exchange.request.method and exchange.request.url.startswith(url)
        assert exchange.response is not None and exchange.response.status >= 100
        assert ("Authorization", REDACTED) in exchange.request.headers or case.kind is CaseKind.SECURITY
    required = failures[0][1].level.value == "required"
    assert gate(assess(results)).exit_code is (ExitCode.NONCONFORMANT if required else ExitCode.OK)
    if required:
        assert Verdict.FAILED in {o.verdict for o in bb.operations}


def test_schema_failure_points_into_instance_and_schema(contract: Contract) -> None:
    with serve(pets_app(frozenset({"response_schema_valid"}))) as url:
        results = run([Target(contract, url)], OPTIONS)
    found = [k for c in results.results[0].cases for k in c.checks if k.outcome is Outcome.FAILED]
    check = found[0]
    assert {k.check for k in found} == {"response_schema_valid"}
    assert check.instance_pointer == "/created"
    assert check.schema_file == "pets.yaml"
    assert check.schema_pointer == "/components/schemas/Pet/properties/created/format"
    assert "date-time" in check.message


def test_without_credentials_secured_positive_cases_are_untestable_not_failed(
    contract: Contract, conformant_url: str
) -> None:
    results = run([Target(contract, conformant_url)], RunOptions())
    bb = results.results[0]
    assert not {
        k.check for c in bb.cases for k in c.checks if k.outcome is Outcome.FAILED and k.level.value == "required"
    }
    positive = [c for c in bb.cases if c.kind is CaseKind.POSITIVE]
    assert positive and all(c.verdict is Verdict.UNTESTABLE for c in positive)
    assert all("credentials needed" in (c.reason or "") for c in positive)
    assert {o.verdict for o in bb.operations} == {Verdict.UNTESTABLE}
    assert gate(assess(results)).exit_code is ExitCode.OK


def test_a_fixture_id_that_is_missing_is_blamed(contract: Contract, conformant_url: str, tmp_path: Path) -> None:
    """With test data the id is known to exist, so a 404 is the product's fault (and without it, it is not)."""
    fixtures = tmp_path / "fixtures.yaml"
    fixtures.write_text("parameters: {petId: 0b9c3c1e-5d0e-4c11-9a53-3f0e3c8d2a11}\n")
    results = run([Target(contract, conformant_url, testdata=load_testdata([fixtures]))], OPTIONS)
    bb = results.results[0]
    read = next(c for c in bb.cases if c.case_id.endswith("GET /pets/{petId}::positive-valid"))
    assert read.verdict is Verdict.FAILED
    assert [k.check for k in read.checks if k.outcome is Outcome.FAILED] == ["valid_input_accepted"]
    plain = run([Target(contract, conformant_url)], OPTIONS).results[0]
    read = next(c for c in plain.cases if c.case_id.endswith("GET /pets/{petId}::positive-valid"))
    assert read.verdict is Verdict.PASSED
    skipped = [k for k in read.checks if k.check == "valid_input_accepted"]
    assert skipped[0].outcome is Outcome.SKIPPED and "fixtures" in skipped[0].message


def test_results_are_in_plan_order_and_repeatable(contract: Contract, conformant_url: str) -> None:
    a = run([Target(contract, conformant_url)], RunOptions(credentials=Credentials(bearer=TOKEN), concurrency=8))
    b = run([Target(contract, conformant_url)], RunOptions(credentials=Credentials(bearer=TOKEN), concurrency=3))
    ids_a = [c.case_id for c in a.results[0].cases]
    assert ids_a == [c.case_id for c in b.results[0].cases]
    assert len(set(ids_a)) == len(ids_a)
    assert [(c.verdict, len(c.checks)) for c in a.results[0].cases] == [
        (c.verdict, len(c.checks)) for c in b.results[0].cases
    ]


def test_read_only_sends_no_write(contract: Contract, conformant_url: str) -> None:
    results = run([Target(contract, conformant_url)], RunOptions(credentials=Credentials(bearer=TOKEN), read_only=True))
    sent = {x.request.method for c in results.results[0].cases for x in c.exchanges}
    assert sent <= {"GET", "HEAD", "OPTIONS"}
    assert results.options["read_only"] is True


def test_secrets_never_reach_the_results(contract: Contract, tmp_path: Path) -> None:
    """The product even echoes the token in its error bodies: the record must still not hold it."""
    with serve(pets_app(frozenset({"valid_input_accepted"}), echo_secrets=True)) as url:
        results = run([Target(contract, url)], RunOptions(credentials=Credentials(bearer=TOKEN)))
    path = write_json(results, tmp_path / "results.json")
    text = path.read_text()
    assert TOKEN not in text
    assert TOKEN not in json.dumps(to_dict(results))
    assert f"(you sent Authorization: Bearer {REDACTED})" in text  # the echo was recorded, redacted
    assert results.options["auth"]["bearer"] is True
