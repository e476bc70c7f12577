"""datagen on hand-written contracts: every keyword honoured, values valid, failures explicit."""

from __future__ import annotations

import base64
import ipaddress
import json
import os
import subprocess
import sys
import uuid
from datetime import date, datetime
from typing import Any

import pytest

from govstack_conform import datagen
from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import make_registry
from govstack_conform.contracts.model import Contract, Schema, SpecDocument
from govstack_conform.datagen import GenerationError

KEY = "t/main/api.yaml"


def contract_of(components: dict[str, Any], openapi: str = "3.0.3") -> Contract:
    raw = {
        "openapi": openapi,
        "info": {"title": "t", "version": "1"},
        "paths": {},
        "components": {"schemas": components},
    }
    doc = SpecDocument(key=KEY, uri=schemas.doc_uri(KEY), openapi=openapi, sha256="", raw=raw)
    return Contract(
        bb="t", ref="main", title="t", operations=(), security_schemes={}, documents={KEY: doc}, defects=(),
        registry=make_registry([doc]),
    )  # fmt: skip


def named(contract: Contract, name: str) -> Schema:
    raw = contract.documents[KEY].raw
    return Schema(node=raw["components"]["schemas"][name], doc=KEY, pointer=f"/components/schemas/{name}")


def gen_one(schema: dict[str, Any], openapi: str = "3.0.3", **kw: Any) -> tuple[Any, Contract, Schema]:
    """Generate for a lone schema and assert the value is valid for the direction asked."""
    c = contract_of({"S": schema}, openapi)
    s = named(c, "S")
    value = datagen.generate(c, s, seed=kw.pop("seed", 1), **kw)
    direction = kw.get("direction", "request")
    assert schemas.validate(c, s, value, direction=direction) == [], value
    return value, c, s


@pytest.mark.parametrize(
    ("fmt", "check"),
    [
        ("date-time", lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))),
        ("date", date.fromisoformat),
        ("time", lambda v: len(v) == 8 and v[2] == ":"),
        ("email", lambda v: "@" in v),
        ("uri", lambda v: v.startswith("https://")),
        ("uri-reference", lambda v: v.startswith("/")),
        ("uuid", uuid.UUID),
        ("ipv4", ipaddress.IPv4Address),
        ("ipv6", ipaddress.IPv6Address),
        ("hostname", lambda v: "." in v),
        ("byte", lambda v: base64.b64decode(v, validate=True)),
        ("binary", lambda v: isinstance(v, str)),
        ("password", lambda v: isinstance(v, str) and v),
    ],
)
def test_string_formats_are_valid_and_real(fmt: str, check: Any) -> None:
    value, _, _ = gen_one({"type": "string", "format": fmt})
    assert isinstance(value, str)
    assert check(value) is not False


@pytest.mark.parametrize(("fmt", "kind"), [("int32", int), ("int64", int), ("float", float), ("double", float)])
def test_numeric_formats(fmt: str, kind: type) -> None:
    t = "integer" if kind is int else "number"
    value, _, _ = gen_one({"type": t, "format": fmt})
    assert type(value) is kind


def test_int32_bounds_clamp_huge_ranges() -> None:
    value, _, _ = gen_one({"type": "integer", "format": "int32", "minimum": 2**31 - 3})
    assert 2**31 - 3 <= value < 2**31


def test_type_lists_null_and_nullable() -> None:
    assert isinstance(gen_one({"type": ["string", "null"]}, "3.1.0")[0], str)
    assert gen_one({"type": "null"}, "3.1.0")[0] is None
    assert isinstance(gen_one({"type": "integer", "nullable": True})[0], int)
    assert gen_one({"enum": [None], "nullable": True, "type": "string"})[0] is None


