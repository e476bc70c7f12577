"""contracts/compiled.py: the compiled validator (jsonschema-rs) gives the verdict of schemas.validate, or none.

Each rule OpenAPI adds to JSON Schema is checked twice: the compiled path itself decided (verdict is not
None), and its verdict is jsonschema's. Where a rule cannot be stated exactly, no verdict at all.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from test_datagen import contract_of, named

from govstack_conform.contracts import compiled, schemas
from govstack_conform.contracts.model import Contract, Schema


@pytest.fixture(autouse=True)
def _enabled() -> Iterator[None]:
    compiled.ENABLED = True
    yield
    compiled.ENABLED = True


def reference(contract: Contract, schema: Schema, value: Any, direction: str) -> bool | str:
    """schemas.validate's verdict with the compiled path switched off: True, False or the exception."""
    compiled.ENABLED = False
    try:
        return not schemas.validate(contract, schema, value, direction=direction)
    except Exception as exc:
        return type(exc).__name__
    finally:
        compiled.ENABLED = True


def decided(components: dict[str, Any], value: Any, direction: str, openapi: str = "3.0.3") -> bool:
    """The compiled verdict for components' S, asserted to exist and to be jsonschema's."""
    c = contract_of(components, openapi)
    s = named(c, "S")
    got = compiled.verdict(c, s, value, direction)
    assert got is not None, "the compiled path must decide this one"
    assert got == reference(c, s, value, direction), (value, direction)
    return got


def undecided(components: dict[str, Any], value: Any, direction: str = "request", openapi: str = "3.0.3") -> None:
    c = contract_of(components, openapi)
    assert compiled.verdict(c, named(c, "S"), value, direction) is None


REF = "#/components/schemas/"


def test_nullable_adds_null_only_beside_a_type() -> None:
    assert decided({"S": {"type": "string", "nullable": True}}, None, "request") is True
    assert decided({"S": {"type": "string"}}, None, "request") is False
    assert decided({"S": {"type": "string", "nullable": "yes"}}, None, "response") is False  # only true counts
    assert decided({"S": {"enum": ["a"], "nullable": True}}, None, "response") is False  # null is not in the enum
    assert decided({"S": {"nullable": False}}, None, "request") is True  # no type: anything goes


def test_answers_take_one_point_zero_as_an_integer_requests_do_not() -> None:
    s = {"S": {"type": "integer", "maximum": 3}}
    assert decided(s, 1.0, "response") is True
    assert decided(s, 1.0, "request") is False
    assert decided(s, 1.5, "response") is False
    assert decided(s, True, "response") is False
    assert decided({"S": {"type": "integer", "nullable": True}}, None, "response") is True


def test_read_only_and_write_only_by_direction() -> None:
    s = {
        "S": {
            "type": "object",
            "required": ["id", "secret", "name"],
            "properties": {"id": {"readOnly": True}, "secret": {"writeOnly": True}, "name": {"type": "string"}},
        }
    }
    assert decided(s, {"secret": "x", "name": "n"}, "request") is True  # readOnly id need not be sent
    assert decided(s, {"id": 1, "secret": "x", "name": "n"}, "request") is False  # and must not be
    assert decided(s, {"id": 1, "name": "n"}, "response") is True  # writeOnly secret need not come back
    assert decided(s, {"id": 1, "secret": "x", "name": "n"}, "response") is False
    assert decided(s, {"secret": "x", "name": "n"}, "response") is False  # id is required in answers
    # `required` looks at the property's own node, not through its $ref (openapi-schema-validator does so)
    via_ref = {
        "Id": {"type": "string", "readOnly": True},
        "S": {"type": "object", "required": ["id"], "properties": {"id": {"$ref": REF + "Id"}}},
    }
    assert decided(via_ref, {}, "request") is False


def test_ref_siblings_two_readings() -> None:
    s = {"Base": {"type": "string"}, "S": {"$ref": REF + "Base", "maxLength": 3}}
    assert decided(s, "abcdef", "request") is False  # a request must pass both readings
    assert decided(s, "abcdef", "response") is True  # an answer either
    assert decided(s, 5, "response") is False
    inert = {"Base": {"type": "string"}, "S": {"$ref": REF + "Base", "description": "d"}}
    c = contract_of(inert)
    found = compiled.compiled_for(c, named(c, "S"), "request")
    assert found is not None and len(found.readings) == 1  # nothing acts beside the $ref: one reading


