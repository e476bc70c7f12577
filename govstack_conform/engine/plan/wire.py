"""The wire form of planned values: OpenAPI parameter styles and non-JSON request bodies.

Parameters are serialized exactly as OpenAPI defines per `style`/`explode`: simple, label, matrix,
form (exploded and not), spaceDelimited, pipeDelimited and deepObject, for primitives, arrays of
primitives and flat objects; a parameter declared with `content` is sent as its JSON text.
OpenAPI defines nothing for nested values (an object holding objects or arrays). For query
parameters in the exploded form and deepObject styles one convention carries them, chosen by the BB
profile or `--query-style` (see QUERY_STYLES; docs/query-styles.md). Every other style refuses a
nested value (Unserializable): no request holding one could be known valid. `carried` and `wire_params`
put a planned value through its parameter's style, untestable when the style cannot carry it.
Bodies that are not JSON (forms, multipart, text, binary) become raw bytes with their content type,
so the runner sends them as they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from govstack_conform.contracts import schemas
from govstack_conform.contracts.catalog import DEFAULT_QUERY_STYLE, QUERY_STYLES
from govstack_conform.contracts.model import Contract, MediaType, Operation, Parameter, generated_media
from govstack_conform.engine.plan.context import GENERATED, TEST_DATA, Ctx, Untestable, resolved, valid

MULTIPART_BOUNDARY = "govstack-conform-boundary-7d1c3b"

# How nested query values are written (OpenAPI leaves them undefined):
#   brackets  every nested member by its path of keys and array indices: qry[details][name]=x,
#             qry[ids][0]=a (what Express/qs, PHP, Rails, Spring and ASP.NET parse);
#   json      a nested member as its JSON text where OpenAPI puts a primitive: details={"name":"x"}.
BRACKETS, JSON = QUERY_STYLES
_DELIMITERS = {"spaceDelimited": " ", "pipeDelimited": "|"}


class UnsupportedMedia(Exception):
    """We cannot build a valid body of this media type (XML, PDF, images...): the case is untestable."""


class Unserializable(Exception):
    """The value holds nested objects or arrays and the parameter's style defines no way to send them."""


def is_json_media(media_type: str) -> bool:
    mt = media_type.split(";")[0].strip().lower()
    return mt == "application/json" or mt.endswith("+json") or mt in ("*/*", "application/*")


def is_form(media_type: str) -> bool:
    return media_type.split(";")[0].strip().lower() == "application/x-www-form-urlencoded"


def nested(value: Any) -> bool:
    """True for objects or arrays holding objects or arrays: what OpenAPI styles do not define."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(isinstance(v, dict | list) for v in items)


def primitive(value: Any) -> str:
    """One primitive as text: booleans lower case, null empty, numbers as JSON writes them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value)


def compact_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _flat(value: Any, where: str) -> None:
    if nested(value):
        raise Unserializable(f"{where} defines no serialization for nested objects or arrays")


def serialize_simple(value: Any, explode: bool = False) -> str:
    """OpenAPI `simple` style: arrays comma-joined, objects k,v or (exploded) k=v pairs."""
    if isinstance(value, list):
        return ",".join(primitive(v) for v in value)
    if isinstance(value, dict):
        sep = "=" if explode else ","
        return ",".join(f"{k}{sep}{primitive(v)}" for k, v in value.items())
    return primitive(value)


def path_value(p: Parameter, value: Any) -> str:
    """A path parameter: simple (the default), label (`.a.b` exploded, `.a,b` not) or matrix (`;id=a;id=b`)."""
    if p.content_type is not None:
        return compact_json(value)
    style = p.style or "simple"
    explode = bool(p.explode)
    _flat(value, f"style {style}")
    if style == "label":
        if explode and isinstance(value, list):
            return "." + ".".join(primitive(v) for v in value)
        if explode and isinstance(value, dict):
            return "." + ".".join(f"{k}={primitive(v)}" for k, v in value.items())
        return "." + serialize_simple(value)
    if style == "matrix":
        if explode and isinstance(value, list):
            return "".join(f";{p.name}={primitive(v)}" for v in value)
        if explode and isinstance(value, dict):
            return "".join(f";{k}={primitive(v)}" for k, v in value.items())
        return f";{p.name}" + ("" if value == "" else f"={serialize_simple(value)}")
    return serialize_simple(value, explode)


def header_value(p: Parameter, value: Any) -> str:
    """A header parameter: simple style (`k=v` pairs when exploded), or its JSON text when declared with content."""
    if p.content_type is not None:
        return compact_json(value)
    _flat(value, "style simple")
    return serialize_simple(value, bool(p.explode))


def cookie_value(p: Parameter, value: Any) -> str:
    """A cookie parameter: form style without explode (`a,b`; `k,v,k,v`), or JSON when declared with content."""
    if p.content_type is not None:
        return compact_json(value)
    _flat(value, "style form (cookie)")
    return serialize_simple(value)


