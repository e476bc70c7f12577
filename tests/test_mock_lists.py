"""Lists and identifiers on the mock served for real: what a collection lists is readable, what is created is
listed, and filters and paging are honoured as the contract names them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from test_mock_helpers import body_problems, contract_of, mock_client, valid_request

from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.mock import serve_in_thread

RELEASES = [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]
SPEC = """\
openapi: 3.0.3
info: {title: Lists, version: "1"}
components:
  schemas:
    Process:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
        status: {type: string, enum: [active, done]}
    Card:
      type: object
      required: [cardId, title]
      properties:
        cardId: {type: string, readOnly: true}
        boardId: {type: string}
        title: {type: string}
    Task:
      type: object
      required: [taskId, assigneeId]
      properties:
        taskId: {type: string}
        assigneeId: {type: string}
        done: {type: boolean}
paths:
  /processes:
    get:
      parameters:
        - {name: status, in: query, schema: {type: string, enum: [active, done]}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1}}
        - {name: offset, in: query, schema: {type: integer, minimum: 0}}
      responses:
        "200":
          description: the processes
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Process'}}
              example:
                - {id: 69, name: intake, status: active}
                - {id: 70, name: review, status: done}
                - {id: 71, name: archive, status: done}
        "404": {description: none}
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Process'}
      responses:
        "201":
          description: made
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Process'}
  /processes/{processId}:
    parameters:
      - {name: processId, in: path, required: true, schema: {type: integer}}
    get:
      responses:
        "200":
          description: one
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Process'}
        "404": {description: no such process}
    delete:
      responses:
        "204": {description: gone}
        "404": {description: no such process}
  /boards/{boardId}/cards:
    parameters:
      - {name: boardId, in: path, required: true, schema: {type: string}}
    get:
      responses:
        "200":
          description: the cards of a board
          content:
            application/json:
              schema:
                type: object
                required: [cards, total]
                properties:
                  cards: {type: array, items: {$ref: '#/components/schemas/Card'}}
                  total: {type: integer}
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Card'}
      responses:
        "201":
          description: made
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Card'}
  /boards/{boardId}/cards/{cardId}:
    parameters:
      - {name: boardId, in: path, required: true, schema: {type: string}}
      - {name: cardId, in: path, required: true, schema: {type: string}}
    get:
      responses:
        "200":
          description: one card
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Card'}
        "404": {description: none}
  /tasks:
    get:
      parameters:
        - {name: assigneeId, in: query, schema: {type: string}}
        - {name: done, in: query, schema: {type: boolean}}
        - {name: page, in: query, schema: {type: integer, minimum: 1}}
        - {name: size, in: query, schema: {type: integer, minimum: 1}}
      responses:
        "200":
          description: tasks (nothing in the contract creates them)
          content:
            application/json:
              schema:
                type: object
                properties:
                  items: {type: array, items: {$ref: '#/components/schemas/Task'}}
              example:
                items:
                  - {taskId: t1, assigneeId: ann, done: false}
                  - {taskId: t2, assigneeId: bob, done: true}
  /pins:
    get:
      responses:
        "200":
          description: at most two pins
          content:
            application/json:
              schema:
                type: array
                maxItems: 2
                items: {type: object, required: [pinId], properties: {pinId: {type: string}}}
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, properties: {note: {type: string}}}
      responses:
        "201":
          description: pinned
          content:
            application/json:
              schema: {type: object, required: [pinId], properties: {pinId: {type: string}}}
  /pins/{pinId}:
    get:
      parameters:
        - {name: pinId, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: one pin
          content:
            application/json:
              schema: {type: object, required: [pinId], properties: {pinId: {type: string}}}
  /tags:
    get:
      responses:
        "200":
          description: tag names
          content:
            application/json:
              schema: {type: array, items: {type: string}}
              example: [urgent, later]
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [tagName], properties: {tagName: {type: string}}}
      responses:
        "201": {description: tagged}
  /tags/{tagName}:
    parameters:
      - {name: tagName, in: path, required: true, schema: {type: string}}
    get:
      responses:
        "200":
          description: one tag
          content:
            application/json:
              schema: {type: object, required: [tagName], properties: {tagName: {type: string}}}
        "404": {description: none}
    delete:
      responses:
        "204": {description: untagged}
        "404": {description: none}
