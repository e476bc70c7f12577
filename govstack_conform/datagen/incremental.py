"""Checking many variants of one value: only what differs from the original is validated again.

A mutation copies the containers on the path to the place it breaks and shares every other
sub-value with the original. Validating a sub-value against a sub-schema gives the same errors
wherever it happens (OAS 3.0, no `id` moving $ref bases: see fastval.one_reading), so once the
original's pass has seen `value` validate cleanly against `subschema`, a variant's pass may skip
that same (value object, subschema object) pair: it would yield no error and raise nothing.

`Variants(contract, schema, original)`; `holds(variant)` then gives exactly
`facts.holds(contract, schema, variant, "request")`, the verdict and the errors raised. Only
`properties` and `items` descents are skipped; everything else runs as jsonschema runs it, lazily
(so `not` and oneOf's `is_valid` stop where they always stopped).

The recording pass is a full validation of the original. Generated values were validated just
before (datagen checks its own output), so `checked_request` records that check, and Variants of
an equal value (a copy of it: the planner copies what datagen returns) translate its record onto
their copy instead of validating the original again.
"""

from __future__ import annotations

from typing import Any

from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.datagen.check import memo_key, memo_of, remember
from govstack_conform.datagen.facts import holds
from govstack_conform.datagen.fastval import State, fast_validator, run_clean, state_for


class Variants:
    """Request-direction checks of variants of `original` against `schema` (see the module doc).

    The recording pass over the original runs at the first variant the verdict memo does not know.
    """

    def __init__(self, contract: Contract, schema: Schema, original: Any) -> None:
        self.contract = contract
        self.schema = schema
        self.original = original  # held: the recorded ids stay those of live objects
        self.state: State | None = None
        self.validator: Any = None
        self.started = False

    @property
    def seen(self) -> set[tuple[int, int]]:
        return self.state.seen if self.state is not None else set()

    def _start(self) -> None:
        self.started = True
        try:
            validator = fast_validator(self.contract, self.schema, "request")
            if validator is None:
                return
            state = state_for(self.contract)
            earlier = _records(self.contract).get(memo_key(self.schema, self.original, "request"))
            if earlier is not None:  # an equal value was checked in full: its record, onto our copy
                state.seen = _translated(earlier[0], self.original, earlier[1])
            else:
                state.recording = True
                run_clean(validator, self.original, state)
            state.recording, state.skipping = False, True
            self.validator, self.state = validator, state
        except Exception:  # the original breaks the validator: every variant is checked in full
            self.validator = self.state = None

    def holds(self, value: Any) -> bool:
        """`facts.holds(contract, schema, value, "request")`, skipping what the original settled."""
        memo = memo_of(self.contract)
        key = memo_key(self.schema, value, "request")
        found = memo.get(key)
        if found is not None:
            return found
        if not self.started:
            self._start()
        if self.validator is None or self.state is None:
            return holds(self.contract, self.schema, value, "request")
        try:
            ok = run_clean(self.validator, value, self.state)
        except Exception:  # the full check raises the very error callers expect
            return holds(self.contract, self.schema, value, "request")
        remember(memo, key, ok)
        return ok


_RECORDS_LIMIT = 500


def _records(contract: Contract) -> dict[tuple[str, str, str, bytes], tuple[Any, set[tuple[int, int]]]]:
    found: dict[tuple[str, str, str, bytes], tuple[Any, set[tuple[int, int]]]] = contract.__dict__.setdefault(
        "_datagen_records", {}
    )
    return found


def checked_request(contract: Contract, schema: Schema, value: Any) -> bool:
    """`facts.holds(contract, schema, value, "request")`, keeping the record of a full check for
    later Variants of an equal value (the record holds `value`, so its ids stay those of live objects)."""
    memo = memo_of(contract)
    key = memo_key(schema, value, "request")
    if key in memo:
        return memo[key]
    validator = fast_validator(contract, schema, "request")
    if validator is None:
        return holds(contract, schema, value, "request")
    state = state_for(contract)
    state.recording = True
    try:
        ok = run_clean(validator, value, state)
    except Exception:  # the full check raises the very error callers expect
        return holds(contract, schema, value, "request")
    remember(memo, key, ok)
    records = _records(contract)
    if len(records) >= _RECORDS_LIMIT:
        records.clear()
    records[key] = (value, state.seen)
    return ok


def _translated(recorded: Any, copy: Any, seen: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """`seen` about `recorded`'s sub-values, about the same places in `copy` (equal, same shape)."""
    ids: dict[int, int] = {}
    stack = [(recorded, copy)]
    while stack:
        a, b = stack.pop()
        ids[id(a)] = id(b)
        if isinstance(a, dict) and isinstance(b, dict):
            stack.extend((v, b[k]) for k, v in a.items() if k in b)
        elif isinstance(a, list) and isinstance(b, list):
            stack.extend(zip(a, b, strict=False))
    return {(ids[v], s) for v, s in seen if v in ids}
