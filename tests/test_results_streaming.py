"""results.json written case by case (engine/results.write_indented): the bytes of the whole document as
`dumps` writes it, and never the whole document in memory.

The document as data took about ten times the file's size (30 MB of results.json, 290 MB allocated at
1 000 operations of bench/scaling.py); written as it goes, what the writer holds is one case's piece.
"""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import Any

import report_fixture as fx
from hypothesis import given, settings
from hypothesis import strategies as st

from govstack_conform.assessment.compliance import assess
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    Fields,
    RunResults,
    Streamed,
    encode,
    write_indented,
)
from govstack_conform.report.formats.json import JsonFormat, dumps, results_document
from govstack_conform.report.redact import redact_results
from govstack_conform.report.render import render


def _whole(results: RunResults) -> bytes:
    """results.json as it was written before streaming: the whole document as data, then encoded."""
    return dumps(results_document(results, assess(results)))


def _streamed(results: RunResults) -> bytes:
    out = io.BytesIO()
    JsonFormat().write(results, assess(results), out)
    return out.getvalue()


def test_streamed_results_json_is_the_whole_documents_bytes(tmp_path: Path) -> None:
    results = fx.build()
    assert any(c.verdict.value == "failed" for bb in results.results for c in bb.cases)  # curl replays inside
    assert _streamed(results) == _whole(results)
    (written,) = render(results, ["json"], tmp_path, secrets=[fx.SECRET])
    assert written.read_bytes() == _whole(redact_results(results, [fx.SECRET]))
    assert [p.name for p in tmp_path.iterdir()] == ["results.json"]  # no .tmp left behind


def test_empty_lists_and_objects_are_written_as_the_whole_document_writes_them() -> None:
    results = fx.build()
    empty_bb = dataclasses.replace(results.results[0], cases=(), operations=(), defects=(), spec_files=())
    for variant in (
        dataclasses.replace(results, results=()),
        dataclasses.replace(results, results=(empty_bb,), options={}, product={}),
        dataclasses.replace(results, options=MappingProxyType({"a": {"b": [1, {"c": []}]}})),
    ):
        assert _streamed(variant) == _whole(variant)


def test_what_orjson_refuses_falls_back_to_the_whole_document() -> None:
    """A lone surrogate (ASCII-escaped then, in the whole file) or a key that is no string: the same bytes."""
    for results in (
        fx.with_body(fx.build(), "half a pair: \udc80 end"),
        dataclasses.replace(fx.build(), options={3: "an int key", "limit": 2**70}),
    ):
        out = io.BytesIO(b"before|")
        out.seek(7)
        JsonFormat().write(results, assess(results), out)
        assert out.getvalue() == b"before|" + _whole(results)


class _Cases(tuple[CaseResult, ...]):
    """A BB's cases that note how much of the file was written when each one is taken."""

    out: io.BytesIO
    seen: list[int]

    def __iter__(self) -> Iterator[CaseResult]:
        for case in super().__iter__():
            self.seen.append(self.out.tell())
            yield case


def test_each_case_is_written_before_the_next_is_taken() -> None:
    """The writer holds one case's piece at a time: the file grows between two cases, never all at the end."""
    results = fx.build()
    out = io.BytesIO()
    bbs: list[BBResult] = []
    tracked: list[_Cases] = []
    for bb in results.results:
        cases = _Cases(bb.cases)
        cases.out, cases.seen = out, []
        tracked.append(cases)
        bbs.append(dataclasses.replace(bb, cases=cases))
    streamed = dataclasses.replace(results, results=tuple(bbs))
    compliance = assess(results)
    JsonFormat().write(streamed, compliance, out)
    for cases in tracked:
        assert len(cases.seen) == len(cases) > 1
        assert all(a < b for a, b in zip(cases.seen, cases.seen[1:], strict=False))
    assert out.getvalue() == dumps(results_document(results, compliance))


_leaf = st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(allow_nan=False,
                  allow_infinity=False), st.text(max_size=8))  # fmt: skip
_json = st.recursive(
    _leaf,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=5), inner, max_size=4)),
    max_leaves=25,
)


def _wrapped(value: Any, choice: st.DataObject) -> Any:
    """`value` with some of its lists and objects made Streamed / Fields (the rest stays one piece)."""
    if isinstance(value, list) and choice.draw(st.booleans()):
        return Streamed(iter([_wrapped(v, choice) for v in value]))
    if isinstance(value, dict) and choice.draw(st.booleans()):
        return Fields(iter([(k, _wrapped(v, choice)) for k, v in value.items()]))
    return value


@settings(max_examples=300, deadline=None)
@given(_json, st.data())
def test_write_indented_writes_what_encode_writes(value: Any, choice: st.DataObject) -> None:
    out = io.BytesIO()
    write_indented(out, _wrapped(value, choice))
    assert out.getvalue() == encode(value, indent=True)
