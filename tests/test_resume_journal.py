"""The run journal on its own: written as cases finish, read back after a crash, refused for another plan."""

from __future__ import annotations

import glob
import json
from pathlib import Path

import pytest

from govstack_conform.engine.caselog import Spooled
from govstack_conform.engine.cases import Case, CaseKind, Expect, Level, RequestPlan, Step
from govstack_conform.engine.results import CaseResult, CheckResult, Outcome, Verdict
from govstack_conform.engine.run.journal import (
    JOURNAL_NAME,
    Journal,
    PlannedTarget,
    open_journal,
    planned_target,
    read_journal,
)
from govstack_conform.errors import ConfigError


def cases(n: int, seed_word: str = "a") -> tuple[Case, ...]:
    out = []
    for i in range(n):
        step = Step("request", "GET /x", RequestPlan("GET", "/x", query=(("q", f"{seed_word}{i}"),)), Expect.SUCCESS)
        out.append(Case(f"bb::GET /x::c{i}", "bb", "main", "GET /x", None, CaseKind.POSITIVE, f"c{i}", "d", (step,)))
    return tuple(out)


def plan(n: int = 5, *, seed: int = 0, word: str = "a", url: str = "http://127.0.0.1:9") -> list[PlannedTarget]:
    return [planned_target("bb", "main", url, [("bb/api.yaml", "ab" * 32)], cases(n, word), seed, False)]


def result(case: Case, verdict: Verdict = Verdict.PASSED) -> CaseResult:
    check = CheckResult("no_server_error", Level.REQUIRED, Outcome.PASSED, "no 5xx answer", "request")
    return CaseResult(case.case_id, case.operation, case.kind, case.name, case.description, verdict, (check,))


KEY = "bb@main http://127.0.0.1:9"


def test_records_are_read_back_as_the_same_results(tmp_path: Path) -> None:
    planned = plan()
    journal = open_journal(tmp_path, planned, resume=False)
    written = [result(c, Verdict.FAILED if i == 2 else Verdict.PASSED) for i, c in enumerate(planned[0].cases[:3])]
    for r in written:
        journal.record(KEY, r)
    journal.close(complete=False)
    data = read_journal(tmp_path / JOURNAL_NAME)
    assert data.header["plan"]["targets"][0]["cases"] == 5 and not data.ended
    back = Spooled(tmp_path / JOURNAL_NAME, list(data.done[KEY].values()))  # read from the offsets kept
    assert list(back) == written  # equal dataclasses: nothing lost in the round trip
    assert [back[2], back[0]] == [written[2], written[0]]  # and one at a time


def test_every_line_is_flushed_as_it_is_written(tmp_path: Path) -> None:
    planned = plan()
    journal = open_journal(tmp_path, planned, resume=False)
    journal.record(KEY, result(planned[0].cases[0]))
    # not closed: a killed process leaves what it wrote, whole lines only
    assert len((tmp_path / JOURNAL_NAME).read_bytes().splitlines()) == 2
    journal.close(complete=False)


@pytest.mark.parametrize("cut", [1, 7, 40, -1])
def test_a_line_cut_short_is_ignored_and_resume_appends_cleanly(tmp_path: Path, cut: int) -> None:
    planned = plan()
    journal = open_journal(tmp_path, planned, resume=False)
    for c in planned[0].cases[:3]:
        journal.record(KEY, result(c))
    journal.sync()
    journal._file.close()  # the process dies here: no end record, the file is just left as it is
    path = tmp_path / JOURNAL_NAME
    raw = path.read_bytes()
    last_start = raw.rstrip(b"\n").rfind(b"\n") + 1
    path.write_bytes(raw[: last_start + cut] if cut >= 0 else raw[:-1])  # power lost in the third record
    data = read_journal(path)
    assert sorted(data.done[KEY]) == [planned[0].cases[0].case_id, planned[0].cases[1].case_id]
    resumed = Journal.resume(path, planned)
    assert resumed.resumed == 2
    resumed.record(KEY, result(planned[0].cases[2]))
    resumed.close(complete=True)
    lines = path.read_bytes().split(b"\n")
    assert all(json.loads(line) for line in lines if line)  # the cut piece is gone, every line is whole
    again = read_journal(path)
    assert len(again.done[KEY]) == 3 and again.ended and again.skipped_lines == 0


