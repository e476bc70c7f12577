"""What lint says about a parameter or an operation that the planner would otherwise find out alone.

- `nested-parameter`: a parameter whose value holds objects or arrays inside an object or array.
  OpenAPI defines no serialization for that. In an exploded form or deepObject query the suite sends
  it by the BB profile's convention (docs/query-styles.md), which a product may not share; in any other
  style there is no form for it at all and only values without nested members can be sent.
- `swagger2-body-parameter`: a query parameter named `body` holding an object, what a Swagger 2.0 `in: body`
  parameter becomes when converted carelessly; OpenAPI 3 carries a body in `requestBody`.
- `bad-header-name`: a header parameter whose name is no HTTP field name (a space in it): no request carries it.
- `no-success-response`: an operation that documents only error statuses, so no success can be judged.
- `ungenerated-media`: a request body only in media types the suite does not build (XML, PDF...).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from govstack_conform.contracts.loader.common import Sink, join
from govstack_conform.contracts.model import MediaType, Response, Severity, generated_media

_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP field name (RFC 9110)
Resolve = Callable[[str, Any], Any]  # (doc, schema node) -> the node with its $ref chain followed, or None


def _container(node: Any) -> bool:
    return isinstance(node, dict) and (
        node.get("type") in ("object", "array") or "properties" in node or "items" in node
    )


def _nested(doc: str, node: Any, resolve: Resolve) -> bool:
    """Whether values of the schema can hold a container inside a container (one level is enough to say)."""
    node = resolve(doc, node)
    if not _container(node):
        return False
    inner: list[Any] = []
    props = node.get("properties")
    if isinstance(props, dict):
        inner.extend(props.values())
    for kw in ("items", "additionalProperties"):
        if isinstance(node.get(kw), dict):
            inner.append(node[kw])
    return any(_container(resolve(doc, sub)) for sub in inner)


def _carried(loc: str, node: dict[str, Any]) -> bool:
    """Exploded form or deepObject in a query: the styles a nested-value convention covers."""
    style = node.get("style") if isinstance(node.get("style"), str) else "form"
    explode = node["explode"] if isinstance(node.get("explode"), bool) else style == "form"
    return loc == "query" and (style == "deepObject" or explode)


def check_parameter(
    sink: Sink, doc: str, ptr: str, node: dict[str, Any], key: str, required: bool, resolve: Resolve
) -> None:
    """Parameter findings lint owes the planner (file and pointer of the parameter itself)."""
    name, loc = node["name"], node["in"]
    if loc == "header" and not _TOKEN.match(name):
        sink.add(
            doc,
            ptr,
            f"header parameter {name!r} is not a valid HTTP header name (a token: letters, digits and "
            "!#$%&'*+-.^_`|~, no spaces), so no request can carry it",
            "bad-header-name",
            Severity.ERROR if required else Severity.WARNING,
            key,
            "parameters" if required else None,
        )
    schema = node.get("schema")
    if schema is None or "content" in node:
        return  # a parameter declared with content is sent as its JSON text: fully defined
    if _nested(doc, schema, resolve):
        if _carried(loc, node):
            how = (
                "the suite sends them by the BB profile's convention (bracket nesting qry[a][b]=x unless the "
                "profile or --query-style says json), which a product may read differently"
            )
        else:
            how = "its style has no form for them, so only values without nested members can be sent"
        sink.add(
            doc,
            ptr,
            f"{loc} parameter {name!r} holds objects or arrays inside an object or array, for which OpenAPI "
            f"defines no serialization; {how}",
            "nested-parameter",
            Severity.WARNING,
            key,
        )
    if loc == "query" and name == "body" and _container(resolve(doc, schema)):
        sink.add(
            doc,
            ptr,
            "query parameter 'body' holds an object: a Swagger 2.0 body parameter (in: body) converted to "
            "in: query; OpenAPI 3 carries a body in requestBody, so a product likely expects a JSON body, "
            "not a query (the suite tests the spec as written)",
            "swagger2-body-parameter",
            Severity.WARNING,
            key,
        )


def check_responses(sink: Sink, doc: str, ptr: str, responses: Sequence[Response], key: str) -> None:
    """An operation that documents responses, none of them a success (1xx-3xx, NXX or default)."""
    if not responses or any(r.status[:1] in "123" or r.status.lower() == "default" for r in responses):
        return
    listed = ", ".join(r.status for r in responses)
    sink.add(
        doc,
        join(ptr, "responses"),
        f"the operation documents only error statuses ({listed}): a success cannot be judged against the contract",
        "no-success-response",
        Severity.WARNING,
        key,
    )


def check_request_media(sink: Sink, doc: str, ptr: str, content: Sequence[MediaType], key: str) -> None:
    """A request body the suite cannot build in any of its media types."""
    if not content or any(generated_media(m.media_type) for m in content):
        return
    listed = ", ".join(m.media_type for m in content)
    sink.add(
        doc,
        content[0].pointer,
        f"the request body is documented only as {listed}, which the suite does not generate (it builds JSON, "
        "forms, multipart, text and octet streams): requests with a body cannot be sent",
        "ungenerated-media",
        Severity.INFO,
        key,
    )
