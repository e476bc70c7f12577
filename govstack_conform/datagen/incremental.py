"""Checking the values datagen generates and the many variants mutate.py makes of one value.

Each check is `facts.holds(contract, schema, value, "request")`: the verdict and the errors raised
of `schemas.validate`. The compiled validator (contracts/compiled.py) judges a whole variant in
microseconds, so nothing of the original's check needs remembering to skip the parts a variant shares
with it (which stepped through jsonschema's internals and pinned its versions).
"""

from __future__ import annotations

from typing import Any

from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.datagen.facts import holds


class Variants:
    """Request-direction checks of variants of `original` against `schema`."""

    def __init__(self, contract: Contract, schema: Schema, original: Any) -> None:
        self.contract = contract
        self.schema = schema
        self.original = original

    def holds(self, value: Any) -> bool:
        """`facts.holds(contract, schema, value, "request")` (memoized per contract by check.is_valid)."""
        return holds(self.contract, self.schema, value, "request")


def checked_request(contract: Contract, schema: Schema, value: Any) -> bool:
    """`facts.holds(contract, schema, value, "request")`."""
    return holds(contract, schema, value, "request")
