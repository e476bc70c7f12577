"""Defects of the mock found by using it as a product, each pinned on the mock served for real."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.loader import build_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.mock import MockOptions, serve_in_thread

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
"""


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    root = tmp_path_factory.mktemp("defects")
    (root / "d.yaml").write_text(SPEC)
    return build_contract("d", "local", "Defects", [("d.yaml", root / "d.yaml")], root=root)


@pytest.fixture(scope="module")
def client(contract: Contract) -> Iterator[httpx.Client]:
    with serve_in_thread(contract, MockOptions()) as server, httpx.Client(base_url=server.base_url) as c:
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
