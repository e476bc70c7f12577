"""Reading structured query parameters back into values, as a product following the contract would.

Objects in every style OpenAPI defines (exploded form: the members are keys of their own; deepObject:
`p[k]=v`; form, spaceDelimited and pipeDelimited without explode: `p=k,v,k,v`), parameters declared
with `content` (their JSON text), and the two conventions for nested values OpenAPI leaves undefined
(docs/query-styles.md): bracket nesting (`p[a][b]=x`, `p[ids][0]=y`) and JSON text in a member's place
(`a={"b":"x"}`). Both conventions are read, whichever the client chose. The strings are then turned
into what the schema asks for (integers, booleans, arrays) so that the value can be validated whole.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Parameter, Schema

_INT = re.compile(r"^[+-]?\d+$")
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_DELIMITERS = {"spaceDelimited": " ", "pipeDelimited": "|"}
_MAX_DEPTH = 32


def node_types(node: Any) -> list[str]:
    if not isinstance(node, dict):
        return []
    t = node.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str) and x != "null"]
    if isinstance(node.get("properties"), dict):
        return ["object"]
    return []


def scalar(kind: str | None, raw: str) -> Any:
    """The JSON value a query string stands for under a primitive `kind` (the string itself otherwise)."""
    if kind == "integer" and _INT.match(raw.strip()):
        return int(raw)
    if kind == "number":
        try:
            return int(raw) if _INT.match(raw.strip()) else float(raw)
        except ValueError:
            return raw
    if kind == "boolean" and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    return raw


def _split_key(key: str) -> tuple[str, list[str]] | None:
    m = _KEY.match(key)
    if m is None:
        return None
    return m.group(1), re.findall(r"\[([^\[\]]*)\]", m.group(2))


def _insert(tree: dict[str, Any], path: list[str], values: list[str]) -> None:
    node = tree
    for token in path[:-1]:
        nxt = node.get(token)
        if not isinstance(nxt, dict):
            nxt = node[token] = {}
        node = nxt
    last = path[-1]
    node[last] = values if len(values) > 1 else values[-1]


def _tree(pairs: list[tuple[list[str], list[str]]]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, values in pairs:
        if path and len(path) <= _MAX_DEPTH:
            _insert(tree, path, values)
    return tree


def properties(contract: Contract, schema: Schema) -> dict[str, Schema]:
    """Declared properties of an object schema, its allOf/anyOf/oneOf branches' included (first wins)."""
    out: dict[str, Schema] = {}
    todo, seen = [schema], 0
    while todo and seen < 64:
        seen += 1
        current = schemas.resolve(contract, todo.pop(0))
        node = current.node
        if not isinstance(node, dict):
            continue
        props = node.get("properties")
        if isinstance(props, dict):
            for k in props:
                out.setdefault(str(k), schemas.child(current, "properties", k))
        for kw in ("allOf", "anyOf", "oneOf"):
            branches = node.get(kw)
            if isinstance(branches, list):
                todo.extend(schemas.child(current, kw, i) for i in range(len(branches)))
    return out


def coerce(contract: Contract, schema: Schema | None, value: Any, depth: int = 0) -> Any:
    """`value` read from strings, turned into what `schema` asks for: numbers, booleans, arrays by index,
    JSON text where an object or array belongs."""
    if schema is None or depth > _MAX_DEPTH:
        return value
    resolved = schemas.resolve(contract, schema)
    node = resolved.node
    kinds = node_types(node)
    if isinstance(value, str) and {"object", "array"} & set(kinds) and value[:1] in ("{", "["):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if "array" in kinds:
        if isinstance(value, dict) and all(_INT.match(k) for k in value):
            value = [value[k] for k in sorted(value, key=int)]
        if not isinstance(value, list):
            value = [value]
        items = schemas.child(resolved, "items") if isinstance(node.get("items"), dict) else None
        return [coerce(contract, items, v, depth + 1) for v in value]
    if isinstance(value, dict):
        props = properties(contract, resolved)
        extra = node.get("additionalProperties") if isinstance(node, dict) else None
        rest = schemas.child(resolved, "additionalProperties") if isinstance(extra, dict) else None
        return {k: coerce(contract, props.get(k, rest), v, depth + 1) for k, v in value.items()}
    if isinstance(value, str):
        for kind in kinds:
            got = scalar(kind, value)
            if got is not value:
                return got
    return value


def _bracketed(query: Mapping[str, list[str]], root: str) -> list[tuple[list[str], list[str]]]:
    """(path below `root`, values) of the keys `root[a][b]...`."""
    out = []
    for key, values in query.items():
        split = _split_key(key)
        if split is not None and split[0] == root and split[1]:
            out.append((split[1], values))
    return out


def read_structured(
    contract: Contract, p: Parameter, query: Mapping[str, list[str]], declared: set[str]
) -> tuple[bool, Any]:
    """(present, value) of a query parameter that is an object, an array written by index, or declared
    with `content`; (False, None) when it is not on the wire. The value is coerced, not yet validated."""
    if p.content_type is not None:
        if p.name not in query:
            return False, None
        raw = query[p.name][-1]
        try:
            return True, json.loads(raw)
        except ValueError:
            return True, raw
    if p.schema is None:
        return False, None
    kinds = node_types(schemas.resolve(contract, p.schema).node)
    kind = p.style or "form"
    explode = p.explode if p.explode is not None else kind == "form"
    if "object" not in kinds:
        indexed = _bracketed(query, p.name)
        if "array" in kinds and indexed:
            return True, coerce(contract, p.schema, _tree(indexed))
        return False, None
    if kind == "deepObject":
        pairs = _bracketed(query, p.name)
        return (True, coerce(contract, p.schema, _tree(pairs))) if pairs else (False, None)
    if not explode:
        if p.name not in query:
            return False, None
        parts = query[p.name][-1].split(_DELIMITERS.get(kind, ","))
        flat = dict(zip(parts[::2], parts[1::2], strict=False))
        return True, coerce(contract, p.schema, flat)
    props = properties(contract, p.schema)
    members: list[tuple[list[str], list[str]]] = []
    for key, values in query.items():
        split = _split_key(key)
        if split is None or (split[0] not in props if props else split[0] in declared):
            continue
        members.append(([split[0], *split[1]], values))
    return (True, coerce(contract, p.schema, _tree(members))) if members else (False, None)
