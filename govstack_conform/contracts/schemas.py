"""Schema resolution and validation against a loaded contract.

Schemas stay as they are in their documents; `$ref`s are followed on demand through the contract's
`referencing` registry, so recursive schemas cost nothing and every violation can point into the file.
Validators are compiled once per (document, pointer) and cached on the contract.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote, urljoin, urlsplit

import openapi_schema_validator as osv
from jsonschema import FormatChecker
from jsonschema import validators as jsonschema_validators
from jsonschema.exceptions import SchemaError, UnknownType, ValidationError
from referencing.exceptions import Unresolvable

from govstack_conform.contracts import compiled
from govstack_conform.contracts.memo import Bounded, bounded_on
from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.contracts.uris import URI_BASE as URI_BASE  # re-exported: callers name documents here too
from govstack_conform.contracts.uris import doc_key as doc_key
from govstack_conform.contracts.uris import doc_uri as doc_uri

_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$")
_URI_REF = re.compile(r"^[^\s]*$")
# RFC 3339 partial-time or full-time: OpenAPI does not define `time`, so accept both rather than blame a product.
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)?$")


def _formats(base: FormatChecker) -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = dict(base.checkers)

    def _uri(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI.match(value))

    def _uri_ref(value: object) -> bool:
        return not isinstance(value, str) or bool(_URI_REF.match(value))

    def _time(value: object) -> bool:
        return not isinstance(value, str) or bool(_TIME.match(value))

    checker.checks("uri")(_uri)
    checker.checks("uri-reference")(_uri_ref)
    checker.checks("time")(_time)

    return checker


FORMATS_30 = _formats(osv.oas30_format_checker)
FORMATS_31 = _formats(osv.oas31_format_checker)


@dataclass(frozen=True)
class Violation:
    """One way an instance breaks a schema, in words and with pointers on both sides."""

    message: str
    instance_pointer: str  # JSON pointer into the instance ("" = the whole value)
    schema_file: str
    schema_pointer: str  # JSON pointer into schema_file
    keyword: str

    def to_dict(self) -> dict[str, str]:
        return {
            "message": self.message,
            "instance_pointer": self.instance_pointer,
            "schema_file": self.schema_file,
            "schema_pointer": self.schema_pointer,
            "keyword": self.keyword,
        }


class SchemaUnusable(Exception):
    """The schema itself is broken (unknown type, dangling $ref): the instance cannot be judged."""


def _pointer(parts: Any) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def is_30(contract: Contract, schema: Schema) -> bool:
    doc = contract.documents.get(schema.doc)
    return doc is None or not doc.openapi.startswith("3.1")


def _only_ref(schema: Any) -> Any:
    """OpenAPI 3.0 semantics: the siblings of a `$ref` SHALL be ignored."""
    return [("$ref", schema["$ref"])] if "$ref" in schema else schema.items()


def _literal(base: Any) -> Any:
    """`base` with 3.0's rule that `$ref` siblings are ignored (jsonschema applies them)."""
    return jsonschema_validators.create(
        meta_schema=base.META_SCHEMA,
        validators=dict(base.VALIDATORS),
        type_checker=base.TYPE_CHECKER,
        format_checker=base.FORMAT_CHECKER,
        id_of=base.ID_OF,
        applicable_validators=_only_ref,
    )


def _integral(checker: Any, instance: object) -> bool:
    return bool(checker.is_type(instance, "number")) and (not isinstance(instance, float) or instance.is_integer())


def _json_numbers(base: Any) -> Any:
    """`base` judging numbers as JSON does: 1.0 is the integer 1 (JSON Schema draft 6 on, OAS 3.1).

    JSON has one number type; a product serializing an integer as 1.0 (Java, .NET, JavaScript's
    Number) sends the same value, which draft 4's type check would reject. Responses only: what we
    send stays strict.
    """
    return jsonschema_validators.extend(base, type_checker=base.TYPE_CHECKER.redefine("integer", _integral))


