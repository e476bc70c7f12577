"""datagen.mutations (checked-invalid variants) and generate_parameter on hand-written contracts."""

from __future__ import annotations

from typing import Any

import pytest
from test_datagen import RICH, contract_of, named

from govstack_conform import datagen
from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Example, Parameter
from govstack_conform.datagen import GenerationError


def test_mutations_are_invalid_diverse_and_deterministic() -> None:
    c = contract_of({"S": RICH})
    s = named(c, "S")
    valid = datagen.generate(c, s, seed=2)
    valid["tags"] = ["t"]
    valid["address"] = {"city": "Tallinn", "zip": "10111"}
    muts = datagen.mutations(c, s, valid, seed=2)
    assert 1 <= len(muts) <= 8
    assert {m.kind for m in muts} == set(datagen.KINDS)
    for m in muts:
        assert schemas.validate(c, s, m.value, direction="request"), m
        assert m.description
    assert muts == datagen.mutations(c, s, valid, seed=2)
    many = datagen.mutations(c, s, valid, seed=2, limit=40)
    assert len(many) > 8
    assert all(schemas.validate(c, s, m.value, direction="request") for m in many)
    missing = {m.pointer for m in many if m.kind == "missing-required"}
    assert {"/name", "/kind", "/age", "/address/city"} <= missing
    assert "name" in valid and valid["address"]["city"] == "Tallinn"  # the input is never modified


def test_mutations_of_scalars_and_unusable_schemas() -> None:
    c = contract_of({"S": {"type": "string", "enum": ["a", "b"]}, "Bad": {"$ref": "#/nowhere"}})
    kinds = {m.kind for m in datagen.mutations(c, named(c, "S"), "a", seed=1)}
    assert kinds == {"wrong-type", "enum-violation"}
    assert datagen.mutations(c, named(c, "Bad"), {}, seed=1) == []


def _param(schema: dict[str, Any] | None, examples: tuple[Any, ...] = ()) -> tuple[Contract, Parameter]:
    c = contract_of({} if schema is None else {"P": schema})
    p = Parameter(
        name="p",
        location="path",
        required=True,
        schema=None if schema is None else named(c, "P"),
        examples=tuple(Example(name=str(i), value=v, pointer="") for i, v in enumerate(examples)),
        pointer="/components/parameters/p",
    )
    return c, p


def test_generate_parameter() -> None:
    assert datagen.generate_parameter(*_param({"type": "string"}, examples=("", "abc")), seed=1) == "abc"
    assert datagen.generate_parameter(*_param({"type": "integer"}, examples=("x",)), seed=1) != "x"
    for seed in range(10):
        value = datagen.generate_parameter(*_param({"type": "string"}), seed=seed)
        assert value and value.isalnum()
    assert datagen.generate_parameter(*_param({"type": "string", "format": "date-time"}), seed=1)
    # a pattern that forces URL-unsafe characters still yields a non-empty value
    assert datagen.generate_parameter(*_param({"type": "string", "pattern": "^a/b$"}), seed=1) == "a/b"
    assert datagen.generate_parameter(*_param(None), seed=1) == "test"
    with pytest.raises(GenerationError):
        datagen.generate_parameter(*_param({"$ref": "#/nowhere"}), seed=1)
