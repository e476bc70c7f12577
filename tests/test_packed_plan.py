"""A large plan is kept packed (engine/packed.py), and nothing it feeds can tell: plans, shards, selections,
declarations, resumes and every output are the same as with the plan held as objects.

memo.LARGE_CONTRACT is set to 0 here so that small contracts are packed; the real threshold keeps every
catalog BB's plan as objects (tests/test_packed_plan.py::test_catalog_plans_are_not_packed).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from servers import PETS_SPEC, TOKEN, pets_app, serve
from test_memo_bounds import _contract
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts import memo
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.packed import PackedCases, kept_like
from govstack_conform.engine.plan.planner import plan_contract, plan_to_json

FORMATS = "json,junit,html,md,cucumber,form"


def _spec(tmp_path: Path, name: str) -> Path:
    (tmp_path / name).mkdir()
    spec = tmp_path / name / "items.json"  # the same file name: generation is seeded by it
    spec.write_text(json.dumps(_contract(5)), encoding="utf-8")
    return spec


@pytest.mark.parametrize("options", [{}, {"read_only": True}, {"kinds": frozenset({CaseKind.NEGATIVE})}])
def test_a_packed_plan_is_the_same_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: Any) -> None:
    held = plan_contract(load_spec_files([str(_spec(tmp_path, "held"))]), **options)
    monkeypatch.setattr(memo, "LARGE_CONTRACT", 0)
    kept = plan_contract(load_spec_files([str(_spec(tmp_path, "packed"))]), **options)
    assert isinstance(kept, PackedCases) and not isinstance(held, PackedCases)
    assert len(kept) == len(held) > 0
    assert plan_to_json(kept) == plan_to_json(held)
    assert [c.case_id for c in kept] == [c.case_id for c in held]


def test_packed_cases_behave_as_a_sequence(tmp_path: Path) -> None:
    cases = list(plan_contract(load_spec_files([str(_spec(tmp_path, "seq"))])))
    box = PackedCases.of(cases)
    assert len(box) == len(cases)
    assert box[0] == cases[0] and box[-1] == cases[-1]
    assert list(box[2:5]) == cases[2:5] and isinstance(box[2:5], PackedCases)
    assert list(box) == cases
    assert box == PackedCases.of(cases) and hash(box) == hash(PackedCases.of(cases))
    some = kept_like(box, (c for c in box if c.kind is CaseKind.NEGATIVE))
    assert isinstance(some, PackedCases) and list(some) == [c for c in cases if c.kind is CaseKind.NEGATIVE]
    assert isinstance(kept_like(cases, cases[:3]), tuple)
    with pytest.raises(IndexError):
        box[len(cases)]


def test_catalog_plans_are_not_packed(contract_of: Any) -> None:
    biggest = contract_of("emarketplace")  # the catalog's most operations
    assert not memo.large(biggest)
    assert not isinstance(plan_contract(biggest), PackedCases)


def _run(tmp_path: Path, url: str, name: str, *extra: str) -> tuple[int, dict[str, bytes]]:
    spec = tmp_path / "pets.yaml"
    spec.write_text(PETS_SPEC)
    config = tmp_path / "conform.toml"
    config.write_text('[bb.custom.not_implemented]\noperations = ["deletePet"]\nreason = "archived, never deleted"\n')
    out = tmp_path / name
    args = ["run", "--spec", str(spec), "--target", url, "--token", TOKEN, "--out", str(out), "--config", str(config),
            "--report", FORMATS, "--quiet", "--concurrency", "1", *extra]  # fmt: skip
    result = CliRunner().invoke(app, args)
    files = {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}
    return result.exit_code, files


def _timeless(files: dict[str, bytes]) -> dict[str, Any]:
    """The outputs with what differs between two runs of the same plan (times, durations) taken out."""
    out: dict[str, Any] = {}
    for name, data in files.items():
        if name == "results.json":
            doc = json.loads(data)
            for bb in doc["results"]:
                for c in bb["cases"]:
                    c.pop("duration_ms", None)
                    for x in c.get("exchanges", []):
                        x.get("response", {}).pop("elapsed_ms", None)
            out[name] = [[(c["case_id"], c["verdict"], c.get("reason"), [k["outcome"] for k in c["checks"]])
                          for c in bb["cases"]] for bb in doc["results"]]  # fmt: skip
        elif name.endswith((".md", ".xml", ".html", ".ndjson", ".json")):
            out[name] = len(data) > 0
    return out


@pytest.mark.parametrize("extra", [(), ("--shard", "1/2"), ("--kind", "negative")])
def test_a_run_of_a_packed_plan_reports_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, extra: tuple[str, ...]
) -> None:
    breaks = frozenset({"status_code_documented", "invalid_input_rejected"})
    with serve(pets_app(breaks)) as url:
        held = _run(tmp_path, url, "held", *extra)
        monkeypatch.setattr(memo, "LARGE_CONTRACT", 0)
        kept = _run(tmp_path, url, "packed", *extra)
    assert held[0] == kept[0] == (1 if not extra else held[0]) and held[0] in (0, 1)  # unsharded: the breaks fail
    assert _timeless(kept[1]) == _timeless(held[1])
    assert set(kept[1]) == set(held[1])
