"""Property tests: for random small JSON Schemas, generate() gives a valid value or says why it cannot."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_datagen import contract_of, named

from govstack_conform import datagen
from govstack_conform.contracts import schemas

NAMES = st.sampled_from(["id", "name", "count", "items", "meta", "kind"])
FORMATS = ["date-time", "date", "email", "uri", "uuid", "ipv4", "int32", "byte"]
PATTERNS = [r"^[a-z]+$", r"^[A-Z]{2}-\d{3}$", r"\d", r"^(yes|no)$", r"^[^/]+$", r"^\w{2,6}$"]


@st.composite
def string_schema(draw: Any, strict: bool) -> dict[str, Any]:
    s: dict[str, Any] = {"type": "string"}
    kind = draw(st.sampled_from(["plain", "format", "pattern", "enum"]))
    if kind == "format":
        s["format"] = draw(st.sampled_from(FORMATS))
    elif kind == "pattern":
        s["pattern"] = draw(st.sampled_from(PATTERNS))
    elif kind == "enum":
        s["enum"] = draw(st.lists(st.text("abcxyz", min_size=1, max_size=4), min_size=1, max_size=4, unique=True))
    if kind == "plain" or not strict:
        lo = draw(st.integers(0, 6))
        if draw(st.booleans()):
            s["minLength"] = lo
        if draw(st.booleans()):
            s["maxLength"] = lo + draw(st.integers(0, 6)) if strict else draw(st.integers(0, 12))
    return s


@st.composite
def number_schema(draw: Any, strict: bool, thirty: bool) -> dict[str, Any]:
    s: dict[str, Any] = {"type": draw(st.sampled_from(["integer", "number"]))}
    lo = draw(st.integers(-1000, 1000))
    width = draw(st.integers(0 if not strict else 12, 500))
    if draw(st.booleans()):
        s["minimum"] = lo
    if draw(st.booleans()):
        s["maximum"] = lo + width
    if draw(st.booleans()):
        if thirty:
            s["exclusiveMinimum"] = draw(st.booleans()) and "minimum" in s
            s = {k: v for k, v in s.items() if v is not False}
        elif "minimum" in s:
            s["exclusiveMinimum"] = s.pop("minimum")
    if draw(st.booleans()):
        s["multipleOf"] = draw(st.sampled_from([2, 3, 5] if strict else [2, 3, 0.5, 0.1, 7]))
    return s


def leaves(strict: bool, thirty: bool) -> Any:
    return st.one_of(
        string_schema(strict),
        number_schema(strict, thirty),
        st.just({"type": "boolean"}),
        st.just({"type": "string", "nullable": True} if thirty else {"type": ["string", "null"]}),
    )


def containers(children: Any, strict: bool) -> Any:
    obj = st.builds(
        lambda props, req, closed: {
            "type": "object",
            "properties": props,
            "required": sorted(set(req) & set(props)) if strict else sorted(set(req)),
            **({"additionalProperties": False} if closed else {}),
        },
        st.dictionaries(NAMES, children, max_size=3),
        st.lists(NAMES, max_size=3),
        st.booleans(),
    )
    arr = st.builds(
        lambda items, lo, extra: {"type": "array", "items": items, "minItems": lo, "maxItems": lo + extra},
        children,
        st.integers(0, 2),
        st.integers(0, 2),
    )
    typed = st.sampled_from([{"type": "string"}, {"type": "integer"}, {"type": "boolean"}, {"type": "array"}])
    one_of = st.lists(typed, min_size=1, max_size=3, unique_by=lambda s: s["type"]).map(lambda bs: {"oneOf": bs})
    any_of = st.lists(children, min_size=1, max_size=3).map(lambda bs: {"anyOf": bs})
    options = [obj, arr, one_of, any_of]
    if not strict:
        options.append(st.lists(children, min_size=1, max_size=3).map(lambda bs: {"allOf": bs}))
        options.append(st.lists(children, min_size=2, max_size=3).map(lambda bs: {"oneOf": bs}))
        options.append(children.map(lambda c: {"type": "array", "items": c, "minItems": 2, "uniqueItems": True}))
    return st.one_of(*options)


def schema_strategy(strict: bool, thirty: bool) -> Any:
    return st.recursive(leaves(strict, thirty), lambda ch: containers(ch, strict), max_leaves=8)


def _check(schema: dict[str, Any], openapi: str, direction: str, strict: bool) -> None:
    c = contract_of({"S": schema}, openapi)
    s = named(c, "S")
    try:
        value = datagen.generate(c, s, seed="h", direction=direction)
    except datagen.GenerationError:
        assert not strict, f"satisfiable schema refused: {schema}"
        return
    assert schemas.validate(c, s, value, direction=direction) == [], (schema, value)
    assert datagen.generate(c, s, seed="h", direction=direction) == value
    for m in datagen.mutations(c, s, value, seed="h"):
        assert schemas.validate(c, s, m.value, direction="request"), m


# DATAGEN_EXAMPLES=5000 for a deeper run by hand.
SETTINGS = settings(
    max_examples=int(os.environ.get("DATAGEN_EXAMPLES", "120")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(schema_strategy(strict=True, thirty=True), st.sampled_from(["request", "response"]))
def test_satisfiable_30_schemas_always_generate(schema: dict[str, Any], direction: str) -> None:
    _check(schema, "3.0.3", direction, strict=True)


@SETTINGS
@given(schema_strategy(strict=True, thirty=False))
def test_satisfiable_31_schemas_always_generate(schema: dict[str, Any]) -> None:
    _check(schema, "3.1.0", "request", strict=True)


@SETTINGS
@given(schema_strategy(strict=False, thirty=True))
def test_any_schema_generates_valid_or_raises_generation_error(schema: dict[str, Any]) -> None:
    _check(schema, "3.0.3", "request", strict=False)
