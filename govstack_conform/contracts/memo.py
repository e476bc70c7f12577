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

import contextlib
from collections import OrderedDict
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Lru(Generic[K, V]):
    """At most `limit` entries. `get` marks an entry used once the memo is half full: below that nothing can
    be evicted soon, and a lookup costs what a dict's does (planning makes a dozen per case)."""

    __slots__ = ("_entries", "_half", "limit")

    def __init__(self, limit: int) -> None:
        self._entries: OrderedDict[K, V] = OrderedDict()
        self.limit = limit
        self._half = limit // 2

    def get(self, key: K) -> V | None:
        entries = self._entries
        value = entries.get(key)
        if value is not None and len(entries) > self._half:
            with contextlib.suppress(KeyError):  # evicted by another thread meanwhile
                entries.move_to_end(key)
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
    try:
        memo: Lru[Any, Any] = owner.__dict__[name]
    except KeyError:
        memo = owner.__dict__.setdefault(name, Lru(limit))
    return memo
