"""Keyword readers for schema conjunctions (an `allOf` read as a list of resolved members).

Each reader answers one question about all members at once (the tightest bound, the joint enum,
the properties each member declares...), so the comparison in schema_compat stays readable.
"""

from __future__ import annotations

import json
from typing import Any

from govstack_conform.contracts.model import Schema
from govstack_conform.contracts.schemas import child

# Keywords that do not restrict the instance: a schema made only of these accepts anything.
ANNOTATIONS = frozenset(
    {"title", "description", "example", "examples", "default", "deprecated", "readOnly", "writeOnly", "xml"}
    | {"externalDocs", "discriminator", "$comment", "$id", "$schema", "$anchor", "nullable", "contentMediaType"}
)
FORMAT_WIDER = {"int32": {"int64"}, "float": {"double"}}
JSON_TYPES = {bool: "boolean", int: "integer", float: "number", str: "string", type(None): "null"}


def canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


def show(value: Any, limit: int = 80) -> str:
    text = json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def meet(a: frozenset[str], b: frozenset[str]) -> frozenset[str]:
    out = set(a & b)
    if ("number" in a and "integer" in b) or ("integer" in a and "number" in b):
        out.add("integer")
    return frozenset(out)


def alts(m: Schema) -> tuple[str, ...]:
    return tuple(k for k in ("anyOf", "oneOf") if isinstance(m.node, dict) and k in m.node)


def constrains_node(node: Any) -> bool:
    if node is False:
        return True
    return isinstance(node, dict) and any(k not in ANNOTATIONS and not str(k).startswith("x-") for k in node)


def constrains(conj: list[Schema]) -> bool:
    return any(constrains_node(m.node) for m in conj)


def holder(conj: list[Schema], key: str) -> Schema | None:
    for m in conj:
        if isinstance(m.node, dict) and key in m.node:
            return m
    return None


def infer(conj: list[Schema]) -> frozenset[str] | None:
    """The type a typeless schema evidently means (its keywords only apply to one kind of value)."""
    keys = {k for m in conj if isinstance(m.node, dict) for k in m.node}
    enum = enum_of(conj)
    if enum is not None:
        return frozenset(JSON_TYPES.get(type(v), "array" if isinstance(v, list) else "object") for v in enum.values())
    found = set()
    if keys & {"properties", "required", "additionalProperties", "maxProperties", "minProperties"}:
        found.add("object")
    if keys & {"items", "maxItems", "minItems", "uniqueItems", "prefixItems"}:
        found.add("array")
    if keys & {"maxLength", "minLength", "pattern"}:
        found.add("string")
    if keys & {"maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "multipleOf"}:
        found.add("number")
    return frozenset(found) if len(found) == 1 else None


def enum_of(conj: list[Schema]) -> dict[str, Any] | None:
    result: dict[str, Any] | None = None
    for m in conj:
        if not isinstance(m.node, dict):
            continue
        values: list[Any] | None = None
        if isinstance(m.node.get("enum"), list):
            values = m.node["enum"]
        elif "const" in m.node:
            values = [m.node["const"]]
        if values is None:
            continue
        mine = {canon(v): v for v in values}
        result = mine if result is None else {k: v for k, v in result.items() if k in mine}
    return result


def bound(conj: list[Schema], upper: bool, integer: bool) -> tuple[float, bool] | None:
    """The tightest (value, exclusive) bound of the conjunction, in 3.0 or 3.1 spelling."""
    kw, ex = ("maximum", "exclusiveMaximum") if upper else ("minimum", "exclusiveMinimum")
    best: tuple[float, bool] | None = None
    for m in conj:
        if not isinstance(m.node, dict):
            continue
        cands = []
        if num(m.node.get(kw)):
            cands.append((float(m.node[kw]), m.node.get(ex) is True))
        if num(m.node.get(ex)):
            cands.append((float(m.node[ex]), True))
        for value, exclusive in cands:
            if integer and exclusive and float(value).is_integer():
                value, exclusive = (value - 1, False) if upper else (value + 1, False)
            b = (value, exclusive)
            if best is None or within(b, best, upper):
                best = b
    return best


def within(sb: tuple[float, bool] | None, pb: tuple[float, bool], upper: bool) -> bool:
    """Does the bound `sb` keep values inside the bound `pb`?"""
    if sb is None:
        return False
    if sb[0] != pb[0]:
        return sb[0] < pb[0] if upper else sb[0] > pb[0]
    return sb[1] or not pb[1]


def bound_text(b: tuple[float, bool] | None, upper: bool) -> str:
    if b is None:
        return "no " + ("maximum" if upper else "minimum")
    value = int(b[0]) if float(b[0]).is_integer() else b[0]
    return f"{'<' if upper else '>'}{'' if b[1] else '='} {value}"


def tightest(conj: list[Schema], kw: str, is_max: bool) -> float | None:
    values = [m.node[kw] for m in conj if isinstance(m.node, dict) and num(m.node.get(kw))]
    if not values:
        return None
    found: float = min(values) if is_max else max(values)
    return found


def props(conj: list[Schema]) -> dict[str, list[Schema]]:
    out: dict[str, list[Schema]] = {}
    for m in conj:
        props = m.node.get("properties") if isinstance(m.node, dict) else None
        if isinstance(props, dict):
            for name in props:
                if isinstance(props[name], dict | bool):
                    out.setdefault(str(name), []).append(child(m, "properties", name))
    return out


def required(conj: list[Schema]) -> set[str]:
    out: set[str] = set()
    for m in conj:
        req = m.node.get("required") if isinstance(m.node, dict) else None
        if isinstance(req, list):
            out |= {r for r in req if isinstance(r, str)}
    return out


def required_at(conj: list[Schema], name: str) -> Schema | None:
    """The `required` entry that names `name`, for a precise location."""
    for m in conj:
        req = m.node.get("required") if isinstance(m.node, dict) else None
        if isinstance(req, list) and name in req:
            return child(m, "required", req.index(name))
    return None


def additional(conj: list[Schema]) -> bool | list[Schema] | None:
    """False if any member forbids undeclared properties; the schemas constraining them; None if free."""
    schemas: list[Schema] = []
    for m in conj:
        if not isinstance(m.node, dict) or isinstance(m.node.get("patternProperties"), dict):
            continue  # names matching a pattern escape additionalProperties: stay on the safe side
        ap = m.node.get("additionalProperties")
        if ap is False:
            return False
        if isinstance(ap, dict):
            schemas.append(child(m, "additionalProperties"))
    return schemas or None


def prop_view(conj: list[Schema], name: str) -> tuple[Schema | None, list[Schema]]:
    """For property `name`: the member that forbids it (if any) and the schemas its value must meet.

    Each member judges the name on its own: by its `properties`, else by its `additionalProperties`
    (JSON Schema does not let a member see its siblings' properties).
    """
    forbidder: Schema | None = None
    schemas: list[Schema] = []
    for m in conj:
        if not isinstance(m.node, dict):
            continue
        props = m.node.get("properties")
        if isinstance(props, dict) and isinstance(props.get(name), dict | bool):
            schemas.append(child(m, "properties", name))
            continue
        if isinstance(m.node.get("patternProperties"), dict):
            continue
        ap = m.node.get("additionalProperties")
        if ap is False:
            forbidder = forbidder or m
        elif isinstance(ap, dict):
            schemas.append(child(m, "additionalProperties"))
    return forbidder, schemas


def join(path: str, name: str) -> str:
    return f"{path}/{name.replace('~', '~0').replace('/', '~1')}"
