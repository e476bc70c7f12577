"""The bar: the engine never blames the reference mock, and catches it whenever one behaviour is switched off.

The mock and the engine are built from the same contract by independent code paths (request validation
and response generation on one side, case planning and response checking on the other), so agreement
on every BB release is real evidence of zero false positives; the sabotage tests show the agreement
is not vacuous.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.loader import load_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Level
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import BBResult, Outcome, Verdict
from govstack_conform.engine.run.session import Target, run
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

TOKEN = "mock-token-7d1e"
API_KEY = "mock-key-93ab"

RELEASES = [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


def _run(contract: Contract, mock: MockOptions, *, profile_of: str | None = None) -> BBResult:
    headers: tuple[tuple[str, str], ...] = ()
    if profile_of:
        bb = load_catalog().get(profile_of)
        headers = tuple(bb.profile.headers.items())
    options = RunOptions(credentials=Credentials(bearer=TOKEN, api_key=API_KEY), concurrency=8)
    with serve_in_thread(contract, mock) as server:
        results = run([Target(contract, server.base_url, "", headers)], options)
    return results.results[0]


def _required_failures(bb: BBResult) -> list[str]:
    return [
        f"{case.case_id}: {check.check}: {check.message}"
        for case in bb.cases
        for check in case.checks
        if check.outcome is Outcome.FAILED and check.level is Level.REQUIRED
    ]


def _failed_checks(bb: BBResult) -> Counter[str]:
    return Counter(check.check for case in bb.cases for check in case.checks if check.outcome is Outcome.FAILED)


def _defect_named(reason: str | None, contract: Contract) -> bool:
    """An untestable reason must point into the spec: a defect's message or a spec file's location."""
    if not reason:
        return False
    return any(d.message[:40] in reason for d in contract.defects) or any(k in reason for k in contract.documents)


@pytest.mark.slow
@pytest.mark.parametrize("selector", RELEASES)
def test_no_required_check_fails_against_the_mock_of_the_same_release(selector: str) -> None:
    contract = contracts.load_contract(selector)
    bb = _run(contract, MockOptions(token=TOKEN, api_key=API_KEY), profile_of=contract.bb)
    assert bb.cases, "the suite must not be empty"
    assert _required_failures(bb) == []
    assert not [c.case_id for c in bb.cases if c.verdict is Verdict.ERROR]
    # What could be tested really ran and passed: an all-untestable run would prove nothing.
    passed = sum(1 for c in bb.cases if c.verdict is Verdict.PASSED)
    testable = sum(1 for c in bb.cases if c.verdict not in (Verdict.UNTESTABLE, Verdict.SKIPPED))
    assert passed > 0 and passed >= 0.95 * testable
    # A case is skipped only for data safety: it would change a record the run did not create.
    assert all((c.reason or "").startswith("not sent:") for c in bb.cases if c.verdict is Verdict.SKIPPED)
    for case in bb.cases:
        if case.verdict is Verdict.UNTESTABLE:
            assert case.reason and len(case.reason) > 20, case.case_id
            op = contract.operation(case.operation)
            if op is not None and any(d.severity.value == "error" and d.aspect for d in op.defects):
                assert _defect_named(case.reason, contract), (case.case_id, case.reason)


SABOTAGE_SPEC = """\
openapi: 3.0.3
info: {title: Sabotage contract, version: "1.0"}
security:
  - bearer: []
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Note:
      type: object
      required: [id, text]
      properties:
        id: {type: string, readOnly: true}
        text: {type: string, minLength: 1, maxLength: 40}
        kind: {type: string, enum: [memo, todo]}
paths:
  /notes:
    post:
      operationId: createNote
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Note'}
      responses:
        '201':
          description: created
          headers:
            X-Request-Id:
              required: true
              schema: {type: string, minLength: 1}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        '400': {description: bad input}
        '401': {description: no credentials}
  /notes/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
    get:
      operationId: readNote
      responses:
        '200':
          description: the note
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        '401': {description: no credentials}
        '404': {description: no such note}
    put:
      operationId: updateNote
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Note'}
      responses:
        '200':
          description: updated
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        '400': {description: bad input}
        '401': {description: no credentials}
        '404': {description: no such note}
    delete:
      operationId: deleteNote
      responses:
        '204': {description: deleted}
        '401': {description: no credentials}
        '404': {description: no such note}
"""


@pytest.fixture(scope="module")
def sabotage_contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("sabotage") / "notes.yaml"
    path.write_text(SABOTAGE_SPEC)
    return load_files([path])


def test_the_intact_mock_passes_every_check(sabotage_contract: Contract) -> None:
    bb = _run(sabotage_contract, MockOptions(token=TOKEN, api_key=API_KEY))
    assert _failed_checks(bb) == Counter()
    kinds = {c.kind.value for c in bb.cases}
    assert {"positive", "negative", "security", "method", "stateful"} <= kinds


@pytest.mark.parametrize(
    ("switch", "caught_by"),
    [
        ("validate_requests", "invalid_input_rejected"),
        ("enforce_auth", "auth_required"),
        ("keep_state", None),  # created_resource_readable or deleted_resource_gone
        ("send_required_headers", "required_headers_present"),
        ("method_not_allowed", "method_not_allowed"),
    ],
)
def test_each_behaviour_switched_off_is_caught(sabotage_contract: Contract, switch: str, caught_by: str | None) -> None:
    bb = _run(sabotage_contract, MockOptions(token=TOKEN, api_key=API_KEY, **{switch: False}))
    failed = _failed_checks(bb)
    if caught_by is None:
        assert failed.keys() & {"created_resource_readable", "deleted_resource_gone"}, failed
        assert failed.keys() <= {"created_resource_readable", "deleted_resource_gone"}, failed
    else:
        assert set(failed) == {caught_by}, failed


@pytest.mark.parametrize(
    ("selector", "switch", "caught_by"),
    [
        ("consent@main", "validate_requests", "invalid_input_rejected"),
        ("consent@23Q4", "enforce_auth", "auth_required"),
        ("digital-registries@23Q4", "enforce_auth", "auth_required"),
    ],
)
def test_sabotage_is_caught_on_real_contracts(selector: str, switch: str, caught_by: str) -> None:
    contract = contracts.load_contract(selector)
    bb = _run(contract, MockOptions(token=TOKEN, api_key=API_KEY, **{switch: False}), profile_of=contract.bb)
    assert caught_by in _failed_checks(bb)
    assert any(o.verdict is Verdict.FAILED for o in bb.operations)
