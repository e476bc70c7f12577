"""datagen.check.is_valid: always the verdict of schemas.validate, only cheaper."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from govstack_conform import datagen, schemas
from govstack_conform.contracts import load_contract
from govstack_conform.datagen.check import is_valid, one_reading
from govstack_conform.loader import make_registry
from govstack_conform.model import Contract, Schema, SpecDocument

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
    node = contract.documents[KEY].raw["components"]["schemas"][name]
    return Schema(node=node, doc=KEY, pointer=f"/components/schemas/{name}")


def verdict(contract: Contract, schema: Schema, value: Any, direction: str) -> bool | str:
    """True/False, or the SchemaUnusable message, from a function that validates."""
    try:
        return is_valid(contract, schema, value, direction)
    except schemas.SchemaUnusable as e:
        return f"unusable: {e}"


def reference(contract: Contract, schema: Schema, value: Any, direction: str) -> bool | str:
    try:
        return not schemas.validate(contract, schema, value, direction=direction)
    except schemas.SchemaUnusable as e:
        return f"unusable: {e}"


def test_active_ref_sibling_needs_both_readings() -> None:
    # 3.0 ignores `$ref` siblings; a request must pass both readings, a response either.
    c = contract_of({"Base": {"type": "string"}, "S": {"$ref": "#/components/schemas/Base", "maxLength": 3}})
    assert not one_reading(c)
    s = named(c, "S")
    for direction in ("request", "response"):
        for value in ("abc", "abcdef", 5):
            assert verdict(c, s, value, direction) == reference(c, s, value, direction), (direction, value)
    assert verdict(c, s, "abcdef", "request") is False
    assert verdict(c, s, "abcdef", "response") is True


def test_inert_siblings_and_plain_refs_read_once() -> None:
    c = contract_of({"Base": {"type": "string"}, "S": {"$ref": "#/components/schemas/Base", "description": "d"}})
    assert one_reading(c)
    assert not one_reading(contract_of({"S": {"type": "object", "id": "urn:x"}}))  # an id moves $ref bases
    assert not one_reading(contract_of({"S": {"$ref": "other.yaml#/S"}}))  # leaves the contract


def test_memo_tells_apart_what_json_equality_merges() -> None:
    c = contract_of({"S": {"type": "integer"}, "B": {"type": "boolean"}})
    s, b = named(c, "S"), named(c, "B")
    assert is_valid(c, s, 1, "request") and not is_valid(c, s, True, "request")
    assert not is_valid(c, s, 1.5, "request") and is_valid(c, b, True, "request")
    assert not is_valid(c, b, 1, "request")


def test_broken_schema_raises_as_validate_does() -> None:
    c = contract_of({"S": {"type": "object", "properties": {"a": {"type": "nonsense"}}}})
    s = named(c, "S")
    got, want = verdict(c, s, {"a": 1}, "request"), reference(c, s, {"a": 1}, "request")
    assert isinstance(want, str) and got == want


@pytest.mark.parametrize("release", ["consent@main", "workflow@main", "registration@main", "payments@1.0-QA"])
def test_corpus_agrees_with_validate(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, release: str) -> None:
    """Generated values and their mutations for every body schema: same verdict, either direction."""
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    loaded = load_contract(release)
    targets = [
        (m.schema, direction)
        for op in loaded.operations
        for direction, medias in (
            ("request", op.request_body.content if op.request_body else ()),
            ("response", [m for r in op.responses for m in r.content]),
        )
        for m in medias
        if m.schema is not None
    ]
    assert targets
    checked = invalid = 0
    gen = dataclasses.replace(loaded)
    for schema, direction in targets:
        try:
            value = datagen.generate(gen, schema, seed=3, direction=direction)
            variants = [m.value for m in datagen.mutations(gen, schema, value, seed=3)]
        except (datagen.GenerationError, schemas.SchemaUnusable):
            continue
        for v in [value, *variants, {}, [], "x", None]:
            for d in ("request", "response"):
                loaded.__dict__.pop("_datagen_verdicts", None)  # no memo: the quick path itself is compared
                got = verdict(loaded, schema, v, d)
                assert got == reference(loaded, schema, v, d), (schema.pointer, d, v)
                assert verdict(loaded, schema, v, d) == got  # and again, from the memo
                checked += 1
                invalid += got is not True
    assert checked > 20 and invalid > 5