"""


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return contract_of(tmp_path_factory.mktemp("lists"), SPEC)


@pytest.fixture
def client(contract: Contract) -> Iterator[httpx.Client]:
    """A fresh mock per test: lists depend on what was created before."""
    with mock_client(contract) as (_, c):
        yield c


def _ids(r: httpx.Response) -> list[object]:
    assert r.status_code == 200, r.text
    return [p["id"] for p in r.json()]


def test_every_listed_id_is_readable_at_its_item_path(contract: Contract, client: httpx.Client) -> None:
    listed = client.get("/processes").json()
    assert [p["id"] for p in listed] == [69, 70, 71]
    for item in listed:
        r = client.get(f"/processes/{item['id']}")
        assert r.status_code == 200 and r.json() == item
        op = contract.operation("GET /processes/{processId}")
        assert op is not None and body_problems(contract, op, r) == []
    assert client.get("/processes/12345").status_code == 404  # never listed, never made


def test_created_is_listed_and_deleted_is_not(client: httpx.Client) -> None:
    made = client.post("/processes", json={"id": 1, "name": "new one", "status": "active"})
    assert made.status_code == 201
    pid = made.json()["id"]
    assert pid in _ids(client.get("/processes"))
    assert client.get(f"/processes/{pid}").json()["name"] == "new one"
    assert client.delete("/processes/70").status_code == 204
    ids = _ids(client.get("/processes"))
    assert 70 not in ids and pid in ids and 69 in ids


def test_equality_filter_on_a_field_of_the_items(client: httpx.Client) -> None:
    assert _ids(client.get("/processes", params={"status": "done"})) == [70, 71]
    assert _ids(client.get("/processes", params={"status": "active"})) == [69]


def test_limit_and_offset(client: httpx.Client) -> None:
    assert _ids(client.get("/processes", params={"limit": "2"})) == [69, 70]
    assert _ids(client.get("/processes", params={"limit": "1", "offset": "1"})) == [70]
    assert _ids(client.get("/processes", params={"offset": "5"})) == []
    assert _ids(client.get("/processes", params={"status": "done", "limit": "1", "offset": "1"})) == [71]


def test_list_under_a_parent_shows_that_parents_items_and_counts_them(contract: Contract, client: httpx.Client) -> None:
    a = client.post("/boards/a/cards", json={"title": "on a"}).json()
    client.post("/boards/b/cards", json={"title": "on b"})
    client.post("/boards/a/cards", json={"title": "also on a"})
    r = client.get("/boards/a/cards")
    titles = [c["title"] for c in r.json()["cards"]]
    assert "on a" in titles and "also on a" in titles and "on b" not in titles
    assert r.json()["total"] == len(r.json()["cards"])
    op = contract.operation("GET /boards/{boardId}/cards")
    assert op is not None and body_problems(contract, op, r) == []
    assert a["boardId"] == "a"  # the parent id named in the path comes back in the created card
    for card in r.json()["cards"]:
        assert client.get(f"/boards/a/cards/{card['cardId']}").json()["title"] == card["title"]


def test_generated_list_meets_its_filters(client: httpx.Client) -> None:
    everything = client.get("/tasks").json()["items"]
    held = everything[0]["assigneeId"]
    items = client.get("/tasks", params={"assigneeId": held}).json()["items"]
    assert items and all(t["assigneeId"] == held for t in items)
    flag = json.dumps(everything[0]["done"])
    items = client.get("/tasks", params={"done": flag}).json()["items"]
    assert items and all(json.dumps(t["done"]) == flag for t in items)
    # a value no item holds selects nothing: no record is made up to match it (unmatched_filter_empty)
    r = client.get("/tasks", params={"assigneeId": "zoe-nobody"})
    assert r.status_code == 200 and r.json()["items"] == []


def test_page_and_size(client: httpx.Client) -> None:
    def page(number: str) -> list[str]:
        return [t["taskId"] for t in client.get("/tasks", params={"page": number, "size": "1"}).json()["items"]]

    assert (page("1"), page("2"), page("3")) == (["t1"], ["t2"], [])


def test_a_list_of_bare_ids(client: httpx.Client) -> None:
    assert client.get("/tags").json() == ["urgent", "later"]
    assert client.get("/tags/urgent").json() == {"tagName": "urgent"}
    assert client.get("/tags/never").status_code == 404
    assert client.post("/tags", json={"tagName": "mine"}).status_code == 201
    assert client.delete("/tags/later").status_code == 204
    assert client.get("/tags").json() == ["urgent", "mine"]


def test_a_list_schema_limiting_its_length_still_wins(contract: Contract, client: httpx.Client) -> None:
    op = contract.operation("GET /pins")
    assert op is not None
    for n in range(4):
        assert client.post("/pins", json={"note": f"pin {n}"}).status_code == 201
        r = client.get("/pins")
        assert r.status_code == 200 and body_problems(contract, op, r) == [] and len(r.json()) <= 2


def test_real_workflow_lists_what_it_can_read(corpus_dir: Path) -> None:
    contract = load_contract("workflow@main", specs_option=corpus_dir)
    create = contract.operation("POST /processes")
    assert create is not None
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url) as c:
        listed = c.get("/processes").json()
        assert listed
        for process in listed:
            assert c.get(f"/processes/{process['id']}").status_code == 200
        made = valid_request(contract, create, server.credentials).send(c)
        assert made.status_code == 201
        assert made.json()["id"] in [p["id"] for p in c.get("/processes").json()]


def _listed_ids(body: object, param: str) -> list[object]:
    """The ids a list body shows: its first array (at the top or one level down), by `param` or `id`."""
    arrays = [body] if isinstance(body, list) else []
    if isinstance(body, dict):
        arrays += [v for v in body.values() if isinstance(v, list)]
        arrays += [w for v in body.values() if isinstance(v, dict) for w in v.values() if isinstance(w, list)]
    for items in arrays:
        ids = [i.get(param, i.get("id")) if isinstance(i, dict) else i for i in items]
        if ids and all(isinstance(i, str | int) and not isinstance(i, bool) for i in ids):
            return ids
    return []


@pytest.mark.parametrize("selector", RELEASES)
def test_every_catalog_list_shows_only_readable_ids(corpus_dir: Path, selector: str) -> None:
    contract = load_contract(selector, specs_option=corpus_dir)
    pairs = []
    for item in contract.operations:
        head, _, last = item.path.partition("?")[0].rstrip("/").rpartition("/")
        if item.method == "GET" and last.startswith("{") and last.endswith("}"):
            lists = [o for o in contract.operations if o.method == "GET" and o.path.rstrip("/") == head]
            pairs += [(lst, item, last[1:-1]) for lst in lists]
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url, timeout=10) as c:
        for lst, item, param in pairs:
            req = valid_request(contract, lst, server.credentials)
            r = req.send(c)
            if r.status_code >= 300 or "json" not in r.headers.get("content-type", ""):
                continue
            for rid in _listed_ids(r.json(), param):
                read = valid_request(contract, item, server.credentials)
                read.path = (
                    req.path.rstrip("/") + "/" + quote(str(rid), safe="") + ("/" if item.path.endswith("/") else "")
                )
                got = read.send(c)
                assert got.status_code < 300, (lst.key, rid, item.key, got.status_code, got.text[:200])
