"""Request validation: what a correct product refuses before doing anything.

Parameters arrive as strings; each is turned into the JSON value its schema asks for (integer,
boolean, array...) and then judged by the same validator the engine uses, in the request direction.
A schema the spec breaks (dangling `$ref`, unknown type) is skipped and noted once, never held
against the client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, MediaType, Operation, Parameter, Schema
from govstack_conform.mock.options import Journal
from govstack_conform.mock.query import node_types, read_structured, scalar

# Header parameters OpenAPI says to ignore: HTTP itself governs them.
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})


@dataclass(frozen=True)
class Structured:
    """A query parameter read whole from several keys or from JSON (mock/query.py), ready to validate."""

    value: Any


@dataclass(frozen=True)
class Rejection:
    """Why a request is refused: 415 for an unaccepted media type, else a 4xx for bad input."""

    unsupported_media: bool
    message: str
    details: tuple[dict[str, str], ...] = field(default=())


def is_json(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "text/json"


def _media_matches(declared: str, given: str) -> bool:
    d = declared.split(";")[0].strip().lower()
    g = given.split(";")[0].strip().lower()
    if d in ("*/*", "*", ""):
        return True
    if d.endswith("/*"):
        return g.startswith(d[:-1])
    return d == g


def find_media(content: Sequence[MediaType], given: str) -> MediaType | None:
    """The declared media type a Content-Type matches, exact ones before wildcards."""
    ranked = sorted(content, key=lambda m: ("*" in m.media_type, m.media_type))
    return next((m for m in ranked if _media_matches(m.media_type, given)), None)


def _types(contract: Contract, schema: Schema) -> list[str]:
    return node_types(schemas.resolve(contract, schema).node)


def _item_schema(contract: Contract, schema: Schema) -> Schema | None:
    resolved = schemas.resolve(contract, schema)
    node = resolved.node
    if isinstance(node, dict) and isinstance(node.get("items"), dict):
        return schemas.child(resolved, "items")
    return None


def _candidates(contract: Contract, param: Parameter, raws: list[str]) -> list[Any]:
    """Values the raw strings can stand for under the parameter's schema, most likely first."""
    assert param.schema is not None
    if param.content_type is not None:  # declared with content: the value is its JSON text
        try:
            return [json.loads(raws[-1])]
        except ValueError:
            return [raws[-1]]
    kinds = _types(contract, param.schema)
    if "array" in kinds:
        items = _item_schema(contract, param.schema)
        item_kinds = _types(contract, items) if items else []
        item_kind = item_kinds[0] if item_kinds else None
        parts = raws
        exploded = param.explode if param.explode is not None else param.location in ("query", "cookie")
        if len(raws) == 1 and (not exploded or param.location in ("header", "path")):
            parts = raws[0].split(",") if raws[0] != "" else []
        return [[scalar(item_kind, p) for p in parts]]
    raw = raws[-1]
    if kinds:
        return [scalar(k, raw) for k in kinds] + [raw]
    return [raw, scalar("integer", raw), scalar("number", raw), scalar("boolean", raw)]


def _check_param(
    contract: Contract, op: Operation, param: Parameter, raws: list[str] | Structured, journal: Journal
) -> str | None:
    """The problem with a parameter's value: `raws` are its strings, or its value already read whole."""
    if param.schema is None:
        return None
    try:
        candidates = [raws.value] if isinstance(raws, Structured) else _candidates(contract, param, raws)
        first: list[schemas.Violation] = []
        for value in candidates:
            found = _violations(contract, param.schema, value, repr(value))
            if not found:
                return None
            first = first or found
    except schemas.SchemaUnusable as exc:
        journal.once(f"{op.key}: parameter {param.name!r} not validated: {exc}")
        return None
    return f"{param.location} parameter {param.name!r}{_where(first[0])}"


def _where(v: schemas.Violation) -> str:
    """A parameter violation in words: the value is the parameter, not a body; an array item says which."""
    prefix = f"at {v.instance_pointer or 'the body'}: "
    text = v.message[len(prefix) :] if v.message.startswith(prefix) else v.message
    return f" item {v.instance_pointer.lstrip('/')}: {text}" if v.instance_pointer else f": {text}"


