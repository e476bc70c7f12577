"""Merge a BB release's files into one Contract with a `referencing` registry of all its documents."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from govstack_conform.contracts.loader.document import LoadedDocument, load_document
from govstack_conform.contracts.loader.parse import MAX_BYTES
from govstack_conform.contracts.loader.variants import variants
from govstack_conform.contracts.model import Contract, Operation, SecurityScheme, Severity, SpecDefect, SpecDocument
from govstack_conform.errors import SpecError

FETCH_TIMEOUT = 15.0
_CACHE_LIMIT = 64


def make_registry(documents: Sequence[SpecDocument]) -> Any:
    """Every document under its URI (DRAFT4 for OpenAPI 3.0, 2020-12 for 3.1); nothing is ever retrieved.
    A referencing.Registry; referencing is imported here, when a contract's schemas are first validated."""
    from referencing import Registry
    from referencing.jsonschema import DRAFT4, DRAFT202012

    resources = []
    for doc in documents:
        spec = DRAFT202012 if doc.openapi.startswith("3.1") else DRAFT4
        resources.append((doc.uri, spec.create_resource(doc.raw)))
    return Registry().with_resources(resources)


_cache: dict[tuple[Any, ...], tuple[tuple[LoadedDocument, ...], Contract]] = {}


def build_contract(
    bb: str, ref: str, title: str, files: Sequence[tuple[str, Path]], *, root: Path | None = None
) -> Contract:
    """Load each (key, path) and merge them; repeated calls on unchanged files return the same Contract."""
    loaded = tuple(load_document(Path(path), key, root=root) for key, path in files)
    ident = (bb, ref, title, tuple((k, str(p)) for k, p in files), str(root))
    hit = _cache.get(ident)
    if hit is not None and len(hit[0]) == len(loaded) and all(a is b for a, b in zip(hit[0], loaded, strict=True)):
        return hit[1]
    contract = merge(bb, ref, title, loaded)
    if len(_cache) >= _CACHE_LIMIT:
        _cache.clear()
    _cache[ident] = (loaded, contract)
    return contract


def merge(bb: str, ref: str, title: str, loaded: Sequence[LoadedDocument]) -> Contract:
    """One Contract from loaded files: every definition of an operation is kept (see variants); the first
    definition of a security scheme wins, a differing one is a defect."""
    operations: list[Operation] = []
    schemes: dict[str, SecurityScheme] = {}
    documents: dict[str, SpecDocument] = {}
    defects: list[SpecDefect] = []
    found: list[tuple[int, SpecDefect]] = []  # (index of the file that found it, defect)
    for n, item in enumerate(loaded):
        found.extend((n, d) for d in item.defects)
        for doc in (item.document, *item.extra_documents):
            if doc is not None:
                documents.setdefault(doc.key, doc)
        operations.extend(item.operations)
        for name, scheme in item.security_schemes.items():
            known = schemes.get(name)
            if known is None:
                schemes[name] = scheme
            elif dict(known.raw) != dict(scheme.raw) and item.document is not None:
                defects.append(
                    SpecDefect(
                        item.document.key,
                        f"/components/securitySchemes/{name}",
                        f"security scheme {name!r} "
                        "differs from the one of the same name in another file; the first is used",
                        Severity.WARNING,
                        "conflicting-security-scheme",
                    )
                )
    named, repeated = variants(operations)
    # A defect found while loading names its operation by METHOD and path: give it the variant's key.
    key_of = {(n, op.route): op.key for n, item in enumerate(loaded) for op in named if op.source_file == _key(item)}
    found_defects = [rekey(d, key_of.get((n, d.operation or ""))) for n, d in found]
    named = [replace(op, defects=tuple(rekey(d, op.key) for d in op.defects)) if op.variant else op for op in named]
    return Contract(
        bb=bb,
        ref=ref,
        title=title,
        operations=tuple(named),
        security_schemes=schemes,
        documents=documents,
        defects=tuple(found_defects) + tuple(defects) + tuple(repeated),
    )


def _key(item: LoadedDocument) -> str | None:
    return item.document.key if item.document is not None else None


def rekey(d: SpecDefect, key: str | None) -> SpecDefect:
    """`d` naming operation `key`, when it names an operation whose key the variants changed."""
    return replace(d, operation=key) if key is not None and d.operation is not None and d.operation != key else d


def load_files(paths: Sequence[Path], bb: str = "custom", ref: str = "local") -> Contract:
    """A Contract from files named on the command line (`--spec FILE`); keys are paths below their common folder."""
    if not paths:
        raise SpecError("no spec files given")
    absolute = [Path(p).absolute() for p in paths]
    common = Path(os.path.commonpath([str(p.parent) for p in absolute]))
    files = [(PurePosixPath(*p.relative_to(common).parts).as_posix(), p) for p in absolute]
    first = load_document(files[0][1], files[0][0], root=common)
    return build_contract(bb, ref, _title(first, files[0][0]), files, root=common)


def fetch_spec(url: str, *, timeout: float = FETCH_TIMEOUT, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of a spec named by URL (`--spec URL`), size-capped; raises SpecError. $refs are never fetched."""
    import httpx

    if urlsplit(url).scheme not in ("http", "https"):
        raise SpecError(f"not an http(s) URL: {url}")
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as resp:
            if resp.status_code != 200:
                raise SpecError(f"cannot fetch {url}: HTTP {resp.status_code}")
            declared = resp.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise SpecError(f"cannot fetch {url}: {int(declared)} bytes is over the {max_bytes} byte limit")
            chunks, size = [], 0
            for chunk in resp.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise SpecError(f"cannot fetch {url}: over the {max_bytes} byte limit")
                chunks.append(chunk)
            return b"".join(chunks)
    except httpx.HTTPError as e:
        raise SpecError(f"cannot fetch {url}: {type(e).__name__}: {e}") from None


def load_url(url: str, bb: str = "custom", ref: str = "remote") -> Contract:
    """A Contract from one spec fetched by URL; its relative $refs resolve to nothing (reported as defects)."""
    data = fetch_spec(url)
    name = PurePosixPath(unquote(urlsplit(url).path)).name or "spec.yaml"
    with tempfile.TemporaryDirectory(prefix="govstack-spec-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        loaded = load_document(path, name, root=Path(tmp))
        return merge(bb, ref, _title(loaded, url), [loaded])


def _title(loaded: LoadedDocument, fallback: str) -> str:
    info = loaded.document.raw.get("info") if loaded.document is not None else None
    title = info.get("title") if isinstance(info, dict) else None
    return title if isinstance(title, str) else fallback
