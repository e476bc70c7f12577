"""`specs list`'s counts kept on disk (contracts/summary.py): a hit gives exactly what loading gives, without
loading; an edited spec file, other code, or a damaged entry is a miss, and the counts are made again."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from govstack_conform.contracts import load as loading
from govstack_conform.contracts import summary
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.store import resolve_store


@pytest.fixture
def store(tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the consent releases as the spec store, and an empty cache."""
    shutil.copytree(corpus_dir / "consent", tmp_path / "specs" / "consent")
    monkeypatch.setenv("GOVSTACK_CONFORM_CACHE", str(tmp_path / "cache"))
    loading._cache.clear()
    return tmp_path / "specs"


def _counts(root: Path) -> summary.ReleaseSummary:
    bb = load_catalog().get("consent")
    return summary.summarize(bb, bb.default_release, store=resolve_store(root))


def _loads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = loading.load_release

    def counting(bb: object, release: object, **kw: object) -> object:
        calls.append(str(release))
        loading._cache.clear()  # as a fresh process: nothing held in memory
        return real(bb, release, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(loading, "load_release", counting)
    return calls


def test_a_hit_gives_what_loading_gives_without_loading(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contract = loading.load_contract("consent", specs_option=store)
    loads = _loads(monkeypatch)
    first = _counts(store)
    assert first == summary.ReleaseSummary(len(contract.operations), len(summary.all_defects(contract)))
    assert _counts(store) == first and len(loads) == 1


def test_an_edited_file_other_code_or_a_damaged_entry_is_a_miss(store: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loads = _loads(monkeypatch)
    first = _counts(store)
    (spec,) = list((store / "consent").glob(f"{load_catalog().get('consent').default_ref}/*.y*ml"))
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace("openapi: 3.0.0", "openapi: 3.0.0\nx-edited: true", 1), encoding="utf-8")
    again = _counts(store)  # made again: the file no longer has the catalog's sha256, one more defect says so
    assert again == summary.ReleaseSummary(first.operations, first.defects + 1) and len(loads) == 2
    monkeypatch.setattr(summary, "_code_digest", lambda: "other code")
    assert _counts(store) == again and len(loads) == 3
    entries = sorted((store.parent / "cache" / "summaries").iterdir())
    assert entries and not any(p.name.startswith(".tmp-") for p in entries)  # nothing half-written left
    for damaged in ("{not json", json.dumps({"format": "summary1", "documents": [], "operations": 1, "defects": 0})):
        for p in (store.parent / "cache" / "summaries").iterdir():
            p.write_text(damaged, encoding="utf-8")
        assert _counts(store) == again
    assert len(loads) == 5


def test_a_missing_file_is_the_store_error_loading_raises(store: Path) -> None:
    from govstack_conform.errors import StoreError

    _counts(store)
    for spec in (store / "consent").rglob("*.y*ml"):
        spec.unlink()
    with pytest.raises(StoreError):
        _counts(store)