def check_parameters(
    contract: Contract,
    op: Operation,
    path_params: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    journal: Journal,
    skip: frozenset[tuple[str, str]] = frozenset(),
) -> Rejection | None:
    """The first problem with the operation's parameters, if any. `skip` holds (location, lower name).

    `contract` is the one requests are judged by (mock/lenient.py): spec defects lint flags are left out."""
    problems = []
    names = {p.name for p in op.parameters if p.location == "query"}
    for p in op.parameters:
        lname = p.name.lower()
        if (p.location, lname) in skip or (p.location == "header" and lname in IGNORED_HEADERS):
            continue
        raws: list[str] | Structured | None
        if p.location == "path":
            raws = [path_params[p.name]] if p.name in path_params else None
        elif p.location == "query":
            raws = _query_value(contract, op, p, query, names, journal)
        elif p.location == "header":
            raws = [headers[p.name]] if p.name in headers else None
        elif p.location == "cookie":
            raws = [cookies[p.name]] if p.name in cookies else None
        else:
            continue
        if raws is None:
            if p.required or p.location == "path":
                problems.append(f"missing required {p.location} parameter {p.name!r}")
            continue
        problem = _check_param(contract, op, p, raws, journal)
        if problem:
            problems.append(problem)
    if not problems:
        return None
    return Rejection(False, problems[0], tuple({"message": m} for m in problems))


def _query_value(
    contract: Contract, op: Operation, p: Parameter, query: Mapping[str, list[str]], names: set[str], journal: Journal
) -> list[str] | Structured | None:
    """A query parameter's strings, or its value read whole when it is structured (an object, an array
    written by index, JSON content); None when absent."""
    try:
        present, value = read_structured(contract, p, query, names)
    except schemas.SchemaUnusable as exc:
        journal.once(f"{op.key}: parameter {p.name!r} not validated: {exc}")
        return query.get(p.name)
    return Structured(value) if present else query.get(p.name)


def _form(contract: Contract, media: MediaType, raw: bytes) -> dict[str, Any]:
    pairs = parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)
    grouped: dict[str, list[str]] = {}
    for k, v in pairs:
        grouped.setdefault(k, []).append(v)
    props: dict[str, Any] = {}
    if media.schema is not None:
        node = schemas.resolve(contract, media.schema).node
        if isinstance(node, dict) and isinstance(node.get("properties"), dict):
            props = node["properties"]
    out: dict[str, Any] = {}
    for k, vs in grouped.items():
        prop = props.get(k)
        kind = prop.get("type") if isinstance(prop, dict) else None
        if kind == "array":
            out[k] = vs
        else:
            out[k] = scalar(kind if isinstance(kind, str) else None, vs[-1])
    return out


_MEMO_KEY = 65536
_MEMO_SIZE = 4096


def _violations(contract: Contract, schema: Schema, instance: Any, key: str | bytes) -> list[schemas.Violation]:
    """schemas.validate in the request direction, remembered per schema and `key` (what tells the instance
    apart): a suite sends the same invalid values again and again, and only failures cost (jsonschema words
    their errors); a schema that cannot be judged raises each time, as it did."""
    if len(key) > _MEMO_KEY:
        return schemas.validate(contract, schema, instance, direction="request")
    memo: dict[tuple[str, str, str | bytes], list[schemas.Violation]]
    memo = contract.__dict__.setdefault("_mock_violations", {})
    where = (schema.doc, schema.pointer, key)
    found = memo.get(where)
    if found is None:
        found = schemas.validate(contract, schema, instance, direction="request")
        if len(memo) >= _MEMO_SIZE:
            memo.clear()
        memo[where] = found
    return found


def read_body(
    contract: Contract,
    op: Operation,
    content_type: str | None,
    raw: bytes,
    journal: Journal,
    *,
    validate: bool = True,
) -> tuple[Any, Rejection | None]:
    """The request body as a value (None when absent or not JSON/form), and why it is refused, if it is."""
    declared = op.request_body
    body: Any = None
    if raw and content_type and is_json(content_type):
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            if validate and declared is not None:
                return None, Rejection(False, "malformed JSON in request body")
            body = None
    if not validate or declared is None:
        return body, None
    if not raw:
        if declared.required:
            return None, Rejection(False, "request body is required")
        return None, None
    if not declared.content:
        return body, None
    if not content_type:
        return body, Rejection(True, "request has a body but no Content-Type")
    media = find_media(declared.content, content_type)
    if media is None:
        accepted = ", ".join(m.media_type for m in declared.content)
        return body, Rejection(True, f"Content-Type {content_type.split(';')[0]!r} not accepted (accepted: {accepted})")
    if media.schema is None:
        return body, None
    if is_json(content_type):
        instance = body
    elif media.media_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        try:
            instance = body = _form(contract, media, raw)
        except schemas.SchemaUnusable as exc:
            journal.once(f"{op.key}: form body not validated: {exc}")
            return None, None
    else:
        return body, None  # multipart, binary, text: the media type is all we judge
    try:
        violations = _violations(contract, media.schema, instance, raw if is_json(content_type) else repr(instance))
    except schemas.SchemaUnusable as exc:
        journal.once(f"{op.key}: request body not validated: {exc}")
        return body, None
    if violations:
        return body, Rejection(
            False, f"request body invalid: {violations[0].message}", tuple(v.to_dict() for v in violations[:10])
        )
    return body, None
