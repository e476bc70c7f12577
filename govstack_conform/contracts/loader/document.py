"""Load one spec file into model objects plus defects; never raises for bad spec content."""

from __future__ import annotations

import dataclasses
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govstack_conform.contracts.loader.build import Builder
from govstack_conform.contracts.loader.checks import SchemaScan, schema_defects
from govstack_conform.contracts.loader.common import Sink, join
from govstack_conform.contracts.loader.parse import Unreadable, read_document
from govstack_conform.contracts.loader.refs import Doc, Resolver
from govstack_conform.contracts.model import Operation, SecurityScheme, Severity, SpecDefect, SpecDocument
from govstack_conform.contracts.uris import doc_uri
from govstack_conform.errors import SpecError

_VERSION = re.compile(r"^3\.[01](\.\d+)?(-[0-9A-Za-z.]+)?$")
_CACHE_LIMIT = 512


@dataclass(frozen=True)
class LoadedDocument:
    """One loaded file: its document (None when unreadable), operations, schemes and defects."""

    document: SpecDocument | None
    operations: tuple[Operation, ...]
    security_schemes: dict[str, SecurityScheme]
    defects: tuple[SpecDefect, ...]
    extra_documents: tuple[SpecDocument, ...] = ()
    _stamps: tuple[tuple[Path, tuple[int, int]], ...] = field(default=(), repr=False, compare=False)

    @property
    def readable(self) -> bool:
        return self.document is not None


def unreadable(key: str, reason: str) -> LoadedDocument:
    one_line = " ".join(reason.split())
    defect = SpecDefect(key, "", f"cannot load {key}: {one_line}", Severity.ERROR, "unreadable")
    return LoadedDocument(None, (), {}, (defect,))


def require_readable(loaded: LoadedDocument) -> LoadedDocument:
    """For a file the user asked for directly: raise SpecError (one line) when it could not be read."""
    if loaded.document is None:
        first = loaded.defects[0].message if loaded.defects else "cannot load the spec"
        raise SpecError(first)
    return loaded


def _openapi_version(data: Any) -> str:
    """The document's OpenAPI version, or Unreadable saying what the file is instead."""
    if not isinstance(data, dict):
        kind = "plain text" if isinstance(data, str) else f"a YAML/JSON {type(data).__name__}"
        raise Unreadable(f"not an OpenAPI document: the file holds {kind}, not a map with an 'openapi' field")
    if "openapi" not in data:
        if "swagger" in data:
            raise Unreadable(
                f"Swagger {data['swagger']} document; only OpenAPI 3.0 and 3.1 are supported (convert it first)"
            )
        raise Unreadable("not an OpenAPI document: it has no 'openapi' field")
    version = data["openapi"]
    if isinstance(version, float):
        version = repr(version)
    if not isinstance(version, str) or not _VERSION.match(version):
        raise Unreadable(f"unsupported OpenAPI version {version!r}; only 3.0.x and 3.1.x are supported")
    return version


_cache: dict[tuple[str, str, str], LoadedDocument] = {}


def _fresh(loaded: LoadedDocument) -> bool:
    for path, stamp in loaded._stamps:
        try:
            st = path.stat()
        except OSError:
            return False
        if (st.st_size, st.st_mtime_ns) != stamp:
            return False
    return bool(loaded._stamps)


def load_document(path: Path, key: str, *, root: Path | None = None) -> LoadedDocument:
    """Load the spec at `path`, known as `key` (store path); `root` bounds external refs.

    Repeated loads of an unchanged file (and unchanged referenced files) return the cached result.
    """
    path = Path(path)
    base = (root if root is not None else path.absolute().parent).resolve()
    ident = (str(path.resolve()), key, str(base))
    hit = _cache.get(ident)
    if hit is not None and _fresh(hit):
        return hit
    loaded = _load(path, key, base)
    if loaded.document is not None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[ident] = loaded
    return loaded


def _load(path: Path, key: str, root: Path) -> LoadedDocument:
    try:
        parsed, stamp = read_document(path)
        version = _openapi_version(parsed.data)
    except Unreadable as e:
        return unreadable(key, str(e))
    main = Doc(key, path, parsed.data, version, parsed.sha256, stamp, parsed.duplicate_keys)
    resolver = Resolver(main, root)
    sink = Sink()
    if isinstance(parsed.data.get("openapi"), float):
        sink.add(key, "/openapi", "openapi must be a string such as '3.0.3', not a number", "bad-field")
    scan = SchemaScan(resolver)
    builder = Builder(main, resolver, sink, scan)
    try:
        ops = builder.build()
        schema_defects(builder.uses, scan, sink)
    except RecursionError:
        return unreadable(key, "nested too deeply to load")
    for doc in (main, *resolver.extra):
        for ptr, name, line in doc.duplicate_keys:
            where = join(ptr, name)
            sink.add(
                doc.key,
                where,
                f"key {name!r} appears twice in this mapping (again at line {line}); YAML keeps "
                "only the last one, so the first is lost",
                "duplicate-key",
            )
    defects = _attribute(sink.items, key, ops)
    by_op: dict[str, list[SpecDefect]] = defaultdict(list)
    for d in defects:
        if d.operation:
            by_op[d.operation].append(d)
    ops = [dataclasses.replace(op, defects=tuple(by_op.get(op.key, ()))) for op in ops]
    return LoadedDocument(
        document=_spec_document(main),
        operations=tuple(ops),
        security_schemes=dict(builder.schemes),
        defects=tuple(defects),
        extra_documents=tuple(_spec_document(d) for d in resolver.extra),
        _stamps=((path, stamp), *((d.path, d.stamp) for d in resolver.extra)),
    )


def _attribute(defects: list[SpecDefect], key: str, ops: list[Operation]) -> list[SpecDefect]:
    """Give defects that stand inside an operation (but were found without one) that operation."""
    owners = {op.pointer: op.key for op in ops if op.source_file == key}
    out = []
    for d in defects:
        if d.operation is None and d.file == key and d.pointer.startswith("/paths/"):
            owner = owners.get("/".join(d.pointer.split("/")[:4]))
            if owner is not None:
                d = dataclasses.replace(d, operation=owner)
        out.append(d)
    return out


def _spec_document(doc: Doc) -> SpecDocument:
    return SpecDocument(
        key=doc.key, uri=doc_uri(doc.key), openapi=doc.openapi, sha256=doc.sha256, raw=doc.raw, path=str(doc.path)
    )


def clear_cache() -> None:
    _cache.clear()
