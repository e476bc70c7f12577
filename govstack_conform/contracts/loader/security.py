"""Security schemes and security requirements."""

from __future__ import annotations

from typing import Any

from govstack_conform.contracts.loader.common import join, short
from govstack_conform.contracts.loader.context import Context
from govstack_conform.contracts.loader.fields import check_fields
from govstack_conform.contracts.model import SecurityRequirement, SecurityScheme

SCHEME_TYPES = {"apiKey", "http", "oauth2", "openIdConnect", "mutualTLS"}


class Security(Context):
    """Reads components/securitySchemes and `security` lists."""

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
