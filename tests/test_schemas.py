"""Schema resolution and validation: pointers into the spec, recursion, and leniency where OpenAPI is silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import load_files
from govstack_conform.contracts.model import Contract, Schema

SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /nodes/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Node'}
components:
  schemas:
    Node:
      type: object
      required: [name]
      properties:
        name: {type: string}
        at: {type: string, format: time}
        link: {type: string, format: uri}
        child: {$ref: '#/components/schemas/Node'}
        nick: {$ref: '#/components/schemas/Short', maxLength: 3}
        shape:
          oneOf:
            - {type: object, properties: {a: {type: string}}}
            - {type: object, properties: {b: {type: string}}}
    Short: {type: string, maxLength: 8}
    Record:
      type: object
      required: [id, label]
      properties:
        id: {type: string}
        label: {type: string}
        state: {type: string, enum: ["on", "off"], maxLength: 2}
        tags: {type: array, items: {type: string}}
    Broken:
      type: object
      properties: null
    Dangling:
      $ref: '#/components/schemas/Nowhere'
"""


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("schemas") / "nodes.yaml"
    path.write_text(SPEC)
    return load_files([path])


def _response_schema(contract: Contract) -> Schema:
    op = contract.operations[0]
    media = op.responses[0].content[0]
    assert media.schema is not None
    return media.schema


def _component(contract: Contract, name: str) -> Schema:
    doc = next(iter(contract.documents.values()))
    return Schema(doc.raw["components"]["schemas"][name], doc.key, f"/components/schemas/{name}")


def test_recursive_schema_violation_points_into_instance_and_spec(contract: Contract) -> None:
    found = schemas.validate(
        contract, _response_schema(contract), {"name": "a", "child": {"name": "b", "child": {"name": 5}}}
    )
    assert len(found) == 1
    v = found[0]
    assert v.instance_pointer == "/child/child/name"
    assert v.schema_pointer == "/components/schemas/Node/properties/name/type"
    assert v.keyword == "type"
    assert v.schema_file == next(iter(contract.documents))


def test_valid_instance_has_no_violation(contract: Contract) -> None:
    ok = {"name": "a", "at": "12:00:00Z", "link": "https://example.org/x", "child": {"name": "b"}}
    assert schemas.validate(contract, _response_schema(contract), ok) == []


@pytest.mark.parametrize("value", ["12:00:00", "12:00:00Z", "23:59:60.5+02:00"])
def test_time_format_accepts_partial_and_full_rfc3339_times(contract: Contract, value: str) -> None:
    assert schemas.validate(contract, _response_schema(contract), {"name": "a", "at": value}) == []


@pytest.mark.parametrize(("field", "value"), [("at", "noon"), ("at", "25:00:00"), ("link", "not a uri")])
def test_formats_are_checked(contract: Contract, field: str, value: str) -> None:
    found = schemas.validate(contract, _response_schema(contract), {"name": "a", field: value})
    assert [v.keyword for v in found] == ["format"]


def test_overlapping_one_of_branches_are_not_blamed_on_the_instance(contract: Contract) -> None:
    # {} matches both branches: the spec's oneOf is ambiguous, the product is not at fault.
    assert schemas.validate(contract, _response_schema(contract), {"name": "a", "shape": {}}) == []
    # Matching no branch is still a violation.
    found = schemas.validate(contract, _response_schema(contract), {"name": "a", "shape": 3})
    assert [v.keyword for v in found] == ["oneOf"]


def test_malformed_schema_is_unusable_not_a_crash(contract: Contract) -> None:
    with pytest.raises(schemas.SchemaUnusable):
        schemas.validate(contract, _component(contract, "Broken"), {"x": 1})


def test_dangling_ref_is_unusable(contract: Contract) -> None:
    with pytest.raises(schemas.SchemaUnusable):
        schemas.resolve(contract, _component(contract, "Dangling"))


def test_resolve_follows_refs_to_the_real_location(contract: Contract) -> None:
    target = schemas.resolve(contract, _response_schema(contract))
    assert target.pointer == "/components/schemas/Node"
    assert target.node["required"] == ["name"]


def test_doc_uri_round_trips_awkward_file_names() -> None:
    key = "emarketplace/main/gitbook-assets/beckn-(2) x.yaml"
    assert schemas.doc_key(schemas.doc_uri(key)) == key
    assert schemas.doc_uri(key).startswith("file:///govstack-spec/")


def test_no_network_scheme_in_registry_uris(tmp_path: Path) -> None:
    assert not schemas.URI_BASE.startswith(("http:", "https:"))


def test_ref_siblings_judge_responses_by_either_reading(contract: Contract) -> None:
    # OpenAPI 3.0 ignores `maxLength: 3` beside the $ref; authors often mean it. A product is blamed
    # only when its value breaks the rule under both readings.
    schema = _response_schema(contract)
    assert schemas.validate(contract, schema, {"name": "a", "nick": "abcdef"}) == []
    found = schemas.validate(contract, schema, {"name": "a", "nick": "abcdefghijk"})
    assert [v.schema_pointer for v in found] == ["/components/schemas/Short/maxLength"]


def test_ref_siblings_bind_what_we_send_under_both_readings(contract: Contract) -> None:
    schema = _response_schema(contract)
    found = schemas.validate(contract, schema, {"name": "a", "nick": "abcdef"}, direction="request")
    assert [v.keyword for v in found] == ["maxLength"]


def test_a_null_is_one_violation_not_two(contract: Contract) -> None:
    # OpenAPI 3.0's validator reports a null twice ("None for not nullable" and "None is not of type"):
    # one fact about the product, so one violation, in JSON's words.
    found = schemas.validate(contract, _component(contract, "Record"), {"id": None, "label": "x"})
    assert [(v.instance_pointer, v.keyword) for v in found] == [("/id", "type")]
    assert "null" in found[0].message and "None" not in found[0].message


def test_one_violation_per_instance_location_the_most_specific(contract: Contract) -> None:
    # "zzz" breaks both the enum and maxLength: the enum says what is allowed, so it is the one reported.
    found = schemas.validate(
        contract, _component(contract, "Record"), {"id": "a", "label": "b", "state": "zzz", "tags": [1, None]}
    )
    assert [(v.instance_pointer, v.keyword) for v in found] == [("/state", "enum"), ("/tags/0", "type"),
                                                                ("/tags/1", "type")]  # fmt: skip


def test_each_missing_property_is_its_own_location(contract: Contract) -> None:
    found = schemas.validate(contract, _component(contract, "Record"), {})
    assert [(v.instance_pointer, v.keyword) for v in found] == [("/id", "required"), ("/label", "required")]
