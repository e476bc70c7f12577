"""Request validation: what a correct product refuses before doing anything.

Parameters arrive as strings; each is turned into the JSON value its schema asks for (integer,
boolean, array...) and then judged by the same validator the engine uses, in the request direction.
A schema the spec breaks (dangling `$ref`, unknown type) is skipped and noted once, never held
against the client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, MediaType, Operation, Parameter, Schema
from govstack_conform.mock.options import Journal

# Header parameters OpenAPI says to ignore: HTTP itself governs them.
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
_INT = re.compile(r"^[+-]?\d+$")


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
    node = schemas.resolve(contract, schema).node
    if not isinstance(node, dict):
        return []
    t = node.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str) and x != "null"]
    return []


def _scalar(kind: str | None, raw: str) -> Any:
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


def _item_schema(contract: Contract, schema: Schema) -> Schema | None:
    resolved = schemas.resolve(contract, schema)
    node = resolved.node
    if isinstance(node, dict) and isinstance(node.get("items"), dict):
        return schemas.child(resolved, "items")
    return None


def _candidates(contract: Contract, param: Parameter, raws: list[str]) -> list[Any]:
    """Values the raw strings can stand for under the parameter's schema, most likely first."""
    assert param.schema is not None
    kinds = _types(contract, param.schema)
    if "array" in kinds:
        items = _item_schema(contract, param.schema)
        item_kinds = _types(contract, items) if items else []
        item_kind = item_kinds[0] if item_kinds else None
        parts = raws
        exploded = param.explode if param.explode is not None else param.location in ("query", "cookie")
        if len(raws) == 1 and (not exploded or param.location in ("header", "path")):
            parts = raws[0].split(",") if raws[0] != "" else []
        return [[_scalar(item_kind, p) for p in parts]]
    raw = raws[-1]
    if kinds:
        return [_scalar(k, raw) for k in kinds] + [raw]
    return [raw, _scalar("integer", raw), _scalar("number", raw), _scalar("boolean", raw)]


def _check_param(contract: Contract, op: Operation, param: Parameter, raws: list[str], journal: Journal) -> str | None:
    if param.schema is None:
        return None
    try:
        if "object" in _types(contract, param.schema):
            return None  # deepObject & co.: presence is all we judge
        candidates = _candidates(contract, param, raws)
        first: list[schemas.Violation] = []
        for value in candidates:
            found = schemas.validate(contract, param.schema, value, direction="request")
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
        raws: list[str] | None
        if p.location == "path":
            raws = [path_params[p.name]] if p.name in path_params else None
        elif p.location == "query":
            raws = query.get(p.name)
            if raws is None and _is_object(contract, op, p, journal):
                raws = _object_query(contract, p, query, names)
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


def _is_object(contract: Contract, op: Operation, param: Parameter, journal: Journal) -> bool:
    if param.schema is None:
        return False
    try:
        return "object" in _types(contract, param.schema)
    except schemas.SchemaUnusable as exc:
        journal.once(f"{op.key}: parameter {param.name!r} not validated: {exc}")
        return False


def _object_query(
    contract: Contract, param: Parameter, query: Mapping[str, list[str]], declared: set[str]
) -> list[str] | None:
    """Whether an object query parameter is present as OpenAPI serializes it: `p[k]=v` (deepObject),
    or its properties as their own keys (form, exploded: the default). Returned as a stand-in value."""
    if param.style == "deepObject":
        found = [k for k in query if k.startswith(param.name + "[")]
    else:
        assert param.schema is not None
        node = schemas.resolve(contract, param.schema).node
        props = node.get("properties") if isinstance(node, dict) else None
        if isinstance(props, dict) and props:
            found = [k for k in query if k in props]
        else:  # free-form object: any key that is not another declared parameter
            found = [k for k in query if k not in declared]
    return found or None


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
            out[k] = _scalar(kind if isinstance(kind, str) else None, vs[-1])
    return out


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
        violations = schemas.validate(contract, media.schema, instance, direction="request")
    except schemas.SchemaUnusable as exc:
        journal.once(f"{op.key}: request body not validated: {exc}")
        return body, None
    if violations:
        return body, Rejection(
            False, f"request body invalid: {violations[0].message}", tuple(v.to_dict() for v in violations[:10])
        )
    return body, None
