"""What `specs list` shows of a release (operations, spec defects), kept on disk between processes.

Counting defects means loading and linting every file of every default release, most of `specs list`'s
time; the counts change only when a file the contract read changes or the code that reads it does. An
entry names both: the sha256 of every document the contract was built from (checked again on every hit:
the files are read and hashed, never trusted by their dates) and a digest of the source of this package,
the loader and the model that make the counts. Any other change (a missing or edited file, another
version of the tool, an unreadable or foreign entry) is a miss, and the release is loaded as before.
Entries live in the user cache (`<cache>/summaries/`), are written to a temporary file and renamed, and
a failure to read or write one is silent: the cache only saves time.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govstack_conform.contracts.catalog import BuildingBlock, Release
from govstack_conform.contracts.model import Contract, SpecDefect
from govstack_conform.contracts.store import SpecStore, cache_root

_FORMAT = "summary1"


@dataclass(frozen=True)
class ReleaseSummary:
    operations: int
    defects: int


def all_defects(contract: Contract) -> list[SpecDefect]:
    """Contract and operation defects, each once, in a stable order."""
    seen: dict[tuple[Any, ...], SpecDefect] = {}
    for d in list(contract.defects) + [d for op in contract.operations for d in op.defects]:
        seen.setdefault(tuple(sorted(d.to_dict().items())), d)
    return sorted(seen.values(), key=lambda d: (d.file, d.pointer, d.code, d.message))


@functools.cache
def _code_digest() -> str:
    """A digest of every source file of the contracts layer (what reads specs and counts their defects)."""
    here = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(here.rglob("*.py")):
        h.update(str(path.relative_to(here)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def _entry_path(bb: BuildingBlock, release: Release, store: SpecStore) -> Path:
    files = [(f.store_path, f.sha256) for f in release.files]
    key = json.dumps([_FORMAT, _code_digest(), bb.key, release.ref, str(store.root), store.source.value, files])
    return cache_root() / "summaries" / hashlib.sha256(key.encode()).hexdigest()


def _fresh(entry: Any) -> ReleaseSummary | None:
    """The summary of an entry whose every document still has the content it was counted from."""
    if not isinstance(entry, dict) or entry.get("format") != _FORMAT:
        return None
    docs, ops, defects = entry.get("documents"), entry.get("operations"), entry.get("defects")
    if not isinstance(docs, list) or not docs or not isinstance(ops, int) or not isinstance(defects, int):
        return None
    for item in docs:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
            return None
        try:
            if hashlib.sha256(Path(item[0]).read_bytes()).hexdigest() != item[1]:
                return None
        except OSError:
            return None
    return ReleaseSummary(ops, defects)


def _hashes(paths: list[Path]) -> dict[str, str] | None:
    try:
        return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}
    except OSError:
        return None


def _write(where: Path, contract: Contract, files: dict[str, str], summary: ReleaseSummary) -> None:
    """Record the release's files as hashed before loading, and every document as the loader read it (an
    unreadable file is no document, and a referenced one no release file: both are checked on a hit)."""
    if any(not d.path for d in contract.documents.values()):
        return  # a document not read from a file cannot be checked again: never cached
    docs = [[path, sha] for path, sha in {**files, **{d.path: d.sha256 for d in contract.documents.values()}}.items()]
    body = {"format": _FORMAT, "documents": docs, "operations": summary.operations, "defects": summary.defects}
    with contextlib.suppress(OSError):
        where.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(body, f)
            os.replace(tmp, where)
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def summarize(bb: BuildingBlock, release: Release, *, store: SpecStore) -> ReleaseSummary:
    """Operations and defects of the release in `store` (StoreError as load_release raises it)."""
    try:
        where: Path | None = _entry_path(bb, release, store)
    except Exception:  # no cache directory can be named (no home, say): no cache
        where = None
    if where is not None:
        with contextlib.suppress(OSError, ValueError):
            found = _fresh(json.loads(where.read_text(encoding="utf-8")))
            if found is not None:
                return found
    from govstack_conform.contracts.load import load_release

    files = _hashes([store.path_for(f) for f in release.files]) if where is not None else None
    contract = load_release(bb, release, store=store)
    summary = ReleaseSummary(len(contract.operations), len(all_defects(contract)))
    if where is not None and files is not None:
        _write(where, contract, files, summary)
    return summary
