"""The mock as a product, on a small hand-written contract: validation, security, state, headers, switches.

Every test talks HTTP to a real uvicorn server on 127.0.0.1 (module-scoped), and judges bodies with
the same schema validator the engine uses.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from test_mock_helpers import body_problems

from govstack_conform.contracts.loader import build_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.mock import MockOptions, MockServer, serve_in_thread

SPEC = """\
openapi: 3.0.3
info: {title: Mini things, version: "1"}
security:
  - bearer: []
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-Api-Key}
    basic: {type: http, scheme: basic}
    cookieKey: {type: apiKey, in: cookie, name: session}
    queryKey: {type: apiKey, in: query, name: appid}
  parameters:
    thingId: {name: thingId, in: path, required: true, schema: {type: string}}
  schemas:
    Thing:
      type: object
      required: [id, name]
      properties:
        id: {type: string, readOnly: true}
        name: {type: string, minLength: 1}
        size: {type: integer, minimum: 0}
        colour: {type: string, enum: [red, green]}
    Gadget:
      type: object
      required: [gadgetId, label]
      properties:
        gadgetId: {type: integer}
        label: {type: string}
    Error:
      type: object
      required: [code, message]
      properties:
        code: {type: integer}
        message: {type: string}
  responses:
    Bad:
      description: bad input
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Error'}
paths:
  /things/:
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        "201":
          description: created
          headers:
            X-Request-Id: {required: true, schema: {type: string, format: uuid}}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        "400": {$ref: '#/components/responses/Bad'}
        "401": {description: no credentials}
    get:
      operationId: listThings
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
        - {name: colour, in: query, schema: {type: string, enum: [red, green]}}
        - {name: tags, in: query, schema: {type: array, items: {type: integer}}}
      responses:
        "200":
          description: list
          content:
            application/json:
              schema: {type: array, items: {$ref: '#/components/schemas/Thing'}}
        "422": {$ref: '#/components/responses/Bad'}
  /things/{thingId}/:
    get:
      parameters: [{$ref: '#/components/parameters/thingId'}]
      responses:
        "200":
          description: one
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        "404": {$ref: '#/components/responses/Bad'}
    put:
      parameters: [{$ref: '#/components/parameters/thingId'}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        "200":
          description: replaced
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        "400": {$ref: '#/components/responses/Bad'}
    patch:
      parameters: [{$ref: '#/components/parameters/thingId'}]
      requestBody:
        content:
          application/merge-patch+json:
            schema: {type: object, properties: {name: {type: string, minLength: 1}, size: {type: integer}}}
      responses:
        "200":
          description: updated
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Thing'}
        "404": {$ref: '#/components/responses/Bad'}
    delete:
      parameters: [{$ref: '#/components/parameters/thingId'}]
      responses:
        "204": {description: gone}
        "404": {$ref: '#/components/responses/Bad'}
  /keyed:
    get:
      security: [{key: []}]
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [ok], properties: {ok: {type: boolean}}}
              example: {ok: true}
        "403": {description: wrong key}
  /basic:
    get:
      security: [{basic: []}, {key: []}]
      responses:
        "200": {description: ok}
  /open:
    get:
      security: []
      parameters:
        - {name: X-Trace, in: header, required: true, schema: {type: string, format: uuid}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, required: [count], properties: {count: {type: integer}}}
              example: {count: "not a number"}
  /form:
    post:
      security: []
      requestBody:
        required: true
        content:
          application/x-www-form-urlencoded:
            schema: {type: object, required: [n], properties: {n: {type: integer}}}
      responses:
        "200": {description: taken}
  /gadgets:
    post:
      security: []
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [label], properties: {label: {type: string}}}
      responses:
        "201":
          description: made
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Gadget'}
    get:
      security: []
      parameters:
        - {name: gadgetId, in: query, required: true, schema: {type: integer}}
      responses:
        "200":
          description: one
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Gadget'}
        "404": {description: no such gadget}
  /gadgets/{gadgetId}:
    delete:
      security: []
      parameters:
        - {name: gadgetId, in: path, required: true, schema: {type: integer}}
      responses:
        "204": {description: gone}
  /cookie:
    get:
      security: [{cookieKey: []}]
      responses:
        "200": {description: ok}
  /query-key:
    get:
      security: [{queryKey: []}]
      parameters:
        - {name: appid, in: query, required: true, schema: {type: string, format: uuid}}
      responses:
        "200": {description: ok}
  /search:
    get:
      security: []
      parameters:
        - name: filter
          in: query
          required: true
          schema: {type: object, properties: {q: {type: string}, n: {type: integer}}}
        - name: sort
          in: query
          required: true
          style: deepObject
          schema: {type: object, additionalProperties: {type: string}}
      responses:
        "200": {description: found}
  /impossible:
    get:
      security: []
      responses:
        "200":
          description: no value can meet this
          content:
            application/json:
              schema: {type: object, required: [a], properties: {a: {type: string, minLength: 5, maxLength: 2}}}
  /broken:
    get:
      security: []
      responses:
        "200":
          description: dangling
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Missing'}
"""

TOKEN, KEY = "test-token-1", "test-key-1"
BEARER = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    root = tmp_path_factory.mktemp("mini")
    path = root / "mini.yaml"
    path.write_text(SPEC)
    return build_contract("mini", "local", "Mini", [("mini.yaml", path)], root=root)


def _serve(contract: Contract, **switches: bool) -> Iterator[tuple[MockServer, httpx.Client]]:
    options = MockOptions(token=TOKEN, api_key=KEY, **switches)
    with serve_in_thread(contract, options) as server, httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield server, client


@pytest.fixture(scope="module")
def mock(contract: Contract) -> Iterator[tuple[MockServer, httpx.Client]]:
    yield from _serve(contract)


@pytest.fixture(scope="module")
def client(mock: tuple[MockServer, httpx.Client]) -> httpx.Client:
    return mock[1]


def _create(client: httpx.Client, **fields: object) -> httpx.Response:
    return client.post("/things/", json={"name": "mine", "size": 3, **fields}, headers=BEARER)


def _assert_valid(contract: Contract, method: str, path: str, response: httpx.Response) -> None:
    op = contract.operation(f"{method} {path}")
    assert op is not None
    assert body_problems(contract, op, response) == []


# -- success answers -----------------------------------------------------------------------------


def test_create_answers_201_with_schema_valid_body_and_required_header(
    contract: Contract, client: httpx.Client
) -> None:
    r = _create(client)
    assert r.status_code == 201
    assert r.headers["content-type"] == "application/json"
    _assert_valid(contract, "POST", "/things/", r)
    body = r.json()
    assert body["name"] == "mine" and body["size"] == 3  # what was sent comes back
    uuid.UUID(r.headers["X-Request-Id"])  # required header, valid against format: uuid


def test_create_points_at_the_new_resource(client: httpx.Client) -> None:
    r = _create(client, name="located")
    assert r.headers["Location"] == f"/things/{r.json()['id']}/"
    assert client.get(r.headers["Location"], headers=BEARER).json()["name"] == "located"


def test_two_creates_get_distinct_ids(client: httpx.Client) -> None:
    assert _create(client).json()["id"] != _create(client).json()["id"]


def test_valid_example_is_served(client: httpx.Client) -> None:
    r = client.get("/keyed", headers={"X-Api-Key": KEY})
    assert r.status_code == 200 and r.json() == {"ok": True}


def test_invalid_example_is_not_served(contract: Contract, mock: tuple[MockServer, httpx.Client]) -> None:
    server, client = mock
    r = client.get("/open", headers={"X-Trace": str(uuid.uuid4())})
    assert r.status_code == 200
    assert isinstance(r.json()["count"], int)
    _assert_valid(contract, "GET", "/open", r)
    assert any("GET /open" in n and "does not match" in n for n in server.journal.notes)


def test_list_answers_schema_valid_array(contract: Contract, client: httpx.Client) -> None:
    r = client.get("/things/", params=[("limit", "5"), ("colour", "red"), ("tags", "1"), ("tags", "2")], headers=BEARER)
    assert r.status_code == 200 and isinstance(r.json(), list)
    _assert_valid(contract, "GET", "/things/", r)


def test_no_content_answer_is_empty(client: httpx.Client) -> None:
    r = client.post("/form", data={"n": "3"})
    assert r.status_code == 200 and r.content == b""


def test_broken_schema_is_survived_and_noted(mock: tuple[MockServer, httpx.Client]) -> None:
    server, client = mock
    r = client.get("/broken")
    assert r.status_code == 200 and r.json() == {}
    assert any("GET /broken" in n and "Missing" in n for n in server.journal.notes)


def test_unmeetable_response_schema_is_survived_and_noted(mock: tuple[MockServer, httpx.Client]) -> None:
    server, client = mock
    r = client.get("/impossible")
    assert r.status_code == 200 and r.json() == {}
    assert any(n.startswith("GET /impossible response 200") and "no valid body" in n for n in server.journal.notes)
    assert client.get("/impossible").status_code == 200  # and said only once
    assert sum(n.startswith("GET /impossible") for n in server.journal.notes) == 1


# -- state ----------------------------------------------------------------------------------------


def test_crud_roundtrip(contract: Contract, client: httpx.Client) -> None:
    created = _create(client, name="roundtrip", colour="red").json()
    item = f"/things/{created['id']}/"
    r = client.get(item, headers=BEARER)
    assert r.status_code == 200 and r.json() == created
    _assert_valid(contract, "GET", "/things/{thingId}/", r)

    r = client.patch(item, content=b'{"size": 9}', headers={**BEARER, "Content-Type": "application/merge-patch+json"})
    assert r.status_code == 200 and r.json()["size"] == 9 and r.json()["name"] == "roundtrip"
    assert client.get(item, headers=BEARER).json()["size"] == 9

    r = client.put(item, json={"name": "replaced", "size": 1}, headers=BEARER)
    assert r.status_code == 200 and r.json()["id"] == created["id"]
    got = client.get(item, headers=BEARER).json()
    assert (got["name"], got["size"]) == ("replaced", 1)

    r = client.delete(item, headers=BEARER)
    assert r.status_code == 204 and r.content == b""
    r = client.get(item, headers=BEARER)
    assert r.status_code == 404
    _assert_valid(contract, "GET", "/things/{thingId}/", r)  # the documented Error schema
    assert client.delete(item, headers=BEARER).status_code == 404


def test_unknown_id_is_404_when_documented(client: httpx.Client) -> None:
    r = client.get("/things/never-made/", headers=BEARER)
    assert r.status_code == 404
    assert "never-made" in r.json()["message"]


def test_put_on_unknown_id_creates(client: httpx.Client) -> None:
    r = client.put("/things/chosen-id/", json={"name": "upserted"}, headers=BEARER)
    assert r.status_code == 200 and r.json()["id"] == "chosen-id"
    assert client.get("/things/chosen-id/", headers=BEARER).json()["name"] == "upserted"


def test_read_by_id_in_query_with_integer_ids(contract: Contract, client: httpx.Client) -> None:
    made = client.post("/gadgets", json={"label": "first"}).json()
    other = client.post("/gadgets", json={"label": "second"}).json()
    assert isinstance(made["gadgetId"], int) and made["gadgetId"] != other["gadgetId"]
    r = client.get("/gadgets", params={"gadgetId": made["gadgetId"]})
    assert r.status_code == 200 and r.json() == made
    _assert_valid(contract, "GET", "/gadgets", r)
    assert client.get("/gadgets", params={"gadgetId": other["gadgetId"]}).json()["label"] == "second"
    assert client.delete(f"/gadgets/{made['gadgetId']}").status_code == 204
    assert client.get("/gadgets", params={"gadgetId": made["gadgetId"]}).status_code == 404
    assert client.get("/gadgets", params={"gadgetId": "x"}).status_code == 400


def test_generated_bodies_are_deterministic_per_seed(contract: Contract) -> None:
    def listing(seed: int) -> bytes:
        options = MockOptions(token=TOKEN, seed=seed)
        with serve_in_thread(contract, options) as server, httpx.Client(base_url=server.base_url) as c:
            return c.get("/things/", headers=BEARER).content

    assert listing(1) == listing(1)
    assert listing(1) != listing(2)


# -- invalid input --------------------------------------------------------------------------------


def test_invalid_body_gets_documented_400_with_documented_error_schema(
    contract: Contract, client: httpx.Client
) -> None:
    r = client.post("/things/", json={"name": ""}, headers=BEARER)
    assert r.status_code == 400
    _assert_valid(contract, "POST", "/things/", r)
    assert "name" in r.json()["message"] or "short" in r.json()["message"]


def test_malformed_json_is_400(client: httpx.Client) -> None:
    r = client.post("/things/", content=b"{nope", headers={**BEARER, "Content-Type": "application/json"})
    assert r.status_code == 400 and "malformed JSON" in r.json()["message"]


def test_missing_required_body_is_400(client: httpx.Client) -> None:
    assert client.post("/things/", headers=BEARER).status_code == 400


def test_wrong_content_type_is_415(client: httpx.Client) -> None:
    r = client.post("/things/", content=b"name=x", headers={**BEARER, "Content-Type": "text/plain"})
    assert r.status_code == 415 and "text/plain" in r.json()["message"]


def test_json_with_charset_is_accepted(client: httpx.Client) -> None:
    r = client.post(
        "/things/", content=b'{"name": "c"}', headers={**BEARER, "Content-Type": "application/json; charset=utf-8"}
    )
    assert r.status_code == 201


@pytest.mark.parametrize("query", [{"limit": "0"}, {"limit": "ten"}, {"colour": "blue"}, {"tags": "x"}])
def test_invalid_query_gets_the_only_documented_4xx(contract: Contract, client: httpx.Client, query: dict) -> None:
    r = client.get("/things/", params=query, headers=BEARER)
    assert r.status_code == 422  # listThings documents 422 and no 400
    _assert_valid(contract, "GET", "/things/", r)


def test_missing_required_header_is_400_when_nothing_documented(client: httpx.Client) -> None:
    r = client.get("/open")
    assert r.status_code == 400 and "X-Trace" in r.json()["message"]
    assert client.get("/open", headers={"X-Trace": "not-a-uuid"}).status_code == 400


def test_object_query_parameters_as_openapi_serializes_them(client: httpx.Client) -> None:
    assert client.get("/search", params={"q": "x", "n": "2", "sort[by]": "name"}).status_code == 200
    r = client.get("/search", params={"sort[by]": "name"})
    assert r.status_code == 400 and "'filter'" in r.json()["message"]
    r = client.get("/search", params={"q": "x"})
    assert r.status_code == 400 and "'sort'" in r.json()["message"]


def test_invalid_form_body_is_400(client: httpx.Client) -> None:
    r = client.post("/form", data={"n": "x"})
    assert r.status_code == 400 and "/n" in r.json()["message"]


# -- security -------------------------------------------------------------------------------------


def test_missing_credentials_are_401_with_challenge(client: httpx.Client) -> None:
    r = client.get("/things/")
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_bearer_is_401(client: httpx.Client) -> None:
    r = client.get("/things/", headers={"Authorization": "Bearer wrong"})
    assert r.status_code == 401
    assert TOKEN not in r.text


def test_auth_is_judged_before_the_body(client: httpx.Client) -> None:
    assert client.post("/things/", content=b"{nope", headers={"Content-Type": "application/json"}).status_code == 401


def test_api_key_wrong_is_documented_403_missing_is_401(client: httpx.Client) -> None:
    assert client.get("/keyed", headers={"X-Api-Key": "wrong"}).status_code == 403
    r = client.get("/keyed")
    assert r.status_code == 401 and "X-Api-Key" in r.headers["WWW-Authenticate"]


def test_security_alternatives(client: httpx.Client) -> None:
    basic = "Basic " + base64.b64encode(f"anyone:{TOKEN}".encode()).decode()
    assert client.get("/basic", headers={"Authorization": basic}).status_code == 200
    assert client.get("/basic", headers={"X-Api-Key": KEY}).status_code == 200
    bad = "Basic " + base64.b64encode(b"anyone:nope").decode()
    assert client.get("/basic", headers={"Authorization": bad}).status_code == 401
    assert client.get("/basic").status_code == 401


def test_api_key_in_cookie_and_query(client: httpx.Client) -> None:
    assert client.get("/cookie", headers={"Cookie": f"session={KEY}"}).status_code == 200
    assert client.get("/cookie", headers={"Cookie": "session=nope"}).status_code == 401
    assert client.get("/cookie").status_code == 401
    # the key is judged by the guard, not by the parameter schema that wants a uuid
    assert client.get("/query-key", params={"appid": KEY}).status_code == 200
    assert client.get("/query-key", params={"appid": "nope"}).status_code == 401


def test_generated_credentials(contract: Contract) -> None:
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url) as c:
        creds = server.credentials
        assert set(creds.generated) == {"token", "api_key"} and len(creds.token) >= 20
        assert creds.token not in repr(creds) and creds.api_key not in repr(creds)
        assert c.get("/keyed", headers={"X-Api-Key": creds.api_key}).status_code == 200
        assert c.get("/things/", headers={"Authorization": f"Bearer {creds.token}"}).status_code == 200


# -- routing --------------------------------------------------------------------------------------


def test_undeclared_method_is_405_with_allow(client: httpx.Client) -> None:
    r = client.request("PATCH", "/things/", headers=BEARER)
    assert r.status_code == 405
    assert r.headers["Allow"] == "GET, POST"


def test_unknown_path_is_404_json(client: httpx.Client) -> None:
    r = client.get("/no/such/path")
    assert r.status_code == 404 and r.headers["content-type"] == "application/json"
    assert "/no/such/path" in r.json()["message"]


def test_concurrent_load(client: httpx.Client) -> None:
    def one(i: int) -> int:
        return _create(client, name=f"c{i}").status_code

    with ThreadPoolExecutor(8) as pool:
        assert set(pool.map(one, range(64))) == {201}


# -- switches: each turns exactly its behaviour off ------------------------------------------------


@pytest.fixture(scope="module")
def switched(contract: Contract) -> Iterator[dict[str, httpx.Client]]:
    names = ["validate_requests", "enforce_auth", "keep_state", "send_required_headers", "method_not_allowed"]
    servers = [serve_in_thread(contract, MockOptions(token=TOKEN, api_key=KEY, **{n: False})) for n in names]
    clients = {}
    try:
        for name, cm in zip(names, servers, strict=True):
            clients[name] = httpx.Client(base_url=cm.__enter__().base_url, timeout=10)
        yield clients
    finally:
        for c in clients.values():
            c.close()
        for cm in servers[: len(clients)]:
            cm.__exit__(None, None, None)


def test_switch_validate_requests(switched: dict[str, httpx.Client]) -> None:
    c = switched["validate_requests"]
    assert c.post("/things/", json={"name": ""}, headers=BEARER).status_code == 201
    assert c.get("/things/", params={"limit": "0"}, headers=BEARER).status_code == 200
    assert c.get("/open").status_code == 200
    assert c.get("/things/").status_code == 401  # auth still enforced


def test_switch_enforce_auth(switched: dict[str, httpx.Client]) -> None:
    c = switched["enforce_auth"]
    assert c.get("/things/").status_code == 200
    assert c.get("/keyed", headers={"X-Api-Key": "wrong"}).status_code == 200
    assert c.post("/things/", json={"name": ""}).status_code == 400  # validation still on


def test_switch_keep_state(switched: dict[str, httpx.Client]) -> None:
    c = switched["keep_state"]
    created = c.post("/things/", json={"name": "kept?"}, headers=BEARER).json()
    item = f"/things/{created['id']}/"
    assert c.get(item, headers=BEARER).json().get("name") != "kept?"
    assert c.delete(item, headers=BEARER).status_code == 204
    assert c.get(item, headers=BEARER).status_code == 200
    assert c.request("PATCH", "/things/", headers=BEARER).status_code == 405  # routing unchanged


def test_switch_send_required_headers(switched: dict[str, httpx.Client]) -> None:
    c = switched["send_required_headers"]
    r = c.post("/things/", json={"name": "h"}, headers=BEARER)
    assert r.status_code == 201 and "X-Request-Id" not in r.headers


def test_switch_method_not_allowed(switched: dict[str, httpx.Client]) -> None:
    c = switched["method_not_allowed"]
    r = c.request("PATCH", "/things/", headers=BEARER)
    assert r.status_code == 200 and "Allow" not in r.headers and isinstance(r.json(), list)  # GET's answer
    assert c.post("/things/", json={"name": "h"}, headers=BEARER).headers.get("X-Request-Id")


def test_error_bodies_are_json_everywhere(client: httpx.Client) -> None:
    for r in (client.get("/things/"), client.get("/nope"), client.request("PATCH", "/things/")):
        assert isinstance(json.loads(r.content), dict)
