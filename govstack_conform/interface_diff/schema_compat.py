"""Is one schema a subset of another? The candidate's request schemas must accept everything the BB's
allow; its response schemas must allow nothing the BB's forbid.

Both questions are "sub ⊆ sup": for requests sub is the BB's schema and sup the candidate's, for
responses the reverse. The check is structural and conservative: it reports only what it can show
from keywords (types, enums, bounds, required, additionalProperties, items, pattern, format), never
guesses about regular expressions, and treats `oneOf` like `anyOf` and ignores `not`, so it can miss
a narrowing but should not invent one. `allOf` members are read together as one conjunction. `$ref`s
are followed with `schemas.resolve`; pairs of locations already under comparison are assumed to be
compatible (recursive schemas terminate), depth and work are bounded, and a broken schema becomes an
"info" difference instead of an exception.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.contracts.schemas import SchemaUnusable, child, resolve
from govstack_conform.interface_diff import keywords as kws
from govstack_conform.interface_diff.findings import Impact
from govstack_conform.interface_diff.schema_keywords import KeywordChecks

MAX_DEPTH = 24
MAX_STEPS = 20000


@dataclass(frozen=True)
class SchemaDifference:
    """One way the candidate's schema is incompatible with (or cannot be compared to) the BB's."""

    kind: str
    impact: Impact
    message: str
    bb: Schema | None
    candidate: Schema | None


class SchemaCache:
    """Work shared by every schema comparison of one diff: expanded $refs and pairs already judged.

    A pair's differences are kept with paths relative to the pair, and only when they did not depend
    on an assumption about a pair still being compared (a recursive schema).
    """

    def __init__(self) -> None:
        self.expanded: dict[tuple[int, str, str], list[Schema]] = {}
        self.judged: dict[tuple[Any, ...], list[_Raw]] = {}


def compare_schemas(
    bb: Contract,
    bb_schema: Schema,
    candidate: Contract,
    candidate_schema: Schema,
    direction: str,
    *,
    max_depth: int = MAX_DEPTH,
    cache: SchemaCache | None = None,
    textual: bool = False,
) -> list[SchemaDifference]:
    """Differences that make the candidate's schema unsafe in `direction` ("request" or "response").

    A difference met again at another path (a shared component) is reported once, at the first path.
    `textual` is for parameters: their values travel as text, so a string schema accepts what an
    integer, number or boolean schema allows.
    """
    if direction not in ("request", "response"):
        raise ValueError(direction)
    checker = _Checker(bb, candidate, direction, max_depth, cache or SchemaCache())
    checker.textual = textual
    checker.run(bb_schema, candidate_schema)
    seen: set[tuple[Any, ...]] = set()
    out = []
    for r in checker.raw:
        ident = (r.kind, _loc(r.sub), _loc(r.sup), r.sub_text, r.sup_text)
        if ident not in seen:
            seen.add(ident)
            out.append(checker.finish(r))
    return out


def _loc(s: Schema | None) -> tuple[str, str] | None:
    return None if s is None else (s.doc, s.pointer)


@dataclass(frozen=True)
class _Raw:
    """A difference before it is put in words; `path` is relative to the pair that found it."""

    kind: str
    impact: Impact
    path: str
    sub_text: str
    sup_text: str
    sub: Schema | None
    sup: Schema | None
    note: str = ""


class _Checker(KeywordChecks):
    def __init__(self, bb: Contract, candidate: Contract, direction: str, max_depth: int, cache: SchemaCache) -> None:
        self.direction = direction
        # In a request the BB's schema must fit inside the candidate's; in a response the reverse.
        self.sub_c, self.sup_c = (bb, candidate) if direction == "request" else (candidate, bb)
        self.max_depth = max_depth
        self.cache = cache
        self.stack: set[Any] = set()  # pairs being compared: assumed compatible when met again
        self.seen: set[Any] = set()  # pairs already compared in this run: reported once
        self.steps = [0]
        self.raw: list[_Raw] = []
        self.tainted = False  # a result depended on an assumption, or on a cut: do not remember it
        self.textual = False

    # ---- bookkeeping ------------------------------------------------------------------------------

    def _fork(self) -> _Checker:
        other = _Checker.__new__(_Checker)
        other.__dict__.update(self.__dict__)
        other.stack = set(self.stack)
        other.seen = set(self.seen)
        other.raw = []
        other.tainted = False
        return other

    def _add(
        self, kind: str, impact: Impact, path: str, sub_text: str, sup_text: str, sub: Schema | None, sup: Schema | None
    ) -> None:
        self.raw.append(_Raw(kind, impact, path, sub_text, sup_text, sub, sup))

    def finish(self, r: _Raw) -> SchemaDifference:
        """The difference in words, with the BB's side first."""
        if self.direction == "request":
            bb_text, cand_text, bb_loc, cand_loc = r.sub_text, r.sup_text, r.sub, r.sup
            why = "the candidate rejects requests the BB allows"
        else:
            bb_text, cand_text, bb_loc, cand_loc = r.sup_text, r.sub_text, r.sup, r.sub
            why = "the candidate may return what the BB forbids"
        if r.kind == "cannot-compare":
            return SchemaDifference(r.kind, r.impact, f"at {r.path or '/'}: {r.sub_text}", bb_loc, cand_loc)
        msg = (f"at {r.path}: " if r.path else "") + f"BB {bb_text}; candidate {cand_text}"
        if r.impact is Impact.BREAKING:
            msg += f" ({why})"
        return SchemaDifference(r.kind, r.impact, msg + r.note, bb_loc, cand_loc)

    def _unusable(self, path: str, exc: Exception, sub: Schema | None, sup: Schema | None) -> None:
        text = f"cannot compare, a schema is unusable: {exc}"
        self.raw.append(_Raw("cannot-compare", Impact.INFO, path, text, "", sub, sup))

    # ---- expansion: $ref and allOf into a flat conjunction ----------------------------------------

    def _expand(self, contract: Contract, schema: Schema, depth: int = 0) -> list[Schema]:
        key = (id(contract), schema.doc, schema.pointer)
        found = self.cache.expanded.get(key)
        if found is None:
            found = self._expand_now(contract, schema, depth)
            self.cache.expanded[key] = found
        return found

    def _expand_now(self, contract: Contract, schema: Schema, depth: int) -> list[Schema]:
        if depth > 16:
            raise SchemaUnusable(f"allOf nested too deeply at {schema.doc}#{schema.pointer}")
        r = resolve(contract, schema)
        node = r.node
        if node is True:
            return []
        if node is False:
            return [r]
        if not isinstance(node, dict):
            raise SchemaUnusable(f"not a schema at {r.doc}#{r.pointer}")
        members = [r]
        all_of = node.get("allOf")
        if isinstance(all_of, list):
            for i in range(len(all_of)):
                members += self._expand_now(contract, child(r, "allOf", i), depth + 1)
        return members

    def run(self, bb_schema: Schema, candidate_schema: Schema) -> None:
        sub, sup = (bb_schema, candidate_schema) if self.direction == "request" else (candidate_schema, bb_schema)
        self._compare(sub, sup, "", 0)

    def _compare(self, sub: Schema, sup: Schema, path: str, depth: int) -> None:
        try:
            sub_m = self._expand(self.sub_c, sub)
            sup_m = self._expand(self.sup_c, sup)
        except SchemaUnusable as exc:
            self._unusable(path, exc, sub, sup)
            return
        self._conj(sub_m, sup_m, path, depth, sub, sup)

    # ---- the comparison of two conjunctions -------------------------------------------------------

    def _conj(
        self, sub: list[Schema], sup: list[Schema], path: str, depth: int, sub_at: Schema, sup_at: Schema
    ) -> None:
        key = (
            self.direction,
            self.textual,
            tuple((m.doc, m.pointer, kws.alts(m)) for m in sub),
            tuple((m.doc, m.pointer, kws.alts(m)) for m in sup),
        )
        if key in self.stack:
            self.tainted = True
            return
        known = self.cache.judged.get(key)
        if known is not None:
            self.raw.extend(dataclasses.replace(r, path=path + r.path) for r in known)
            return
        if key in self.seen:  # compared earlier in this run, provisionally: reported there
            self.tainted = True
            return
        self.seen.add(key)
        self.steps[0] += 1
        if depth > self.max_depth or self.steps[0] > MAX_STEPS:
            self.tainted = True
            if not self.__dict__.get("_truncated"):
                self.__dict__["_truncated"] = True
                self._unusable(path, SchemaUnusable("nesting or size beyond the comparison limit"), sub_at, sup_at)
            return
        outer_taint, self.tainted = self.tainted, False
        start = len(self.raw)
        self.stack.add(key)
        try:
            self._conj_body(sub, sup, path, depth, sub_at, sup_at)
        finally:
            self.stack.discard(key)
        if not self.tainted:
            self.cache.judged[key] = [dataclasses.replace(r, path=r.path[len(path) :]) for r in self.raw[start:]]
        self.tainted = self.tainted or outer_taint

    def _conj_body(
        self, sub: list[Schema], sup: list[Schema], path: str, depth: int, sub_at: Schema, sup_at: Schema
    ) -> None:
        if any(m.node is False for m in sub):
            return  # sub allows nothing: trivially a subset
        sub_at = sub[0] if sub else sub_at
        sup_at = sup[0] if sup else sup_at
        if not kws.constrains(sup):
            return
        if any(m.node is False for m in sup):
            self._add("forbidden", Impact.BREAKING, path, "allows a value", "allows none", sub_at, sup_at)
            return
        if self._split_sub(sub, sup, path, depth, sub_at, sup_at) or self._split_sup(
            sub, sup, path, depth, sub_at, sup_at
        ):
            return
        if not kws.constrains(sub):
            if self.direction == "response":
                self._add(
                    "unconstrained",
                    Impact.NON_BREAKING,
                    path,
                    "does not describe it (any value)",
                    "constrains the value",
                    sub_at,
                    sup_at,
                )
            return
        common = self._types(sub, sup, path, sub_at, sup_at)
        if common is not None and not common:
            return
        self._enum(sub, sup, path, sub_at, sup_at)
        families = common if common is not None else frozenset({"object", "array", "string", "number", "integer"})
        if families & {"number", "integer"}:
            self._bounds(sub, sup, path, integer=families <= {"integer", "null"})
            self._multiple_of(sub, sup, path)
        if "string" in families:
            self._lengths(sub, sup, path, "maxLength", "minLength", "max-length", "min-length")
            self._pattern(sub, sup, path)
        if families & {"string", "number", "integer"}:
            self._format(sub, sup, path)
        if "array" in families:
            self._lengths(sub, sup, path, "maxItems", "minItems", "max-items", "min-items")
            self._array(sub, sup, path, depth, sub_at, sup_at)
        if "object" in families:
            self._lengths(sub, sup, path, "maxProperties", "minProperties", "max-properties", "min-properties")
            self._object(sub, sup, path, depth, sub_at, sup_at)

    def _split_sub(
        self, sub: list[Schema], sup: list[Schema], path: str, depth: int, sub_at: Schema, sup_at: Schema
    ) -> bool:
        """sub = X ∧ anyOf(B…) is a subset when every X ∧ Bi is."""
        for idx, m in enumerate(sub):
            for kw in ("anyOf", "oneOf"):
                branches = m.node.get(kw) if isinstance(m.node, dict) else None
                if not isinstance(branches, list) or not branches:
                    continue
                stripped = Schema({k: v for k, v in m.node.items() if k != kw}, m.doc, m.pointer)
                rest = [*sub[:idx], stripped, *sub[idx + 1 :]]
                for i in range(len(branches)):
                    try:
                        extra = self._expand(self.sub_c, child(m, kw, i))
                    except SchemaUnusable as exc:
                        self._unusable(path, exc, child(m, kw, i), sup_at)
                        continue
                    self._conj(rest + extra, sup, path, depth + 1, sub_at, sup_at)
                return True
        return False

    def _split_sup(
        self, sub: list[Schema], sup: list[Schema], path: str, depth: int, sub_at: Schema, sup_at: Schema
    ) -> bool:
        """sub ⊆ Y ∧ anyOf(B…) when sub ⊆ Y ∧ Bi for some i; otherwise report against the closest Bi."""
        for idx, m in enumerate(sup):
            for kw in ("anyOf", "oneOf"):
                branches = m.node.get(kw) if isinstance(m.node, dict) else None
                if not isinstance(branches, list) or not branches:
                    continue
                stripped = Schema({k: v for k, v in m.node.items() if k != kw}, m.doc, m.pointer)
                rest = [*sup[:idx], stripped, *sup[idx + 1 :]]
                best: _Checker | None = None
                for i in range(len(branches)):
                    trial = self._fork()
                    try:
                        extra = self._expand(self.sup_c, child(m, kw, i))
                    except SchemaUnusable as exc:
                        trial._unusable(path, exc, sub_at, child(m, kw, i))
                    else:
                        trial._conj(sub, rest + extra, path, depth + 1, sub_at, sup_at)
                    if not trial.raw:
                        self.tainted = self.tainted or trial.tainted
                        return True
                    if best is None or trial.score() < best.score():
                        best = trial
                assert best is not None
                self.tainted = self.tainted or best.tainted
                side = "BB" if self.direction == "response" else "candidate"
                note = f" (closest of the {side}'s {kw} alternatives)"
                self.raw.extend(dataclasses.replace(r, note=r.note or note) for r in best.raw)
                return True
        return False

    def score(self) -> tuple[int, int]:
        return (sum(r.impact is Impact.BREAKING for r in self.raw), len(self.raw))

    def _nested(self, subs: list[Schema], sups: list[Schema], path: str, depth: int) -> None:
        try:
            sm = [x for s in subs for x in self._expand(self.sub_c, s)]
            pm = [x for s in sups for x in self._expand(self.sup_c, s)]
        except SchemaUnusable as exc:
            self._unusable(path, exc, subs[0] if subs else None, sups[0] if sups else None)
            return
        self._conj(sm, pm, path, depth + 1, subs[0], sups[0])


KINDS = (
    "type", "nullable", "enum", "maximum", "minimum", "max-length", "min-length", "max-items", "min-items",
    "max-properties", "min-properties", "multiple-of", "pattern", "pattern-changed", "format", "items",
    "unique-items", "required", "property-forbidden", "additional-properties", "property-undeclared",
    "unconstrained", "forbidden", "cannot-compare",
)  # fmt: skip
"""Every `kind` a SchemaDifference can have."""