_READ30 = _json_numbers(osv.OAS30ReadValidator)
_OAS30 = {
    "response": (_READ30, _literal(_READ30)),
    "request": (osv.OAS30WriteValidator, _literal(osv.OAS30WriteValidator)),
}


def validators_for(contract: Contract, schema: Schema, direction: str) -> tuple[Any, Any | None]:
    """(siblings-applied validator, siblings-ignored validator or None), compiled once per location."""
    cache: dict[tuple[str, str, str], Any] = contract.__dict__.setdefault("_validators", {})
    key = (schema.doc, schema.pointer, direction)
    found = cache.get(key)
    if found is None:
        ref = {"$ref": doc_uri(schema.doc) + "#" + quote(schema.pointer, safe="/~")}
        if is_30(contract, schema):
            applied, ignored = _OAS30["response" if direction == "response" else "request"]
            found = (
                applied(ref, registry=contract.schema_registry(), format_checker=FORMATS_30),
                ignored(ref, registry=contract.schema_registry(), format_checker=FORMATS_30),
            )
        else:
            found = (osv.OAS31Validator(ref, registry=contract.schema_registry(), format_checker=FORMATS_31), None)
        cache[key] = found
    return found


# From the most to the least specific: what the value is, what it may be, its shape, then the combinators.
_SPECIFIC = (
    "type", "const", "enum", "format", "pattern", "minLength", "maxLength", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "required", "minItems", "maxItems", "uniqueItems",
    "additionalProperties", "minProperties", "maxProperties",
)  # fmt: skip


def _missing(e: ValidationError) -> str | None:
    """The property a `required` error is about (jsonschema yields one error per missing property)."""
    if e.validator != "required" or not isinstance(e.validator_value, list):
        return None
    return next((str(p) for p in e.validator_value if f"{p!r} is a required property" == e.message), None)


def _location(e: ValidationError) -> tuple[Any, ...]:
    """Where in the instance the error is: a missing property's place is the property, not its object."""
    missing = _missing(e)
    return (*e.absolute_path, missing) if missing is not None else tuple(e.absolute_path)


def _errors(validator: Any, instance: Any) -> list[ValidationError]:
    """One error per instance location, the most specific one: a value breaking several rules at once (a
    null that OpenAPI 3.0 reports as "not nullable" and as the wrong type) is one fact about the product."""
    best: dict[tuple[Any, ...], tuple[tuple[int, int, int], ValidationError]] = {}
    for n, e in enumerate(validator.iter_errors(instance)):
        if _ambiguous_one_of(e):
            continue
        keyword = str(e.validator)
        rank = (_SPECIFIC.index(keyword) if keyword in _SPECIFIC else len(_SPECIFIC), -len(e.absolute_schema_path), n)
        where = _location(e)
        if where not in best or rank < best[where][0]:
            best[where] = (rank, e)
    return [e for _, (_, e) in sorted(best.items(), key=lambda kv: _order(kv[0]))]


def _order(location: tuple[Any, ...]) -> list[tuple[int, int, str]]:
    """Instance order: array items by index (2 before 10), properties by name."""
    return [(0, p, "") if isinstance(p, int) else (1, 0, str(p)) for p in location]


def _schema_location(contract: Contract, schema: Schema, error: ValidationError) -> tuple[str, str]:
    """Where in which file the failing keyword stands, following the $refs the error went through."""
    current = schema
    try:
        for part in error.absolute_schema_path:
            current = resolve(contract, current)
            if part != "$ref":
                current = child(current, part)
    except (KeyError, IndexError, TypeError, SchemaUnusable):
        pass
    return current.doc, current.pointer


