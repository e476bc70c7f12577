"""`$ref` resolution for the loader, with the external-reference policy.

Internal refs (`#/...`) are looked up in the document. A relative ref to a file beside the spec is
read (through the same safe parser) only when it stays inside the root folder; absolute paths, refs
that climb out of the root, and anything with a URL scheme (http, https, file, ...) are refused
before any read or fetch. Refused or broken refs raise RefError, which callers turn into defects.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from govstack_conform.contracts.loader.common import short, unesc
from govstack_conform.contracts.loader.parse import Unreadable, read_document

MAX_EXTRA_DOCS = 64
MAX_CHAIN = 32


class RefError(Exception):
    """A `$ref` that cannot be followed. `code` is the defect code, `str()` the message."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Doc:
    """A parsed document taking part in one load: the spec itself or a file it refers to."""

    key: str
    path: Path
    raw: Any
    openapi: str
    sha256: str
    stamp: tuple[int, int] = (0, 0)
    duplicate_keys: tuple[tuple[str, str, int], ...] = ()


@dataclass(frozen=True)
class Target:
    doc: str  # key of the document the node stands in
    pointer: str  # where the node stands in that document
    node: Any


@dataclass
class Resolver:
    """Follows `$ref`s from any loaded document; loads permitted external files on first use."""

    main: Doc
    root: Path
    docs: dict[str, Doc] = field(default_factory=dict)
    failed: dict[str, RefError] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = self.root.resolve()
        self.docs[self.main.key] = self.main

    @property
    def extra(self) -> list[Doc]:
        return [d for k, d in self.docs.items() if k != self.main.key]

    def lookup(self, doc_key: str, ref: Any) -> Target:
        """The node `ref` (as written in document `doc_key`) points to."""
        if not isinstance(ref, str):
            raise RefError("bad-ref", f"$ref must be a string, found {short(ref)}")
        target_doc = self._document(doc_key, ref)
        _, _, frag = ref.partition("#")
        pointer = unquote(frag)
        if pointer and not pointer.startswith("/"):
            raise RefError("bad-ref", f"$ref {ref!r} uses an anchor name; only JSON-pointer refs are supported")
        node = target_doc.raw
        for token in pointer.split("/")[1:] if pointer else ():
            name = unesc(token)
            if isinstance(node, dict) and name in node:
                node = node[name]
            elif isinstance(node, list) and name.isdigit() and int(name) < len(node):
                node = node[int(name)]
            else:
                where = "" if target_doc.key == doc_key else f" in {target_doc.key}"
                near = (
                    [k for k in node if isinstance(k, str) and k.lower() == name.lower()]
                    if isinstance(node, dict)
                    else []
                )
                hint = f" (did you mean {near[0]!r}?)" if near else ""
                raise RefError(
                    "dangling-ref", f"$ref {ref!r} points to nothing: {pointer!r} does not exist{where}{hint}"
                )
        return Target(target_doc.key, pointer, node)

    def follow(self, doc_key: str, pointer: str, node: Any) -> Target:
        """`node` itself, or what its chain of `$ref`s ends at (for non-schema objects)."""
        current = Target(doc_key, pointer, node)
        for _ in range(MAX_CHAIN):
            if not (isinstance(current.node, dict) and "$ref" in current.node):
                return current
            current = self.lookup(current.doc, current.node["$ref"])
        raise RefError("circular-ref", f"$ref chain starting at {pointer!r} is circular or longer than {MAX_CHAIN}")

    def _document(self, doc_key: str, ref: str) -> Doc:
        base = self.docs[doc_key]
        location = ref.partition("#")[0]
        if not location:
            return base
        parts = urlsplit(location)
        if parts.scheme in ("http", "https") or location.startswith("//"):
            raise RefError(
                "external-ref-refused",
                f"$ref {ref!r} points to the network; refs are never fetched (put the file beside the spec)",
            )
        if parts.scheme and len(parts.scheme) > 1:
            raise RefError(
                "external-ref-refused", f"$ref {ref!r} uses the {parts.scheme}: scheme; only relative files are allowed"
            )
        rel = unquote(parts.path)
        if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":"):
            raise RefError(
                "external-ref-refused", f"$ref {ref!r} is an absolute path; only files beside the spec are allowed"
            )
        key = posixpath.normpath(posixpath.join(posixpath.dirname(doc_key), rel.replace("\\", "/")))
        if key.startswith("../") or key == "..":
            raise RefError("external-ref-refused", f"$ref {ref!r} leaves the spec's folder; refused")
        if key in self.docs:
            return self.docs[key]
        if key in self.failed:
            raise self.failed[key]
        path = base.path.parent / rel
        if not self._inside(path):
            raise RefError("external-ref-refused", f"$ref {ref!r} leaves the spec's folder; refused")
        if len(self.docs) > MAX_EXTRA_DOCS:
            raise RefError("bad-ref", f"$ref {ref!r}: more than {MAX_EXTRA_DOCS} referenced files; refusing more")
        try:
            parsed, stamp = read_document(path)
        except Unreadable as e:
            err = RefError("dangling-ref", f"$ref {ref!r}: the referenced file {key} cannot be read ({e})")
            self.failed[key] = err
            raise err from None
        doc = Doc(key, path, parsed.data, self.main.openapi, parsed.sha256, stamp, parsed.duplicate_keys)
        self.docs[key] = doc
        return doc

    def _inside(self, path: Path) -> bool:
        try:
            return path.resolve().is_relative_to(self.root)
        except (OSError, RuntimeError, ValueError):
            return False
