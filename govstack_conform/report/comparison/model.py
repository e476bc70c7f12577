"""Candidates side by side for procurement: one column per candidate, rows per BB release, per requirement
level, per failed check and per operation.

Every figure is read from `assessment.compliance.assess` of each candidate's results; nothing is counted
here. A BB release is only ever set beside the same release tested on the same spec files: candidates
tested on another release (or other spec files under one release name) land in a group of their own,
so a figure is never compared with one about a different contract.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import quote

from govstack_conform.assessment.compliance import BBCompliance, Compliance, assess
from govstack_conform.assessment.coverage import BBVerdict
from govstack_conform.engine.cases import Level
from govstack_conform.engine.results import RunResults, Verdict, read_json
from govstack_conform.errors import UsageError
from govstack_conform.report.redact import redact_results
from govstack_conform.text import one_line, pct

REPORT = "report.html"  # what `run --report html` writes beside results.json
MakeCell = Callable[[BBCompliance], "Cell | None"]


class Tone(StrEnum):
    """How a figure reads, for colour: good, bad, partial (incomplete, not checked) or plain."""

    GOOD = "good"
    BAD = "bad"
    PARTIAL = "partial"
    PLAIN = "plain"


@dataclass(frozen=True)
class Candidate:
    name: str
    source: Path  # the results.json
    report: Path | None  # report.html beside it, when there is one
    results: RunResults  # redacted, as every report renders them
    compliance: Compliance


@dataclass(frozen=True)
class Cell:
    text: str
    tone: Tone = Tone.PLAIN
    number: float | None = None  # the figure itself, for spreadsheets
    detail: str = ""  # a second, smaller line
    href: str | None = None  # the candidate's evidence for this cell, relative to where the comparison is written


@dataclass(frozen=True)
class Row:
    section: str  # "Building block", "Requirement levels", "Failed checks (cases)", "Operations"
    label: str
    cells: tuple[Cell | None, ...]  # one per column; None: absent from that candidate's results


@dataclass(frozen=True)
class Column:
    """One candidate's results for one BB release."""

    name: str
    candidate: Candidate
    bb: BBCompliance
    href: str | None  # its report's section on this BB, else its results.json


@dataclass(frozen=True)
class Group:
    """One BB release on one set of spec files, and every candidate tested on it."""

    bb: str
    ref: str
    title: str
    fingerprint: str  # the spec files' sha256, shortened; tells same-name releases with other specs apart
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]
    notes: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.bb}@{self.ref}"


@dataclass(frozen=True)
class Comparison:
    candidates: tuple[Candidate, ...]
    groups: tuple[Group, ...]
    overview: tuple[Row, ...]  # one row per group, one cell per candidate
    notes: tuple[str, ...]  # what makes the comparison less than like for like


def load(paths: Sequence[Path], names: Sequence[str] = ()) -> list[Candidate]:
    """Read each results.json, in the order given; `names` (from --name) label them in that order."""
    if names and len(names) != len(paths):
        raise UsageError(f"--name was given {len(names)} times for {len(paths)} results files: give one per file")
    loaded = []
    for i, path in enumerate(paths):
        results = redact_results(read_json(path))
        report = path.parent / REPORT
        label = names[i] if names else _default_name(results, path)
        loaded.append(Candidate(label, path, report if report.is_file() else None, results, assess(results)))
    return _unique(loaded, given=bool(names))


def _default_name(results: RunResults, path: Path) -> str:
    """The product's name from the config, else its target(s), else the file."""
    product = str(results.product.get("name") or "").strip()
    if product:
        return one_line(product, 80)
    targets = list(dict.fromkeys(b.target for b in results.results))
    return one_line(", ".join(targets), 80) if targets else str(path)


def _unique(candidates: list[Candidate], given: bool) -> list[Candidate]:
    """Names tell columns apart: a name given twice is an error, a derived one gets its input's position."""
    names = [c.name for c in candidates]
    twice = {n for n in names if names.count(n) > 1}
    if twice and given:
        raise UsageError(f"--name {sorted(twice)[0]!r} is given to more than one results file")
    return [
        dataclasses.replace(c, name=f"{c.name} (input {i})") if c.name in twice else c
        for i, c in enumerate(candidates, 1)
    ]


