"""The keyword families of the subset check: types, enums, bounds, lengths, patterns, formats, arrays, objects.

A mixin of the checker in schema_compat: each method compares one family of keywords of two
conjunctions (sub must fit in sup) and records what does not fit through `_add`.
"""

from __future__ import annotations

from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.contracts.schemas import SchemaUnusable, child
from govstack_conform.interface_diff import keywords as kws
from govstack_conform.interface_diff.findings import Impact


class KeywordChecks:
    """Needs from the checker: the two contracts, the direction, and the three methods below."""

    direction: str
    sub_c: Contract
    sup_c: Contract
    textual: bool

    def _add(
        self, kind: str, impact: Impact, path: str, sub_text: str, sup_text: str, sub: Schema | None, sup: Schema | None
    ) -> None:
        raise NotImplementedError

    def _nested(self, subs: list[Schema], sups: list[Schema], path: str, depth: int) -> None:
        raise NotImplementedError

    def _expand(self, contract: Contract, schema: Schema, depth: int = 0) -> list[Schema]:
        raise NotImplementedError

    def _is30(self, contract: Contract, schema: Schema) -> bool:
        doc = contract.documents.get(schema.doc)
        return doc is None or not doc.openapi.startswith("3.1")

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