def test_ambiguous_one_of_is_forgiven_only_where_validate_sees_it() -> None:
    overlap = {"oneOf": [{"type": "string"}, {"type": "string", "maxLength": 5}]}
    assert decided({"S": overlap}, "abc", "request") is True
    assert decided({"S": {"type": "object", "properties": {"a": overlap}}}, {"a": "abc"}, "request") is True
    assert decided({"S": {"allOf": [overlap]}}, "abc", "response") is True
    # inside anyOf or not, the oneOf's own verdict counts: two matches fail it
    assert decided({"S": {"anyOf": [overlap, {"type": "integer"}]}}, "abc", "request") is False
    assert decided({"S": {"not": overlap}}, "abc", "request") is True
    assert decided({"S": {"anyOf": [overlap, {"type": "integer"}]}}, "abcdefg", "request") is True


def test_formats_are_judged_by_the_same_functions() -> None:
    assert decided({"S": {"type": "string", "format": "date"}}, "2024-02-30", "request") is False
    assert decided({"S": {"type": "string", "format": "date"}}, "2024-02-28", "request") is True
    assert decided({"S": {"format": "int32"}}, 2**40, "request") is False
    assert decided({"S": {"format": "int32"}}, 3e10, "response") is True  # a float is not checked as int32
    assert decided({"S": {"type": "string", "format": "no-such-format"}}, "x", "request") is True
    assert decided({"S": {"type": "string", "format": "time"}}, "10:00:00", "request") is True  # ours: no zone needed
    assert decided({"S": {"type": "string", "format": "uri"}}, "not a uri", "request") is False


def test_a_format_function_that_raises_leaves_the_verdict_to_jsonschema() -> None:
    c = contract_of({"S": {"type": "string", "format": "byte"}})
    s = named(c, "S")
    assert compiled.verdict(c, s, "aGk=", "request") is True
    assert compiled.verdict(c, s, "é", "request") is None  # byte encodes to ASCII and raises there
    assert reference(c, s, "é", "request") == "UnicodeEncodeError"
    # jsonschema meets every string, even past a failure (here the oneOf's first branch fails first on "n")
    c = contract_of(
        {
            "S": {
                "oneOf": [
                    {"type": "object", "required": ["n"], "properties": {"b": {"type": "string", "format": "byte"}}},
                    {"type": "object"},
                ]
            }
        }
    )
    s = named(c, "S")
    assert reference(c, s, {"b": "é"}, "request") == "UnicodeEncodeError"
    assert compiled.verdict(c, s, {"b": "é"}, "request") is None
    assert compiled.verdict(c, s, {"b": "aGk="}, "request") is True


def test_patterns_search_as_python_does() -> None:
    assert decided({"S": {"type": "string", "pattern": "^a$"}}, "a\n", "request") is True  # re's $ before a newline
    assert decided({"S": {"type": "string", "pattern": r"^\d+$"}}, "١٢", "request") is True  # re's \d is Unicode
    assert decided({"S": {"type": "string", "pattern": "b"}}, "abc", "request") is True  # search, not match
    assert decided({"S": {"type": "string", "pattern": "^b"}}, "abc", "request") is False
    undecided({"S": {"type": "string", "pattern": "("}}, "x")  # not a regex: jsonschema raises


def test_what_openapi_3_0_ignores_is_ignored() -> None:
    assert decided({"S": {"const": 1, "contains": {"type": "string"}}}, 2, "request") is True
    assert decided({"S": {"exclusiveMinimum": 5}}, 1, "request") is True  # without minimum: nothing
    assert decided({"S": {"minimum": 5, "exclusiveMinimum": True}}, 5, "request") is False
    assert decided({"S": {"enum": []}}, 1, "request") is False
    assert decided({"S": {"enum": [1, 1]}}, 1.0, "request") is True
    assert decided({"S": {"enum": [1]}}, True, "request") is False
    assert (
        decided({"S": {"type": "object", "additionalProperties": False, "properties": {"a": {}}}}, {"b": 1}, "request")
        is False
    )


