"""Planner on small hand-written contracts: each kind of case, its expectations and its data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from plan_contracts import BROKEN, ORDERS, PETS, contract_from

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect
from govstack_conform.engine.plan.planner import plan_contract, plan_to_json
from govstack_conform.engine.plan.request import pick_media
from govstack_conform.engine.testdata import TestData, load_testdata
from govstack_conform.redact import REDACTED


@pytest.fixture(scope="module")
def pets(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return contract_from(tmp_path_factory.mktemp("pets"), "pets.yaml", PETS)


@pytest.fixture(scope="module")
def pets_plan(pets: Contract) -> list[Case]:
    return plan_contract(pets)


def by_id(cases: list[Case]) -> dict[str, Case]:
    return {c.case_id: c for c in cases}


def op(contract: Contract, key: str) -> Operation:
    found = contract.operation(key)
    assert found is not None
    return found


def body_schema(contract: Contract, key: str) -> schemas.Schema:
    media = pick_media(op(contract, key))
    assert media is not None and media.schema is not None
    return media.schema


def test_positive_cases_from_examples_then_generated(pets: Contract, pets_plan: list[Case]) -> None:
    cases = by_id(pets_plan)
    tom = cases["tiny::POST /pets/::positive-example-tom"]
    rex = cases["tiny::POST /pets/::positive-example-rex"]
    assert tom.steps[-1].request.body == {"name": "tom", "kind": "cat"}
    assert rex.steps[-1].request.body == {"name": "rex", "kind": "dog", "age": 3}
    # The example that breaks its own schema is never sent as valid input.
    assert not any("broken" in c.case_id for c in pets_plan)
    gen = cases["tiny::POST /pets/::positive-valid"]
    step = gen.steps[-1]
    assert step.expect is Expect.SUCCESS and step.statuses == ("201",)
    assert step.request.content_type == "application/json"
    assert schemas.validate(pets, body_schema(pets, "POST /pets/"), step.request.body, direction="request") == []


def test_every_positive_body_validates(pets: Contract, pets_plan: list[Case]) -> None:
    checked = 0
    for case in pets_plan:
        if case.kind is not CaseKind.POSITIVE or not case.steps[-1].request.has_body:
            continue
        schema = body_schema(pets, case.operation)
        assert schemas.validate(pets, schema, case.steps[-1].request.body, direction="request") == [], case.case_id
        checked += 1
    assert checked >= 4


def test_parameters_required_filled_optional_from_examples(pets_plan: list[Case]) -> None:
    req = by_id(pets_plan)["tiny::GET /pets/::positive-valid"].steps[-1].request
    assert ("X-Client", "client-1") in req.headers  # required header, from its example
    assert ("tag", "fluffy") in req.query  # optional, but the spec gives an example
    assert not any(k == "limit" for k, _ in req.query)  # optional without example: left out
    thing = by_id(pets_plan)["tiny::GET /things/{n}::positive-valid"].steps[-1].request
    n = dict(thing.path_params)["n"]
    assert n.lstrip("-").isdigit()  # integer path parameter, as a string
    assert dict(thing.query)["mode"] in ("fast", "slow")


def test_success_statuses_default_to_any_2xx_when_undocumented(pets_plan: list[Case]) -> None:
    assert by_id(pets_plan)["tiny::DELETE /pets/{petId}::positive-valid"].steps[-1].statuses == ("204",)
    assert by_id(pets_plan)["tiny::GET /health::positive-valid"].steps[-1].statuses == ("200",)


NEGATIVE_NAMES = {
    "tiny::POST /pets/::negative-missing-name",
    "tiny::POST /pets/::negative-missing-kind",
    "tiny::POST /pets/::negative-wrong-type-name",
    "tiny::POST /pets/::negative-not-in-enum-kind",
    "tiny::POST /pets/::negative-bad-pattern-name",
    "tiny::POST /pets/::negative-malformed-json",
    "tiny::POST /pets/::negative-wrong-content-type",
    "tiny::POST /pets/::negative-missing-body",
    "tiny::GET /pets/::negative-missing-header-x-client",
    "tiny::GET /pets/::negative-wrong-type-query-limit",
    "tiny::GET /things/{n}::negative-wrong-type-path-n",
    "tiny::GET /things/{n}::negative-missing-query-mode",
    "tiny::GET /things/{n}::negative-not-in-enum-query-mode",
}


def test_negative_cases_of_each_kind(pets_plan: list[Case]) -> None:
    ids = {c.case_id for c in pets_plan if c.kind is CaseKind.NEGATIVE}
    assert ids >= NEGATIVE_NAMES
    for c in pets_plan:
        if c.kind is CaseKind.NEGATIVE:
            assert c.steps[-1].expect is Expect.CLIENT_ERROR
            assert "401" not in c.steps[-1].statuses  # a credentials refusal is no answer to bad input
    assert by_id(pets_plan)["tiny::POST /pets/::negative-missing-name"].steps[-1].statuses == ("400",)
    assert by_id(pets_plan)["tiny::GET /things/{n}::negative-wrong-type-path-n"].steps[-1].statuses == ()


def test_negative_bodies_are_really_invalid(pets: Contract, pets_plan: list[Case]) -> None:
    seen = 0
    for c in pets_plan:
        req = c.steps[-1].request
        if c.kind is not CaseKind.NEGATIVE or req.method not in ("POST", "PUT"):
            continue
        if req.raw_body is not None:
            assert req.raw_body == b'{"broken": ' or req.content_type == "text/plain", c.case_id
            continue
        if not req.has_body:
            assert c.name == "negative-missing-body"
            continue
        errors = schemas.validate(pets, body_schema(pets, c.operation), req.body, direction="request")
        assert errors, f"{c.case_id} sends a valid body: {req.body}"
        seen += 1
    assert seen >= 8


def test_negative_cases_change_one_thing(pets_plan: list[Case]) -> None:
    cases = by_id(pets_plan)
    valid = cases["tiny::GET /pets/::positive-valid"].steps[-1].request
    missing = cases["tiny::GET /pets/::negative-missing-header-x-client"].steps[-1].request
    assert not any(k.lower() == "x-client" for k, _ in missing.headers)
    assert missing.omit_headers == ("X-Client",)  # the runner must not add it back from a profile
    assert missing.query == valid.query
    wrong = cases["tiny::GET /pets/::negative-wrong-type-query-limit"].steps[-1].request
    assert dict(wrong.query)["limit"] == "abc" and wrong.headers == valid.headers
    assert "optional-parameter" in cases["tiny::GET /pets/::negative-wrong-type-query-limit"].tags


def test_no_negative_cases_without_input_constraints(pets_plan: list[Case]) -> None:
    # GET /pets/{petId}: one unconstrained string path parameter, no body; /health: nothing at all.
    for key in ("GET /pets/{petId}", "DELETE /pets/{petId}", "GET /health"):
        assert not [c for c in pets_plan if c.operation == key and c.kind is CaseKind.NEGATIVE], key


def test_security_cases_only_where_anonymous_is_not_allowed(pets_plan: list[Case]) -> None:
    sec = [c for c in pets_plan if c.kind is CaseKind.SECURITY]
    assert sorted(c.case_id for c in sec) == [
        "tiny::POST /pets/::security-no-credentials",
        "tiny::POST /pets/::security-wrong-credentials",
    ]
    valid = by_id(pets_plan)["tiny::POST /pets/::positive-valid"].steps[-1].request
    for c in sec:
        step = c.steps[-1]
        assert step.expect is Expect.AUTH_REFUSED and step.statuses == ("401", "403")
        assert step.request.auth in (Auth.NONE, Auth.WRONG)
        assert step.request.body == valid.body  # same valid request otherwise


def test_method_cases_one_per_path_first_undeclared(pets_plan: list[Case]) -> None:
    meth = {c.case_id: c for c in pets_plan if c.kind is CaseKind.METHOD}
    assert set(meth) == {
        "tiny::GET /pets/::method-patch-undeclared",
        "tiny::GET /pets/{petId}::method-patch-undeclared",
        "tiny::GET /health::method-patch-undeclared",
        "tiny::GET /things/{n}::method-delete-undeclared",  # PATCH and PUT are declared there
        "tiny::POST /reports::method-patch-undeclared",
    }
    step = meth["tiny::GET /pets/{petId}::method-patch-undeclared"].steps[-1]
    assert step.request.method == "PATCH" and step.operation == "GET /pets/{petId}"
    assert step.expect is Expect.METHOD_REFUSED and step.request.auth is Auth.VALID
    assert dict(step.request.path_params)["petId"]


def test_stateful_chain_from_id_field(pets: Contract, pets_plan: list[Case]) -> None:
    case = by_id(pets_plan)["tiny::POST /pets/::stateful-create-read-update-delete"]
    names = [s.name for s in case.steps]
    assert names == ["create", "read", "update", "read-after-update", "delete", "read-after-delete"]
    create, read = case.steps[0], case.steps[1]
    assert create.capture == (("id", "/id"),)
    assert create.statuses == ("201",)
    for s in case.steps[1:]:
        assert dict(s.request.path_params) == {"petId": "${id}"}
    sent = create.request.body
    assert dict(read.must_echo) == {f"/{k}": v for k, v in sent.items()}
    assert case.steps[-1].expect is Expect.GONE and case.steps[-1].statuses == ("404", "410")
    upd = case.steps[2].request
    assert schemas.validate(pets, body_schema(pets, "PUT /pets/{petId}"), upd.body, direction="request") == []
    assert dict(case.steps[3].must_echo) == {f"/{k}": v for k, v in upd.body.items()}
    assert not case.read_only


def test_stateful_chain_from_links_and_none_without_id(tmp_path: Path) -> None:
    orders = plan_contract(contract_from(tmp_path, "orders.yaml", ORDERS))
    chain = by_id(orders)["tiny::POST /orders::stateful-create-read"]
    assert chain.steps[0].capture == (("id", "/ref"),)  # "ref" is not id-like: only the link says so
    assert dict(chain.steps[1].request.path_params) == {"orderRef": "${id}"}
    assert ("/item", chain.steps[0].request.body["item"]) in chain.steps[1].must_echo
    pets = plan_contract(contract_from(tmp_path, "pets.yaml", PETS))
    # /reports answers {status} and has no item path: no chain is guessed.
    assert not [c for c in pets if c.kind is CaseKind.STATEFUL and c.operation == "POST /reports"]


def test_spec_defect_gives_untestable_cases_not_crashes(tmp_path: Path) -> None:
    cases = plan_contract(contract_from(tmp_path, "broken.yaml", BROKEN))
    broken = [c for c in cases if c.operation == "POST /widgets"]
    assert {c.name for c in broken} == {"positive-valid", "negative-invalid-input"}
    for c in broken:
        assert c.untestable and "Missing" in c.untestable and "broken.yaml#/paths/~1widgets" in c.untestable
    ok = by_id(cases)["tiny::GET /widgets::positive-valid"]
    assert ok.untestable is None
    assert by_id(cases)["tiny::GET /widgets::method-patch-undeclared"].untestable is None


def test_read_only_and_kind_filters(pets: Contract, pets_plan: list[Case]) -> None:
    ro = plan_contract(pets, read_only=True)
    assert ro and all(c.read_only for c in ro)
    assert {c.case_id for c in ro} == {c.case_id for c in pets_plan if c.read_only}
    assert not any(c.kind in (CaseKind.STATEFUL, CaseKind.METHOD) for c in ro)
    only = plan_contract(pets, kinds=frozenset({CaseKind.SECURITY}))
    assert {c.kind for c in only} == {CaseKind.SECURITY} and len(only) == 2


def test_ids_unique_sorted_and_deterministic(pets: Contract, pets_plan: list[Case]) -> None:
    ids = [c.case_id for c in pets_plan]
    assert len(ids) == len(set(ids))
    for c in pets_plan:
        assert c.case_id == f"tiny::{c.operation}::{c.name}"
    kinds = list(CaseKind)

    def key(c: Case) -> tuple[str, str, int, str]:
        m, _, p = c.operation.partition(" ")
        return (p, m, kinds.index(c.kind), c.name)

    assert pets_plan == sorted(pets_plan, key=key)
    again = plan_contract(pets)
    assert plan_to_json(again) == plan_to_json(pets_plan)
    other = plan_to_json(plan_contract(pets, seed=7))
    assert json.loads(other)["cases"] and other != plan_to_json(pets_plan)  # the seed matters


def _path_param(cases: list[Case], case_id: str, name: str) -> Any:
    return dict(by_id(cases)[case_id].steps[-1].request.path_params)[name]


def test_fixtures_override_generated_ids_and_mark_cases(pets: Contract, tmp_path: Path) -> None:
    fx = tmp_path / "fixtures.yaml"
    fx.write_text(
        "parameters: {petId: rex-42}\n"
        "operations:\n"
        "  createPet: {body: {name: felix, kind: cat}}\n"
        "  GET /things/{n}: {parameters: {n: 7, mode: fast}}\n"
    )
    data = load_testdata([fx])
    cases = plan_contract(pets, testdata=data)
    assert _path_param(cases, "tiny::GET /pets/{petId}::positive-valid", "petId") == "rex-42"
    read = by_id(cases)["tiny::GET /pets/{petId}::positive-valid"]
    assert "fixture" in read.tags and "generated-id" not in read.tags
    thing = by_id(cases)["tiny::GET /things/{n}::positive-valid"].steps[-1].request
    assert dict(thing.path_params) == {"n": "7"} and dict(thing.query) == {"mode": "fast"}
    assert by_id(cases)["tiny::POST /pets/::positive-valid"].steps[-1].request.body == {"name": "felix", "kind": "cat"}
    assert "fixture" in by_id(cases)["tiny::POST /pets/::positive-valid"].tags
    # A generated body on a fixture id is not proof the input is acceptable: no "fixture" tag.
    assert "fixture" not in by_id(cases)["tiny::PUT /pets/{petId}::positive-valid"].tags
    plain = plan_contract(pets, testdata=TestData())
    gen = by_id(plain)["tiny::GET /pets/{petId}::positive-valid"]
    assert "generated-id" in gen.tags and "fixture" not in gen.tags
    assert _path_param(plain, gen.case_id, "petId") != "rex-42"
    assert data.unknown_operations(pets) == []


def test_harness_parameter_file_fills_parameters(pets: Contract, tmp_path: Path) -> None:
    flat = tmp_path / "testCustomParameters.json"
    flat.write_text(json.dumps({"PET_ID": "p-9", "X_CLIENT": "eGovStack/GOV/1/pets"}))
    cases = plan_contract(pets, testdata=load_testdata([flat]))
    assert _path_param(cases, "tiny::GET /pets/{petId}::positive-valid", "petId") == "p-9"
    headers = dict(by_id(cases)["tiny::GET /pets/::positive-valid"].steps[-1].request.headers)
    assert headers["X-Client"] == "eGovStack/GOV/1/pets"


def test_plan_json_is_stable_and_complete(pets_plan: list[Case]) -> None:
    text = plan_to_json(pets_plan)
    doc = json.loads(text)
    assert doc["format"] == "govstack-conform-plan" and doc["version"] == 1
    assert [c["case_id"] for c in doc["cases"]] == [c.case_id for c in pets_plan]
    assert text == json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    malformed = next(c for c in doc["cases"] if c["name"] == "negative-malformed-json")
    assert malformed["steps"][0]["request"]["raw_body"] == '{"broken": '


def test_clashing_names_get_numbered_suffixes(pets_plan: list[Case]) -> None:
    from dataclasses import replace

    from govstack_conform.engine.plan.planner import _named

    base = replace(pets_plan[0], case_id="")
    seen: set[str] = set()
    out = [_named(base, seen) for _ in range(3)]
    assert [c.case_id.rsplit("::", 1)[1] for c in out] == [base.name, f"{base.name}-2", f"{base.name}-3"]
    assert [c.name for c in out] == [base.name, f"{base.name}-2", f"{base.name}-3"]


def test_plan_json_redacts_secret_looking_values(pets: Contract, tmp_path: Path) -> None:
    text = PETS.replace("X-Client, in: header", "X-Api-Token, in: header")
    contract = contract_from(tmp_path, "secret.yaml", text)
    fx = tmp_path / "fx.json"
    fx.write_text('{"X_API_TOKEN": "s3cr3t-value"}')
    cases = plan_contract(contract, testdata=load_testdata([fx]))
    assert ("X-Api-Token", "s3cr3t-value") in by_id(cases)["tiny::GET /pets/::positive-valid"].steps[-1].request.headers
    out = plan_to_json(cases)
    assert "s3cr3t-value" not in out and f'"X-Api-Token": "{REDACTED}"' in out
    assert "s3cr3t-value" in plan_to_json(cases, redact=False)


NESTED = """\
openapi: 3.0.3
info: {title: Nested query objects, version: "1"}
paths:
  /search:
    get:
      parameters:
        - name: qry
          in: query
          required: true
          schema:
            type: object
            properties:
              word: {type: string}
              filter: {type: object, properties: {from: {type: string}}}
      responses: {'200': {description: ok}}
  /strict:
    get:
      parameters:
        - name: qry
          in: query
          required: true
          schema:
            type: object
            required: [filter]
            properties: {filter: {type: object, properties: {from: {type: string}}}}
      responses: {'200': {description: ok}}
