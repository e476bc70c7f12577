"""Raw OpenAPI document → model Operations and SecuritySchemes.

Referenced parameters, request bodies, responses, headers, examples, links and path items are resolved
here, and every model node carries the pointer where its content physically stands, so a Schema's
(doc, pointer) always locates its node. Schemas themselves are not expanded; their roots are handed to
the schema scan with the operation aspect that uses them. Whatever is broken becomes a defect on the
sink and the build carries on with the next parameter, response or operation.
"""

from __future__ import annotations

import re
from typing import Any

from govstack_conform.loader.checks import METHODS, Problem, SchemaScan, check_fields
from govstack_conform.loader.common import Sink, join, short
from govstack_conform.loader.refs import Doc, RefError, Resolver, Target
from govstack_conform.model import (
    Example,
    Header,
    MediaType,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Schema,
    SecurityRequirement,
    SecurityScheme,
    Severity,
)

ERROR = Severity.ERROR
INFO = Severity.INFO
LOCATIONS = ("path", "query", "header", "cookie")
SCHEME_TYPES = {"apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"}
_STATUS = re.compile(r"^([1-5][0-9][0-9]|[1-5]XX|default)$", re.IGNORECASE)
_TEMPLATE = re.compile(r"\{([^{}/]+)\}")
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}

Roots = list[tuple[str, str, Any]]  # schema roots (doc, pointer, node) used by one operation aspect


