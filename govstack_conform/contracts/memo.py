"""Memos kept on a contract, bounded: when one is full, its oldest entry goes first.

Planning and judging remember per schema location what they computed (facts, generated values, verdicts,
resolved schemas, compiled validators). Unbounded, that is memory in proportion to the contract: a contract
of thousands of operations kept every operation's entries to the end of the run. Plans and runs visit
operations one after another (the planner plans an operation's method case and sequence right after it),
so what is asked again is what was made recently; an entry every operation shares (a common component
schema) is evicted once in a while and simply made again.

First in, first out rather than least recently used: a hit is then a plain dict lookup, as cheap as the
unbounded memos were (planning makes a few dozen per case), and none of the callers depends on which entry
goes. Safe to share between the engine's thread and an in-process mock's: a key another thread evicted is a
miss, never an error.
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from typing import Any, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Bounded(OrderedDict[K, V]):
    """A dict of at most `limit` entries, added with `put` (ordered: the oldest leaves in constant time)."""

    __slots__ = ("limit",)

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: K, value: V) -> None:
        if key not in self:
            while len(self) >= self.limit:
                with contextlib.suppress(KeyError):  # emptied by another thread meanwhile
                    self.popitem(last=False)
        self[key] = value


LARGE_CONTRACT = 500  # operations: every catalog BB has under 100


def large(contract: Any) -> bool:
    """Whether a contract (over LARGE_CONTRACT operations) is planned and judged in bounded memory rather than
    for speed: its plan packed (engine/packed.py), each schema location translated on its own (translate.py)."""
    return len(contract.operations) > LARGE_CONTRACT


def bounded_on(owner: Any, name: str, limit: int) -> Bounded[Any, Any]:
    """The memo `name` kept on `owner` (a Contract), made on first use."""
    try:
        memo: Bounded[Any, Any] = owner.__dict__[name]
    except KeyError:
        memo = owner.__dict__.setdefault(name, Bounded(limit))
    return memo