def test_enum_and_const() -> None:
    assert gen_one({"type": "string", "enum": ["a", "b", "c"]})[0] in ("a", "b", "c")
    assert gen_one({"const": {"k": [1]}}, "3.1.0")[0] == {"k": [1]}
    # enum values outside the other constraints are never chosen
    for seed in range(6):
        assert gen_one({"type": "integer", "enum": [1, 100, 7], "maximum": 50, "multipleOf": 7}, seed=seed)[0] == 7
    assert gen_one({"type": "integer", "enum": ["x", 3]})[0] == 3
    with pytest.raises(GenerationError):
        gen_one({"type": "string", "enum": [1, 2]})


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 5, "maximum": 5},
        {"type": "integer", "minimum": 5, "exclusiveMinimum": True, "maximum": 6},
        {"type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 0.01},
        {"type": "integer", "maximum": -1000},
        {"type": "integer", "multipleOf": 7, "minimum": 10, "maximum": 20},
        {"type": "number", "multipleOf": 0.1, "minimum": 0.25, "maximum": 0.45},
        {"type": "number", "minimum": -(10**12), "maximum": 10**12},
    ],
)
def test_numeric_ranges_30(schema: dict[str, Any]) -> None:
    gen_one(schema)


def test_numeric_ranges_31_exclusive_numbers() -> None:
    value, _, _ = gen_one({"type": "integer", "exclusiveMinimum": 1, "exclusiveMaximum": 3}, "3.1.0")
    assert value == 2


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "integer", "minimum": 3, "maximum": 2},
        {"type": "integer", "minimum": 1.2, "maximum": 1.8},
        {"type": "integer", "multipleOf": 10, "minimum": 1, "maximum": 9},
        {"type": "string", "minLength": 5, "maxLength": 2},
        {"type": "array", "minItems": 3, "maxItems": 1},
        {"type": "string", "format": "uuid", "maxLength": 10},
        {"allOf": [{"type": "string"}, {"type": "integer"}]},
        {"type": "array", "items": {"enum": ["a", "b"]}, "minItems": 3, "uniqueItems": True},
        {"type": "string", "pattern": "^[a-z]{10}$", "maxLength": 5},
        {"type": "string", "pattern": "[unclosed"},
    ],
)
def test_contradictions_raise_generation_error(schema: dict[str, Any]) -> None:
    with pytest.raises(GenerationError):
        gen_one(schema)


@pytest.mark.parametrize(
    "pattern",
    [
        r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$",
        r"[+-]?([0-9]*[.])?[0-9]+",
        r"^[-+]?([1-8]?\d(\.\d+)?|90(\.0+)?),\s*[-+]?(180(\.0+)?|((1[0-7]\d)|([1-9]?\d))(\.\d+)?)$",
        r"^([0]|([1-9][0-9]{0,17}))([.][0-9]{0,3}[1-9])?$",
        r"^((iban|msisdn)@([^$\n]+))(\$(iban|msisdn)@([^$\n]+)){0,2}$",
        r"^[\r\nA-Za-z0-9 .,'\-]+$",
        r"^(\w+)\s\1$",
        r"^(?:ab|cd)+?x*\W?$",
        r"^[^a-z]{3,}$",
    ],
)
def test_patterns(pattern: str) -> None:
    for seed in range(5):
        gen_one({"type": "string", "pattern": pattern}, seed=seed)


def test_pattern_with_lengths() -> None:
    value, _, _ = gen_one({"type": "string", "pattern": "^[a-z]+$", "minLength": 12, "maxLength": 14})
    assert 12 <= len(value) <= 14
    value, _, _ = gen_one({"type": "string", "pattern": "[0-9]", "minLength": 30})
    assert len(value) >= 30


def test_arrays() -> None:
    assert len(gen_one({"type": "array", "items": {"type": "integer"}})[0]) == 1
    assert len(gen_one({"type": "array", "items": {"type": "string"}, "minItems": 3})[0]) == 3
    assert gen_one({"type": "array", "maxItems": 0})[0] == []
    value = gen_one({"type": "array", "items": {"enum": ["a", "b", "c"]}, "minItems": 3, "uniqueItems": True})[0]
    assert sorted(value) == ["a", "b", "c"]


