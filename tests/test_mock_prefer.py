"""`Prefer: code=NNN` / `example=NAME` on the mock served for real: the documented response asked for, or a 400."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_mock_helpers import body_problems, contract_of, valid_request

from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.mock import MockOptions, serve_in_thread

SPEC = """\
openapi: 3.0.3
info: {title: Transfers, version: "1"}
security:
  - bearer: []
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Transfer:
      type: object
      required: [id, amount]
      properties:
        id: {type: string, readOnly: true}
        amount: {type: integer, minimum: 1}
    Problem:
      type: object
      required: [code, detail]
      properties:
        code: {type: string, pattern: '^T[0-9]{3}$'}
        detail: {type: string}
paths:
  /transfers:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Transfer'}
      responses:
        "201":
          description: made
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Transfer'}
              examples:
                small: {value: {id: "t-1", amount: 5}}
                large: {value: {id: "t-2", amount: 50000}}
        "204": {description: accepted, nothing to say}
        "400": {description: bad input}
        "452":
          description: insufficient funds
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Problem'}
              examples:
                insufficient: {value: {code: "T452", detail: "insufficient funds"}}
        "453":
          description: account blocked
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Problem'}
  /transfers/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: one
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Transfer'}
        "404": {description: none}
"""
TOKEN = "prefer-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return contract_of(tmp_path_factory.mktemp("prefer"), SPEC)


@pytest.fixture(scope="module")
def client(contract: Contract) -> Iterator[httpx.Client]:
    with (
        serve_in_thread(contract, MockOptions(token=TOKEN)) as server,
        httpx.Client(base_url=server.base_url, headers=AUTH, timeout=10) as c,
    ):
        yield c


def _post(client: httpx.Client, prefer: str | None, body: object = None) -> httpx.Response:
    headers = {"Prefer": prefer} if prefer else {}
    return client.post("/transfers", json={"amount": 3} if body is None else body, headers=headers)


def _valid(contract: Contract, r: httpx.Response) -> None:
    op = contract.operation("POST /transfers")
    assert op is not None and body_problems(contract, op, r) == []


def test_business_error_status_with_its_example(contract: Contract, client: httpx.Client) -> None:
    r = _post(client, "code=452")
    assert r.status_code == 452 and r.json() == {"code": "T452", "detail": "insufficient funds"}
    assert r.headers["Preference-Applied"] == "code=452"
    _valid(contract, r)


def test_business_error_status_without_example_gets_a_generated_valid_body(
    contract: Contract, client: httpx.Client
) -> None:
    r = _post(client, "code=453")
    assert r.status_code == 453 and r.json()["code"].startswith("T")
    _valid(contract, r)


def test_named_example_of_the_success_response(client: httpx.Client) -> None:
    r = _post(client, 'example="large"')
    assert r.status_code == 201 and r.json() == {"id": "t-2", "amount": 50000}
    assert r.headers["Preference-Applied"] == 'example="large"'


def test_named_example_found_in_another_documented_response(client: httpx.Client) -> None:
    r = _post(client, "example=insufficient")
    assert r.status_code == 452 and r.json()["code"] == "T452"


def test_code_and_example_together_rfc7240_syntax(client: httpx.Client) -> None:
    r = _post(client, "respond-async, code=201; example=small")
    assert r.status_code == 201 and r.json() == {"id": "t-1", "amount": 5}


def test_documented_no_content_status(client: httpx.Client) -> None:
    r = _post(client, "code=204")
    assert r.status_code == 204 and r.content == b""


@pytest.mark.parametrize(
    ("prefer", "said"),
    [
        ("code=499", "documented: 201, 204, 400, 452, 453"),
        ("code=abc", "not an HTTP status"),
        ("example=missing", "no documented response"),
        ("code=453, example=insufficient", "examples: none"),
    ],
)
def test_what_is_not_documented_is_refused_with_400(client: httpx.Client, prefer: str, said: str) -> None:
    r = _post(client, prefer)
    assert r.status_code == 400 and said in r.json()["message"]
    assert "Preference-Applied" not in r.headers


def test_security_and_validation_come_first(client: httpx.Client) -> None:
    r = client.post("/transfers", json={"amount": 3}, headers={"Prefer": "code=452", "Authorization": ""})
    assert r.status_code == 401
    assert _post(client, "code=452", {"amount": 0}).status_code == 400


def test_other_preferences_are_ignored(client: httpx.Client) -> None:
    r = _post(client, "return=minimal")
    assert r.status_code == 201 and "Preference-Applied" not in r.headers


def test_a_preferred_answer_leaves_state_alone(client: httpx.Client) -> None:
    made = _post(client, "code=201").json()
    assert client.get(f"/transfers/{made['id']}").status_code == 404
    kept = _post(client, None).json()
    assert client.get(f"/transfers/{kept['id']}").status_code == 200


def test_real_contract_402_of_esignature(corpus_dir: Path) -> None:
    contract = load_contract("esignature@main", specs_option=corpus_dir)
    op = next(o for o in contract.operations if o.key.endswith("/cert/create"))
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url, timeout=10) as c:
        req = valid_request(contract, op, server.credentials)
        assert req.send(c).status_code < 300
        req.headers["Prefer"] = "code=402"
        r = req.send(c)
        assert r.status_code == 402 and body_problems(contract, op, r) == []
