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
from urllib.parse import parse_qsl

from govstack_conform.contracts.loader.common import join, short
from govstack_conform.contracts.loader.context import INFO
from govstack_conform.contracts.loader.fields import METHODS, check_fields
from govstack_conform.contracts.loader.paramlint import check_parameter, check_responses
from govstack_conform.contracts.loader.parts import Parts, _text
from govstack_conform.contracts.loader.refs import MAX_CHAIN, RefError, Target
from govstack_conform.contracts.loader.security import Security
from govstack_conform.contracts.model import Operation, Parameter

LOCATIONS = ("path", "query", "header", "cookie")
_TEMPLATE = re.compile(r"\{([^{}/]+)\}")
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}


class Builder(Parts, Security):
    """Builds one document's operations; defects go to `sink`, schema uses to `uses`."""

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
        check_responses(self.sink, doc, ptr, responses, key)
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
            fixed_query=self._fixed_query(path, params),
        )

    def _fixed_query(self, path: str, params: tuple[Parameter, ...]) -> tuple[tuple[str, str], ...]:
        """The query that selects the operation: what the path key writes after '?', then each required query
        parameter whose schema allows one value only (enum of one, const), as its wire text."""
        pairs = list(parse_qsl(path.partition("?")[2], keep_blank_values=True))
        for p in params:
            if p.location != "query" or not p.required or p.schema is None or p.content_type is not None:
                continue
            node = self._schema_node(p.schema.doc, p.schema.node)
            if not isinstance(node, dict) or p.name in dict(pairs):
                continue
            values = node["enum"] if isinstance(node.get("enum"), list) else [node["const"]] if "const" in node else []
            if len(values) == 1 and isinstance(values[0], str | int | bool):
                one = values[0]
                pairs.append((p.name, str(one).lower() if isinstance(one, bool) else str(one)))
        return tuple(pairs)

    def _schema_node(self, doc: str, node: Any) -> Any:
        """A schema node with its `$ref` chain followed (None when the chain is broken)."""
        for _ in range(MAX_CHAIN):
            if not (isinstance(node, dict) and "$ref" in node):
                return node
            try:
                target = self.resolver.lookup(doc, node["$ref"])
            except RefError:
                return None
            doc, node = target.doc, target.node
        return None

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
        check_parameter(self.sink, doc, ptr, node, key, required, self._schema_node)
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
            content_type=_content_type(node),
        )


def _content_type(node: dict[str, Any]) -> str | None:
    """The media type of a parameter declared with `content` (OpenAPI allows exactly one), else None."""
    content = node.get("content")
    if "schema" in node or not isinstance(content, dict) or not content:
        return None
    return str(next(iter(content)))
