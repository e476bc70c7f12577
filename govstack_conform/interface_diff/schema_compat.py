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

from govstack_conform.interface_diff import keywords as kws
from govstack_conform.interface_diff.findings import Impact
from govstack_conform.model import Contract, Schema
from govstack_conform.schemas import SchemaUnusable, child, resolve

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


class _Checker:
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

    def _is30(self, contract: Contract, schema: Schema) -> bool:
        doc = contract.documents.get(schema.doc)
        return doc is None or not doc.openapi.startswith("3.1")

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

    # ---- keyword families -------------------------------------------------------------------------

    def _types_of(self, contract: Contract, conj: list[Schema]) -> frozenset[str] | None:
        result: frozenset[str] | None = None
        nullable = False
        for m in conj:
            node = m.node
            t = node.get("type")
            is30 = self._is30(contract, m)
            nullable = nullable or (is30 and node.get("nullable") is True)
            found = (
                frozenset([t])
                if isinstance(t, str)
                else frozenset(x for x in t if isinstance(x, str))
                if isinstance(t, list)
                else None
            )
            if found is not None and is30 and node.get("nullable") is True:
                found = found | {"null"}
            if found is not None:
                result = found if result is None else kws.meet(result, found)
        if result is None:
            result = kws.infer(conj)
            if result is not None and nullable:
                result = result | {"null"}
        return result

    def _types(
        self, sub: list[Schema], sup: list[Schema], path: str, sub_at: Schema, sup_at: Schema
    ) -> frozenset[str] | None:
        st, pt = self._types_of(self.sub_c, sub), self._types_of(self.sup_c, sup)
        if pt is None:
            return st
        holder = kws.holder(sup, "type") or sup_at
        if st is None:
            self._add(
                "type", Impact.BREAKING, path, "allows any type", f"allows only {kws.show(sorted(pt))}", sub_at, holder
            )
            return pt
        extra = {t for t in st if t not in pt and not (t == "integer" and "number" in pt)}
        if self.textual and "string" in pt:
            extra -= {"integer", "number", "boolean"}
        if extra:
            kind = "nullable" if extra == {"null"} else "type"
            self._add(
                kind,
                Impact.BREAKING,
                path,
                f"allows type {kws.show(sorted(st))}",
                f"allows only {kws.show(sorted(pt))}",
                kws.holder(sub, "type") or sub_at,
                holder,
            )
        return kws.meet(st, pt)

    def _enum(self, sub: list[Schema], sup: list[Schema], path: str, sub_at: Schema, sup_at: Schema) -> None:
        se, pe = kws.enum_of(sub), kws.enum_of(sup)
        if pe is None:
            return
        holder = kws.holder(sup, "enum") or kws.holder(sup, "const") or sup_at
        if se is None:
            self._add(
                "enum", Impact.BREAKING, path, "allows any value", f"only {kws.show(list(pe.values()))}", sub_at, holder
            )
            return
        extra = [v for k, v in se.items() if k not in pe and v is not None]
        if extra:
            sh = kws.holder(sub, "enum") or kws.holder(sub, "const") or sub_at
            self._add(
                "enum",
                Impact.BREAKING,
                path,
                f"allows {kws.show(list(se.values()))}",
                f"only {kws.show(list(pe.values()))} (not {kws.show(extra)})",
                sh,
                holder,
            )

    def _bounds(self, sub: list[Schema], sup: list[Schema], path: str, *, integer: bool) -> None:
        for upper in (True, False):
            sb, pb = kws.bound(sub, upper, integer), kws.bound(sup, upper, integer)
            if pb is None:
                continue
            name = "maximum" if upper else "minimum"
            ok = kws.within(sb, pb, upper)
            if not ok:
                self._add(
                    name,
                    Impact.BREAKING,
                    path,
                    kws.bound_text(sb, upper),
                    kws.bound_text(pb, upper),
                    kws.holder(sub, name) or sub[0],
                    kws.holder(sup, name) or kws.holder(sup, "exclusive" + name.title()) or sup[0],
                )

    def _lengths(
        self, sub: list[Schema], sup: list[Schema], path: str, kmax: str, kmin: str, cmax: str, cmin: str
    ) -> None:
        for kw, code, is_max in ((kmax, cmax, True), (kmin, cmin, False)):
            sv, pv = kws.tightest(sub, kw, is_max), kws.tightest(sup, kw, is_max)
            if pv is None or (not is_max and pv <= 0):
                continue
            if sv is None or (sv > pv if is_max else sv < pv):
                shown = f"has no {kw}" if sv is None else f"{kw} {sv}"
                self._add(
                    code,
                    Impact.BREAKING,
                    path,
                    shown,
                    f"{kw} {pv}",
                    kws.holder(sub, kw) or sub[0],
                    kws.holder(sup, kw) or sup[0],
                )

    def _multiple_of(self, sub: list[Schema], sup: list[Schema], path: str) -> None:
        pv = [m.node["multipleOf"] for m in sup if kws.num(m.node.get("multipleOf")) and m.node["multipleOf"] > 0]
        sv = [m.node["multipleOf"] for m in sub if kws.num(m.node.get("multipleOf")) and m.node["multipleOf"] > 0]
        for p in pv:
            if not any(abs(s / p - round(s / p)) < 1e-9 for s in sv):
                self._add(
                    "multiple-of",
                    Impact.BREAKING,
                    path,
                    f"multipleOf {sv[0] if sv else 'none'}",
                    f"multipleOf {p}",
                    kws.holder(sub, "multipleOf") or sub[0],
                    kws.holder(sup, "multipleOf") or sup[0],
                )

    def _pattern(self, sub: list[Schema], sup: list[Schema], path: str) -> None:
        sp = {m.node["pattern"] for m in sub if isinstance(m.node.get("pattern"), str)}
        for m in sup:
            p = m.node.get("pattern")
            if not isinstance(p, str) or p in sp:
                continue
            if sp:  # two different regular expressions: their languages cannot be compared here
                self._add(
                    "pattern-changed",
                    Impact.NON_BREAKING,
                    path,
                    f"pattern {kws.show(sorted(sp))}",
                    f"pattern {kws.show(p)}",
                    kws.holder(sub, "pattern") or sub[0],
                    m,
                )
            else:
                self._add("pattern", Impact.BREAKING, path, "no pattern", f"pattern {kws.show(p)}", sub[0], m)

    def _format(self, sub: list[Schema], sup: list[Schema], path: str) -> None:
        sf = {m.node["format"] for m in sub if isinstance(m.node.get("format"), str)}
        for m in sup:
            f = m.node.get("format")
            if not isinstance(f, str) or f in sf or any(f in kws.FORMAT_WIDER.get(s, ()) for s in sf):
                continue
            # Formats are checked loosely by many servers and clients: a difference is worth a look, not a failure.
            self._add(
                "format",
                Impact.NON_BREAKING,
                path,
                f"format {kws.show(sorted(sf)) if sf else 'none'}",
                f"format {kws.show(f)}",
                kws.holder(sub, "format") or sub[0],
                m,
            )

    def _array(
        self, sub: list[Schema], sup: list[Schema], path: str, depth: int, sub_at: Schema, sup_at: Schema
    ) -> None:
        if any(m.node.get("uniqueItems") is True for m in sup) and not any(
            m.node.get("uniqueItems") is True for m in sub
        ):
            self._add(
                "unique-items",
                Impact.BREAKING,
                path,
                "allows repeated items",
                "requires unique items",
                sub[0],
                kws.holder(sup, "uniqueItems") or sup[0],
            )
        s_items = [child(m, "items") for m in sub if isinstance(m.node.get("items"), dict | bool)]
        p_items = [child(m, "items") for m in sup if isinstance(m.node.get("items"), dict | bool)]
        if not p_items:
            return
        if not s_items:
            if any(kws.constrains_node(i.node) for i in p_items):
                self._add(
                    "items", Impact.BREAKING, path, "allows any items", "constrains the items", sub[0], p_items[0]
                )
            return
        self._nested(s_items, p_items, path + "/*", depth)

    def _nested(self, subs: list[Schema], sups: list[Schema], path: str, depth: int) -> None:
        try:
            sm = [x for s in subs for x in self._expand(self.sub_c, s)]
            pm = [x for s in sups for x in self._expand(self.sup_c, s)]
        except SchemaUnusable as exc:
            self._unusable(path, exc, subs[0] if subs else None, sups[0] if sups else None)
            return
        self._conj(sm, pm, path, depth + 1, subs[0], sups[0])

    def _object(
        self, sub: list[Schema], sup: list[Schema], path: str, depth: int, sub_at: Schema, sup_at: Schema
    ) -> None:
        skip = "readOnly" if self.direction == "request" else "writeOnly"
        bb_side, bb_c = (sub, self.sub_c) if self.direction == "request" else (sup, self.sup_c)
        s_props, p_props = kws.props(sub), kws.props(sup)
        names = sorted(set(s_props) | set(p_props))
        ignored = {n for n in names if self._flag(bb_c, kws.props(bb_side).get(n, []), skip)}
        if self.direction == "request":
            ignored |= {n for n in names if self._flag(self.sup_c, p_props.get(n, []), "readOnly")}
        s_req, p_req = kws.required(sub), kws.required(sup)
        for name in sorted(p_req - s_req - ignored):
            self._add(
                "required",
                Impact.BREAKING,
                kws.join(path, name),
                f"does not require property {kws.show(name)}",
                f"requires {kws.show(name)}",
                s_props[name][0] if name in s_props else sub[0],
                kws.required_at(sup, name) or sup[0],
            )
        s_ap, p_ap = kws.additional(sub), kws.additional(sup)
        for name in names:
            if name in ignored:
                continue
            here = kws.join(path, name)
            s_forbid, s_schemas = kws.prop_view(sub, name)
            p_forbid, p_schemas = kws.prop_view(sup, name)
            if s_forbid is not None:
                continue  # sub never has this property
            if p_forbid is not None:
                self._add(
                    "property-forbidden",
                    Impact.BREAKING,
                    here,
                    f"allows property {kws.show(name)}",
                    "forbids it (additionalProperties: false)",
                    s_props[name][0] if name in s_props else sub[0],
                    p_forbid,
                )
                continue
            if not s_schemas and p_schemas:
                if (
                    name in p_props
                    and self.direction == "response"
                    and any(kws.constrains_node(p.node) for p in p_schemas)
                ):
                    self._add(
                        "property-undeclared",
                        Impact.NON_BREAKING,
                        here,
                        "does not describe it",
                        f"defines property {kws.show(name)}",
                        sub[0],
                        p_props[name][0],
                    )
                continue
            if s_schemas and p_schemas:
                self._nested(s_schemas, p_schemas, here, depth)
        if p_ap is False and s_ap is not False:
            self._add(
                "additional-properties",
                Impact.BREAKING,
                path,
                "allows undeclared properties",
                "forbids them (additionalProperties: false)",
                kws.holder(sub, "additionalProperties") or sub[0],
                kws.holder(sup, "additionalProperties") or sup[0],
            )
        elif isinstance(p_ap, list) and p_ap:
            if s_ap is None:
                if any(kws.constrains_node(p.node) for p in p_ap):
                    self._add(
                        "additional-properties",
                        Impact.BREAKING,
                        path,
                        "allows any undeclared property",
                        "constrains them (additionalProperties schema)",
                        sub[0],
                        p_ap[0],
                    )
            elif isinstance(s_ap, list) and s_ap:
                self._nested(s_ap, p_ap, path + "/*", depth)

    def _flag(self, contract: Contract, schemas: list[Schema], flag: str) -> bool:
        for s in schemas:
            try:
                if any(m.node.get(flag) is True for m in self._expand(contract, s) if isinstance(m.node, dict)):
                    return True
            except SchemaUnusable:
                continue
        return False


KINDS = (
    "type", "nullable", "enum", "maximum", "minimum", "max-length", "min-length", "max-items", "min-items",
    "max-properties", "min-properties", "multiple-of", "pattern", "pattern-changed", "format", "items",
    "unique-items", "required", "property-forbidden", "additional-properties", "property-undeclared",
    "unconstrained", "forbidden", "cannot-compare",
)  # fmt: skip
"""Every `kind` a SchemaDifference can have."""