def _members(root: str, value: Any, style: str) -> Iterator[tuple[str, str]]:
    """The pairs of one nested member named `root`, by the nested-value convention `style`."""
    if style == JSON:
        yield root, compact_json(value)
        return
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for k, v in items:
        key = f"{root}[{k}]"
        if isinstance(v, dict | list):
            yield from _members(key, v, style)
        elif v is not None:  # a null inside a nested member has no bracket form: it is left out
            yield key, primitive(v)


def _one(name: str, value: Any, style: str) -> list[tuple[str, str]]:
    """A top-level member OpenAPI names `name`: a primitive as it is, a container by the convention."""
    if isinstance(value, dict | list):
        return list(_members(name, value, style))
    return [(name, primitive(value))]


def query_pairs(p: Parameter, value: Any, style: str = DEFAULT_QUERY_STYLE) -> list[tuple[str, str]]:
    """A query parameter as (name, value) pairs, before percent-encoding (the runner encodes them).

    Exactly OpenAPI's table for primitives, arrays of primitives and flat objects; nested values by
    `style` in the exploded form and deepObject styles (an exploded array holding containers is
    written by index, `p[0][k]=v`); anywhere else a nested value raises Unserializable.
    """
    if style not in QUERY_STYLES:
        raise ValueError(f"unknown query style {style!r}")
    if p.content_type is not None:
        return [(p.name, compact_json(value))]
    kind = p.style or "form"
    explode = p.explode if p.explode is not None else kind == "form"
    if kind == "deepObject" and isinstance(value, dict):
        return [pair for k, v in value.items() for pair in _one(f"{p.name}[{k}]", v, style)]
    if explode and kind in ("form", *_DELIMITERS):
        if isinstance(value, list):
            if nested(value):
                return _one(p.name, value, style) if style == BRACKETS else [(p.name, compact_json(v)) for v in value]
            return [(p.name, primitive(v)) for v in value]
        if isinstance(value, dict):
            return [pair for k, v in value.items() for pair in _one(str(k), v, style)]
        return [(p.name, primitive(value))]
    _flat(value, f"style {kind} without explode")
    sep = _DELIMITERS.get(kind, ",")
    if isinstance(value, list):
        return [(p.name, sep.join(primitive(v) for v in value))]
    if isinstance(value, dict):
        return [(p.name, sep.join(f"{k}{sep}{primitive(v)}" for k, v in value.items()))]
    return [(p.name, primitive(value))]


def style_text(p: Parameter) -> str:
    """The parameter's style in words, defaults applied: "style form without explode"."""
    kind = p.style or ("form" if p.location in ("query", "cookie") else "simple")
    explode = p.explode if p.explode is not None else kind == "form"
    return f"style {kind}" + ("" if kind == "deepObject" else " exploded" if explode else " without explode")


def carries_nested(p: Parameter) -> bool:
    """Whether a nested-value convention applies to `p` (exploded form or deepObject query, or JSON content)."""
    if p.content_type is not None:
        return True
    if p.location != "query":
        return False
    kind = p.style or "form"
    explode = p.explode if p.explode is not None else kind == "form"
    return kind == "deepObject" or (explode and kind in ("form", *_DELIMITERS))


def as_read(p: Parameter, value: Any, style: str = DEFAULT_QUERY_STYLE) -> Any:
    """`value` as a receiver reads it back from the wire: with bracket nesting, empty objects, empty
    arrays and nulls inside nested members leave no pair behind, so they are absent on arrival."""
    if p.content_type is not None or style == JSON or not isinstance(value, dict | list):
        return value

    def prune(v: Any) -> Any:
        if isinstance(v, dict):
            kept = {k: prune(x) for k, x in v.items() if x is not None}
            return {k: x for k, x in kept.items() if x != {} and x != []}
        if isinstance(v, list):
            kept_items = [prune(x) for x in v if x is not None]
            return [x for x in kept_items if x != {} and x != []]
        return v

    def member(v: Any) -> Any:
        return prune(v) if isinstance(v, dict | list) else v

    if isinstance(value, dict):
        read = {k: member(v) for k, v in value.items()}
        return {k: v for k, v in read.items() if v != {} and v != []}
    if not nested(value):
        return value
    return [v for v in (member(x) for x in value) if v != {} and v != []]


# --- planned values on the wire: what a style can carry, sent through it ----------------------------------------


def _flatter(ctx: Ctx, p: Parameter, value: Any) -> Any:
    """`value` without its optional nested members, when that is still valid (styles cannot carry them)."""
    if not isinstance(value, dict):
        return value
    required = resolved(ctx, p.schema).get("required")
    keep = set(required) if isinstance(required, list) else set()
    flat = {k: v for k, v in value.items() if k in keep or not isinstance(v, dict | list)}
    if not flat and p.required:  # nothing left on the wire: "present" or "missing"? The spec cannot say.
        return value
    try:
        return flat if valid(ctx, p.schema, flat) else value
    except Untestable:
        return value