def _fingerprint(b: BBCompliance) -> str:
    digest = hashlib.sha256("\n".join(sorted(f"{s.path} {s.sha256}" for s in b.result.spec_files)).encode())
    return digest.hexdigest()[:12]


def _href(c: Candidate, index: int, base: Path) -> str:
    """A relative link from `base` to the candidate's report section on its index-th BB, or its results."""
    target = c.report if c.report is not None else c.source
    rel = Path(os.path.relpath(target.resolve(), base.resolve())).as_posix()
    return quote(rel) + (f"#bb-{index}" if c.report is not None else "")


def build(candidates: Sequence[Candidate], base: Path) -> Comparison:
    """The comparison of `candidates`; links are made relative to `base`, where it will be written."""
    groups: dict[tuple[str, str, str], list[Column]] = {}
    for c in candidates:
        many = len({(b.result.bb, b.result.ref) for b in c.compliance.bbs}) < len(c.compliance.bbs)
        for i, b in enumerate(c.compliance.bbs):
            name = f"{c.name} at {b.result.target}" if many else c.name
            key = (b.result.bb, b.result.ref, _fingerprint(b))
            groups.setdefault(key, []).append(Column(name, c, b, _href(c, i, base)))
    built = [_group(key, cols, groups) for key, cols in groups.items()]
    overview = tuple(_overview_row(g, candidates) for g in built)
    return Comparison(tuple(candidates), tuple(built), overview, tuple(_notes(candidates)))


def _group(key: tuple[str, str, str], columns: list[Column], groups: dict[tuple[str, str, str], list[Column]]) -> Group:
    bb, ref, fingerprint = key
    notes = []
    for (obb, oref, ofp), others in groups.items():
        if obb != bb or (oref, ofp) == (ref, fingerprint):
            continue
        who = ", ".join(dict.fromkeys(c.candidate.name for c in others))
        what = f"{obb}@{oref}" if oref != ref else f"{obb}@{oref} on other spec files ({ofp})"
        notes.append(f"Also tested on {what} by {who}: shown apart, never compared with this release.")
    rows = _summary_rows(columns) + _level_rows(columns) + _check_rows(columns) + _operation_rows(columns)
    title = columns[0].bb.result.title
    return Group(bb, ref, title, fingerprint, tuple(columns), tuple(rows), tuple(notes))


def _verdict_tone(v: BBVerdict) -> Tone:
    return {BBVerdict.CONFORMANT: Tone.GOOD, BBVerdict.NOT_CONFORMANT: Tone.BAD}.get(v, Tone.PARTIAL)


def _op_tone(v: Verdict) -> Tone:
    if v is Verdict.PASSED:
        return Tone.GOOD
    return Tone.BAD if v in (Verdict.FAILED, Verdict.NOT_IMPLEMENTED) else Tone.PARTIAL


def _counts(counts: Mapping[str, int]) -> str:
    """'passed 40 · failed 2': the non-zero figures of a count, as assessed."""
    return " · ".join(f"{k.replace('_', ' ')} {n}" for k, n in counts.items() if n) or "none"


def _row(section: str, label: str, columns: Sequence[Column], make: MakeCell) -> Row:
    return Row(section, label, tuple(_linked(make(col.bb), col) for col in columns))


def _linked(cell: Cell | None, col: Column) -> Cell | None:
    if cell is None:
        return None
    return Cell(cell.text, cell.tone, cell.number, cell.detail, col.href)


