"""Shared state and helpers of the document builder (defect reporting, ref following, schema uses)."""

from __future__ import annotations

from typing import Any

from govstack_conform.contracts.loader.checks import SchemaScan
from govstack_conform.contracts.loader.common import Sink
from govstack_conform.contracts.loader.refs import Doc, RefError, Resolver, Target
from govstack_conform.contracts.model import Schema, SecurityRequirement, SecurityScheme, Severity

ERROR = Severity.ERROR
INFO = Severity.INFO

Roots = list[tuple[str, str, Any]]  # schema roots (doc, pointer, node) used by one operation aspect


class Context:
    """One document being built; defects go to `sink`, schema uses to `uses`."""

    def __init__(self, doc: Doc, resolver: Resolver, sink: Sink, scan: SchemaScan) -> None:
        self.doc = doc
        self.resolver = resolver
        self.sink = sink
        self.scan = scan
        self.is31 = doc.openapi.startswith("3.1")
        self.uses: dict[tuple[str, str], Roots] = {}  # (operation key, aspect) -> schema roots
        self.schemes: dict[str, SecurityScheme] = {}
        self.swagger2_schemes: set[str] = set()
        self.global_security: tuple[SecurityRequirement, ...] = ()

    def warn(self, pointer: str, message: str, code: str, op: str | None = None, *, doc: str | None = None) -> None:
        self.sink.add(doc or self.doc.key, pointer, message, code, Severity.WARNING, op)

    def error(
        self, pointer: str, message: str, code: str, op: str | None, aspect: str | None, doc: str | None = None
    ) -> None:
        self.sink.add(doc or self.doc.key, pointer, message, code, ERROR, op, aspect)

    def follow(self, doc: str, pointer: str, node: Any, op: str | None, aspect: str | None) -> Target | None:
        """Resolve a possibly-$ref'd object; a broken ref becomes a defect (ERROR when `aspect` is set)."""
        try:
            return self.resolver.follow(doc, pointer, node)
        except RefError as e:
            if aspect is None:
                self.warn(pointer, str(e), e.code, op, doc=doc)
            else:
                self.error(pointer, str(e), e.code, op, aspect, doc=doc)
            return None

    def schema(self, doc: str, pointer: str, node: Any, op: str | None, aspect: str) -> Schema:
        self.uses.setdefault((op or "", aspect), []).append((doc, pointer, node))
        return Schema(node=node, doc=doc, pointer=pointer)