def _where(op: Operation, p: Parameter) -> str:
    return f"{p.schema.doc if p.schema is not None else op.source_file}#{p.pointer}"


def carried(ctx: Ctx, op: Operation, p: Parameter, value: Any) -> Any:
    """The generated `value` as the parameter's style can carry it and the receiver reads it back.

    A style without a nested-value convention gets the value without its optional nested members, or
    none at all (Untestable); with one, what the convention loses on the wire (bracket nesting drops
    empty members) must leave a valid value, or no request could be known valid."""
    if not carries_nested(p):
        flat = _flatter(ctx, p, value) if nested(value) else value
        if nested(flat):
            raise Untestable(
                f"{p.location} parameter {p.name!r} holds nested objects or arrays, for which OpenAPI defines "
                f"no serialization in {style_text(p)} (no nested-value convention covers it), so no request can be "
                f"known valid ({_where(op, p)})"
            )
        return flat
    read = as_read(p, value, ctx.query_style)
    if read != value and not valid(ctx, p.schema, read):
        raise Untestable(
            f"{p.location} parameter {p.name!r}: its value needs empty objects, arrays or nulls that the "
            f"{ctx.query_style} convention for nested query values cannot send ({_where(op, p)})"
        )
    return read


def wire_params(
    ctx: Ctx, op: Operation, p: Parameter, value: Any, out: dict[str, list[Any]], source: str = GENERATED
) -> None:
    """Serialize one parameter into `out` ("path", "query", "header", "cookie" lists); Untestable when its
    style cannot carry the value."""
    try:
        if p.location == "path":
            out["path"].append((p.name, path_value(p, value)))
        elif p.location == "query":
            out["query"].extend(query_pairs(p, value, ctx.query_style))
        elif p.location == "header":
            out["header"].append((p.name, header_value(p, value)))
        elif p.location == "cookie":
            out["cookie"].append(f"{p.name}={cookie_value(p, value)}")
    except Unserializable as e:
        what = "test data value" if source in TEST_DATA else "value"
        raise Untestable(f"{p.location} parameter {p.name!r}: the {what}: {e} ({_where(op, p)})") from None


def encode_body(media: MediaType, value: Any, contract: Contract) -> tuple[Any, bool, bytes | None, str]:
    """(json body, has_body, raw bytes, content type) for sending `value` as `media`."""
    mt = media.media_type.split(";")[0].strip()
    low = mt.lower()
    if not generated_media(low):
        raise UnsupportedMedia(
            f"request bodies of type {mt} are not generated (only JSON, forms, text and octet streams)"
        )
    if is_json_media(low):
        return value, True, None, "application/json" if low in ("*/*", "application/*") else mt
    if low == "application/x-www-form-urlencoded":
        items = value.items() if isinstance(value, dict) else [("value", value)]
        pairs = []
        for k, v in items:
            for one in v if isinstance(v, list) else [v]:
                pairs.append((str(k), one if isinstance(one, str) else json.dumps(one)))
        return None, False, urlencode(pairs).encode(), mt
    if low == "multipart/form-data":
        return None, False, _multipart(media, value, contract), f"{mt}; boundary={MULTIPART_BOUNDARY}"
    if low.startswith("text/"):
        text = value if isinstance(value, str) else json.dumps(value)
        return None, False, text.encode(), mt
    return None, False, b"govstack-conform test content\n", mt  # octet stream: any bytes are valid


def _multipart(media: MediaType, value: Any, contract: Contract) -> bytes:
    props: Any = {}
    if media.schema is not None:
        try:
            node = schemas.resolve(contract, media.schema).node
            props = node.get("properties") or {} if isinstance(node, dict) else {}
        except schemas.SchemaUnusable:
            props = {}
    parts = []
    items = value.items() if isinstance(value, dict) else [("file", value)]
    for k, v in items:
        sub = props.get(k) if isinstance(props, dict) else None
        binary = isinstance(sub, dict) and sub.get("format") in ("binary", "byte")
        head = f'--{MULTIPART_BOUNDARY}\r\nContent-Disposition: form-data; name="{k}"'
        if binary or k == "file":
            content = v.encode() if isinstance(v, str) else b"govstack-conform test file\n"
            parts.append(
                f'{head}; filename="{k}.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode() + content
            )
        else:
            text = v if isinstance(v, str) else json.dumps(v)
            parts.append(f"{head}\r\n\r\n{text}".encode())
    return b"\r\n".join(parts) + f"\r\n--{MULTIPART_BOUNDARY}--\r\n".encode()
