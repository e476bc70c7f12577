"""Turn what the user named (`consent@23Q4`, `--spec draft.yaml`, `--spec https://…/api.json`) into Contracts.

Catalog contracts are read from the spec store (see `store`) and built by the loader with their store paths as
document keys, so findings name files the same way on every machine. A contract is cached per process as long
as its files do not change on disk, so commands that load the same BB twice pay once.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections.abc import Sequence
from pathlib import Path, PurePosixPath
from urllib.parse import unquote, urlsplit

from govstack_conform.contracts.catalog import BuildingBlock, Release, load_catalog
from govstack_conform.contracts.model import Contract, Severity, SpecDefect
from govstack_conform.contracts.store import SpecStore, resolve_store
from govstack_conform.errors import SpecError

CUSTOM_BB = "custom"
CUSTOM_REF = "local"

_cache: dict[tuple[object, ...], Contract] = {}


def load_contract(selector: str, *, store: SpecStore | None = None, specs_option: Path | str | None = None) -> Contract:
    """The contract of catalog release `selector` (`bb[@ref]`), read from the spec store."""
    bb, release = load_catalog().select(selector)
    return load_release(bb, release, store=store if store is not None else resolve_store(_opt(specs_option)))


def load_release(bb: BuildingBlock, release: Release, *, store: SpecStore) -> Contract:
    """Build one catalog release from `store`; store-integrity notes become WARNING defects of the contract."""
    paths = [store.path_for(f) for f in release.files]
    signature = tuple(_stat(p) for p in paths)
    key = (bb.key, release.ref, str(store.root), store.source, signature)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    mismatches = store.check(release.files)  # raises for missing files, and for a corrupt cache
    from govstack_conform.contracts.loader import build_contract

    contract = build_contract(
        bb.key,
        release.ref,
        bb.title,
        [(f.store_path, p) for f, p in zip(release.files, paths, strict=True)],
        root=store.root,
    )
    if mismatches:
        notes = tuple(
            SpecDefect(
                file=m.file.store_path,
                pointer="",
                message=m.message,
                severity=Severity.WARNING,
                code="store-sha256-mismatch",
            )
            for m in mismatches
        )
        contract = dataclasses.replace(contract, defects=notes + tuple(contract.defects))
    _cache[key] = contract
    return contract


def load_selected(
    selectors: Sequence[str], spec_files: Sequence[str], *, specs_option: Path | str | None = None
) -> list[Contract]:
    """Contracts for catalog selectors, plus one contract merged from every `--spec FILE_OR_URL` given.

    A `--spec` file that cannot be read at all (missing, a directory, binary, not YAML/JSON, not OpenAPI) is a
    SpecError: the user asked for it directly. Catalog contracts need the store only when selectors are given.
    """
    contracts: list[Contract] = []
    if selectors:
        store = resolve_store(_opt(specs_option))
        contracts.extend(load_contract(s, store=store) for s in selectors)
    if spec_files:
        contracts.append(load_spec_files(spec_files))
    return contracts


def load_spec_files(spec_files: Sequence[str]) -> Contract:
    """One contract (`custom@local`) merged from local files and/or URLs named with `--spec`.

    Local files are keyed by their path below their common folder, which also bounds their external `$ref`s;
    a URL is keyed by itself and fetched once (its own `$ref`s are never fetched).
    """
    from govstack_conform.contracts.loader import fetch_spec, load_document, merge, require_readable

    local = {spec: _local(spec) for spec in spec_files if not _is_url(spec)}
    common = Path(os.path.commonpath([str(p.parent) for p in local.values()])) if local else None
    loaded = []
    with tempfile.TemporaryDirectory(prefix="govstack-conform-spec-") as tmp:
        for n, spec in enumerate(spec_files):
            if _is_url(spec):
                path = Path(tmp) / f"{n}-{_safe_name(spec)}"
                path.write_bytes(fetch_spec(spec))
                key, root = spec, Path(tmp)
            else:
                assert common is not None
                path = local[spec]
                key, root = PurePosixPath(*path.relative_to(common).parts).as_posix(), common
            loaded.append(require_readable(load_document(path, key, root=root)))
    first = loaded[0].document
    info = first.raw.get("info") if first is not None else None
    title = info.get("title") if isinstance(info, dict) and isinstance(info.get("title"), str) else spec_files[0]
    return merge(CUSTOM_BB, CUSTOM_REF, str(title), loaded)


def _is_url(spec: str) -> bool:
    return spec.startswith(("http://", "https://"))


def _safe_name(url: str) -> str:
    name = PurePosixPath(unquote(urlsplit(url).path)).name
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)[:100] or "spec.yaml"


def _opt(value: Path | str | None) -> Path | None:
    return None if value is None or str(value) == "" else Path(value)


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size)


def _local(spec: str) -> Path:
    path = Path(spec).expanduser()
    if not path.exists():
        raise SpecError(f"spec file {spec} does not exist")
    if path.is_dir():
        raise SpecError(f"spec file {spec} is a directory, not a file")
    return path.resolve()