def test_openapi_3_1() -> None:
    assert decided({"S": {"type": ["string", "null"]}}, None, "request", "3.1.0") is True
    assert decided({"S": {"type": "string", "nullable": True}}, None, "request", "3.1.0") is False
    assert decided({"S": {"const": "a"}}, "b", "request", "3.1.0") is False
    assert decided({"S": {"exclusiveMinimum": 5}}, 5, "request", "3.1.0") is False
    assert decided({"S": {"type": "integer"}}, 1.0, "request", "3.1.0") is True
    assert (
        decided({"S": {"$ref": REF + "T", "maxLength": 2}, "T": {"type": "string"}}, "abc", "response", "3.1.0")
        is False
    )
    assert decided({"S": {"format": "int64"}}, 2**70, "request", "3.1.0") is False
    undecided({"S": {"prefixItems": [{"type": "string"}]}}, [1], openapi="3.1.0")


@pytest.mark.parametrize(
    "components",
    [
        {"S": {"type": "number", "multipleOf": 0.1}},  # jsonschema divides floats
        {"S": {"type": "object", "id": "urn:x"}},  # an id moves $ref bases
        {"S": {"$ref": "other.yaml#/S"}},  # leaves the contract
        {"S": {"$ref": REF + "Missing"}},
        {"S": {"type": "nonsense"}},
        {"S": {"allOf": [{"$ref": REF + "S"}]}},  # recurses without descending: jsonschema never ends
        {
            "S": {
                "type": "object",
                "properties": {"a": {"type": "string"}},
                "patternProperties": {"^x": {}},
                "additionalProperties": False,
            }
        },
        {"S": {"oneOf": []}},
        {"S": {"type": "object", "properties": None}},
    ],
)
def test_what_cannot_be_stated_exactly_is_left_to_jsonschema(components: dict[str, Any]) -> None:
    c = contract_of(components)
    s = named(c, "S")
    assert compiled.compiled_for(c, s, "request") is None
    assert compiled.compiled_for(c, s, "response") is None
    assert compiled.verdict(c, s, {"a": 1}, "request") is None


def test_recursion_through_a_descent_is_compiled() -> None:
    tree = {"S": {"type": "object", "properties": {"kids": {"type": "array", "items": {"$ref": REF + "S"}}}}}
    assert decided(tree, {"kids": [{"kids": []}, {"kids": [{}]}]}, "request") is True
    assert decided(tree, {"kids": [{"kids": 1}]}, "request") is False


@pytest.mark.parametrize(
    "value",
    [float("nan"), float("inf"), [float("-inf")], ("a",), {1: "a"}, b"x"],
)
def test_instances_jsonschema_rs_would_read_otherwise_are_left_to_jsonschema(value: Any) -> None:
    c = contract_of({"S": {"not": {"type": "number"}}})
    assert compiled.verdict(c, named(c, "S"), value, "request") is None


def test_a_lone_surrogate_is_never_judged_differently() -> None:
    # jsonschema-rs cannot take a lone surrogate: where it reads one it raises, and jsonschema decides
    c = contract_of({"S": {"type": "object", "properties": {"a": {"type": "string", "minLength": 2}}}})
    s = named(c, "S")
    for value in ({"a": "\ud800x"}, ["\ud800\udc00"], {"\udfff": 1}, "é\ud800"):
        assert compiled.verdict(c, s, value, "request") is None
    assert compiled.verdict(c, s, {"a": "\U0001f600é"}, "request") is True


def test_deep_instances_are_left_to_jsonschema() -> None:
    c = contract_of({"S": {"type": "array", "items": {"$ref": REF + "S"}}})
    s = named(c, "S")
    found = compiled.compiled_for(c, s, "request")
    assert found is not None
    deep: Any = []
    for _ in range(found.max_depth + 1):
        deep = [deep]
    assert compiled.verdict(c, s, deep, "request") is None
    shallow: Any = []
    for _ in range(found.max_depth - 1):
        shallow = [shallow]
    assert compiled.verdict(c, s, shallow, "request") is True


def test_validate_keeps_its_errors_for_failures() -> None:
    c = contract_of({"S": {"type": "object", "required": ["a"], "properties": {"b": {"type": "integer"}}}})
    s = named(c, "S")
    assert schemas.validate(c, s, {"a": 1, "b": 2}) == []
    found = schemas.validate(c, s, {"b": "x"})
    assert [(v.instance_pointer, v.keyword) for v in found] == [("/a", "required"), ("/b", "type")]