def _summary_rows(columns: Sequence[Column]) -> list[Row]:
    s = "Building block"
    return [
        _row(s, "Verdict", columns, lambda b: Cell(b.verdict_text, _verdict_tone(b.verdict))),
        _row(
            s,
            "Coverage",
            columns,
            lambda b: Cell(b.coverage.text(), Tone.GOOD if b.coverage.full else Tone.PARTIAL, b.coverage.checked),
        ),
        _row(
            s,
            "API level",
            columns,
            lambda b: Cell(b.level_text, _verdict_tone(b.verdict), int(b.level) if int(b.level) > 0 else None),
        ),
        _row(
            s,
            "REQUIRED compliance",
            columns,
            lambda b: Cell(
                pct(b.compliance_pct),
                Tone.PLAIN if b.compliance_pct is None else Tone.GOOD if b.compliance_pct == 100 else Tone.BAD,
                None if b.compliance_pct is None else round(b.compliance_pct, 2),
            ),
        ),
        _row(s, "Cases", columns, lambda b: Cell(_counts(b.case_counts))),
        _row(s, "Case pass rate", columns, lambda b: Cell(pct(b.case_pass_rate), number=_rounded(b.case_pass_rate))),
        _row(s, "Cases passed by waiver", columns, lambda b: Cell(str(b.waived_cases), number=b.waived_cases)),
    ]


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _level_rows(columns: Sequence[Column]) -> list[Row]:
    def make(level: Level) -> MakeCell:
        def cell(b: BBCompliance) -> Cell:
            n = b.checks[level.value]
            return Cell(_counts(n.to_dict()), Tone.BAD if n.not_met else Tone.PLAIN, n.not_met)

        return cell

    return [_row("Requirement levels", f"{lv.value.upper()} checks", columns, make(lv)) for lv in Level]


def _check_rows(columns: Sequence[Column]) -> list[Row]:
    labels = sorted({k for col in columns for k in col.bb.failed_checks})

    def make(label: str) -> MakeCell:
        def cell(b: BBCompliance) -> Cell:
            n = b.failed_checks.get(label, 0)
            return Cell(f"{n} cases" if n else "none", Tone.BAD if n else Tone.GOOD, n)

        return cell

    return [_row("Failed checks (cases)", label, columns, make(label)) for label in labels]


def _operation_rows(columns: Sequence[Column]) -> list[Row]:
    keys = list(dict.fromkeys(o.key for col in columns for o in col.bb.operations))

    def make(key: str) -> MakeCell:
        def cell(b: BBCompliance) -> Cell | None:
            op = next((o for o in b.operations if o.key == key), None)
            if op is None:
                return None
            text = op.verdict.value + (" (waived)" if op.waived else "")
            return Cell(text, _op_tone(op.verdict), detail=_counts(op.case_counts))

        return cell

    return [_row("Operations", key, columns, make(key)) for key in keys]


def _overview_row(g: Group, candidates: Sequence[Candidate]) -> Row:
    """The group's verdict per candidate; a candidate that did not test this release says so."""
    cells: list[Cell | None] = []
    for c in candidates:
        col = next((col for col in g.columns if col.candidate is c), None)
        if col is None:
            cells.append(None)
            continue
        b = col.bb
        detail = f"{b.level_text} · REQUIRED {pct(b.compliance_pct)} · {b.case_counts['failed']} failed cases"
        cells.append(Cell(b.verdict_text, _verdict_tone(b.verdict), detail=detail, href=col.href))
    label = f"{g.title} {g.label}" + (f" (spec files {g.fingerprint})" if _shared_name(g, candidates) else "")
    return Row("Building block", label, tuple(cells))


def _shared_name(g: Group, candidates: Sequence[Candidate]) -> bool:
    """Whether another candidate tested this BB release name on other spec files."""
    return any(
        b.result.bb == g.bb and b.result.ref == g.ref and _fingerprint(b) != g.fingerprint
        for c in candidates
        for b in c.compliance.bbs
    )


def _notes(candidates: Sequence[Candidate]) -> list[str]:
    notes = []
    seeds = sorted({c.results.seed for c in candidates})
    if len(seeds) > 1:
        notes.append(
            f"The candidates were tested with different seeds ({', '.join(map(str, seeds))}), so they were sent "
            "different generated data; run each with the same --seed for a like-for-like comparison."
        )
    versions = sorted({c.results.tool_version for c in candidates})
    if len(versions) > 1:
        notes.append(f"The results come from different versions of govstack-conform: {', '.join(versions)}.")
    for c in candidates:
        if not c.compliance.complete:
            notes.append(f"{c.name}: the run was interrupted; its results hold only what finished.")
        if not c.compliance.bbs:
            notes.append(f"{c.name}: {c.source} holds no building block results.")
    return notes
