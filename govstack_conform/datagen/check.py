"""A yes/no schema check with exactly the verdict of `schemas.validate`, at a fraction of its cost.

Generation and planning validate thousands of values and mostly need only "valid or not", never
the violations in words. `is_valid` answers that (1) without building Violation records or
following $refs to locate each error, (2) remembering verdicts per contract, so a value checked
once (the same example, the same mutation under another seed) is never checked again, and (3)
with one pass of the validator where OpenAPI 3.0's two readings of `$ref` siblings cannot differ.

Any exception in the quick path re-runs `schemas.validate`, which raises exactly what it always
did (SchemaUnusable with its message): callers see no difference but speed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin

from govstack_conform import schemas
from govstack_conform.model import Contract, Schema

_CACHE_LIMIT = 50000
# Keywords beside a `$ref` that no OAS 3.0 validator acts on: with only these, "siblings applied"
# and "siblings ignored" walk the same keywords and so give the same errors.
_INERT = frozenset({"description", "title", "summary", "example", "examples", "deprecated", "externalDocs", "xml"})


def is_valid(contract: Contract, schema: Schema, value: Any, direction: str) -> bool:
    """`not schemas.validate(contract, schema, value, direction=direction)`, memoized per contract."""
    memo = memo_of(contract)
    key = memo_key(schema, value, direction)
    found = memo.get(key)
    if found is not None:
        return found
    try:
        ok = _quick(contract, schema, value, direction)
    except Exception:  # the full check raises the very error callers expect
        ok = not schemas.validate(contract, schema, value, direction=direction)
    remember(memo, key, ok)
    return ok


def memo_of(contract: Contract) -> dict[tuple[str, str, str, str], bool]:
    """The contract's verdicts so far."""
    memo: dict[tuple[str, str, str, str], bool] = contract.__dict__.setdefault("_datagen_verdicts", {})
    return memo


def memo_key(schema: Schema, value: Any, direction: str) -> tuple[str, str, str, str]:
    """The schema's location (what the validators are compiled from) and repr(value), which tells
    apart what JSON equality would merge (1 and True, 1 and 1.0, a date and its text)."""
    return (schema.doc, schema.pointer, direction, repr(value))


def remember(memo: dict[tuple[str, str, str, str], bool], key: tuple[str, str, str, str], ok: bool) -> None:
    if len(memo) >= _CACHE_LIMIT:
        memo.clear()
    memo[key] = ok


def _quick(contract: Contract, schema: Schema, value: Any, direction: str) -> bool:
    """schemas.validate's decision rule for the two OAS 3.0 readings, on error-free passes only."""
    applied, ignored = schemas._validators(contract, schema, direction)
    ok = clean(applied, value)
    if ignored is None or one_reading(contract):
        return ok
    if direction == "response":  # valid under either reading; the second runs only when needed
        return ok or clean(ignored, value)
    literal = clean(ignored, value)  # requests must pass both; both always run (so both may raise)
    return ok and literal


def clean(validator: Any, value: Any) -> bool:
    """No error but ambiguous oneOf ones. Iterates to the end and sorts as validate does, so a
    schema that breaks the validator anywhere raises here too."""
    errors = [e for e in validator.iter_errors(value) if not (e.validator == "oneOf" and not e.context)]
    if len(errors) > 1:
        errors.sort(key=lambda e: list(e.absolute_path))
    return not errors


def one_reading(contract: Contract) -> bool:
    """True when no `$ref` in the contract has a sibling a validator acts on, so the two readings
    of OAS 3.0 `$ref` siblings cannot differ. Conservative: every dict of every document counts
    (examples too), and any `id` (which moves $ref bases) or $ref leaving the contract says no."""
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