@pytest.mark.parametrize(
    ("other", "words"),
    [
        (plan(seed=1), "seed 0 then, 1 now"),
        (plan(6), "cases 5 then, 6 now"),
        (plan(word="b"), "the planned cases differ"),
        (plan(url="http://127.0.0.1:10"), "targets"),
    ],
)
def test_a_different_plan_is_refused_in_one_line(tmp_path: Path, other: list[PlannedTarget], words: str) -> None:
    open_journal(tmp_path, plan(), resume=False).close(complete=False)
    with pytest.raises(ConfigError) as raised:
        open_journal(tmp_path, other, resume=True)
    message = str(raised.value)
    assert words in message and "\n" not in message and "different plan" in message


def test_no_journal_or_not_a_journal_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no journal at"):
        open_journal(tmp_path, plan(), resume=True)
    (tmp_path / JOURNAL_NAME).write_bytes(b"\x00\xffgarbage\n")
    with pytest.raises(ConfigError, match="not a govstack-conform journal"):
        open_journal(tmp_path, plan(), resume=True)


def test_damaged_records_in_the_middle_are_skipped_not_fatal(tmp_path: Path) -> None:
    planned = plan()
    journal = open_journal(tmp_path, planned, resume=False)
    journal.record(KEY, result(planned[0].cases[0]))
    journal.close(complete=False)
    path = tmp_path / JOURNAL_NAME
    with path.open("ab") as f:
        f.write(b'{"target": 1}\nnot json\n')
    data = read_journal(path)
    assert len(data.done[KEY]) == 1 and data.skipped_lines == 2


def test_the_journal_is_no_ndjson_anyone_takes_for_the_cucumber_messages(tmp_path: Path) -> None:
    open_journal(tmp_path, plan(), resume=False).close(complete=False)
    assert [p.name for p in tmp_path.iterdir()] == [".run-journal.ndjson"]
    assert glob.glob(str(tmp_path / "*.ndjson")) == []  # a dot-file: a shell's *.ndjson is cucumber.ndjson alone


def test_a_folder_written_under_the_old_name_still_resumes(tmp_path: Path) -> None:
    planned = plan()
    journal = open_journal(tmp_path, planned, resume=False)
    journal.record(KEY, result(planned[0].cases[0]))
    journal.close(complete=False)
    (tmp_path / JOURNAL_NAME).rename(tmp_path / "journal.ndjson")  # as an earlier version left it
    resumed = open_journal(tmp_path, planned, resume=True)
    assert resumed.resumed == 1 and resumed.path.name == JOURNAL_NAME
    resumed.close(complete=True)
    assert not (tmp_path / "journal.ndjson").exists() and read_journal(tmp_path / JOURNAL_NAME).ended


@pytest.mark.parametrize("value", [2**70, "\ud800 lone surrogate", 1.5])
def test_plans_with_values_orjson_cannot_write_are_fingerprinted(tmp_path: Path, value: object) -> None:
    """The fingerprint is written by orjson; a value it refuses (an integer beyond 64 bits, a lone surrogate)
    is written by the json module instead: same plan, same fingerprint; another value, another one."""
    from dataclasses import replace

    def with_body(v: object) -> list[PlannedTarget]:
        (target,) = plan(3)
        step = target.cases[0].steps[0]
        body = replace(step.request, method="POST", body={"n": v}, has_body=True)
        first = replace(target.cases[0], steps=(replace(step, request=body),))
        return [replace(target, cases=(first, *target.cases[1:]))]

    journal = open_journal(tmp_path, with_body(value), resume=False)
    journal.close(complete=False)
    open_journal(tmp_path, with_body(value), resume=True).close(complete=False)  # the same plan: resumed
    with pytest.raises(ConfigError, match="planned cases differ"):
        open_journal(tmp_path, with_body(7), resume=True)
