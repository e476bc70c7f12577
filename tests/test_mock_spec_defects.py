"""Spec defects lint flags are said when the mock starts and not held against a client; everything the
contract states correctly stays enforced. Lint's `date-format-pattern` finding is pinned here too."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from test_mock_helpers import contract_of, mock_client, valid_request

from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract, Severity
from govstack_conform.mock import MockOptions, MockServer, serve_in_thread

SPEC = """\
openapi: 3.0.3
info: {title: Broken in places, version: "1"}
paths:
  /events:
    post:
      parameters:
        - {name: since, in: query, schema: {type: string, pattern: 'yyyy-MM-dd'}}
        - {name: limit, in: query, schema: {type: integer, maximum: 10}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [requestTime, name]
              properties:
                requestTime: {type: string, pattern: "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"}
                name: {type: string, minLength: 2}
                code: {type: string, pattern: '([A-Z'}
                size: {type: float}
                kind: string
                tags: {type: array, items: {type: string, maxLength: 3}}
      responses:
        "201": {description: recorded}
        "400": {description: refused}
"""
GOOD = {"requestTime": "2024-05-01T10:00:00.000Z", "name": "launch"}


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return contract_of(tmp_path_factory.mktemp("broken"), SPEC)


@pytest.fixture(scope="module")
def mock(contract: Contract) -> Iterator[tuple[MockServer, httpx.Client]]:
    with mock_client(contract) as (server, c):
        yield server, c


def test_lint_flags_a_java_date_format_used_as_pattern(contract: Contract) -> None:
    found = sorted(d.pointer for d in contract.defects if d.code == "date-format-pattern")
    assert [p.rsplit("/", 3)[-3:] for p in found] == [
        ["0", "schema", "pattern"],
        ["properties", "requestTime", "pattern"],
    ]
    d = next(d for d in contract.defects if d.code == "date-format-pattern")
    # read as the regex it spells (a real timestamp matches), so it blocks nothing: a warning, not an error
    assert d.severity is Severity.WARNING and "date format" in d.message
    assert "read as the regular expression it spells" in d.message
    assert not [d for d in contract.defects if d.code == "date-format-pattern" and "/code/" in d.pointer]


def test_defects_are_said_at_start(contract: Contract) -> None:
    with serve_in_thread(contract, MockOptions()) as server:
        notes = [n for n in server.journal.notes if n.startswith("spec defect, not enforced on requests")]
        assert server.app.unenforced and len(notes) == len(server.app.unenforced)
        codes = {d.code for d in server.app.unenforced}
        assert {"invalid-pattern", "invalid-type", "not-a-schema"} <= codes
        assert "date-format-pattern" not in codes  # enforced as the regex it spells, like every correct keyword


def test_a_date_format_pattern_is_enforced_as_the_regex_it_spells(mock: tuple[MockServer, httpx.Client]) -> None:
    _, c = mock
    assert c.post("/events", json=GOOD).status_code == 201
    for bad in ("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'", "2024-13-01T10:00:00.000Z", "2024-05-01 10:00:00"):
        r = c.post("/events", json={**GOOD, "requestTime": bad})
        assert r.status_code == 400 and "/requestTime" in r.text, (bad, r.text)


def test_a_real_timestamp_and_whatever_the_broken_keywords_say_are_accepted(
    mock: tuple[MockServer, httpx.Client],
) -> None:
    _, c = mock
    body = {**GOOD, "code": "anything", "size": "big", "kind": 7}
    r = c.post("/events", params={"since": "2024-05-01"}, json=body)
    assert r.status_code == 201, r.text


@pytest.mark.parametrize(
    ("change", "params", "said"),
    [
        ({"name": "x"}, {}, "/name"),
        ({"tags": ["long one"]}, {}, "/tags/0"),
        ({"requestTime": None}, {}, 'the required property "requestTime" is missing'),
        ({}, {"limit": "11"}, "'limit'"),
    ],
)
def test_what_the_contract_states_correctly_stays_enforced(
    mock: tuple[MockServer, httpx.Client], change: dict[str, object], params: dict[str, str], said: str
) -> None:
    _, c = mock
    body = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    r = c.post("/events", params=params, json=body)
    assert r.status_code == 400 and said in r.json()["message"]


def test_identity_accepts_real_timestamps_and_still_judges_the_rest(corpus_dir: Path) -> None:
    identity = load_contract("identity@main", specs_option=corpus_dir)
    consent = identity.operation("POST /linked-authorization/consent")
    enrollment = identity.operation("PUT /enrollment")
    assert consent is not None and enrollment is not None
    with serve_in_thread(identity) as server, httpx.Client(base_url=server.base_url) as c:
        req = valid_request(identity, consent, server.credentials)
        sent = json.loads(req.content or b"{}")
        sent["requestTime"] = "2011-10-05T14:48:00.000Z"  # the spec's own example, refused before
        req.content = json.dumps(sent).encode()
        assert req.send(c).status_code == 200
        del sent["request"]
        req.content = json.dumps(sent).encode()
        assert req.send(c).status_code == 400  # `request` is required, and that is stated correctly

        req = valid_request(identity, enrollment, server.credentials)
        req.content = b'{"request": {"offlineMode": "not a boolean"}}'
        assert req.send(c).status_code >= 400  # the schema is broken elsewhere, not here
