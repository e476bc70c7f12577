"""Field checks on OpenAPI objects: unknown or misplaced fields and Swagger 2.0 leftovers are ignored by
every tool, so the content they hold is lost; each becomes a WARNING saying where it should have gone."""

from __future__ import annotations

from typing import Any

from govstack_conform.contracts.loader.common import Sink, join

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")

_PARAM = {"name", "in", "description", "required", "deprecated", "allowEmptyValue", "style", "explode"}
_PARAM |= {"allowReserved", "schema", "example", "examples", "content"}
FIELDS: dict[str, frozenset[str]] = {
    "root": frozenset({"openapi", "info", "servers", "paths", "components", "security", "tags", "externalDocs"}),
    "path item": frozenset({"$ref", "summary", "description", "servers", "parameters", *METHODS}),
    "operation": frozenset(
        {"tags", "summary", "description", "externalDocs", "operationId", "parameters", "requestBody"}
        | {"responses", "callbacks", "deprecated", "security", "servers"}
    ),
    "parameter": frozenset(_PARAM),
    "header": frozenset(_PARAM - {"name", "in"}),
    "request body": frozenset({"description", "content", "required"}),
    "media type": frozenset({"schema", "example", "examples", "encoding"}),
    "response": frozenset({"description", "headers", "content", "links"}),
    "example": frozenset({"summary", "description", "value", "externalValue"}),
    "components": frozenset(
        {"schemas", "responses", "parameters", "examples", "requestBodies", "headers", "securitySchemes"}
        | {"links", "callbacks"}
    ),
    "security scheme": frozenset({"type", "description", "name", "in", "scheme", "bearerFormat", "flows"})
    | {"openIdConnectUrl"},
}
_FIELDS_31_EXTRA = {"root": {"webhooks", "jsonSchemaDialect"}, "components": {"pathItems"}}
SWAGGER2_ROOT = {"swagger", "host", "basePath", "schemes", "consumes", "produces", "definitions"}
SWAGGER2_ROOT |= {"securityDefinitions", "parameters", "responses"}

_HINTS = {
    ("response", "examples"): "examples belong under content/<media type>/examples",
    ("response", "schema"): "Swagger 2.0 style; in OpenAPI 3 the schema belongs under content/<media type>/schema",
    ("root", "headers"): "top-level headers apply to no operation; declare them as header parameters",
    ("operation", "headers"): "declare request headers as parameters with in: header",
    ("operation", "consumes"): "Swagger 2.0 style; media types belong under requestBody/content",
    ("operation", "produces"): "Swagger 2.0 style; media types belong under responses/<status>/content",
    ("parameter", "type"): "Swagger 2.0 style; 'type' belongs inside the parameter's schema",
    ("parameter", "format"): "Swagger 2.0 style; 'format' belongs inside the parameter's schema",
    ("parameter", "items"): "Swagger 2.0 style; 'items' belongs inside the parameter's schema",
    ("parameter", "enum"): "Swagger 2.0 style; 'enum' belongs inside the parameter's schema",
}


def check_fields(
    sink: Sink, file: str, pointer: str, node: dict[str, Any], kind: str, is31: bool, operation: str | None = None
) -> None:
    """Report fields `kind` objects do not have (they are ignored by every tool, so content is lost)."""
    allowed = FIELDS[kind] | _FIELDS_31_EXTRA.get(kind, set()) if is31 else FIELDS[kind]
    for name in node:
        if not isinstance(name, str) or name in allowed or name.startswith("x-"):
            continue
        where = join(pointer, name)
        if kind == "root" and name in SWAGGER2_ROOT:
            sink.add(
                file,
                where,
                f"Swagger 2.0 field {name!r} in an OpenAPI 3 document is ignored",
                "swagger2-field",
                operation=operation,
            )
        elif kind == "path item" and name.lower() in METHODS:
            sink.add(
                file,
                where,
                f"method key {name!r} must be lower case; this operation is ignored",
                "unknown-field",
                operation=operation,
            )
        else:
            hint = _HINTS.get((kind, name))
            text = f"{name!r} is not a field of a {kind} object and is ignored" + (f": {hint}" if hint else "")
            sink.add(file, where, text, "unknown-field", operation=operation)
