"""Robustness: corpus specs with random damage still load, and every schema the validators cannot
evaluate is one the loader marked as blocking. Deterministic (fixed seeds), a few seconds."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

import pytest

from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import load_document, merge
from govstack_conform.contracts.loader.parse import read_document

# Damage a real spec might carry: wrong shapes, broken refs, invalid keywords.
DAMAGE: list[Any] = [
    None, "string", 1, 1.5, [], {}, True,
    {"$ref": "#/nope"}, {"$ref": 5}, {"$ref": "#"}, {"$ref": "#/components"}, {"$ref": "http://x/y"},
    {"$ref": "../../etc/passwd"}, {"type": "float"}, {"type": ["string", "integer"]}, {"type": None},
    {"type": "null"}, {"pattern": "("}, {"pattern": None}, {"enum": "abc"}, {"enum": []}, {"required": True},
    {"required": "x"}, {"properties": []}, {"properties": {"a": None}}, {"properties": {"a": "string"}},
    {"allOf": {}}, {"oneOf": []}, {"anyOf": ["x"]}, {"items": [{}]}, {"items": None}, {"maxLength": "3"},
    {"minItems": -1}, {"minimum": "a"}, {"multipleOf": 0}, {"exclusiveMinimum": 3}, {"exclusiveMinimum": True},
    {"format": {"x": 1}}, {"not": "x"}, {"additionalProperties": "x"}, {"dependentRequired": "x"},
    {"dependencies": {"a": "b"}}, {"patternProperties": {"(": {}}}, {"discriminator": "x"},
    {"discriminator": {"propertyName": "id", "mapping": {"a": 1}}}, {"in": [], "name": {}},
    {"content": []}, {"schema": "x"}, {"examples": "x"}, {"examples": {"a": []}}, {"security": {"a": 1}},
    {"parameters": {}}, {"get": []}, {"responses": {"200": []}}, {"/x/{y}": {"get": {"responses": {"999": {}}}}},
]  # fmt: skip
PROBES: list[Any] = [{}, [], "x", 1, 1.5, None, True, {"id": 1, "type": "x"}, [1, "a", {}], -5, ""]


def _paths(node: Any, out: list[tuple[Any, ...]], at: tuple[Any, ...] = ()) -> None:
    out.append(at)
    if isinstance(node, dict):
        for k, v in node.items():
            _paths(v, out, (*at, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _paths(v, out, (*at, i))


def _damage(data: Any, rng: random.Random) -> None:
    for _ in range(rng.randint(1, 4)):
        spots: list[tuple[Any, ...]] = []
        _paths(data, spots)
        where = rng.choice(spots[1:])
        parent = data
        for k in where[:-1]:
            parent = parent[k]
        change = copy.deepcopy(rng.choice(DAMAGE))
        if isinstance(parent[where[-1]], dict) and isinstance(change, dict) and rng.random() < 0.6:
            parent[where[-1]].update(change)  # add bad keywords beside the good ones
        else:
            parent[where[-1]] = change


@pytest.mark.parametrize("seed", range(4))
def test_damaged_specs_load_and_unusable_schemas_are_blocked(
    seed: int, corpus_dir: Path, manifest: list[dict[str, Any]], tmp_path: Path
) -> None:
    rng = random.Random(seed)
    names = sorted(e["file"] for e in manifest if e["kind"] != "feature" and e["operations"])
    loaded_ops = 0
    for i in range(60):
        name = rng.choice(names)
        data = copy.deepcopy(read_document(corpus_dir / name)[0].data)
        _damage(data, rng)
        path = tmp_path / f"{i}.json"
        path.write_text(json.dumps(data))
        ld = load_document(path, f"{i}.json")  # must not raise, whatever the damage
        if ld.document is None:
            assert [d.code for d in ld.defects] == ["unreadable"]
            continue
        contract = merge("fuzz", str(seed), name, [ld])
        for op in contract.operations:
            loaded_ops += 1
            aspects = [("parameters", p.schema, "request") for p in op.parameters if p.schema]
            if op.request_body:
                aspects += [("request-body", m.schema, "request") for m in op.request_body.content if m.schema]
            for r in op.responses:
                aspects += [(f"response:{r.status}", m.schema, "response") for m in r.content if m.schema]
            for aspect, schema, direction in aspects:
                for value in PROBES:
                    try:
                        schemas.validate(contract, schema, value, direction=direction)
                    except Exception as e:  # any failure must have been announced by an ERROR defect
                        assert op.blocked(aspect) is not None, (name, op.key, aspect, repr(e), schema.node)
                        break
    assert loaded_ops > 50
