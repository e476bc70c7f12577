"""Checking many variants of one value: only what differs from the original is validated again.

A mutation copies the containers on the path to the place it breaks and shares every other
sub-value with the original. Validating a sub-value against a sub-schema gives the same errors
wherever it happens (OAS 3.0, no `id` moving $ref bases: see check.one_reading), so once the
original's pass has seen `value` validate cleanly against `subschema`, a variant's pass may skip
that same (value object, subschema object) pair: it would yield no error and raise nothing.

`Variants(contract, schema, original)` runs the recording pass once; `holds(variant)` then gives
exactly `facts.holds(contract, schema, variant, "request")`, the verdict and the errors raised.
Only `properties` and `items` descents are skipped; everything else runs as jsonschema runs it,
lazily (so `not` and oneOf's `is_valid` stop where they always stopped).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from jsonschema import validators as jsonschema_validators

from govstack_conform import schemas
from govstack_conform.datagen.check import clean, memo_key, memo_of, one_reading, remember
from govstack_conform.datagen.facts import holds
from govstack_conform.model import Contract, Schema

# The pairs (id(value), id(subschema)) seen clean; ids are stable while the original is held.
_SEEN: ContextVar[tuple[set[tuple[int, int]], bool] | None] = ContextVar("_SEEN", default=None)
_CLASSES: dict[Any, Any] = {}


def _child(validator: Any, value: Any, subschema: Any, path: Any, schema_path: Any) -> Iterator[Any]:
    session = _SEEN.get()
    if session is None:
        yield from validator.descend(value, subschema, path=path, schema_path=schema_path)
        return
    seen, recording = session
    key = (id(value), id(subschema))
    if not recording and key in seen:
        return
    errors = 0
    for error in validator.descend(value, subschema, path=path, schema_path=schema_path):
        errors += 1
        yield error
    if recording and not errors:  # ran to the end (a consumer stopping early got an error first)
        seen.add(key)


def _properties(validator: Any, properties: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's `properties`, descending through _child."""
    if not validator.is_type(instance, "object"):
        return
    for name, subschema in properties.items():
        if name in instance:
            yield from _child(validator, instance[name], subschema, name, name)


def _items(validator: Any, items: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """openapi-schema-validator's OAS 3.0 `items`, descending through _child."""
    if not validator.is_type(instance, "array"):
        return
    for index, item in enumerate(instance):
        yield from _child(validator, item, items, index, None)


def _class_like(base: Any) -> Any:
    found = _CLASSES.get(base)
    if found is None:
        found = jsonschema_validators.extend(base, {"properties": _properties, "items": _items})
        _CLASSES[base] = found
    return found


class Variants:
    """Request-direction checks of variants of `original` against `schema` (see the module doc)."""

    def __init__(self, contract: Contract, schema: Schema, original: Any) -> None:
        self.contract = contract
        self.schema = schema
        self.original = original  # held: the recorded ids stay valid
        self.seen: set[tuple[int, int]] = set()
        self.validator: Any = None
        try:
            applied, ignored = schemas._validators(contract, schema, "request")
            if ignored is None or not one_reading(contract):  # 3.1 (dynamic scopes) or two readings
                return
            ref = {"$ref": schemas.doc_uri(schema.doc) + "#" + quote(schema.pointer, safe="/~")}
            validator = _class_like(type(applied))(
                ref, registry=contract.registry, format_checker=applied.format_checker
            )
            self._errors(validator, original, recording=True)
            self.validator = validator
        except Exception:  # the original breaks the validator: every variant is checked in full
            self.validator = None

    def _errors(self, validator: Any, value: Any, *, recording: bool) -> bool:
        token = _SEEN.set((self.seen, recording))
        try:
            return clean(validator, value)
        finally:
            _SEEN.reset(token)

    def holds(self, value: Any) -> bool:
        """`facts.holds(contract, schema, value, "request")`, skipping what the original settled."""
        if self.validator is None:
            return holds(self.contract, self.schema, value, "request")
        memo = memo_of(self.contract)
        key = memo_key(self.schema, value, "request")
        found = memo.get(key)
        if found is not None:
            return found
        try:
            ok = self._errors(self.validator, value, recording=False)
        except Exception:  # the full check raises the very error callers expect
            return holds(self.contract, self.schema, value, "request")
        remember(memo, key, ok)
        return ok
