"""Request bodies, media types, examples, responses and headers of an operation."""

from __future__ import annotations

import re
from typing import Any

from govstack_conform.contracts.loader.common import join, short
from govstack_conform.contracts.loader.context import Context
from govstack_conform.contracts.loader.fields import check_fields
from govstack_conform.contracts.loader.paramlint import check_request_media
from govstack_conform.contracts.loader.refs import Target
from govstack_conform.contracts.model import Example, Header, MediaType, RequestBody, Response, Schema

_STATUS = re.compile(r"^([1-5][0-9][0-9]|[1-5]XX|default)$", re.IGNORECASE)


class Parts(Context):
    """Builds the parts of an operation below its parameters."""

    def _content_examples(self, doc: str, ptr: str, node: dict[str, Any], key: str) -> tuple[Example, ...]:
        """Examples of a parameter declared with `content` (they stand in its single media type)."""
        content = node.get("content")
        if not isinstance(content, dict) or not content:
            return ()
        mt, mnode = next(iter(content.items()))
        return self._examples(doc, join(ptr, "content", mt), mnode, key) if isinstance(mnode, dict) else ()

    def _param_schema(self, doc: str, ptr: str, node: dict[str, Any], key: str, aspect: str) -> Schema | None:
        if "schema" in node:
            return self.schema(doc, join(ptr, "schema"), node["schema"], key, aspect)
        content = node.get("content")
        if isinstance(content, dict) and content:
            mt, mnode = next(iter(content.items()))
            if isinstance(mnode, dict) and "schema" in mnode:
                return self.schema(doc, join(ptr, "content", mt, "schema"), mnode["schema"], key, aspect)
        self.warn(ptr, "declares neither schema nor content, so any value is accepted", "no-schema", key, doc=doc)
        return None

    def _request_body(self, doc: str, ptr: str, raw: Any, key: str) -> RequestBody | None:
        target = self.follow(doc, ptr, raw, key, "request-body")
        if target is None:
            return None
        node, doc, ptr = target.node, target.doc, target.pointer
        if not isinstance(node, dict):
            self.error(
                ptr, f"requestBody must be a map, found {short(node)}", "bad-structure", key, "request-body", doc
            )
            return None
        check_fields(self.sink, doc, ptr, node, "request body", self.is31, key)
        content = self._content(doc, ptr, node.get("content"), key, "request-body")
        check_request_media(self.sink, doc, ptr, content, key)
        return RequestBody(required=node.get("required") is True, content=content, pointer=ptr)

    def _content(self, doc: str, ptr: str, content: Any, key: str, aspect: str) -> tuple[MediaType, ...]:
        if content is None:
            return ()
        cptr = join(ptr, "content")
        if not isinstance(content, dict):
            self.error(
                cptr, f"content must be a map of media types, found {short(content)}", "bad-structure", key, aspect, doc
            )
            return ()
        out = []
        for mt, node in content.items():
            mptr = join(cptr, mt)
            if not isinstance(node, dict):
                if node is not None:
                    self.warn(
                        mptr, f"media type entry must be a map, found {short(node)}", "bad-structure", key, doc=doc
                    )
                out.append(MediaType(str(mt), None, (), mptr))
                continue
            check_fields(self.sink, doc, mptr, node, "media type", self.is31, key)
            schema = self.schema(doc, join(mptr, "schema"), node["schema"], key, aspect) if "schema" in node else None
            out.append(MediaType(str(mt), schema, self._examples(doc, mptr, node, key), mptr))
        return tuple(out)

    def _examples(self, doc: str, ptr: str, node: dict[str, Any], key: str) -> tuple[Example, ...]:
        out = []
        if "example" in node:
            out.append(Example("example", node["example"], join(ptr, "example")))
        examples = node.get("examples")
        if examples is None:
            return tuple(out)
        eptr = join(ptr, "examples")
        if not isinstance(examples, dict):
            self.warn(
                eptr,
                "examples must be a map of Example objects ({name: {value: ...}}); ignored",
                "bad-examples",
                key,
                doc=doc,
            )
            return tuple(out)
        for name, raw in examples.items():
            target = self.follow(doc, join(eptr, name), raw, key, None)
            if target is None:
                continue
            ex = target.node
            if isinstance(ex, dict) and "value" in ex:
                check_fields(self.sink, target.doc, target.pointer, ex, "example", self.is31, key)
                out.append(Example(str(name), ex["value"], join(target.pointer, "value")))
            elif not (isinstance(ex, dict) and "externalValue" in ex):
                self.warn(
                    target.pointer,
                    f"example {name!r} has no 'value' (Example objects wrap the value: {{value: ...}}); ignored",
                    "example-without-value",
                    key,
                    doc=target.doc,
                )
        return tuple(out)

    def _responses(self, doc: str, op_ptr: str, raw: Any, key: str) -> tuple[Response, ...]:
        ptr = join(op_ptr, "responses")
        if not isinstance(raw, dict) or not raw:
            self.error(
                ptr,
                "the operation documents no responses, so none can be checked",
                "no-responses",
                key,
                "response:*",
                doc,
            )
            return ()
        out = []
        for status, value in raw.items():
            status = str(status)
            if status.startswith("x-"):
                continue
            rptr = join(ptr, status)
            if not _STATUS.match(status):
                self.warn(
                    rptr,
                    f"{status!r} is not a status code, NXX range or 'default'; ignored",
                    "bad-status",
                    key,
                    doc=doc,
                )
                continue
            aspect = f"response:{status}"
            target = self.follow(doc, rptr, value, key, aspect)
            if target is None:
                continue
            if not isinstance(target.node, dict):
                self.error(
                    target.pointer,
                    f"response must be a map, found {short(target.node)}",
                    "bad-structure",
                    key,
                    aspect,
                    target.doc,
                )
                continue
            out.append(self._response(status, target, key, aspect))
        return tuple(out)

    def _response(self, status: str, target: Target, key: str, aspect: str) -> Response:
        node, doc, ptr = target.node, target.doc, target.pointer
        check_fields(self.sink, doc, ptr, node, "response", self.is31, key)
        headers = []
        raw_headers = node.get("headers")
        if isinstance(raw_headers, dict):
            for name, raw in raw_headers.items():
                hptr = join(ptr, "headers", name)
                if str(name).lower() == "content-type":
                    continue  # OpenAPI: a Content-Type response header is ignored
                h = self.follow(doc, hptr, raw, key, aspect)
                if h is None:
                    continue
                if not isinstance(h.node, dict):
                    self.warn(
                        h.pointer, f"header must be a map, found {short(h.node)}", "bad-structure", key, doc=h.doc
                    )
                    continue
                check_fields(self.sink, h.doc, h.pointer, h.node, "header", self.is31, key)
                schema = self._param_schema(h.doc, h.pointer, h.node, key, aspect)
                headers.append(Header(str(name), h.node.get("required") is True, schema, h.pointer))
        elif raw_headers is not None:
            self.warn(
                join(ptr, "headers"),
                f"headers must be a map, found {short(raw_headers)}",
                "bad-structure",
                key,
                doc=doc,
            )
        links: dict[str, Any] = {}
        if isinstance(node.get("links"), dict):
            for name, raw in node["links"].items():
                link = self.follow(doc, join(ptr, "links", name), raw, key, None)
                if link is not None:
                    links[str(name)] = link.node
        return Response(
            status=status,
            description=_text(node.get("description")),
            content=self._content(doc, ptr, node.get("content"), key, aspect),
            headers=tuple(headers),
            pointer=ptr,
            links=links,
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
