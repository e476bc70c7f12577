"""Memos kept on a contract, bounded: the least recently used entry goes first.

Planning and judging remember per schema location what they computed (facts, generated values, verdicts,
compiled validators). Unbounded, that is memory in proportion to the contract: a contract of thousands of
operations kept every operation's entries to the end of the run. Runs and plans visit operations one after
another, so the recently used entries are the ones asked for again; what every operation shares (a common
component schema) stays, being used all the time.

Safe to share between the engine's thread and an in-process mock's: each step is one dict operation, and a
key another thread evicted in between is simply a miss.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `limit` entries; `get` marks an entry used."""

    __slots__ = ("_entries", "limit")

    def __init__(self, limit: int) -> None:
        self._entries: OrderedDict[K, V] = OrderedDict()
        self.limit = limit

    def get(self, key: K) -> V | None:
        entries = self._entries
        try:
            value = entries[key]
            entries.move_to_end(key)
        except KeyError:
            return None
        return value

    def put(self, key: K, value: V) -> None:
        entries = self._entries
        entries[key] = value
        entries.move_to_end(key)
        while len(entries) > self.limit:
            try:
                entries.popitem(last=False)
            except KeyError:  # emptied by another thread
                break

    def __contains__(self, key: object) -> bool:
        return key in self._entries

    def __len__(self) -> int:
        return len(self._entries)


def lru_on(owner: Any, name: str, limit: int) -> Lru[Any, Any]:
    """The memo `name` kept on `owner` (a Contract), made on first use."""
    memo: Lru[Any, Any] | None = owner.__dict__.get(name)
    if memo is None:
        memo = owner.__dict__.setdefault(name, Lru(limit))
    return memo
