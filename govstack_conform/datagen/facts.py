"""Flatten a schema (its `$ref`s and `allOf`s) into one set of constraints to generate from.

Generation needs to know everything that holds for a value at once: `allOf: [A, {required: [x]}]`
means "an A that has x". `Facts` is that merged view. Sub-schemas (properties, items, choices) stay
as `Schema` references into their documents, so nothing recursive is ever expanded here.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.memo import Bounded
from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.contracts.schemas import SchemaUnusable, Violation, child, resolve
from govstack_conform.datagen.check import is_valid, memo
from govstack_conform.errors import ConformError

JSON_TYPES = ("object", "array", "string", "integer", "number", "boolean", "null")


class GenerationError(ConformError):
    """No valid value can be generated: the schema is contradictory or beyond what we can satisfy.

    A spec limitation, never a candidate failure: callers mark the case untestable with `str(err)`.
    """


@dataclass(frozen=True)
class Choice:
    """One `oneOf` / `anyOf` group: exactly one (or at least one) branch must hold."""

    kind: str  # "oneOf" | "anyOf"
    branches: tuple[Schema, ...]
    owner: Schema  # the schema object that carries the keyword (for discriminator mapping)


@dataclass
class Facts:
    """Everything a value must satisfy, merged from a schema and its allOf/$ref parts."""

    origins: tuple[Schema, ...] = ()
    refs: list[tuple[str, str]] = field(default_factory=list)  # $ref targets passed through
    types: list[str] | None = None  # allowed JSON types in declared order; None = any
    is_30: bool = True
    enum: list[Any] | None = None
    formats: list[str] = field(default_factory=list)
    minimum: float | None = None
    min_excl: bool = False
    maximum: float | None = None
    max_excl: bool = False
    multiple_of: list[float] = field(default_factory=list)
    min_length: int = 0
    max_length: int | None = None
    patterns: list[str] = field(default_factory=list)
    min_items: int = 0
    max_items: int | None = None
    unique_items: bool = False
    items: list[Schema] = field(default_factory=list)
    tuple_items: list[list[Schema]] = field(default_factory=list)
    properties: dict[str, list[Schema]] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    additional: list[Schema] = field(default_factory=list)  # schemas for extra properties
    closed: list[frozenset[str]] = field(default_factory=list)  # additionalProperties: false sets
    min_properties: int = 0
    max_properties: int | None = None
    choices: list[Choice] = field(default_factory=list)
    nots: list[Schema] = field(default_factory=list)
    read_only: bool = False
    write_only: bool = False
    examples: list[Any] = field(default_factory=list)
    forced: dict[str, Any] = field(default_factory=dict)  # property values fixed by a discriminator
    impossible: str | None = None

    def copy(self) -> Facts:
        return replace(
            self,
            refs=list(self.refs),
            types=None if self.types is None else list(self.types),
            enum=None if self.enum is None else list(self.enum),
            formats=list(self.formats),
            multiple_of=list(self.multiple_of),
            patterns=list(self.patterns),
            items=list(self.items),
            tuple_items=[list(t) for t in self.tuple_items],
            properties={k: list(v) for k, v in self.properties.items()},
            required=list(self.required),
            additional=list(self.additional),
            closed=list(self.closed),
            choices=list(self.choices),
            nots=list(self.nots),
            examples=list(self.examples),
            forced=dict(self.forced),
        )

    def allows_name(self, name: str) -> bool:
        return all(name in names for names in self.closed)


def violations(contract: Contract, schema: Schema, value: Any, direction: str) -> list[Violation]:
    """schemas.validate, with a malformed schema (e.g. `properties: null`) reported as SchemaUnusable."""
    try:
        return schemas.validate(contract, schema, value, direction=direction)
    except (AttributeError, TypeError, ValueError) as exc:
        raise SchemaUnusable(f"schema at {schema.doc}#{schema.pointer} is malformed: {exc}") from None


def holds(contract: Contract, schema: Schema, value: Any, direction: str) -> bool:
    """`not violations(...)`, with the same errors, but memoized and without the words (check.is_valid)."""
    try:
        return is_valid(contract, schema, value, direction)
    except (AttributeError, TypeError, ValueError) as exc:
        raise SchemaUnusable(f"schema at {schema.doc}#{schema.pointer} is malformed: {exc}") from None


def json_key(value: Any) -> str:
    """Equality key for JSON values (Python says True == 1; JSON does not)."""
    return json.dumps(value, sort_keys=True, default=str)


def json_type_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "unknown"


def type_allows(types: list[str] | None, value: Any) -> bool:
    if types is None:
        return True
    t = json_type_of(value)
    return t in types or (t == "integer" and "number" in types)


def is_30(contract: Contract, doc: str) -> bool:
    found = contract.documents.get(doc)
    return found is None or not str(found.openapi).startswith("3.1")


def _intersect_types(current: list[str] | None, new: list[str]) -> list[str]:
    if current is None:
        return new
    out = []
    for t in current:
        if t in new:
            out.append(t)
        elif (t == "number" and "integer" in new) or (t == "integer" and "number" in new):
            out.append("integer")
    return list(dict.fromkeys(out))


def _node_types(node: dict[str, Any], thirty: bool) -> list[str] | None:
    raw = node.get("type")
    if raw is None:
        return None
    names = [raw] if isinstance(raw, str) else list(raw) if isinstance(raw, list) else None
    if names is None or not all(isinstance(n, str) for n in names):
        raise SchemaUnusable(f"'type' is not a type name: {raw!r}")
    for n in names:
        if n not in JSON_TYPES or (thirty and n == "null"):
            raise SchemaUnusable(f"unknown type {n!r}")
    if thirty and node.get("nullable") is True:
        names.append("null")
    return names


def _num(value: Any) -> float | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _examples_of(node: dict[str, Any]) -> list[Any]:
    out: list[Any] = []
    if "example" in node:
        out.append(node["example"])
    ex = node.get("examples")
    if isinstance(ex, list):
        out.extend(ex)
    elif isinstance(ex, dict):
        out.extend(v["value"] for v in ex.values() if isinstance(v, dict) and "value" in v)
    if "default" in node:
        out.append(node["default"])
    return out


def _absorb(contract: Contract, f: Facts, s: Schema, seen: frozenset[tuple[str, str]]) -> None:
    node = s.node
    if node is True:
        return
    if node is False:
        f.impossible = f"schema at {s.pointer or '/'} is `false`"
        return
    if not isinstance(node, dict):
        raise SchemaUnusable(f"schema at {s.doc}#{s.pointer} is not an object")
    f.examples.extend(_examples_of(node))
    if isinstance(node.get("$ref"), str):
        target = resolve(contract, Schema(node={"$ref": node["$ref"]}, doc=s.doc, pointer=s.pointer))
        key = (target.doc, target.pointer)
        if key in seen:
            raise GenerationError(f"schema {target.pointer} includes itself through allOf/$ref")
        f.refs.append(key)
        _absorb(contract, f, target, seen | {key})
        if len(node) == 1:
            return
    thirty = is_30(contract, s.doc)
    f.is_30 = f.is_30 and thirty
    types = _node_types(node, thirty)
    if types is not None:
        f.types = _intersect_types(f.types, types)
    if "enum" in node and isinstance(node["enum"], list):
        allowed = node["enum"]
        if f.enum is None:
            f.enum = list(allowed)
        else:
            keys = {json_key(v) for v in allowed}
            f.enum = [v for v in f.enum if json_key(v) in keys]
    if "const" in node and not thirty:
        keys = {json_key(node["const"])}
        f.enum = [node["const"]] if f.enum is None else [v for v in f.enum if json_key(v) in keys]
    if isinstance(node.get("format"), str):
        f.formats.append(node["format"])
    _absorb_numbers(f, node, thirty)
    _absorb_sizes(f, node)
    if isinstance(node.get("pattern"), str) and node["pattern"]:
        f.patterns.append(node["pattern"])
    if node.get("uniqueItems") is True:
        f.unique_items = True
    items = node.get("items")
    if isinstance(items, dict | bool):
        f.items.append(child(s, "items"))
    elif isinstance(items, list):
        f.tuple_items.append([child(s, "items", i) for i in range(len(items))])
    if isinstance(node.get("prefixItems"), list):
        f.tuple_items.append([child(s, "prefixItems", i) for i in range(len(node["prefixItems"]))])
    props = node.get("properties")
    if isinstance(props, dict):
        for name in props:
            f.properties.setdefault(str(name), []).append(child(s, "properties", name))
    req = node.get("required")
    if isinstance(req, list):
        for name in req:
            if isinstance(name, str) and name not in f.required:
                f.required.append(name)
    ap = node.get("additionalProperties")
    if ap is False:
        f.closed.append(frozenset(props or ()))
    elif isinstance(ap, dict):
        f.additional.append(child(s, "additionalProperties"))
    for keyword in ("oneOf", "anyOf"):
        branches = node.get(keyword)
        if isinstance(branches, list) and branches:
            f.choices.append(Choice(keyword, tuple(child(s, keyword, i) for i in range(len(branches))), s))
    if isinstance(node.get("not"), dict | bool):
        f.nots.append(child(s, "not"))
    if node.get("readOnly") is True:
        f.read_only = True
    if node.get("writeOnly") is True:
        f.write_only = True
    parts = node.get("allOf")
    if isinstance(parts, list):
        for i in range(len(parts)):
            _absorb(contract, f, child(s, "allOf", i), seen)


def _absorb_numbers(f: Facts, node: dict[str, Any], thirty: bool) -> None:
    lo, hi = _num(node.get("minimum")), _num(node.get("maximum"))
    lo_x = hi_x = False
    if thirty:
        lo_x = node.get("exclusiveMinimum") is True and lo is not None
        hi_x = node.get("exclusiveMaximum") is True and hi is not None
    else:
        xlo, xhi = _num(node.get("exclusiveMinimum")), _num(node.get("exclusiveMaximum"))
        if xlo is not None and (lo is None or xlo >= lo):
            lo, lo_x = xlo, True
        if xhi is not None and (hi is None or xhi <= hi):
            hi, hi_x = xhi, True
    if lo is not None and (f.minimum is None or lo > f.minimum or (lo == f.minimum and lo_x)):
        f.minimum, f.min_excl = lo, lo_x
    if hi is not None and (f.maximum is None or hi < f.maximum or (hi == f.maximum and hi_x)):
        f.maximum, f.max_excl = hi, hi_x
    m = _num(node.get("multipleOf"))
    if m is not None and m > 0:
        f.multiple_of.append(m)


_SIZES = ("Length", "Items", "Properties")  # minLength/maxLength -> Facts.min_length/max_length, ...


def _absorb_sizes(f: Facts, node: dict[str, Any]) -> None:
    """Size bounds narrow what is already known: the largest minimum and the smallest maximum win."""
    for size in _SIZES:
        attr = size.lower()
        low, high = _num(node.get(f"min{size}")), _num(node.get(f"max{size}"))
        if low is not None:
            setattr(f, f"min_{attr}", max(getattr(f, f"min_{attr}"), math.ceil(low)))
        if high is not None:
            known = getattr(f, f"max_{attr}")
            setattr(f, f"max_{attr}", math.floor(high) if known is None else min(known, math.floor(high)))


def absorb(contract: Contract, f: Facts, s: Schema) -> None:
    """Merge `s` (and what it references) into `f` in place; used to add a chosen oneOf branch."""
    _absorb(contract, f, s, frozenset())


def facts_for(contract: Contract, schemas: tuple[Schema, ...]) -> Facts:
    """The merged facts of all `schemas` (which must all hold), cached on the contract. Do not mutate."""
    cache: Bounded[tuple[tuple[str, str], ...], tuple[tuple[Any, ...], Facts]] = memo(contract, "_datagen_facts")
    if len(schemas) == 1:  # most lookups: no generator, one identity test
        only = schemas[0]
        key: tuple[tuple[str, str], ...] = ((only.doc, only.pointer),)
        hit = cache.get(key)
        if hit is not None and len(hit[0]) == 1 and hit[0][0] is only.node:
            return hit[1]
    else:
        key = tuple((s.doc, s.pointer) for s in schemas)
        hit = cache.get(key)
    if (
        hit is not None
        and len(hit[0]) == len(schemas)
        and all(a is b.node for a, b in zip(hit[0], schemas, strict=True))
    ):
        return hit[1]
    f = Facts(origins=schemas)
    for s in schemas:
        _absorb(contract, f, s, frozenset())
    cache.put(key, (tuple(s.node for s in schemas), f))
    return f
