"""A yes/no schema check with exactly the verdict of `schemas.validate`, at a fraction of its cost.

Generation and planning validate thousands of values and mostly need only "valid or not", never
the violations in words. `is_valid` answers that (1) without building Violation records or
following $refs to locate each error, (2) remembering verdicts per contract, so a value checked
once (the same example, the same mutation under another seed) is never checked again, and (3)
with one pass of the validator where OpenAPI 3.0's two readings of `$ref` siblings cannot differ
(and there with fastval's validator, which looks each $ref up once).

Any exception in the quick path re-runs `schemas.validate`, which raises exactly what it always
did (SchemaUnusable with its message): callers see no difference but speed.
"""

from __future__ import annotations

import hashlib
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.datagen.fastval import clean, fast_validator, one_reading, run_clean, state_for

_CACHE_LIMIT = 20000


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


def memo_of(contract: Contract) -> dict[tuple[str, str, str, bytes], bool]:
    """The contract's verdicts so far."""
    memo: dict[tuple[str, str, str, bytes], bool] = contract.__dict__.setdefault("_datagen_verdicts", {})
    return memo


def memo_key(schema: Schema, value: Any, direction: str) -> tuple[str, str, str, bytes]:
    """The schema's location (what the validators are compiled from) and a digest of repr(value),
    which tells apart what JSON equality would merge (1 and True, 1 and 1.0, a date and its text).
    A 128-bit digest keeps the memo small; a collision is beyond any realistic chance."""
    return (schema.doc, schema.pointer, direction, hashlib.blake2b(repr(value).encode(), digest_size=16).digest())


def remember(memo: dict[tuple[str, str, str, bytes], bool], key: tuple[str, str, str, bytes], ok: bool) -> None:
    if len(memo) >= _CACHE_LIMIT:
        memo.clear()
    memo[key] = ok


def _quick(contract: Contract, schema: Schema, value: Any, direction: str) -> bool:
    """schemas.validate's decision rule for the two OAS 3.0 readings, on error-free passes only."""
    fast = fast_validator(contract, schema, direction)
    if fast is not None:  # a plain contract: one reading, $refs looked up once
        return run_clean(fast, value, state_for(contract))
    applied, ignored = schemas.validators_for(contract, schema, direction)
    ok = clean(applied, value)
    if ignored is None or one_reading(contract):
        return ok
    if direction == "response":  # valid under either reading; the second runs only when needed
        return ok or clean(ignored, value)
    literal = clean(ignored, value)  # requests must pass both; both always run (so both may raise)
    return ok and literal