class Builder:
    """Builds one document's operations; defects go to `sink`, schema uses to `uses`."""

    def __init__(self, doc: Doc, resolver: Resolver, sink: Sink, scan: SchemaScan) -> None:
        self.doc = doc
        self.resolver = resolver
        self.sink = sink
        self.scan = scan
        self.is31 = doc.openapi.startswith("3.1")
        self.uses: dict[tuple[str, str], Roots] = {}  # (operation key, aspect) -> schema roots
        self.schemes: dict[str, SecurityScheme] = {}
        self.swagger2_schemes: set[str] = set()

    # -------------------------------------------------------------- helpers

    def warn(self, pointer: str, message: str, code: str, op: str | None = None, *, doc: str | None = None) -> None:
        self.sink.add(doc or self.doc.key, pointer, message, code, Severity.WARNING, op)

    def error(
        self, pointer: str, message: str, code: str, op: str | None, aspect: str | None, doc: str | None = None
    ) -> None:
        self.sink.add(doc or self.doc.key, pointer, message, code, ERROR, op, aspect)

    def follow(self, doc: str, pointer: str, node: Any, op: str | None, aspect: str | None) -> Target | None:
        """Resolve a possibly-$ref'd object; a broken ref becomes a defect (ERROR when `aspect` is set)."""
        try:
            return self.resolver.follow(doc, pointer, node)
        except RefError as e:
            if aspect is None:
                self.warn(pointer, str(e), e.code, op, doc=doc)
            else:
                self.error(pointer, str(e), e.code, op, aspect, doc=doc)
            return None

    def schema(self, doc: str, pointer: str, node: Any, op: str | None, aspect: str) -> Schema:
        self.uses.setdefault((op or "", aspect), []).append((doc, pointer, node))
        return Schema(node=node, doc=doc, pointer=pointer)

    # -------------------------------------------------------------- document

    def build(self) -> list[Operation]:
        raw = self.doc.raw
        key = self.doc.key
        check_fields(self.sink, key, "", raw, "root", self.is31)
        comps = raw.get("components")
        if isinstance(comps, dict):
            check_fields(self.sink, key, "/components", comps, "components", self.is31)
            self._security_schemes(comps.get("securitySchemes"))
            for name, node in (comps.get("schemas") or {}).items() if isinstance(comps.get("schemas"), dict) else ():
                self.scan.unit(key, join("/components/schemas", name), node)
        elif comps is not None:
            self.warn("/components", f"components must be a map, found {short(comps)}", "bad-structure")
        if isinstance(raw.get("securityDefinitions"), dict):
            self.swagger2_schemes = set(raw["securityDefinitions"])
        self.global_security = self._security(raw.get("security"), "/security", None) if "security" in raw else ()
        paths = raw.get("paths")
        if paths is None:
            if not (self.is31 and raw.get("webhooks")):
                self.warn("", "the document has no paths, so no operations", "no-paths")
            return []
        if not isinstance(paths, dict):
            self.error("/paths", f"paths must be a map, found {short(paths)}", "bad-structure", None, None)
            return []
        ops: list[Operation] = []
        seen_ids: dict[str, str] = {}
        for path, item in paths.items():
            ops.extend(self._path_item(str(path), item, seen_ids))
        return ops

    def _path_item(self, path: str, item: Any, seen_ids: dict[str, str]) -> list[Operation]:
        ptr = join("/paths", path)
        if path.startswith("x-"):
            return []
        if not path.startswith("/"):
            self.warn(ptr, f"path {path!r} must start with '/'", "bad-path")
        if not isinstance(item, dict):
            self.error(
                ptr,
                f"path item must be a map, found {short(item)}; its operations are lost",
                "bad-structure",
                None,
                None,
            )
            return []
        try:
            target = self.resolver.follow(self.doc.key, ptr, item)
        except RefError as e:
            self.error(ptr, f"{e}; the operations of {path} are lost", e.code, None, None)
            return []
        if not isinstance(target.node, dict):
            self.error(
                ptr,
                f"path item $ref leads to {short(target.node)}, not a path item; its operations are lost",
                "bad-structure",
                None,
                None,
            )
            return []
        check_fields(self.sink, target.doc, target.pointer, target.node, "path item", self.is31)
        out = []
        for method in METHODS:
            if method in target.node:
                op = self._operation(path, method, target, seen_ids)
                if op is not None:
                    out.append(op)
        return out

    # -------------------------------------------------------------- operation

    def _operation(self, path: str, method: str, item: Target, seen_ids: dict[str, str]) -> Operation | None:
        key = f"{method.upper()} {path}"
        ptr = join(item.pointer, method)
        node = item.node[method]
        doc = item.doc
        if not isinstance(node, dict):
            self.error(ptr, f"operation must be a map, found {short(node)}", "bad-structure", key, "operation", doc)
            return None
        check_fields(self.sink, doc, ptr, node, "operation", self.is31, key)
        op_id = node.get("operationId")
        if op_id is not None and not isinstance(op_id, str):
            self.warn(join(ptr, "operationId"), f"operationId must be a string, found {short(op_id)}", "bad-field", key)
            op_id = str(op_id)
        if op_id is not None:
            if op_id in seen_ids:
                self.warn(
                    join(ptr, "operationId"),
                    f"operationId {op_id!r} is also used by {seen_ids[op_id]}",
                    "duplicate-operation-id",
                    key,
                )
            seen_ids.setdefault(op_id, key)
        params = self._parameters(path, item, node, ptr, key)
        body = None
        if "requestBody" in node:
            body = self._request_body(doc, join(ptr, "requestBody"), node["requestBody"], key)
        responses = self._responses(doc, ptr, node.get("responses"), key)
        if "security" in node:
            security = self._security(node["security"], join(ptr, "security"), key, doc)
        else:
            security = self.global_security
        raw_tags = node.get("tags")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        return Operation(
            method=method.upper(),
            path=path,
            operation_id=op_id,
            summary=_text(node.get("summary")),
            tags=tuple(str(t) for t in tags),
            parameters=params,
            request_body=body,
            responses=responses,
            security=security,
            source_file=self.doc.key,
            pointer=ptr,
            deprecated=node.get("deprecated") is True,
            description=_text(node.get("description")),
        )

    # -------------------------------------------------------------- parameters

    def _parameters(self, path: str, item: Target, node: dict[str, Any], ptr: str, key: str) -> tuple[Parameter, ...]:
        merged: dict[tuple[str, str], Parameter] = {}
        for list_doc, list_ptr, plist in (
            (item.doc, join(item.pointer, "parameters"), item.node.get("parameters")),
            (item.doc, join(ptr, "parameters"), node.get("parameters")),
        ):
            if plist is None:
                continue
            if not isinstance(plist, list):
                self.error(
                    list_ptr,
                    f"parameters must be a list, found {short(plist)}",
                    "bad-structure",
                    key,
                    "parameters",
                    list_doc,
                )
                continue
            here: dict[tuple[str, str], str] = {}
            for i, raw in enumerate(plist):
                p = self._parameter(list_doc, join(list_ptr, i), raw, key)
                if p is None:
                    continue
                ident = (p.name, p.location)
                if ident in here:
                    self.warn(
                        join(list_ptr, i),
                        f"parameter {p.name!r} (in: {p.location}) is declared twice in this "
                        f"list (first at {here[ident]}); the later one is used",
                        "duplicate-parameter",
                        key,
                        doc=list_doc,
                    )
                here[ident] = p.pointer
                merged[ident] = p
        declared = {name for name, loc in merged if loc == "path"}
        names = _TEMPLATE.findall(path)
        for name in names:
            if name not in declared:
                self.warn(
                    ptr,
                    f"path {path!r} uses {{{name}}} but no path parameter {name!r} is declared; it is "
                    "treated as a required string",
                    "undeclared-path-parameter",
                    key,
                )
                merged[(name, "path")] = Parameter(name, "path", True, None, (), ptr)
        for (name, loc), p in list(merged.items()):
            if loc == "path" and name not in names:
                self.warn(
                    p.pointer,
                    f"path parameter {name!r} does not appear in the path {path!r}",
                    "unused-path-parameter",
                    key,
                )
        return tuple(merged.values())

    def _parameter(self, doc: str, ptr: str, raw: Any, key: str) -> Parameter | None:
        target = self.follow(doc, ptr, raw, key, "parameters")
        if target is None:
            return None
        node, doc, ptr = target.node, target.doc, target.pointer
        if not isinstance(node, dict):
            self.error(ptr, f"parameter must be a map, found {short(node)}", "bad-structure", key, "parameters", doc)
            return None
        check_fields(self.sink, doc, ptr, node, "parameter", self.is31, key)
        name, loc = node.get("name"), node.get("in")
        if not isinstance(name, str) or loc not in LOCATIONS:
            self.error(
                ptr,
                f"parameter needs a name and in: path|query|header|cookie (found name={short(name)}, in={short(loc)})",
                "bad-parameter",
                key,
                "parameters",
                doc,
            )
            return None
        if loc == "header" and name.lower() in _IGNORED_HEADERS:
            self.sink.add(
                doc,
                ptr,
                f"header parameter {name!r} is ignored (OpenAPI leaves {name} to "
                "content negotiation and security schemes)",
                "ignored-parameter",
                INFO,
                key,
            )
            return None
        required = node.get("required") is True
        if loc == "path" and not required:
            self.warn(
                ptr,
                f"path parameter {name!r} must have required: true; treated as required",
                "path-parameter-not-required",
                key,
                doc=doc,
            )
            required = True
        schema = self._param_schema(doc, ptr, node, key, "parameters")
        return Parameter(
            name=name,
            location=loc,
            required=required,
            schema=schema,
            examples=self._examples(doc, ptr, node, key) + self._content_examples(doc, ptr, node, key),
            pointer=ptr,
            style=node.get("style") if isinstance(node.get("style"), str) else None,
            explode=node.get("explode") if isinstance(node.get("explode"), bool) else None,
            deprecated=node.get("deprecated") is True,
        )

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

    # -------------------------------------------------------------- bodies and responses

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

    # -------------------------------------------------------------- security

    def _security_schemes(self, raw: Any) -> None:
        if raw is None:
            return
        if not isinstance(raw, dict):
            self.warn("/components/securitySchemes", "securitySchemes must be a map", "bad-structure")
            return
        for name, value in raw.items():
            ptr = join("/components/securitySchemes", name)
            target = self.follow(self.doc.key, ptr, value, None, None)
            if target is None:
                continue
            node = target.node
            if not isinstance(node, dict) or not isinstance(node.get("type"), str) or node["type"] not in SCHEME_TYPES:
                kind = node.get("type") if isinstance(node, dict) else node
                self.warn(
                    target.pointer,
                    f"security scheme {name!r} has unknown type {short(kind)}",
                    "bad-security-scheme",
                    doc=target.doc,
                )
                continue
            check_fields(self.sink, target.doc, target.pointer, node, "security scheme", self.is31)
            stype = node["type"]
            if stype == "apiKey" and (node.get("in") not in ("header", "query", "cookie") or not node.get("name")):
                self.warn(
                    target.pointer,
                    f"apiKey scheme {name!r} needs name and in: header|query|cookie",
                    "bad-security-scheme",
                    doc=target.doc,
                )
            scheme = node.get("scheme")
            self.schemes[str(name)] = SecurityScheme(
                name=str(name),
                type=stype,
                scheme=scheme.lower() if stype == "http" and isinstance(scheme, str) else None,
                location=node.get("in") if stype == "apiKey" else None,
                param_name=node.get("name") if stype == "apiKey" else None,
                raw=node,
            )

    def _security(self, raw: Any, ptr: str, key: str | None, doc: str | None = None) -> tuple[SecurityRequirement, ...]:
        if not isinstance(raw, list):
            self.warn(ptr, f"security must be a list of requirements, found {short(raw)}", "bad-security", key, doc=doc)
            return ()
        if not raw:
            return ((),)
        alternatives: list[SecurityRequirement] = []
        for i, req in enumerate(raw):
            if not isinstance(req, dict):
                self.warn(
                    join(ptr, i),
                    f"security requirement must be a map, found {short(req)}",
                    "bad-security",
                    key,
                    doc=doc,
                )
                continue
            alt = []
            for name, scopes in req.items():
                if name not in self.schemes:
                    extra = (
                        " (a Swagger 2.0 securityDefinitions entry of that name is ignored)"
                        if name in self.swagger2_schemes
                        else ""
                    )
                    self.warn(
                        join(ptr, i, name),
                        f"security scheme {name!r} is not declared in components/securitySchemes{extra}",
                        "undeclared-security-scheme",
                        key,
                        doc=doc,
                    )
                scope_list = tuple(str(s) for s in scopes) if isinstance(scopes, list) else ()
                alt.append((str(name), scope_list))
            alternatives.append(tuple(alt))
        return tuple(alternatives)


def schema_defects(builder: Builder, scan: SchemaScan, sink: Sink) -> None:
    """Turn schema problems into defects: ERROR per (operation, aspect) it blocks, WARNING otherwise."""
    blocked_somewhere: set[Problem] = set()
    for (op, aspect), roots in builder.uses.items():
        for p in scan.reach(roots):
            if p.blocking:
                blocked_somewhere.add(p)
                sink.add(p.doc, p.pointer, p.message, p.code, ERROR, op or None, aspect)
    for p in scan.all_problems():
        if p.blocking and p in blocked_somewhere:
            continue
        suffix = " (no operation uses this schema)" if p.blocking else ""
        sink.add(p.doc, p.pointer, p.message + suffix, p.code, Severity.WARNING)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""
