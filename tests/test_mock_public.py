"""The mock on contracts written the way public APIs often are: no 2xx documented, errors only in XML or
text. It answers a documented status and a documented media type (or an empty body), served for real."""

from __future__ import annotations

from collections.abc import Iterator
from xml.etree import ElementTree

import httpx
import pytest
from test_mock_helpers import contract_of, mock_client

SPEC = """\
openapi: 3.0.3
info: {title: Public, version: "1"}
components:
  schemas:
    Pet:
      type: object
      required: [id, name]
      properties:
        id: {type: integer}
        name: {type: string}
paths:
  /login:
    get:
      responses:
        "302":
          description: to the identity provider
          headers:
            Location: {required: true, schema: {type: string, format: uri}}
  /status:
    get:
      responses:
        default:
          description: whatever happens
          content:
            application/json:
              schema: {type: object, properties: {up: {type: boolean}}}
  /store/order/{orderId}/cancel:
    post:
      parameters:
        - {name: orderId, in: path, required: true, schema: {type: integer}}
      responses:
        "400": {description: Invalid ID supplied}
        "401": {description: not signed in}
        "404": {description: Order not found}
  /pet/{petId}:
    get:
      parameters:
        - {name: petId, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: the pet
          content:
            application/xml:
              schema: {$ref: '#/components/schemas/Pet'}
        "400":
          description: Invalid ID supplied
          content:
            text/plain:
              schema: {type: string}
  /pet:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
      responses:
        "200":
          description: added
          content:
            application/xml:
              schema: {$ref: '#/components/schemas/Pet'}
        "405":
          description: Invalid input
          content:
            application/xml:
              schema: {type: object, properties: {message: {type: string}}}
        "400":
          description: Invalid input
          content:
            application/xml:
              schema:
                type: object
                xml: {name: problem}
                properties: {message: {type: string}}
  /upload:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        "200": {description: stored}
        "400":
          description: refused
          content:
            application/octet-stream:
              schema: {type: string, format: binary}
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    contract = contract_of(tmp_path_factory.mktemp("public"), SPEC)
    with mock_client(contract) as (_, c):
        yield c


def test_a_documented_redirect_rather_than_an_undocumented_200(client: httpx.Client) -> None:
    r = client.get("/login")
    assert r.status_code == 302 and r.headers["Location"]


def test_default_documents_a_200(client: httpx.Client) -> None:
    r = client.get("/status")
    assert r.status_code == 200 and isinstance(r.json(), dict)


def test_only_errors_documented_answers_one_of_them(client: httpx.Client) -> None:
    assert client.post("/store/order/7/cancel").status_code == 404


def test_xml_success_is_xml(client: httpx.Client) -> None:
    r = client.get("/pet/7")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/xml")
    pet = ElementTree.fromstring(r.content)
    assert pet.tag == "Pet" and pet.find("id") is not None and pet.find("name") is not None


def test_text_error_is_text(client: httpx.Client) -> None:
    r = client.get("/pet/seven")
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/plain")
    assert "petId" in r.text and not r.text.startswith("{")


def test_xml_error_is_xml_with_the_message(client: httpx.Client) -> None:
    r = client.post("/pet", json={"id": "x"})
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/xml")
    problem = ElementTree.fromstring(r.content)
    assert problem.tag == "problem" and "request body invalid" in (problem.findtext("message") or "")


def test_binary_error_is_an_empty_body(client: httpx.Client) -> None:
    r = client.post("/upload", json={})
    assert r.status_code == 400 and r.content == b"" and "content-type" not in r.headers