def test_objects_required_additional_and_counts() -> None:
    value, _, _ = gen_one(
        {
            "type": "object",
            "required": ["a", "undeclared"],
            "properties": {"a": {"type": "string"}, "b": {"type": "integer"}},
            "additionalProperties": {"type": "boolean"},
            "minProperties": 4,
        }
    )
    assert set(value) >= {"a", "b", "undeclared"} and len(value) >= 4
    assert isinstance(value["undeclared"], bool)
    value, _, _ = gen_one({"type": "object", "properties": {"a": {}, "b": {}, "c": {}}, "maxProperties": 1})
    assert len(value) <= 1


def test_all_of_merges_parts() -> None:
    c = contract_of(
        {
            "Base": {"type": "object", "properties": {"id": {"type": "string", "format": "uuid"}}},
            "S": {
                "allOf": [
                    {"$ref": "#/components/schemas/Base"},
                    {"required": ["id", "n"], "properties": {"n": {"type": "integer", "minimum": 3, "maximum": 3}}},
                ]
            },
        }
    )
    value = datagen.generate(c, named(c, "S"), seed=0)
    assert uuid.UUID(value["id"]) and value["n"] == 3


def test_one_of_matches_exactly_one_branch_even_when_branches_overlap() -> None:
    branches = [
        {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}},
        {"type": "object", "properties": {"name": {"type": "string"}, "legalForm": {"type": "string"}}},
    ]
    c = contract_of({"S": {"oneOf": branches}})
    s = named(c, "S")
    for seed in range(6):
        value = datagen.generate(c, s, seed=seed)
        matching = [i for i in range(2) if not schemas.validate(c, schemas.child(s, "oneOf", i), value)]
        assert len(matching) == 1, value
    with pytest.raises(GenerationError, match="overlap"):
        gen_one({"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 50}]})


def test_one_of_any_of_scalars_and_not() -> None:
    seen = {type(gen_one({"oneOf": [{"type": "string"}, {"type": "integer"}]}, seed=s)[0]) for s in range(12)}
    assert seen == {str, int}
    gen_one({"anyOf": [{"type": "string", "minLength": 3}, {"type": "boolean"}]})
    for seed in range(10):
        assert gen_one({"type": "string", "enum": ["a", "b"], "not": {"enum": ["a"]}}, seed=seed)[0] == "b"


def test_discriminator_sets_the_property() -> None:
    comps = {
        "Pet": {
            "oneOf": [{"$ref": "#/components/schemas/Cat"}, {"$ref": "#/components/schemas/Dog"}],
            "discriminator": {"propertyName": "kind", "mapping": {"dog": "#/components/schemas/Dog"}},
        },
        "Cat": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}}},
        "Dog": {"type": "object", "required": ["kind"], "properties": {"kind": {"type": "string"}}},
    }
    c = contract_of(comps)
    kinds = set()
    for seed in range(8):
        value = datagen.generate(c, named(c, "Pet"), seed=seed)
        assert schemas.validate(c, named(c, "Pet"), value) == []
        kinds.add(value["kind"])
    assert kinds == {"Cat", "dog"}


def test_read_only_and_write_only_follow_direction() -> None:
    schema = {
        "type": "object",
        "required": ["id", "secret", "name"],
        "properties": {
            "id": {"type": "string", "readOnly": True},
            "secret": {"type": "string", "writeOnly": True},
            "name": {"type": "string"},
        },
    }
    request = gen_one(schema, direction="request")[0]
    response = gen_one(schema, direction="response")[0]
    assert set(request) == {"secret", "name"}
    assert set(response) == {"id", "name"}


def test_examples_preferred_only_when_valid() -> None:
    assert gen_one({"type": "string", "example": "from-spec"})[0] == "from-spec"
    assert gen_one({"type": "integer", "minimum": 10, "example": 3})[0] >= 10
    assert gen_one({"type": "string", "examples": [5, "second"]}, "3.1.0")[0] == "second"
    assert gen_one({"type": "string", "default": "dflt"})[0] == "dflt"
    assert gen_one({"type": "string", "example": "from-spec"}, prefer_examples=False)[0] != "from-spec"
    # a readOnly-carrying example is not a valid request
    schema = {
        "type": "object",
        "properties": {"id": {"type": "string", "readOnly": True}},
        "example": {"id": "x"},
    }
    assert gen_one(schema, direction="response")[0] == {"id": "x"}
    assert gen_one(schema, direction="request")[0] == {}


