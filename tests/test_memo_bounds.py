"""Memos kept on a contract are bounded, and what they forget changes no plan and no verdict.

A contract of thousands of operations used to keep every operation's facts, generated values, verdicts and
compiled validators to the end of the run (20-40 KB of native memory per compiled validator alone).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from govstack_conform.contracts import compiled, schemas
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.memo import Bounded
from govstack_conform.datagen import check
from govstack_conform.engine.plan import context
from govstack_conform.engine.plan.planner import plan_contract, plan_to_json

RESOURCES = 6


def _contract(n: int) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {
        "Address": {
            "type": "object",
            "required": ["city"],
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
            },
        }
    }
    for i in range(n):
        schemas[f"Item{i}"] = {
            "type": "object",
            "required": ["name", "status"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "readOnly": True},
                "name": {"type": "string", "maxLength": 20 + i},
                "status": {"type": "string", "enum": ["on", "off"]},
                "address": {"$ref": "#/components/schemas/Address"},
                "tags": {"type": "array", "maxItems": 3, "items": {"type": "string"}},
            },
        }
        item = {"$ref": f"#/components/schemas/Item{i}"}
        body = {"required": True, "content": {"application/json": {"schema": item}}}
        ok = {"description": "ok", "content": {"application/json": {"schema": item}}}
        ident = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
        paths[f"/items{i}"] = {"post": {"requestBody": body, "responses": {"201": ok, "400": {"description": "bad"}}}}
        paths[f"/items{i}/{{id}}"] = {
            "get": {"parameters": ident, "responses": {"200": ok, "404": {"description": "none"}}},
            "put": {"parameters": ident, "requestBody": body, "responses": {"200": ok, "404": {"description": "none"}}},
            "delete": {"parameters": ident, "responses": {"204": {"description": "gone"}}},
        }
    return {"openapi": "3.0.3", "info": {"title": "memo", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas}}  # fmt: skip


def _load(tmp_path: Path, name: str) -> Any:
    (tmp_path / name).mkdir()
    spec = tmp_path / name / "items.json"  # its own file (the name seeds generation): a fresh contract, no memo yet
    spec.write_text(json.dumps(_contract(RESOURCES)), encoding="utf-8")
    return load_spec_files([str(spec)])


def test_a_full_memo_lets_its_oldest_entry_go() -> None:
    memo: Bounded[str, int] = Bounded(2)
    memo.put("a", 1)
    memo.put("b", 2)
    memo.put("a", 3)  # a new value for a kept key evicts nothing
    assert dict(memo) == {"a": 3, "b": 2}
    memo.put("c", 4)
    assert dict(memo) == {"b": 2, "c": 4}


def test_a_memo_shared_by_threads_stays_bounded() -> None:
    memo: Bounded[int, int] = Bounded(16)

    def work(offset: int) -> None:
        for i in range(5000):
            memo.put(offset + i % 40, i)
            memo.get(offset + (i * 7) % 40)

    threads = [threading.Thread(target=work, args=(k * 100,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(memo) <= 16


def test_tiny_memos_change_no_plan_and_stay_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    roomy = plan_to_json(plan_contract(_load(tmp_path, "roomy")))
    monkeypatch.setattr(check, "CACHE_LIMIT", 3)
    monkeypatch.setattr(compiled, "KEEP", 2)
    monkeypatch.setattr(context, "PER_LOCATION", 3)
    monkeypatch.setattr(schemas, "RESOLVED_KEPT", 3)
    contract = _load(tmp_path, "tiny")
    tiny = plan_to_json(plan_contract(contract))
    assert tiny == roomy
    for name in ("_datagen_facts", "_datagen_values", "_datagen_verdicts", "_plan_props", "_plan_resolved",
                 "_plan_echoable", "_resolved"):  # fmt: skip
        assert 0 < len(contract.__dict__[name]) <= 3, name
    assert 0 < len(contract.__dict__["_compiled"]) <= 2


def test_forgotten_validators_give_the_same_verdicts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(compiled, "KEEP", 1)
    contract = _load(tmp_path, "verdicts")
    good = {"name": "n", "status": "on", "address": {"city": "Tallinn", "zip": "10111"}}
    bad = {"name": "n", "status": "maybe"}
    locations = [m.schema for op in contract.operations for r in op.responses for m in r.content if m.schema]
    assert len(locations) > RESOURCES
    for _ in range(2):  # the second round recompiles what the first forgot
        for schema in locations:
            found = compiled.compiled_for(contract, schema, "response")
            assert found is not None
            assert (found.verdict(good), found.verdict(bad)) == (True, False)
    assert len(contract.__dict__["_compiled"]) == 1
