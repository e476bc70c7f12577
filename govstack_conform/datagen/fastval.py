"""A faster OAS 3.0 request/response validator for datagen's yes/no checks, same errors as jsonschema's.

Where a contract is plain (see `one_reading`: no `$ref` sibling any validator acts on, no `id`
moving $ref bases, no $ref leaving the contract), the validator `schemas` compiles is extended with:

- `$ref` remembered per $ref object: without ids, a $ref resolves to the same node and base URI
  wherever it is met (draft-4 resolution has no dynamic scope), so it is looked up once;
- `properties` / `items` descents that may skip a (sub-value, sub-schema) pair a recording pass
  saw validate cleanly (see incremental.Variants); outside such a pass they descend as usual.

Every other keyword is jsonschema's own, run lazily in the same order, so verdicts, errors and the
exceptions a broken schema raises are those of `schemas.validate`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urljoin

from jsonschema import validators as jsonschema_validators

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Schema

# Keywords beside a `$ref` that no OAS 3.0 validator acts on: with only these, "siblings applied"
# and "siblings ignored" walk the same keywords and so give the same errors.
_INERT = frozenset({"description", "title", "summary", "example", "examples", "deprecated", "externalDocs", "xml"})


@dataclass
class State:
    """What the extended keywords consult while one check runs."""

    refs: dict[int, tuple[Any, Any]]  # id($ref object) -> ($ref object, jsonschema Resolved)
    seen: set[tuple[int, int]] = field(default_factory=set)  # (id(value), id(subschema)) seen clean
    recording: bool = False
    skipping: bool = False


_STATE: ContextVar[State | None] = ContextVar("_STATE", default=None)
_CLASSES: dict[Any, Any] = {}


def _ref(validator: Any, ref: Any, instance: Any, schema: Any) -> Iterator[Any]:
    """jsonschema's `$ref` (lookup, then descend with the target's resolver), looked up once."""
    state = _STATE.get()
    if state is None:
        yield from validator._validate_reference(ref=ref, instance=instance)
        return
    hit = state.refs.get(id(schema))
    if hit is None or hit[0] is not schema:
        hit = (schema, validator._resolver.lookup(ref))  # a failure raises: the caller checks in full
        state.refs[id(schema)] = hit
    resolved = hit[1]
    yield from validator.descend(instance, resolved.contents, resolver=resolved.resolver)


def _child(validator: Any, value: Any, subschema: Any, path: Any, schema_path: Any) -> Iterator[Any]:
    state = _STATE.get()
    if state is None or not (state.recording or state.skipping):
        yield from validator.descend(value, subschema, path=path, schema_path=schema_path)
        return
    key = (id(value), id(subschema))
    if state.skipping and key in state.seen:
        return
    errors = 0
    for error in validator.descend(value, subschema, path=path, schema_path=schema_path):
        errors += 1
        yield error
    if state.recording and not errors:  # ran to the end (a consumer stopping early got an error first)
        state.seen.add(key)


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


def _extended(base: Any) -> Any:
    found = _CLASSES.get(base)
    if found is None:
        found = jsonschema_validators.extend(base, {"$ref": _ref, "properties": _properties, "items": _items})
        _CLASSES[base] = found
    return found


def fast_validator(contract: Contract, schema: Schema, direction: str) -> Any | None:
    """The extended validator for `schema`, or None where it would not be exact (OAS 3.1, whose
    dynamic scopes make a $ref depend on the way in, or a contract that is not plain)."""
    cache: dict[tuple[str, str, str], Any] = contract.__dict__.setdefault("_datagen_fast", {})
    key = (schema.doc, schema.pointer, direction)
    if key not in cache:
        applied, ignored = schemas.validators_for(contract, schema, direction)
        found = None
        if ignored is not None and one_reading(contract):
            ref = {"$ref": schemas.doc_uri(schema.doc) + "#" + quote(schema.pointer, safe="/~")}
            found = _extended(type(applied))(ref, registry=contract.registry, format_checker=applied.format_checker)
        cache[key] = found
    return cache[key]


def state_for(contract: Contract) -> State:
    """A fresh State sharing the contract's remembered $refs."""
    refs: dict[int, tuple[Any, Any]] = contract.__dict__.setdefault("_datagen_refs", {})
    return State(refs=refs)


def run_clean(validator: Any, value: Any, state: State) -> bool:
    """`clean(validator, value)` with the extended keywords consulting `state`."""
    token = _STATE.set(state)
    try:
        return clean(validator, value)
    finally:
        _STATE.reset(token)


def clean(validator: Any, value: Any) -> bool:
    """No error but ambiguous oneOf ones. Iterates to the end and sorts as validate does, so a
    schema that breaks the validator anywhere raises here too."""
    errors = [e for e in validator.iter_errors(value) if not (e.validator == "oneOf" and not e.context)]
    if len(errors) > 1:
        errors.sort(key=lambda e: list(e.absolute_path))
    return not errors


def one_reading(contract: Contract) -> bool:
    """True when no `$ref` in the contract has a sibling a validator acts on, so the two readings
    of OAS 3.0 `$ref` siblings cannot differ, and $refs resolve by document alone. Conservative:
    every dict of every document counts (examples too), and any `id` (which moves $ref bases) or
    $ref leaving the contract says no."""
    found = contract.__dict__.get("_datagen_one_reading")
    if found is None:
        found = all(_plain_doc(contract, key, doc.raw) for key, doc in contract.documents.items())
        contract.__dict__["_datagen_one_reading"] = found
    return bool(found)


def _plain_doc(contract: Contract, key: str, raw: Any) -> bool:
    base = schemas.doc_uri(key)
    stack = [raw]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("id"), str) or "$id" in node:
                return False
            if "$ref" in node:
                ref = node["$ref"]
                if not isinstance(ref, str):
                    return False
                if any(k != "$ref" and (k not in _INERT and not str(k).startswith("x-")) for k in node):
                    return False
                if schemas.doc_key(urljoin(base, ref)) not in contract.documents:
                    return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True