def validate(contract: Contract, schema: Schema, instance: Any, *, direction: str = "response") -> list[Violation]:
    """All violations of `schema` by `instance`; [] when valid.

    `direction` is "response" (readOnly allowed, writeOnly forbidden) or "request" (the reverse).
    OpenAPI 3.0 says `$ref` siblings are ignored, yet authors rely on them: a response (judging a product)
    is valid when it passes under either reading; a request (what we send) must pass under both.
    Raises SchemaUnusable when the schema cannot be evaluated: that is the spec's fault, not the instance's.
    Validity is asked of the compiled validator first (contracts/compiled.py); the errors, only of failures.
    """
    if compiled.verdict(contract, schema, instance, direction) is True:
        return []
    applied, ignored = validators_for(contract, schema, direction)
    try:
        errors = _errors(applied, instance)
        if ignored is not None:
            literal = _errors(ignored, instance) if errors or direction != "response" else []
            errors = (errors and literal) if direction == "response" else (errors or literal)
        out = []
        for e in errors[:50]:
            file, ptr = _schema_location(contract, schema, e)
            out.append(
                Violation(
                    message=_words(e),
                    instance_pointer=_pointer(_location(e)),
                    schema_file=file,
                    schema_pointer=ptr,
                    keyword=str(e.validator),
                )
            )
        return out
    except (UnknownType, SchemaError, Unresolvable) as exc:
        raise SchemaUnusable(f"schema at {schema.doc}#{schema.pointer} cannot be evaluated: {exc}") from None
    except RecursionError:
        raise SchemaUnusable("instance or schema nested too deeply to evaluate") from None
    except (AttributeError, TypeError, KeyError, ZeroDivisionError, re.error) as exc:  # e.g. `properties: null`
        raise SchemaUnusable(f"schema at {schema.doc}#{schema.pointer} is malformed: {exc}") from None


def _ambiguous_one_of(error: ValidationError) -> bool:
    """A value matching several `oneOf` branches: the spec's branches overlap, which is not the product's fault."""
    return error.validator == "oneOf" and not error.context


def _words(e: ValidationError) -> str:
    where = _pointer(e.absolute_path) or "the body"
    msg = e.message
    missing = _missing(e)
    if missing is not None:
        msg = f"the required property {json.dumps(missing)} is missing"
    elif e.validator == "type" and e.instance is None:  # JSON's null, and said once (3.0 says it twice)
        types = e.validator_value if isinstance(e.validator_value, list) else [e.validator_value]
        msg = f"null is not allowed: the schema's type is {' or '.join(str(t) for t in types)}"
    if len(msg) > 300:
        msg = msg[:300] + "…"
    return f"at {where}: {msg}"


RESOLVED_KEPT = 4096  # resolutions remembered per contract, the newest


def resolve(contract: Contract, schema: Schema, *, limit: int = 32) -> Schema:
    """Follow `$ref`s until a concrete node; raises SchemaUnusable on a dangling or circular chain.
    Remembered per $ref node (the mock resolves its parameters' schemas on every request)."""
    node = schema.node
    if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
        return schema
    cache: Bounded[tuple[int, str, int], tuple[Any, Schema]] = bounded_on(contract, "_resolved", RESOLVED_KEPT)
    key = (id(node), schema.doc, limit)
    hit = cache.get(key)
    if hit is not None and hit[0] is node:
        return hit[1]
    found = _resolve(contract, schema, limit)
    cache.put(key, (node, found))
    return found


def _resolve(contract: Contract, schema: Schema, limit: int) -> Schema:
    current = schema
    for _ in range(limit):
        node = current.node
        if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
            return current
        target = urljoin(doc_uri(current.doc), node["$ref"])
        try:
            resolved = contract.schema_registry().resolver().lookup(target)
        except Unresolvable as exc:
            raise SchemaUnusable(f"unresolvable $ref {node['$ref']!r} in {current.doc}#{current.pointer}") from exc
        current = Schema(node=resolved.contents, doc=doc_key(target), pointer=unquote(urlsplit(target).fragment))
    raise SchemaUnusable(f"$ref chain too long or circular at {schema.doc}#{schema.pointer}")


def child(parent: Schema, *path: str | int) -> Schema:
    """The sub-schema at `path` below an already-resolved `parent` (no $ref following)."""
    node = parent.node
    for p in path:
        node = node[p]
    return Schema(node=node, doc=parent.doc, pointer=parent.pointer + _pointer(path))
