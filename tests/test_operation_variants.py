"""One METHOD + path defined several times (payments' POST /vouchers, POST /callback): every definition is an
operation of its own, keyed by what tells it apart, planned, routed by the mock and reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.loader import build_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.results import Verdict
from govstack_conform.engine.run.session import Target, run
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

CREATE = """\
openapi: 3.0.3
info: {title: Vouchers create, version: "1"}
paths:
  /vouchers:
    post:
      operationId: createVouchers
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [amount, currency]
              properties: {amount: {type: integer, minimum: 1}, currency: {type: string, enum: [EUR]}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {type: object, required: [created], properties: {created: {type: integer}}}
        '400': {description: bad input}
  /callback:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [batchId, failed]
              properties: {batchId: {type: string}, failed: {type: integer}}
      responses:
        '200':
          description: batch result noted
          content:
            application/json:
              schema: {type: object, required: [batch], properties: {batch: {type: string}}}
        '400': {description: bad input}
  /beneficiaries?command=validate:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {type: object, properties: {ids: {type: array, items: {type: string}}}}}}
      responses:
        '202': {description: accepted}
        '400': {description: bad input}
"""

CANCEL = """\
openapi: 3.0.3
info: {title: Vouchers cancel, version: "1"}
paths:
  /vouchers:
    post:
      operationId: cancelVouchers
      parameters:
        - {name: command, in: query, required: true, schema: {type: string, enum: [cancel]}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [serials]
              properties: {serials: {type: array, minItems: 1, items: {type: string, minLength: 3}}}
      responses:
        '200':
          description: cancelled
          content:
            application/json:
              schema: {type: object, required: [cancelled], properties: {cancelled: {type: boolean}}}
        '400': {description: bad input}
  /callback:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [requestId, registered]
              properties: {requestId: {type: string}, registered: {type: boolean}}
      responses:
        '202':
          description: registration result noted
          content:
            application/json:
              schema: {type: object, required: [request], properties: {request: {type: string}}}
        '400': {description: bad input}
"""

KEYS = {
    "POST /vouchers",
    "POST /vouchers?command=cancel",
    "POST /callback (create.yaml)",
    "POST /callback (cancel.yaml)",
    "POST /beneficiaries?command=validate",
}


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    root = tmp_path_factory.mktemp("variants")
    files = []
    for name, text in (("create.yaml", CREATE), ("cancel.yaml", CANCEL)):
        (root / name).write_text(text)
        files.append((name, root / name))
    return build_contract("vouchers", "local", "Vouchers", files, root=root)


def test_every_definition_is_an_operation_with_a_readable_key(contract: Contract) -> None:
    assert {op.key for op in contract.operations} == KEYS
    cancel = contract.operation("POST /vouchers?command=cancel")
    assert cancel is not None and cancel.fixed_query == (("command", "cancel"),) and cancel.path == "/vouchers"
    assert contract.operation("cancelVouchers") is cancel  # operationIds still name them
    assert contract.operation("POST /callback") is None  # ambiguous: the two are its variants
    assert len(contract.variants("POST /callback")) == 2
    # Only the pair nothing in a request tells apart is a defect; the query-dispatched ones are noted.
    codes = {(d.operation, d.code) for d in contract.defects if d.code in ("duplicate-operation", "operation-variant")}
    assert codes == {
        ("POST /callback (create.yaml)", "duplicate-operation"),
        ("POST /callback (cancel.yaml)", "duplicate-operation"),
        ("POST /vouchers", "operation-variant"),
        ("POST /vouchers?command=cancel", "operation-variant"),
    }


def test_each_variant_is_planned_and_sends_its_fixed_query(contract: Contract) -> None:
    cases = plan_contract(contract)
    assert {c.operation for c in cases if c.name == "positive-valid"} == KEYS
    by_id = {c.case_id: c for c in cases}
    cancel = by_id["vouchers::POST /vouchers?command=cancel::positive-valid"].steps[0].request
    assert cancel.path == "/vouchers" and ("command", "cancel") in cancel.query
    assert by_id["vouchers::POST /vouchers::positive-valid"].steps[0].request.query == ()
    # Its fixed query says it cancels: data safety holds it back (nothing names which vouchers), by its own key.
    skip = by_id["vouchers::POST /vouchers?command=cancel::positive-valid"].skip
    assert skip and "POST /vouchers?command=cancel changes existing data" in skip
    assert by_id["vouchers::POST /vouchers::positive-valid"].skip is None
    # Leaving out (or changing) command=cancel addresses POST /vouchers, another operation: not this one's refusal.
    lost = {c.name: c.untestable for c in cases if c.untestable}
    assert set(lost) == {"negative-missing-query-command", "negative-not-in-enum-query-command"}
    assert all("addresses another definition of POST /vouchers (POST /vouchers)" in (w or "") for w in lost.values())
    assert all("cancel.yaml#/paths/~1vouchers/post" in (w or "") for w in lost.values())


def test_the_mock_routes_each_variant_and_every_one_is_reported(contract: Contract) -> None:
    """Served for real: each definition's valid request gets that definition's own answer."""
    options = RunOptions(credentials=Credentials(), concurrency=4, allow_destructive=True)  # our own mock
    with serve_in_thread(contract, MockOptions()) as server:
        bb = run([Target(contract, server.base_url)], options).results[0]
    assert {o.key: o.verdict for o in bb.operations} == dict.fromkeys(KEYS, Verdict.PASSED)
    failed = [(c.case_id, k.check) for c in bb.cases for k in c.checks if k.outcome.value == "failed"]
    assert failed == []


@pytest.fixture()
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


@pytest.mark.usefixtures("_store")
@pytest.mark.parametrize("selector", ["payments@23Q4", "payments@main"])
def test_payments_plans_all_35_definitions(selector: str) -> None:
    contract = load_contract(selector)
    keys = [op.key for op in contract.operations]
    assert len(keys) == len(set(keys)) == 35
    assert {
        "POST /vouchers",
        "POST /vouchers?command=cancel (VoucherCancellation.yml)",
        "POST /vouchers?command=cancel (VoucherRedemption.yml)",
        "PUT /vouchers",
        "POST /callback (RegisterBeneficiaryResponse.yml)",
        "GET /bills/{billId}?fields=inquiry",
        "POST /beneficiaries?command=validate",
    } <= set(keys)
    cases = plan_contract(contract)
    assert {c.operation for c in cases if c.kind.value == "positive"} == set(keys)
    # The cancellation has no operationId: its fixed query says it cancels, so nothing of it is sent by default.
    cancel = [c for c in cases if c.operation == "POST /vouchers?command=cancel (VoucherCancellation.yml)"]
    assert cancel and all(c.skip or c.untestable for c in cancel)
    # A definition the spec makes untestable says which defect, with its file and pointer.
    for c in cases:
        if c.untestable and c.kind.value == "positive":
            assert f"{selector.replace('@', '/')}/" in c.untestable, c.case_id


@pytest.mark.usefixtures("_store")
def test_declarations_take_variant_keys_and_old_unique_keys() -> None:
    from govstack_conform.app.declarations import declared_operations
    from govstack_conform.config.file import NotImplementedDecl
    from govstack_conform.errors import ConfigError

    contract = load_contract("payments@23Q4")
    decl = NotImplementedDecl(operations=("POST /vouchers?command=cancel (VoucherRedemption.yml)", "PUT /vouchers"))
    assert declared_operations(contract, decl) == {
        "POST /vouchers?command=cancel (VoucherRedemption.yml)",
        "PUT /vouchers",
    }
    with pytest.raises(ConfigError, match="did you mean"):
        declared_operations(contract, NotImplementedDecl(operations=("POST /callback",)))
