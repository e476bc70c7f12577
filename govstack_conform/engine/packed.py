"""A large plan kept compact: each case pickled and compressed, decoded when it is used.

A planned case is about 2 KB of Python objects (a generated body, its steps, its words), and a contract of
5 000 operations plans 45 000 of them before the first request: as objects they were the larger part of the
run's memory. Packed, a case takes about 0.8 KB and costs a few tens of microseconds each time it is read,
so only the plans of large contracts are packed (contracts/memo.large: over 500 operations; every catalog BB
has fewer than 100): what a BB's run costs stays as it was.

The bytes never leave the process and are made here from our own objects, so unpickling them is safe.
"""

from __future__ import annotations

import pickle
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import overload

from govstack_conform.engine.cases import Case


def pack(case: Case) -> bytes:
    return zlib.compress(pickle.dumps(case, protocol=pickle.HIGHEST_PROTOCOL), 1)


def unpack(blob: bytes) -> Case:
    case: Case = pickle.loads(zlib.decompress(blob))
    return case


class PackedCases(Sequence[Case]):
    """Cases in plan order, stored packed; a slice is packed too."""

    __slots__ = ("blobs",)

    def __init__(self, blobs: Iterable[bytes] = ()) -> None:
        self.blobs = tuple(blobs)

    @classmethod
    def of(cls, cases: Iterable[Case]) -> PackedCases:
        return cls(pack(c) for c in cases)

    def __len__(self) -> int:
        return len(self.blobs)

    @overload
    def __getitem__(self, index: int) -> Case: ...

    @overload
    def __getitem__(self, index: slice) -> PackedCases: ...

    def __getitem__(self, index: int | slice) -> Case | PackedCases:
        if isinstance(index, slice):
            return PackedCases(self.blobs[index])
        return unpack(self.blobs[index])

    def __iter__(self) -> Iterator[Case]:
        for blob in self.blobs:
            yield unpack(blob)

    def __eq__(self, other: object) -> bool:
        return self.blobs == other.blobs if isinstance(other, PackedCases) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.blobs)

    def __repr__(self) -> str:
        return f"PackedCases({len(self.blobs)} cases)"


def kept_like(source: Sequence[Case], cases: Iterable[Case]) -> Sequence[Case]:
    """`cases` (drawn from `source`) kept the way `source` is: packed if it is, else a tuple."""
    return PackedCases.of(cases) if isinstance(source, PackedCases) else tuple(cases)
