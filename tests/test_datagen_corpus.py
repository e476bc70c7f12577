"""datagen over every schema of every GovSpecs OpenAPI file: valid values or an explicit refusal, never a crash."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from govstack_conform import datagen
from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import build_contract
from govstack_conform.contracts.model import Contract, Schema

pytestmark = pytest.mark.slow


def _contracts(corpus_dir: Path, manifest: list[dict[str, Any]]) -> list[tuple[str, Contract]]:
    seen: set[str] = set()
    out = []
    for entry in manifest:
        if entry["kind"] == "feature" or entry["sha256"] in seen:
            continue  # identical files recur across releases; once is enough
        seen.add(entry["sha256"])
        contract = build_contract(
            entry["bb"], entry["ref"], entry["file"], [(entry["file"], corpus_dir / entry["file"])], root=corpus_dir
        )
        out.append((entry["file"], contract))
    return out


def _body_schemas(contract: Contract) -> list[tuple[str, Schema]]:
    found = []
    for op in contract.operations:
        if op.request_body is not None:
            found += [("request", m.schema) for m in op.request_body.content if m.schema is not None]
        for r in op.responses:
            found += [("response", m.schema) for m in r.content if m.schema is not None]
    return found


@pytest.fixture(scope="module")
def contracts(corpus_dir: Path, manifest: list[dict[str, Any]]) -> list[tuple[str, Contract]]:
    return _contracts(corpus_dir, manifest)


@pytest.mark.parametrize("prefer_examples", [True, False], ids=["examples", "generated"])
def test_every_corpus_body_schema_generates_valid_data(
    contracts: list[tuple[str, Contract]], prefer_examples: bool
) -> None:
    counts: Counter[str] = Counter()
    refusals = []
    for file, contract in contracts:
        for direction, schema in _body_schemas(contract):
            try:
                value = datagen.generate(
                    contract, schema, seed="corpus", direction=direction, prefer_examples=prefer_examples
                )
            except datagen.GenerationError as exc:
                counts["generation-error"] += 1
                refusals.append(f"{file}#{schema.pointer}: {exc}")
                continue
            except schemas.SchemaUnusable:
                counts["unusable"] += 1
                continue
            assert schemas.validate(contract, schema, value, direction=direction) == [], f"{file}#{schema.pointer}"
            counts["ok"] += 1
            if direction == "request":
                for m in datagen.mutations(contract, schema, value, seed="corpus"):
                    counts["mutations"] += 1
                    assert schemas.validate(contract, schema, m.value, direction="request"), (file, m)
    usable = counts["ok"] + counts["generation-error"]
    print(
        f"\ndatagen corpus (prefer_examples={prefer_examples}): {dict(counts)}; "
        f"success {counts['ok']}/{usable} of the schemas that can be evaluated"
    )
    assert counts["ok"] > 1000  # the corpus really was walked
    assert counts["ok"] / usable > 0.97, "\n".join(refusals[:20])
    assert counts["mutations"] > counts["ok"]


def test_every_corpus_parameter_gets_a_value(contracts: list[tuple[str, Contract]]) -> None:
    counts: Counter[str] = Counter()
    for _file, contract in contracts:
        for op in contract.operations:
            for p in op.parameters:
                try:
                    value = datagen.generate_parameter(contract, p, seed="corpus")
                except datagen.GenerationError:
                    counts["generation-error"] += 1
                    continue
                if p.schema is not None:
                    assert schemas.validate(contract, p.schema, value, direction="request") == [], p.pointer
                if p.location == "path":
                    assert value not in ("", None) and not isinstance(value, dict | list), p.pointer
                counts["ok"] += 1
    print(f"\ndatagen corpus parameters: {dict(counts)}")
    assert counts["ok"] > 1000
    assert counts["ok"] / (counts["ok"] + counts["generation-error"]) > 0.97
