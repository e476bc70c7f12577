"""datagen.check.is_valid: always the verdict of schemas.validate, only cheaper."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from test_datagen import contract_of, named

from govstack_conform import datagen
from govstack_conform.contracts import compiled, schemas
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.datagen.check import is_valid


def verdict(contract: Contract, schema: Schema, value: Any, direction: str) -> bool | str:
    """True/False, or the SchemaUnusable message, from a function that validates."""
    try:
        return is_valid(contract, schema, value, direction)
    except schemas.SchemaUnusable as e:
        return f"unusable: {e}"


def reference(contract: Contract, schema: Schema, value: Any, direction: str) -> bool | str:
    """schemas.validate's verdict from jsonschema alone (the compiled path off)."""
    compiled.ENABLED = False
    try:
        return not schemas.validate(contract, schema, value, direction=direction)
    except schemas.SchemaUnusable as e:
        return f"unusable: {e}"
    finally:
        compiled.ENABLED = True


def test_active_ref_sibling_needs_both_readings() -> None:
    # 3.0 ignores `$ref` siblings; a request must pass both readings, a response either.
    c = contract_of({"Base": {"type": "string"}, "S": {"$ref": "#/components/schemas/Base", "maxLength": 3}})
    s = named(c, "S")
    for direction in ("request", "response"):
        for value in ("abc", "abcdef", 5):
            assert verdict(c, s, value, direction) == reference(c, s, value, direction), (direction, value)
    assert verdict(c, s, "abcdef", "request") is False
    assert verdict(c, s, "abcdef", "response") is True


def test_schemas_the_compiled_validator_leaves_alone_agree_too() -> None:
    # multipleOf is never compiled: jsonschema's own passes answer, both readings where a sibling acts
    c = contract_of({"Base": {"type": "number"}, "S": {"$ref": "#/components/schemas/Base", "multipleOf": 0.1}})
    s = named(c, "S")
    assert compiled.compiled_for(c, s, "request") is None
    for direction in ("request", "response"):
        for value in (0.3, 0.5, 2, "x"):
            c.__dict__.pop("_datagen_verdicts", None)
            assert verdict(c, s, value, direction) == reference(c, s, value, direction), (direction, value)
    assert verdict(c, s, 0.3, "request") is False and verdict(c, s, 0.3, "response") is True


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


def test_variants_sharing_parts_with_the_original() -> None:
    """A variant sharing sub-values with the original: same verdicts as validate."""
    from govstack_conform.datagen.incremental import Variants

    c = contract_of(
        {
            "S": {
                "oneOf": [
                    {
                        "type": "object",
                        "properties": {"v": {"type": "string"}, "t": {"$ref": "#/components/schemas/T"}},
                    },
                    {"type": "object", "properties": {"v": {"type": "integer"}}, "required": ["k"]},
                ]
            },
            "T": {
                "type": "object",
                "required": ["n"],
                "properties": {"n": {"type": "array", "items": {"type": "string"}}},
            },
        }
    )
    s = named(c, "S")
    t = {"n": ["a", "b"]}
    original = {"v": "s", "t": t}
    variants = Variants(c, s, original)
    cases = [
        {"v": original["v"], "t": t, "k": 1},  # "v" is shared, yet read under the other branch too
        {"v": 5, "t": t},
        {"v": original["v"], "t": {"n": [t["n"][0], 3]}},
        {"v": original["v"], "t": {}},
        {"v": original["v"]},
        {"t": t, "k": "x", "v": 7},  # now both branches match: oneOf fails
    ]
    for value in cases:
        c.__dict__.pop("_datagen_verdicts", None)
        assert variants.holds(value) == reference(c, s, value, "request"), value


def test_variants_never_skip_what_failed_in_the_original() -> None:
    # The original fails branch Q (at "v") and passes P; the variant fails P and must fail Q at "v" again.
    from govstack_conform.datagen.incremental import Variants

    c = contract_of(
        {
            "S": {
                "oneOf": [
                    {"type": "object", "properties": {"v": {"type": "integer"}}, "required": ["k"]},
                    {"type": "object", "properties": {"v": {"type": "string"}}, "additionalProperties": False},
                ]
            }
        }
    )
    s = named(c, "S")
    original = {"v": "s"}
    variants = Variants(c, s, original)
    variant = {"v": original["v"], "k": 1, "extra": 1}
    assert reference(c, s, variant, "request") is False
    assert variants.holds(variant) is False


@pytest.mark.parametrize("release", ["emarketplace@main", "consent@main"])
def test_variants_agree_with_validate_on_corpus(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, release: str
) -> None:
    """Every leaf of generated request bodies replaced or removed, each variant sharing the rest."""
    from govstack_conform.datagen.incremental import Variants

    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    contract = load_contract(release)
    schemas_seen = {
        (m.schema.doc, m.schema.pointer): m.schema
        for op in contract.operations
        if op.request_body is not None
        for m in op.request_body.content
        if m.schema is not None and "json" in m.media_type
    }
    compared = invalid = 0
    for schema in list(schemas_seen.values())[:12]:
        try:
            original = datagen.generate(contract, schema, seed=5)
        except (datagen.GenerationError, schemas.SchemaUnusable):
            continue
        variants = Variants(contract, schema, original)
        every = _variants(original)
        for variant in every[:: max(1, len(every) // 30)]:  # ~30 per body, spread over it
            contract.__dict__.pop("_datagen_verdicts", None)
            got = verdict_or_error(variants.holds, variant)
            assert got == reference(contract, schema, variant, "request"), (schema.pointer, variant)
            compared += 1
            invalid += got is False
    assert compared > 50 and invalid > 20


def verdict_or_error(check: Any, value: Any) -> bool | str:
    try:
        return bool(check(value))
    except schemas.SchemaUnusable as e:
        return f"unusable: {e}"


def _variants(value: Any, depth: int = 0) -> list[Any]:
    """Copies of `value` with one leaf changed or one key removed; untouched parts are shared."""
    out: list[Any] = []
    if isinstance(value, dict) and depth < 4:
        for k, v in value.items():
            out.append({kk: vv for kk, vv in value.items() if kk != k})
            out.extend({**value, k: sub} for sub in _variants(v, depth + 1))
    elif isinstance(value, list) and value and depth < 4:
        out.extend([sub, *value[1:]] for sub in _variants(value[0], depth + 1))
        out.append([])
    else:
        out.extend(bad for bad in (12345, "x", None, True, {}) if bad != value)  # type: ignore[var-annotated]
    return out