def test_recursive_schemas_terminate() -> None:
    comps = {
        "Tree": {
            "type": "object",
            "required": ["kids"],
            "properties": {"kids": {"type": "array", "items": {"$ref": "#/components/schemas/Tree"}}},
        },
        "Node": {"type": "object", "properties": {"next": {"$ref": "#/components/schemas/Node"}}},
        "Loop": {"type": "object", "required": ["me"], "properties": {"me": {"$ref": "#/components/schemas/Loop"}}},
        "A": {"allOf": [{"$ref": "#/components/schemas/B"}]},
        "B": {"allOf": [{"$ref": "#/components/schemas/A"}]},
    }
    c = contract_of(comps)
    for name in ("Tree", "Node"):
        value = datagen.generate(c, named(c, name), seed=3)
        assert schemas.validate(c, named(c, name), value) == []
        assert len(json.dumps(value)) < 200
    with pytest.raises(GenerationError, match="recursion"):
        datagen.generate(c, named(c, "Loop"), seed=3)
    with pytest.raises(GenerationError):
        datagen.generate(c, named(c, "A"), seed=3)


def test_broken_schema_raises_schema_unusable() -> None:
    c = contract_of({"S": {"type": "object", "required": ["x"], "properties": {"x": {"$ref": "#/nowhere"}}}})
    with pytest.raises(schemas.SchemaUnusable):
        datagen.generate(c, named(c, "S"), seed=1)
    # an optional property behind a dangling $ref is simply left out
    c = contract_of({"S": {"type": "object", "properties": {"x": {"$ref": "#/nowhere"}, "y": {"type": "string"}}}})
    assert set(datagen.generate(c, named(c, "S"), seed=1)) == {"y"}
    with pytest.raises(schemas.SchemaUnusable):
        gen_one({"type": "file"})


RICH = {
    "type": "object",
    "required": ["name", "kind", "age"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 2, "maxLength": 8, "pattern": "^[A-Z][a-z]+$"},
        "kind": {"type": "string", "enum": ["person", "org"]},
        "age": {"type": "integer", "minimum": 0, "maximum": 150},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        "address": {
            "type": "object",
            "required": ["city"],
            "properties": {"city": {"type": "string"}, "zip": {"type": "string", "pattern": "^[0-9]{5}$"}},
        },
    },
}


def test_determinism_and_seed_variation() -> None:
    c = contract_of({"S": RICH})
    s = named(c, "S")
    assert datagen.generate(c, s, seed=7) == datagen.generate(c, s, seed=7)
    fresh = contract_of({"S": RICH})  # no shared cache
    assert datagen.generate(fresh, named(fresh, "S"), seed=7) == datagen.generate(c, s, seed=7)
    values = {json.dumps(datagen.generate(c, s, seed=seed), sort_keys=True) for seed in range(10)}
    assert len(values) >= 8
    # "7" and 7 are different seeds (repr-hashed), and both are accepted
    assert schemas.validate(c, s, datagen.generate(c, s, seed="7")) == []


def test_determinism_across_processes() -> None:
    code = (
        "import json, sys; sys.path.insert(0, 'tests'); import test_datagen as t;"
        "from govstack_conform import datagen;"
        "c = t.contract_of({'S': t.RICH}); print(json.dumps(datagen.generate(c, t.named(c, 'S'), seed='p')))"
    )
    outs = set()
    for hashseed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hashseed}
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        run = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        outs.add(run.stdout)
    assert len(outs) == 1


def test_result_is_a_fresh_copy() -> None:
    c = contract_of({"S": RICH})
    first = datagen.generate(c, named(c, "S"), seed=1)
    first["name"] = "changed"
    first["tags"].append("x")
    assert datagen.generate(c, named(c, "S"), seed=1)["name"] != "changed"
