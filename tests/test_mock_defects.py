"""Defects of the mock found by using it as a product, each pinned on the mock served for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_mock_helpers import contract_of, mock_client, valid_request

from govstack_conform.contracts import schemas
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.datagen import GenerationError
from govstack_conform.mock import serve_in_thread

SPEC = """\
openapi: 3.0.3
info: {title: Defects, version: "1"}
paths:
  /tasks/{taskId}:
    get:
      parameters:
        - {name: taskId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: one task (nothing in the contract creates tasks)
          content:
            application/json:
              schema:
                type: object
                required: [taskId, title]
                properties:
                  taskId: {type: string}
                  title: {type: string}
        "404": {description: none}
  /accounts/{accountId}/entries/{entryNo}:
    get:
      parameters:
        - {name: accountId, in: path, required: true, schema: {type: string, pattern: '^A[0-9]+$'}}
        - {name: entryNo, in: path, required: true, schema: {type: integer}}
        - {name: depth, in: query, schema: {type: integer, minimum: 0}}
        - {name: tags, in: query, schema: {type: array, items: {type: integer}}}
        - {name: X-Trace, in: header, schema: {type: string, format: uuid}}
      responses:
        "200":
          description: one entry
          content:
            application/json:
              schema:
                type: object
                properties:
                  entry:
                    type: object
                    properties:
                      accountId: {type: string, pattern: '^A[0-9]+$'}
                      entryNo: {type: integer}
  /verify:
    post:
      responses:
        "200":
          description: verified
          content:
            application/json:
              schema:
                type: object
                required: [response, errors, faults]
                properties:
                  response:
                    type: object
                    required: [verified]
                    properties:
                      verified: {type: boolean}
                      error: {type: object, properties: {code: {type: string}}}
                  errors: {type: array, items: {$ref: '#/components/schemas/Problem'}}
                  error: {type: string}
                  faults: {type: array, minItems: 1, items: {$ref: '#/components/schemas/Problem'}}
        "400":
          description: refused
          content:
            application/json:
              schema:
                type: object
                properties:
                  errors: {type: array, minItems: 1, items: {$ref: '#/components/schemas/Problem'}}
components:
  schemas:
    Problem:
      type: object
      required: [errorCode]
      properties:
        errorCode: {type: string}
"""


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return contract_of(tmp_path_factory.mktemp("defects"), SPEC)


@pytest.fixture(scope="module")
def client(contract: Contract) -> Iterator[httpx.Client]:
    with mock_client(contract) as (_, c):
        yield c


# -- an identifier taken from the request is echoed where the schema has that field ----------------


def test_path_id_comes_back_in_the_body(client: httpx.Client) -> None:
    assert client.get("/tasks/task-42").json()["taskId"] == "task-42"
    assert client.get("/tasks/other").json()["taskId"] == "other"


def test_path_ids_come_back_typed_in_the_resource_object(client: httpx.Client) -> None:
    entry = client.get("/accounts/A17/entries/9").json()["entry"]
    assert entry["accountId"] == "A17" and entry["entryNo"] == 9


def test_registration_task_is_the_task_asked_for(corpus_dir: Path) -> None:
    contract = load_contract("registration@main", specs_option=corpus_dir)
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url) as c:
        for tid in ("ao24f18", "42962de0-bdb2-11ed-9397-0242ac120004"):
            r = c.get(f"/tasks/{tid}")
            assert r.status_code == 200 and r.json()["taskId"] == tid


# -- a success body carries no generated errors --------------------------------------------------------


def test_success_body_has_no_generated_errors(client: httpx.Client) -> None:
    body = client.post("/verify").json()
    assert body["errors"] == []  # required: emptied
    assert "error" not in body and "error" not in body["response"]  # optional: left out
    assert len(body["faults"]) >= 1  # minItems 1: the schema wins


def test_identity_success_bodies_carry_no_errors(corpus_dir: Path) -> None:
    contract = load_contract("identity@main", specs_option=corpus_dir)
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url) as c:
        checked = 0
        for op in contract.operations:
            try:
                r = valid_request(contract, op, server.credentials).send(c)
            except (GenerationError, schemas.SchemaUnusable):
                continue
            if r.status_code < 300 and r.headers.get("content-type") == "application/json":
                body = r.json()
                checked += 1
                assert not (isinstance(body, dict) and body.get("errors")), (op.key, body.get("errors"))
        assert checked >= 10


# -- a parameter's validation error says which parameter, not "the body" -------------------------------


@pytest.mark.parametrize(
    ("path", "params", "headers", "said"),
    [
        ("/accounts/B1/entries/9", {}, {}, "path parameter 'accountId': 'B1' does not match"),
        ("/accounts/A1/entries/nine", {}, {}, "path parameter 'entryNo': 'nine' is not of type 'integer'"),
        ("/accounts/A1/entries/9", {"depth": "-1"}, {}, "query parameter 'depth': -1 is less than the minimum of 0"),
        ("/accounts/A1/entries/9", {"tags": ["1", "x"]}, {}, "query parameter 'tags' item 1: 'x' is not of type"),
        ("/accounts/A1/entries/9", {}, {"X-Trace": "nope"}, "header parameter 'X-Trace': 'nope' is not a 'uuid'"),
    ],
)
def test_parameter_errors_name_the_parameter(
    client: httpx.Client, path: str, params: dict[str, object], headers: dict[str, str], said: str
) -> None:
    r = client.get(path, params=params, headers=headers)  # type: ignore[arg-type]
    assert r.status_code == 400
    message = r.json()["message"]
    assert message.startswith(said) and "the body" not in message
