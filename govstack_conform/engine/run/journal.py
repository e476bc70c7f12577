"""The run journal: every finished case appended to `<out>/.run-journal.ndjson` as it finishes, so nothing is lost.

A dot-file with "run-journal" in its name, so that nobody picking "the NDJSON file" of a folder takes it for
the Cucumber messages (`cucumber.ndjson`) beside it. Folders written under the old name (`journal.ndjson`)
can still be resumed: the journal is renamed on the way.

One JSON object per line. The first line is the header: the plan's fingerprint (seed, spec sha256s,
targets and a digest of every planned case) and a readable summary of it. Then one line per finished
case: `{"target": key, "case": <CaseResult as in results.json>}`. `{"end": ...}` lines mark where a
run stopped. The file is flushed after every line (a killed process loses nothing already written) and
fsync'd every FSYNC_EVERY cases, every FSYNC_SECONDS and at the end (a power cut loses at most that).

`run --resume DIR` reads it back, refuses a different plan, and sends only the cases with no line.
A line cut short by a crash is ignored: everything up to the last whole line counts.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from govstack_conform import __version__
from govstack_conform.engine.cases import Case
from govstack_conform.engine.results import CaseResult, _case, encode
from govstack_conform.errors import ConfigError

JOURNAL_NAME = ".run-journal.ndjson"
LEGACY_JOURNAL_NAME = "journal.ndjson"  # before 0.2: still read by --resume
FORMAT = 1
FSYNC_EVERY = 64
FSYNC_SECONDS = 2.0


def target_key(bb: str, ref: str, url: str) -> str:
    """How a journal line names the target a case belongs to."""
    return f"{bb}@{ref} {url}"


def _digest(cases: Iterable[Case]) -> str:
    """The plan's fingerprint: each case's JSON with sorted keys, written by results.encode (orjson; the
    pure-Python encoder took 16 us a case)."""
    h = hashlib.sha256()
    for case in cases:
        h.update(encode(case.to_dict(), sort_keys=True))
        h.update(b"\n")
    return h.hexdigest()


@dataclass(frozen=True)
class PlannedTarget:
    """What the fingerprint covers of one target: where, which spec files, which cases (in order)."""

    key: str
    spec_files: tuple[tuple[str, str], ...]  # (store path, sha256)
    cases: Sequence[Case]  # packed if the plan is (engine/packed.py)
    seed: int
    read_only: bool

    def summary(self) -> dict[str, Any]:
        return {
            "target": self.key,
            "seed": self.seed,
            "read_only": self.read_only,
            "spec_files": [list(s) for s in self.spec_files],
            "cases": len(self.cases),
            "cases_sha256": _digest(self.cases),
        }


def plan_summary(planned: Sequence[PlannedTarget]) -> dict[str, Any]:
    """The readable plan description the header keeps (no secret: URLs come already redacted)."""
    return {"targets": [p.summary() for p in planned]}


def fingerprint(summary: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(summary, sort_keys=True).encode("utf-8")).hexdigest()


def _difference(old: dict[str, Any], new: dict[str, Any]) -> str:
    """The first thing that differs between two plan summaries, in words."""
    a, b = old.get("targets", []), new.get("targets", [])
    if [t.get("target") for t in a] != [t.get("target") for t in b]:
        return f"targets {[t.get('target') for t in a]} then, {[t.get('target') for t in b]} now"
    for x, y in zip(a, b, strict=True):
        for name in ("seed", "read_only", "spec_files", "cases", "cases_sha256"):
            if x.get(name) != y.get(name):
                what = "planned cases" if name == "cases_sha256" else name.replace("_", " ")
                if name in ("seed", "read_only", "cases"):
                    return f"{x['target']}: {what} {x.get(name)} then, {y.get(name)} now"
                return f"{x['target']}: the {what} differ (different specs, fixtures, config or options)"
    return "the plans differ"


@dataclass
class JournalData:
    """What a journal file holds, read up to its last whole line."""

    header: dict[str, Any]
    # target key -> case id -> the offset of its line (engine/caselog.py reads the case from there)
    done: dict[str, dict[str, int]] = field(default_factory=dict)
    ended: bool = False  # an end line says the run completed
    whole_bytes: int = 0  # length of the file up to the end of its last whole line
    skipped_lines: int = 0


def read_journal(path: Path) -> JournalData:
    """Read a journal; ConfigError (one line) when it is missing or has no valid header."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"--resume: no journal at {path} (was the run started with this --out folder?)") from None
    except OSError as exc:
        raise ConfigError(f"--resume: cannot read {path}: {exc.strerror or exc}") from None
    end = raw.rfind(b"\n") + 1  # a last line without its newline was cut short: ignore it
    lines = raw[:end].split(b"\n")[:-1] if end else []
    try:
        header = json.loads(lines[0]) if lines else None
    except ValueError:
        header = None
    if not isinstance(header, dict) or header.get("journal") != FORMAT or "fingerprint" not in header:
        raise ConfigError(f"--resume: {path} is not a govstack-conform journal (or is damaged at its first line)")
    data = JournalData(header, whole_bytes=end)
    at = len(lines[0]) + 1
    for line in lines[1:]:
        offset, at = at, at + len(line) + 1
        try:
            record = json.loads(line)
            if "end" in record:
                data.ended = bool(record.get("complete"))
                continue
            result = _case(record["case"])  # a line that does not read back as a case is not counted as done
            data.done.setdefault(str(record["target"]), {})[result.case_id] = offset
        except (ValueError, KeyError, TypeError):
            data.skipped_lines += 1
    return data


