"""Path-template matching for the mock: which operation does a request path address?

Templates are matched segment by segment on the raw (still percent-encoded) path, so an encoded `/`
inside a parameter never splits it. A literal segment beats a segment mixing literals and
parameters (`{field}.{ext}`), which beats a bare parameter, left to right — the OpenAPI rule that
concrete paths win over templated ones. A template's trailing slash is matched exactly when
possible; a request differing only by that slash still finds the route (clients disagree on it).
Some specs put a query in the path key (`/beneficiaries?command=validate`): that query only breaks
ties between templates of the same path, since it may be a placeholder (`?language=LANGCODE`).
A METHOD and path defined more than once (operation variants, `contracts/loader/variants.py`) is told
apart by each definition's fixed query (`POST /vouchers?command=cancel`), as a product dispatching on
`?command=` would; definitions even that leaves tied are left to the app, which looks at the request.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote

from govstack_conform.contracts.model import Operation

_PARAM = re.compile(r"\{([^{}/]+)\}")

LITERAL, MIXED, PARAM = 0, 1, 2


@dataclass(frozen=True)
class _Segment:
    kind: int  # LITERAL | MIXED | PARAM
    text: str  # literal text, or the parameter name for PARAM
    pattern: re.Pattern[str] | None = None
    names: tuple[str, ...] = ()

    def match(self, raw: str) -> dict[str, str] | None:
        if self.kind == LITERAL:
            return {} if unquote(raw) == self.text else None
        if self.kind == PARAM:
            return {self.text: unquote(raw)} if raw else None
        assert self.pattern is not None
        m = self.pattern.fullmatch(raw)
        if m is None:
            return None
        return {name: unquote(m.group(i + 1)) for i, name in enumerate(self.names)}


def _segment(text: str) -> _Segment:
    names = _PARAM.findall(text)
    if not names:
        return _Segment(LITERAL, text)
    if _PARAM.fullmatch(text):
        return _Segment(PARAM, names[0])
    regex = ""
    pos = 0
    for m in _PARAM.finditer(text):
        regex += re.escape(text[pos : m.start()]) + "(.+?)"
        pos = m.end()
    regex += re.escape(text[pos:])
    return _Segment(MIXED, text, re.compile(regex), tuple(names))


def _split(path: str) -> tuple[list[str], bool]:
    """Segments of a path without its leading slash, and whether it ends with a slash."""
    body = path[1:] if path.startswith("/") else path
    trailing = body.endswith("/") and body != ""
    if trailing:
        body = body[:-1]
    return (body.split("/") if body else []), trailing


@dataclass
class PathRoute:
    """One path template of the contract and the operations declared on it, by method."""

    template: str
    segments: tuple[_Segment, ...]
    trailing_slash: bool
    query: tuple[tuple[str, str], ...] = ()  # query written into the path key, if any
    operations: dict[str, Operation] = field(default_factory=dict)  # the first definition per method
    variants: dict[str, list[Operation]] = field(default_factory=dict)  # every definition per method

    def query_fit(self, query: Mapping[str, list[str]]) -> tuple[int, int]:
        """(unmet, -met) query pairs of the template for a request's query: lower is a better fit."""
        met = sum(1 for k, v in self.query if v in query.get(k, ()))
        return len(self.query) - met, -met

    @property
    def rank(self) -> tuple[int, ...]:
        return tuple(s.kind for s in self.segments)

    @property
    def allow(self) -> str:
        return ", ".join(sorted(self.operations))

    def match(self, raw_segments: list[str]) -> dict[str, str] | None:
        if len(raw_segments) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for seg, raw in zip(self.segments, raw_segments, strict=True):
            got = seg.match(raw)
            if got is None:
                return None
            params.update(got)
        return params


@dataclass(frozen=True)
class Match:
    route: PathRoute
    params: Mapping[str, str]
    operation: Operation | None  # None: the path exists but not with this method
    tied: tuple[Operation, ...] = ()  # definitions the URL cannot tell apart from `operation` (itself first)


def _fit(op: Operation, query: Mapping[str, list[str]]) -> tuple[int, int]:
    """(unmet, -met) pairs of the operation's fixed query in a request's query: lower is a better fit."""
    met = sum(1 for k, v in op.fixed_query if v in query.get(k, ()))
    return len(op.fixed_query) - met, -met


def _variant(found: list[Operation], query: Mapping[str, list[str]]) -> tuple[Operation, tuple[Operation, ...]]:
    """The definition whose fixed query the request carries best, and those tied with it."""
    if len(found) == 1:
        return found[0], ()
    ranked = sorted(found, key=lambda op: _fit(op, query))  # stable: spec order among equals
    best = _fit(ranked[0], query)
    tied = tuple(op for op in ranked if _fit(op, query) == best)
    return ranked[0], tied if len(tied) > 1 else ()


class Router:
    """All path templates of a contract, ordered so that the first match is the most concrete."""

    def __init__(self, operations: Iterable[Operation]) -> None:
        by_template: dict[str, PathRoute] = {}
        for op in operations:
            route = by_template.get(op.path)
            if route is None:
                path, _, query = op.path.partition("?")
                segs, trailing = _split(path)
                pairs = tuple(parse_qsl(query, keep_blank_values=True))
                route = PathRoute(op.path, tuple(_segment(s) for s in segs), trailing, pairs)
                by_template[op.path] = route
            route.operations.setdefault(op.method, op)
            route.variants.setdefault(op.method, []).append(op)
        self.routes: list[PathRoute] = sorted(by_template.values(), key=lambda r: r.rank)
        self._by_length: dict[int, list[PathRoute]] = {}
        for r in self.routes:
            self._by_length.setdefault(len(r.segments), []).append(r)

    def _candidates(self, raw_path: str, query: Mapping[str, list[str]]) -> list[tuple[PathRoute, dict[str, str]]]:
        segs, trailing = _split(raw_path or "/")
        found = []
        for n, route in enumerate(self._by_length.get(len(segs), ())):
            params = route.match(segs)
            if params is not None:
                key = (route.trailing_slash != trailing, route.rank, route.query_fit(query), n)
                found.append((key, route, params))
        found.sort(key=lambda t: t[0])
        return [(route, params) for _, route, params in found]

    def match(self, method: str, raw_path: str, query: Mapping[str, list[str]] | None = None) -> Match | None:
        """The operation for `method` on `raw_path`; a Match without operation means 405; None means 404.

        Several templates can match one path (`/data/mcts/createEntries` and `/data/{a}/{b}`): the most
        concrete one declaring the method wins, as a framework router would do.
        """
        first: tuple[PathRoute, dict[str, str]] | None = None
        for route, params in self._candidates(raw_path, query or {}):
            found = route.variants.get(method.upper())
            if found:
                op, tied = _variant(found, query or {})
                return Match(route, params, op, tied)
            if first is None:
                first = (route, params)
        if first is None:
            return None
        return Match(first[0], first[1], None)
