"""A yes/no schema check with exactly the verdict of `schemas.validate`, at a fraction of its cost.

Generation and planning validate thousands of values and mostly need only "valid or not", never
the violations in words. `is_valid` answers that (1) from the compiled validator where it is exact
(contracts/compiled.py: jsonschema-rs, microseconds a value), (2) elsewhere from jsonschema's passes
without building Violation records or following $refs to locate each error, and (3) remembering
verdicts per contract, so a value checked once (the same example, the same mutation under another
seed) is never checked again.

Any exception in the quick path re-runs `schemas.validate`, which raises exactly what it always
did (SchemaUnusable with its message): callers see no difference but speed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from govstack_conform.contracts import compiled, schemas
from govstack_conform.contracts.memo import Bounded, bounded_on
from govstack_conform.contracts.model import Contract, Schema

# Memo entries kept per contract by each of the generator's caches (facts, values, verdicts, examples), the
# newest (contracts/memo.py): every catalog BB needs fewer than 700; thousands of operations plan in flat memory.
CACHE_LIMIT = 2048


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


def memo(contract: Contract, name: str) -> Bounded[Any, Any]:
    """One of the generator's memos on `contract` (`_datagen_facts`...), bounded by CACHE_LIMIT."""
    try:
        found: Bounded[Any, Any] = contract.__dict__[name]
    except KeyError:
        found = bounded_on(contract, name, CACHE_LIMIT)
    return found


def memo_of(contract: Contract) -> Bounded[tuple[str, str, str, bytes], bool]:
    """The contract's recent verdicts."""
    return memo(contract, "_datagen_verdicts")


def memo_key(schema: Schema, value: Any, direction: str) -> tuple[str, str, str, bytes]:
    """The schema's location (what the validators are compiled from) and a digest of repr(value),
    which tells apart what JSON equality would merge (1 and True, 1 and 1.0, a date and its text).
    A 128-bit digest keeps the memo small; a collision is beyond any realistic chance."""
    return (schema.doc, schema.pointer, direction, hashlib.blake2b(repr(value).encode(), digest_size=16).digest())


def remember(memo: Bounded[tuple[str, str, str, bytes], bool], key: tuple[str, str, str, bytes], ok: bool) -> None:
    memo.put(key, ok)


def _quick(contract: Contract, schema: Schema, value: Any, direction: str) -> bool:
    """The compiled verdict, or schemas.validate's decision rule for the two OAS 3.0 readings on
    error-free passes only."""
    found = compiled.verdict(contract, schema, value, direction)
    if found is not None:
        return found
    applied, ignored = schemas.validators_for(contract, schema, direction)
    ok = clean(applied, value)
    if ignored is None:
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
