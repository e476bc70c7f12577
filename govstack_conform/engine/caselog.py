"""A BB's case results without holding them: read one at a time from where the run spooled them (its journal).

A large run's results held whole were most of its memory (a 5 000-operation contract: 45 000 cases). So a
run with a journal keeps, per finished case, only the offset of its journal line; `BBResult.cases` is then
a `CaseLog`, a read-only sequence that decodes the line on demand. What later steps do to every case
(settling negatives, declarations, waivers, redaction) is recorded as a step applied on the way out, never
as a second copy; `settled` and `rearranged` do it on a tuple too, so there is one code path for both.

Reading never changes the file: it is the journal, kept in the output folder (resume reads it again).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, overload

import orjson

from govstack_conform.engine.results import CaseResult, _case

Step = Callable[[CaseResult], CaseResult]


def _decode(line: bytes) -> CaseResult:
    """The case of one journal line (`{"target": ..., "case": {...}}`)."""
    try:
        record: Any = orjson.loads(line)
    except orjson.JSONDecodeError:  # what orjson refuses to read (a lone surrogate escaped) json reads
        record = json.loads(line)
    return _case(record["case"])


class CaseLog(Sequence[CaseResult]):
    """A read-only sequence of case results produced on demand (the kinds below say from what)."""

    _last: tuple[int, CaseResult] | None = None  # reports read one case several times in a row

    def _get(self, index: int) -> CaseResult:
        raise NotImplementedError

    def _iter(self) -> Iterator[CaseResult]:
        raise NotImplementedError

    @overload
    def __getitem__(self, index: int) -> CaseResult: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[CaseResult, ...]: ...
    def __getitem__(self, index: int | slice) -> CaseResult | tuple[CaseResult, ...]:
        if isinstance(index, slice):
            return tuple(self[i] for i in range(*index.indices(len(self))))
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        if self._last is not None and self._last[0] == index:
            return self._last[1]
        case = self._get(index)
        self._last = (index, case)
        return case

    def __iter__(self) -> Iterator[CaseResult]:
        return self._iter()

    def then(self, step: Step) -> CaseLog:
        return Mapped(self, step)

    def __repr__(self) -> str:  # never every case: a repr of results must stay small
        return f"{type(self).__name__}({len(self)} cases)"


class Spooled(CaseLog):
    """Each case an offset of a line in the journal at `path`, or a case held (one the run did not send)."""

    def __init__(self, path: Path, layout: Sequence[int | CaseResult]) -> None:
        self.path = path
        self.layout = layout

    def __len__(self) -> int:
        return len(self.layout)

    def _get(self, index: int) -> CaseResult:
        item = self.layout[index]
        if isinstance(item, int):
            with self.path.open("rb") as f:
                f.seek(item)
                return _decode(f.readline())
        return item

    def _iter(self) -> Iterator[CaseResult]:
        with self.path.open("rb") as f:
            for item in self.layout:
                if isinstance(item, int):
                    f.seek(item)
                    item = _decode(f.readline())
                yield item


class Mapped(CaseLog):
    """`step` applied to every case of `base` as it is read."""

    def __init__(self, base: CaseLog, step: Step) -> None:
        self.base = base
        self.step = step

    def __len__(self) -> int:
        return len(self.base)

    def _get(self, index: int) -> CaseResult:
        return self.step(self.base[index])

    def _iter(self) -> Iterator[CaseResult]:
        return map(self.step, self.base)


class Placed(CaseLog):
    """`base`'s cases in a new order with some added: each item of `layout` an index into base or a case."""

    def __init__(self, base: CaseLog, layout: Sequence[int | CaseResult]) -> None:
        self.base = base
        self.layout = layout

    def __len__(self) -> int:
        return len(self.layout)

    def _get(self, index: int) -> CaseResult:
        item = self.layout[index]
        return self.base[item] if isinstance(item, int) else item

    def _iter(self) -> Iterator[CaseResult]:
        source, at = iter(self.base), -1  # base is read in order while the layout goes forward through it
        for item in self.layout:
            if not isinstance(item, int):
                yield item
                continue
            if item <= at:
                yield self.base[item]
                continue
            while at < item:
                case, at = next(source), at + 1
            yield case


def settled(cases: Sequence[CaseResult], step: Step) -> Sequence[CaseResult]:
    """`step` applied to every case: at once on a tuple, on the way out of a CaseLog."""
    if isinstance(cases, CaseLog):
        return cases.then(step)
    return tuple(step(c) for c in cases)


def rearranged(cases: Sequence[CaseResult], layout: Sequence[int | CaseResult]) -> Sequence[CaseResult]:
    """Cases in a new order with some added: each item of `layout` an index into `cases` or a new case."""
    if isinstance(cases, CaseLog):
        return Placed(cases, layout)
    return tuple(cases[i] if isinstance(i, int) else i for i in layout)
