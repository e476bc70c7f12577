"""The mock on real GovStack contracts: consent and digital registries in depth, every catalog release broadly."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_mock_helpers import Req, body_problems, valid_request

from govstack_conform.contracts import schemas
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.datagen import GenerationError
from govstack_conform.mock import MockServer, serve_in_thread
from govstack_conform.mock.responses import success_status

RELEASES = [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]


def _served(contract: Contract) -> Iterator[tuple[MockServer, httpx.Client]]:
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url, timeout=15) as client:
        yield server, client


@pytest.fixture(scope="module")
def consent(corpus_dir: Path) -> Contract:
    return load_contract("consent@main", specs_option=corpus_dir)


@pytest.fixture(scope="module")
def consent_mock(consent: Contract) -> Iterator[tuple[MockServer, httpx.Client]]:
    yield from _served(consent)


@pytest.fixture(scope="module")
def registries(corpus_dir: Path) -> Contract:
    return load_contract("digital-registries@main", specs_option=corpus_dir)


@pytest.fixture(scope="module")
def registries_mock(registries: Contract) -> Iterator[tuple[MockServer, httpx.Client]]:
    yield from _served(registries)


def _every_operation_answers_as_documented(contract: Contract, server: MockServer, client: httpx.Client) -> None:
    failures = []
    for op in contract.operations:
        r = valid_request(contract, op, server.credentials).send(client)
        if r.status_code != success_status(op):
            failures.append(f"{op.key}: {r.status_code} {r.text[:150]}")
            continue
        failures += [f"{op.key}: {p}" for p in body_problems(contract, op, r)]
    assert failures == []


def test_consent_every_operation_answers_documented_status_and_valid_body(
    consent: Contract, consent_mock: tuple[MockServer, httpx.Client]
) -> None:
    _every_operation_answers_as_documented(consent, *consent_mock)


def test_registries_every_operation_answers_documented_status_and_valid_body(
    registries: Contract, registries_mock: tuple[MockServer, httpx.Client]
) -> None:
    _every_operation_answers_as_documented(registries, *registries_mock)


def test_consent_policy_lifecycle_across_config_and_service_paths(
    consent: Contract, consent_mock: tuple[MockServer, httpx.Client]
) -> None:
    server, client = consent_mock
    create = consent.operation("POST /config/policy/")
    assert create is not None
    req = valid_request(consent, create, server.credentials, seed=7)
    sent = json.loads(req.content or b"{}")
    sent["policy"]["name"] = "Lifecycle policy"
    req.content = json.dumps(sent).encode()
    r = req.send(client)
    assert r.status_code == 200 and body_problems(consent, create, r) == []
    pid = r.json()["policy"]["id"]
    assert r.json()["policy"]["name"] == "Lifecycle policy"

    read = consent.operation("GET /config/policy/{policyId}/")
    assert read is not None
    for path in (f"/config/policy/{pid}/", f"/service/policy/{pid}/"):
        got = client.get(path)
        assert got.status_code == 200 and got.json()["policy"]["name"] == "Lifecycle policy", path
        assert body_problems(consent, read, got) == []

    sent["policy"]["name"] = "Renamed"
    r = client.put(f"/config/policy/{pid}/", json=sent)
    assert r.status_code == 200 and r.json()["policy"]["id"] == pid
    assert client.get(f"/config/policy/{pid}/").json()["policy"]["name"] == "Renamed"

    assert client.delete(f"/config/policy/{pid}/").status_code == 200
    assert client.get(f"/config/policy/{pid}/").status_code == 404


def test_consent_unknown_id_gets_a_valid_body_since_404_is_not_documented(
    consent: Contract, consent_mock: tuple[MockServer, httpx.Client]
) -> None:
    _, client = consent_mock
    op = consent.operation("GET /config/policy/{policyId}/")
    assert op is not None and op.response_for(404) is None
    r = client.get("/config/policy/never-created/")
    assert r.status_code == 200 and body_problems(consent, op, r) == []
    assert r.json()["policy"]["id"] == "never-created"


def test_consent_invalid_body_is_documented_400(consent_mock: tuple[MockServer, httpx.Client]) -> None:
    _, client = consent_mock
    r = client.post("/config/policy/", json={"policy": {"name": 5}})
    assert r.status_code == 400 and r.headers["content-type"] == "application/json"
    assert "message" in r.json()
    r = client.post("/config/policy/", content=b"{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = client.post("/config/policy/", content=b"<policy/>", headers={"Content-Type": "application/xml"})
    assert r.status_code == 415


def test_consent_405_and_404(consent_mock: tuple[MockServer, httpx.Client]) -> None:
    _, client = consent_mock
    r = client.patch("/config/policy/p1/")
    assert r.status_code == 405 and r.headers["Allow"] == "DELETE, GET, PUT"
    assert client.get("/config/nothing-here/").status_code == 404


def test_registries_api_key_and_required_header(
    registries: Contract, registries_mock: tuple[MockServer, httpx.Client]
) -> None:
    server, client = registries_mock
    op = registries.operation("GET /data/{registryName}/{versionNumber}")
    assert op is not None
    good = valid_request(registries, op, server.credentials)
    assert good.headers["Authorization"] == server.credentials.api_key
    assert good.send(client).status_code == 200

    missing = Req(good.method, good.path, good.params, {k: v for k, v in good.headers.items() if k != "Authorization"})
    r = missing.send(client)
    assert r.status_code == 401 and "Authorization" in r.headers["WWW-Authenticate"]
    wrong = Req(good.method, good.path, good.params, {**good.headers, "Authorization": "nope"})
    assert wrong.send(client).status_code == 401

    no_client = {k: v for k, v in good.headers.items() if k != "Information-Mediator-Client"}
    r = Req(good.method, good.path, good.params, no_client).send(client)
    assert r.status_code == 400 and "Information-Mediator-Client" in r.json()["message"]


def test_registries_body_keyed_calls_read_what_create_stored(
    registries: Contract, registries_mock: tuple[MockServer, httpx.Client]
) -> None:
    """`create` keeps `write.content`; `read`, `exists` and `update` select it by `query.content`; the path's
    `{id}/delete` removes it; records belong to the registry and version of their path."""
    server, client = registries_mock
    read_op = registries.operation("POST /data/{registryName}/{versionNumber}/read")
    assert read_op is not None
    headers = valid_request(registries, read_op, server.credentials).headers
    base = "/data/mcts/1.0"

    def post(verb: str, body: Any, where: str = base) -> httpx.Response:
        return client.request("PUT" if verb == "update" else "POST", f"{where}/{verb}", json=body, headers=headers)

    record = {"id": "rec-77", "firstName": "Ada", "lastName": "Lovelace"}
    created = post("create", {"write": {"content": record}})
    assert created.status_code == 200 and created.json()["content"]["id"] == "rec-77"
    got = post("read", {"query": {"content": {"id": "rec-77"}}})
    assert got.status_code == 200 and body_problems(registries, read_op, got) == []
    assert {k: got.json()["content"][k] for k in record} == record
    assert post("read", {"query": {"content": {"lastName": "Lovelace"}}}).json()["content"]["id"] == "rec-77"
    assert post("read", {"query": {"content": {"id": "rec-77"}}}, "/data/other/1.0").status_code == 404
    assert post("exists", {"query": {"content": {"id": "rec-77"}}}).json()["answer"]["status"] is True

    changed = post("update", {"query": {"content": {"id": "rec-77"}}, "write": {"content": {"firstName": "Grace"}}})
    assert changed.status_code == 200
    after = post("read", {"query": {"content": {"id": "rec-77"}}}).json()["content"]
    assert (after["id"], after["firstName"], after["lastName"]) == ("rec-77", "Grace", "Lovelace")

    assert client.delete(f"{base}/rec-77/delete", headers=headers).status_code == 204
    gone = post("read", {"query": {"content": {"id": "rec-77"}}})
    assert gone.status_code == 404 and body_problems(registries, read_op, gone) == []
    assert post("exists", {"query": {"content": {"id": "rec-77"}}}).json()["answer"]["status"] is False


@pytest.mark.parametrize("release", RELEASES)
def test_every_release_serves_every_operation_without_server_error(corpus_dir: Path, release: str) -> None:
    """One valid request per operation: never a 5xx; a 2xx body meets its schema unless the mock noted it cannot."""
    contract = load_contract(release, specs_option=corpus_dir)
    problems = []
    answered = 0
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url, timeout=15) as client:
        for op in contract.operations:
            if op.blocked("parameters") is not None:
                continue  # e.g. a required header whose name no HTTP request can carry
            try:
                req = valid_request(contract, op, server.credentials)
            except (GenerationError, schemas.SchemaUnusable):
                continue  # the spec leaves no valid request to send
            r = req.send(client)
            answered += 1
            if r.status_code >= 500:
                problems.append(f"{op.key}: {r.status_code} {r.text[:200]}")
            elif 200 <= r.status_code < 300:
                noted = any(n.startswith(f"{op.key} response") for n in server.journal.notes)
                if not noted:
                    problems += [f"{op.key}: {p}" for p in body_problems(contract, op, r)]
            elif op.method == "GET" and r.status_code != 404:
                problems.append(f"{op.key}: valid GET refused with {r.status_code} {r.text[:200]}")
    assert answered > 0
    assert problems == []


def test_oauth2_is_a_bearer_token(corpus_dir: Path) -> None:
    contract = load_contract("consent@23Q4", specs_option=corpus_dir)
    with serve_in_thread(contract) as server, httpx.Client(base_url=server.base_url) as client:
        assert client.get("/config/policies/").status_code == 401
        assert client.get("/config/policies/", headers={"Authorization": "Bearer nope"}).status_code == 401
        ok = client.get("/config/policies/", headers={"Authorization": f"Bearer {server.credentials.token}"})
        assert ok.status_code == 200


def test_unenforceable_and_broken_parts_are_noted_once(corpus_dir: Path) -> None:
    im = load_contract("information-mediator@main", specs_option=corpus_dir)
    with serve_in_thread(im) as server, httpx.Client(base_url=server.base_url) as client:
        for op in im.operations:
            valid_request(im, op, server.credentials).send(client)
        notes = [n for n in server.journal.notes if "mutualTLS" in n]
        assert len(notes) == 1

    identity = load_contract("identity@main", specs_option=corpus_dir)
    op = identity.operation("PUT /enrollment")
    assert op is not None and op.blocked("request-body") is not None
    with serve_in_thread(identity) as server, httpx.Client(base_url=server.base_url) as client:
        said = [n for n in server.journal.notes if n.startswith("spec defect, not enforced on requests")]
        assert any("enrollment.yaml" in n and "[not-a-schema]" in n for n in said)  # at start, before any request
        req = valid_request(identity, op, server.credentials)
        payload = {"request": {"biometrics": {"birInfo": {"payload": [{"type": 5}]}}}}  # `type: 'string'` there
        req.content, req.headers["Content-Type"] = json.dumps(payload).encode(), "application/json"
        assert req.send(client).status_code < 400  # the broken part of the schema is not held against the client
        assert len(server.journal.notes) == len(set(server.journal.notes))
