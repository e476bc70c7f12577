"""The results encoder (engine/results.encode, orjson): the same bytes the standard library wrote, and what
orjson cannot encode still written, never a crash: results.json, the journal and the JSON reports."""

from __future__ import annotations

import dataclasses
import json
import typing
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest
import report_fixture as fx

from govstack_conform.engine import results as model
from govstack_conform.engine.caselog import Spooled
from govstack_conform.engine.results import (
    CaseResult,
    Exchange,
    RecordedRequest,
    RecordedResponse,
    RunResults,
    _plain,
    encode,
    read_json,
    to_dict,
    write_json,
)
from govstack_conform.engine.run.journal import open_journal, planned_target, read_journal
from govstack_conform.report.formats.json import dumps


def _stdlib(data: Any) -> bytes:
    """results.json as it was written before orjson: the standard library's indented UTF-8."""
    return (json.dumps(_plain(data), indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def test_results_bytes_are_the_standard_librarys() -> None:
    results = fx.build()
    assert encode(results, indent=True) == _stdlib(results)
    assert to_dict(results) == _plain(results)
    document = {"data": to_dict(results), "note": "é ✓ \u2028 \x1b[31m", "tiny": [0.5, 1e300, -0.0, 12.345]}
    assert dumps(document) == (json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode()


def test_a_lone_surrogate_is_written_ascii_escaped_and_read_back(tmp_path: Path) -> None:
    """orjson refuses a string that is not valid Unicode: results.json is still written (it used to crash)."""
    results = fx.with_body(fx.build(), "half a pair: \udc80 end")
    path = write_json(results, tmp_path / "results.json")
    raw = path.read_bytes()
    assert raw.isascii() and b"\\udc80" in raw
    assert read_json(path) == results
    assert dumps(to_dict(results)) == raw


def test_what_orjson_cannot_hold_falls_back_to_the_same_json() -> None:
    big = 2**70  # past 64 bits
    options: dict[Any, Any] = {"limit": big, 3: "an int key", "nested": MappingProxyType({})}
    results = dataclasses.replace(fx.build(), options=options)
    data = json.loads(encode(results, indent=True))
    assert data["options"] == {"limit": big, "3": "an int key", "nested": {}}
    assert to_dict(results) == _plain(results)
    assert encode(results) == json.dumps(_plain(results), ensure_ascii=False, separators=(",", ":")).encode()


def test_journal_lines_survive_a_surrogate_and_read_back_equal(tmp_path: Path) -> None:
    """A journal line is the case as results.json holds it, compact; one orjson cannot encode still goes in."""
    results = fx.with_body(fx.build(), "bad \ud800 byte")
    cases = results.results[0].cases
    journal = open_journal(tmp_path, [planned_target("consent", "main", "http://x", [], (), 0, False)], resume=False)
    for case in cases:
        journal.record("k", case)
    journal.close(complete=True)
    lines = (tmp_path / ".run-journal.ndjson").read_bytes().splitlines()
    as_before = json.dumps({"target": "k", "case": _plain(cases[0])}, ensure_ascii=False, separators=(",", ":"))
    assert lines[1] == as_before.encode()
    path = tmp_path / ".run-journal.ndjson"
    assert list(Spooled(path, list(read_journal(path).done["k"].values()))) == list(cases)


def test_no_results_field_is_one_orjson_would_leave_out() -> None:
    """orjson skips dataclass fields whose name starts with '_': a results field named so would vanish."""
    seen: set[type] = set()

    def walk(hint: Any) -> None:
        for arg in typing.get_args(hint):
            walk(arg)
        if not isinstance(hint, type) or hint in seen or not dataclasses.is_dataclass(hint):
            return
        seen.add(hint)
        hints = typing.get_type_hints(hint, vars(model))
        for f in dataclasses.fields(hint):
            assert not f.name.startswith("_"), f"{hint.__name__}.{f.name} would not be written by orjson"
            walk(hints[f.name])

    walk(RunResults)
    assert {CaseResult, Exchange, RecordedRequest, RecordedResponse} <= seen


@pytest.mark.parametrize("extra", [1, 2**70, "\ud800"])  # orjson writes the first; the json module the others
def test_sorted_keys_give_one_encoding_per_content(extra: object) -> None:
    a = {"b": {"y": 1, "x": [extra]}, "a": 2}
    b = {"a": 2, "b": {"x": [extra], "y": 1}}
    assert encode(a, sort_keys=True) == encode(b, sort_keys=True)
    assert encode(a) != encode(b)  # without it, the order as given
    assert encode(a, sort_keys=True).index(b'"a"') < encode(a, sort_keys=True).index(b'"b"')