class Journal:
    """An open journal: `record` each finished case, `close` at the end of the run."""

    def __init__(self, path: Path, handle: IO[bytes], done: dict[str, dict[str, int]] | None = None) -> None:
        self.path = path
        self._file = handle
        self._done = done or {}
        self._at = handle.tell()  # where the next line starts
        self._unsynced = 0
        self._synced_at = time.monotonic()

    @classmethod
    def create(cls, path: Path, planned: Sequence[PlannedTarget]) -> Journal:
        """A fresh journal (any earlier one in the folder is replaced)."""
        summary = plan_summary(planned)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("wb")
        header = {
            "journal": FORMAT,
            "tool_version": __version__,
            "fingerprint": fingerprint(summary),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "plan": summary,
        }
        journal = cls(path, handle)
        journal._write(header)
        journal.sync()
        return journal

    @classmethod
    def resume(cls, path: Path, planned: Sequence[PlannedTarget]) -> Journal:
        """Reopen a journal for the same plan; ConfigError when the plan differs."""
        data = read_journal(path)
        summary = plan_summary(planned)
        if data.header["fingerprint"] != fingerprint(summary):
            why = _difference(data.header.get("plan") or {}, summary)
            raise ConfigError(f"--resume: {path} was written for a different plan ({why}); run without --resume")
        handle = path.open("r+b")
        handle.truncate(data.whole_bytes)  # drop a line cut short, so the next one starts clean
        handle.seek(data.whole_bytes)
        return cls(path, handle, data.done)

    def done(self, key: str) -> dict[str, int]:
        """Where the lines of the target's cases that finished in an earlier run (resume) start, by case id."""
        return self._done.get(key, {})

    @property
    def resumed(self) -> int:
        return sum(len(d) for d in self._done.values())

    def record(self, key: str, result: CaseResult) -> int:
        """Append a finished case; returns the offset of its line, from which caselog.Spooled reads it back."""
        offset = self._write({"target": key, "case": result})
        self._unsynced += 1
        if self._unsynced >= FSYNC_EVERY or time.monotonic() - self._synced_at >= FSYNC_SECONDS:
            self.sync()
        return offset

    def sync(self) -> None:
        self._file.flush()
        os.fsync(self._file.fileno())
        self._unsynced = 0
        self._synced_at = time.monotonic()

    def close(self, complete: bool) -> None:
        if self._file.closed:
            return
        self._write({"end": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "complete": complete})
        self.sync()
        self._file.close()

    def _write(self, record: dict[str, Any]) -> int:
        line = encode(record) + b"\n"  # a CaseResult as results.json holds it, straight from the dataclass
        offset = self._at
        self._file.write(line)
        self._file.flush()  # in the OS's hands: a killed process loses nothing written (and it reads back)
        self._at += len(line)
        return offset


def planned_target(bb: str, ref: str, url: str, spec_files: Iterable[tuple[str, str]], cases: Sequence[Case],
                   seed: int, read_only: bool) -> PlannedTarget:  # fmt: skip
    return PlannedTarget(target_key(bb, ref, url), tuple(sorted(spec_files)), cases, seed, read_only)


def open_journal(out_dir: Path, planned: Sequence[PlannedTarget], *, resume: bool) -> Journal:
    """The journal of a run writing into `out_dir`: resumed (same plan only) or new."""
    path = out_dir / JOURNAL_NAME
    legacy = out_dir / LEGACY_JOURNAL_NAME
    if resume and not path.exists() and legacy.is_file():
        try:  # a folder written under the old name: the journal goes on under the new one
            legacy.replace(path)
        except OSError as exc:
            raise ConfigError(f"--resume: cannot rename {legacy} to {path}: {exc.strerror or exc}") from None
    return Journal.resume(path, planned) if resume else Journal.create(path, planned)