"""


def test_nested_query_objects_are_sent_by_bracket_nesting(tmp_path: Path) -> None:
    """OpenAPI defines no serialization for nested members; the default convention carries them."""
    cases = by_id(plan_contract(contract_from(tmp_path, "nested.yaml", NESTED)))
    search = cases["tiny::GET /search::positive-valid"]
    assert search.untestable is None and [k for k, _ in search.steps[-1].request.query] == ["word", "filter[from]"]
    strict = cases["tiny::GET /strict::positive-valid"]
    assert strict.untestable is None and [k for k, _ in strict.steps[-1].request.query] == ["filter[from]"]
    # Nothing on the wire names "qry", so "missing qry" would equal the valid request: not planned.
    assert "tiny::GET /search::negative-missing-query-qry" not in cases


XML_ONLY = """\
openapi: 3.0.3
info: {title: XML body, version: "1"}
paths:
  /docs:
    post:
      requestBody:
        required: true
        content: {application/xml: {schema: {type: object, properties: {a: {type: string}}}}}
      responses: {'200': {description: ok}}
  /blobs:
    post:
      requestBody:
        content: {application/octet-stream: {schema: {type: string, format: binary}}}
      responses: {'200': {description: ok}}
"""


def test_unsupported_body_media_is_untestable_not_faked(tmp_path: Path) -> None:
    cases = by_id(plan_contract(contract_from(tmp_path, "xml.yaml", XML_ONLY)))
    docs = cases["tiny::POST /docs::positive-valid"]
    assert docs.untestable and "application/xml" in docs.untestable and "xml.yaml#/paths/~1docs" in docs.untestable
    blob = cases["tiny::POST /blobs::positive-valid"].steps[-1].request
    assert blob.raw_body and blob.content_type == "application/octet-stream"
