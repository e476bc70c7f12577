"""The wire form of planned values: OpenAPI parameter styles and non-JSON request bodies.

Parameters are serialized per their `style`/`explode` (simple, label, matrix, form, space- and
pipe-delimited, deepObject); bodies that are not JSON (forms, multipart, text, binary) become raw
bytes with their content type, so the runner sends them as they are.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, MediaType, Parameter

MULTIPART_BOUNDARY = "govstack-conform-boundary-7d1c3b"


class UnsupportedMedia(Exception):
    """We cannot build a valid body of this media type (XML, PDF, images...): the case is untestable."""


def is_json_media(media_type: str) -> bool:
    mt = media_type.split(";")[0].strip().lower()
    return mt == "application/json" or mt.endswith("+json") or mt in ("*/*", "application/*")


def serialize_simple(value: Any, explode: bool = False) -> str:
    """OpenAPI `simple` style: arrays comma-joined, objects k,v or k=v pairs."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(serialize_simple(v) for v in value)
    if isinstance(value, dict):
        sep = "=" if explode else ","
        return ",".join(f"{k}{sep}{serialize_simple(v)}" for k, v in value.items())
    if isinstance(value, str):
        return value
    return json.dumps(value)


def path_value(p: Parameter, value: Any) -> str:
    style = p.style or "simple"
    explode = bool(p.explode)
    if style == "label":
        return "." + serialize_simple(value, explode)
    if style == "matrix":
        if isinstance(value, list) and explode:
            return "".join(f";{p.name}={serialize_simple(v)}" for v in value)
        return f";{p.name}={serialize_simple(value, explode)}"
    return serialize_simple(value, explode)


def unserializable(value: Any) -> bool:
    """True for values OpenAPI styles cannot express: objects or arrays holding objects or arrays."""
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    return any(isinstance(v, dict | list) for v in items)


def query_pairs(p: Parameter, value: Any) -> list[tuple[str, str]]:
    style = p.style or "form"
    explode = p.explode if p.explode is not None else style == "form"
    if isinstance(value, list):
        if style == "spaceDelimited":
            return [(p.name, " ".join(serialize_simple(v) for v in value))]
        if style == "pipeDelimited":
            return [(p.name, "|".join(serialize_simple(v) for v in value))]
        if explode:
            return [(p.name, serialize_simple(v)) for v in value]
        return [(p.name, serialize_simple(value))]
    if isinstance(value, dict):
        if style == "deepObject":
            return [(f"{p.name}[{k}]", serialize_simple(v)) for k, v in value.items()]
        if explode:
            return [(str(k), serialize_simple(v)) for k, v in value.items()]
        return [(p.name, serialize_simple(value))]
    return [(p.name, serialize_simple(value))]


def encode_body(media: MediaType, value: Any, contract: Contract) -> tuple[Any, bool, bytes | None, str]:
    """(json body, has_body, raw bytes, content type) for sending `value` as `media`."""
    mt = media.media_type.split(";")[0].strip()
    low = mt.lower()
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
    if low in ("application/octet-stream", "application/binary"):  # any bytes are a valid octet stream
        return None, False, b"govstack-conform test content\n", mt
    raise UnsupportedMedia(f"request bodies of type {mt} are not generated (only JSON, forms, text and octet streams)")


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
