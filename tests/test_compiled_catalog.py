"""The compiled validator against jsonschema on every catalog BB: generated values, their mutations and
odd values, in both directions, for every parameter, body and header schema. Same verdict, always."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_compiled import reference

from govstack_conform import datagen
from govstack_conform.contracts import compiled, memo
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract, Schema

# One release per BB (the others differ little); bench/compare_validation.py runs every release.
RELEASES = [f"{bb.key}@{bb.releases[0].ref}" for bb in load_catalog().bbs]
ODD: list[Any] = [{}, [], "", "x", None, 0, -1, 1.5, True, [None], {"id": None}]


def locations(contract: Contract) -> Iterator[tuple[Schema, str]]:
    seen: set[tuple[str, str, str]] = set()
    for op in contract.operations:
        found = [(p.schema, "request") for p in op.parameters]
        if op.request_body is not None:
            found += [(m.schema, "request") for m in op.request_body.content]
        for r in op.responses:
            found += [(m.schema, "response") for m in r.content] + [(h.schema, "response") for h in r.headers]
        for schema, direction in found:
            if schema is not None and (schema.doc, schema.pointer, direction) not in seen:
                seen.add((schema.doc, schema.pointer, direction))
                yield schema, direction


@pytest.mark.slow
@pytest.mark.parametrize("shared", [True, False], ids=["shared", "per-location"])
@pytest.mark.parametrize("release", RELEASES)
def test_compiled_verdicts_are_jsonschemas(
    corpus_dir: Path, monkeypatch: pytest.MonkeyPatch, release: str, shared: bool
) -> None:
    """Shared: one translation of the contract (every catalog BB); per location: as a contract of more than
    memo.LARGE_CONTRACT operations is compiled, each location from a translation of what it reaches."""
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    contract = load_contract(release)
    if not shared:
        monkeypatch.setattr(memo, "LARGE_CONTRACT", 0)
        for name in ("_compiled", "_translators"):  # compiled earlier from the shared translation
            monkeypatch.delitem(contract.__dict__, name, raising=False)
    decided = valid = invalid = 0
    left = []
    every = list(locations(contract))
    for schema, direction in every[:: max(1, len(every) // 80)]:  # at most ~80 spread over a large contract
        if compiled.compiled_for(contract, schema, direction) is None:
            left.append(schema.pointer)
            continue
        values = list(ODD)
        try:
            value = datagen.generate(contract, schema, seed=1, direction=direction)
            values += [value, *(m.value for m in datagen.mutations(contract, schema, value, seed=1, limit=8))]
        except Exception:  # the schema itself may be beyond generation: the odd values still count
            pass
        for v in values:
            for d in ("request", "response"):
                got = compiled.verdict(contract, schema, v, d)
                if got is None:
                    continue
                assert got == reference(contract, schema, v, d), (schema.doc, schema.pointer, d, v)
                decided += 1
                valid += got
                invalid += not got
    assert valid > 10 and invalid > 50
    assert len(left) <= 2, left  # almost every schema of the catalog is compiled
