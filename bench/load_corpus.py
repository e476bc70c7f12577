"""Benchmark: load every BB's default release from the catalog, cold and warm; print seconds and memory.

    python bench/load_corpus.py [--all] [--repeat N]

Cold = empty in-process caches and an empty parse cache on disk (modules already imported; import time
is printed separately). Disk-cached = empty in-process caches, parsed YAML from the disk cache an earlier
process would have left (contracts/loader/diskcache.py; here a temporary folder, never the user's cache).
Warm = the same loads again in the same process (parsed results cached by path, size and mtime).
Peak memory: ru_maxrss of the process, and tracemalloc's peak over one extra cold load (run
separately because tracing slows Python down). `--all` loads every OpenAPI file in MANIFEST.json.
The target is under 2 s cold for the 13 default releases on a 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

_t = time.perf_counter()
from govstack_conform.contracts.loader import build_contract, contract, document, parse  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _t


def _store() -> Path:
    env = os.environ.get("GOVSTACK_CONFORM_SPECS")
    return Path(env).resolve() if env else (REPO.parent / "shared" / "govspecs").resolve()


def _releases(store: Path, everything: bool) -> list[tuple[str, str, list[tuple[str, Path]]]]:
    if everything:
        groups: dict[tuple[str, str], list[tuple[str, Path]]] = {}
        for e in json.loads((store / "MANIFEST.json").read_text()):
            if e["kind"] != "feature":
                groups.setdefault((e["bb"], e["ref"]), []).append((e["file"], store / e["file"]))
        return [(bb, ref, files) for (bb, ref), files in groups.items()]
    catalog = yaml.safe_load((REPO / "specs" / "catalog.yaml").read_text())
    out = []
    for bb, entry in catalog["building_blocks"].items():
        ref = entry["default"]
        files = [(f["store"], store / f["store"]) for f in entry["releases"][ref]["files"]]
        out.append((bb, ref, files))
    return out


def _clear(disk: Path | None = None) -> None:
    """Empty the in-process caches; with `disk`, also point the parse cache at a new empty folder there."""
    if disk is not None:
        fresh = Path(tempfile.mkdtemp(dir=disk))
        os.environ["GOVSTACK_CONFORM_CACHE"] = str(fresh)
    parse.clear_cache()
    document.clear_cache()
    contract._cache.clear()


def _load_all(releases: list[tuple[str, str, list[tuple[str, Path]]]], store: Path) -> tuple[int, int, int]:
    files = ops = defects = 0
    for bb, ref, entries in releases:
        c = build_contract(bb, ref, bb, entries, root=store)
        files += len(entries)
        ops += len(c.operations)
        defects += len(c.defects)
    return files, ops, defects


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all", action="store_true", help="every OpenAPI file in MANIFEST.json, all refs")
    ap.add_argument("--repeat", type=int, default=5, help="cold runs (best and median are printed)")
    args = ap.parse_args()
    store = _store()
    releases = _releases(store, args.all)

    disk = Path(tempfile.mkdtemp(prefix="bench-parse-cache-"))
    cold = []
    for _ in range(args.repeat):
        _clear(disk)
        t = time.perf_counter()
        files, ops, defects = _load_all(releases, store)
        cold.append(time.perf_counter() - t)
    cached = []  # the disk cache the last cold load filled
    for _ in range(args.repeat):
        _clear()
        t = time.perf_counter()
        _load_all(releases, store)
        cached.append(time.perf_counter() - t)
    warm = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        _load_all(releases, store)
        warm.append(time.perf_counter() - t)

    _clear(disk)
    tracemalloc.start()
    _load_all(releases, store)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    maxrss_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    shutil.rmtree(disk, ignore_errors=True)

    cold.sort()
    cached.sort()
    warm.sort()
    scope = "all manifest refs" if args.all else "catalog default releases"
    print(f"scope:            {scope}: {len(releases)} releases, {files} files, {ops} operations, {defects} defects")
    print(f"import loader:    {IMPORT_SECONDS:.3f} s")
    print(f"cold load:        best {cold[0]:.3f} s, median {cold[len(cold) // 2]:.3f} s  (target < 2 s)")
    print(f"disk-cached load: best {cached[0]:.3f} s, median {cached[len(cached) // 2]:.3f} s")
    print(f"warm load:        best {warm[0] * 1000:.2f} ms, median {warm[len(warm) // 2] * 1000:.2f} ms")
    print(f"peak (traced):    {traced_peak / 1e6:.1f} MB allocated by Python during one cold load")
    print(f"peak (maxrss):    {maxrss_kb / 1024:.1f} MB resident for the whole process")


if __name__ == "__main__":
    main()
