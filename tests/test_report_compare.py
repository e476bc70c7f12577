"""`report compare`: real candidates side by side, with the figures their own reports state.

Three real runs through `run --config`: the consent@23Q4 mock as it is, the same mock accepting any input,
and the consent@23Q4.1 mock (another release, so it must be shown apart, never in the same table).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from candidates import TOKEN, Candidate, run_candidates, run_one
from typer.testing import CliRunner

from govstack_conform.assessment.compliance import assess
from govstack_conform.assessment.coverage import BBVerdict
from govstack_conform.cli import app
from govstack_conform.engine.results import SpecFileRef, read_json, write_json
from govstack_conform.mock import MockOptions
from govstack_conform.report.comparison import build, load

Runs = tuple[Candidate, Candidate, Candidate]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Runs:
    root = tmp_path_factory.mktemp("compare")
    good, sloppy = run_candidates(root, corpus_dir)
    newer = run_one(root, corpus_dir, "Newer Consent", MockOptions(token=TOKEN), release="consent@23Q4.1")
    assert newer.exit_code == 0, newer.output
    return good, sloppy, newer


def _compare(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(app, ["report", "compare", *args])
    return r.exit_code, r.output


def _row(group: object, label: str) -> list[str]:
    row = next(r for r in group.rows if r.label == label)  # type: ignore[attr-defined]
    return [c.text if c is not None else "" for c in row.cells]


def test_columns_hold_each_candidates_own_figures(runs: Runs, tmp_path: Path) -> None:
    good, sloppy, _ = runs
    comparison = build(load([good.results, sloppy.results]), tmp_path)
    (group,) = comparison.groups
    assert [c.name for c in group.columns] == ["Good Consent", "Sloppy Consent"]  # the config's product names
    a, b = (assess(read_json(x.results)).bbs[0] for x in (good, sloppy))
    assert _row(group, "Verdict") == [a.verdict_text, b.verdict_text]
    assert a.verdict is not BBVerdict.NOT_CONFORMANT and b.verdict is BBVerdict.NOT_CONFORMANT
    assert _row(group, "Coverage") == [a.coverage.text(), b.coverage.text()]
    assert _row(group, "API level") == [a.level_text, b.level_text]
    assert _row(group, "REQUIRED compliance") == [f"{a.compliance_pct:.1f}%", f"{b.compliance_pct:.1f}%"]
    ((check, n),) = b.failed_checks.items()
    assert _row(group, check) == ["none", f"{n} cases"]
    for op in b.operations:
        assert _row(group, op.key)[1].startswith(op.verdict.value)
    failed_ops = [r for r in group.rows if r.section == "Operations" and r.cells[1] and r.cells[1].tone == "bad"]
    assert len(failed_ops) == b.operation_counts["failed"] > 0


def test_other_releases_are_shown_apart(runs: Runs, tmp_path: Path) -> None:
    good, sloppy, newer = runs
    comparison = build(load([good.results, newer.results, sloppy.results]), tmp_path)
    assert [(g.label, [c.name for c in g.columns]) for g in comparison.groups] == [
        ("consent@23Q4", ["Good Consent", "Sloppy Consent"]),
        ("consent@23Q4.1", ["Newer Consent"]),
    ]
    old, new = comparison.groups
    assert any("consent@23Q4.1 by Newer Consent" in n for n in old.notes)
    assert any("consent@23Q4 by Good Consent, Sloppy Consent" in n for n in new.notes)
    # the overview keeps one column per candidate; the release a candidate was not tested on says so
    assert [[c is not None for c in r.cells] for r in comparison.overview] == [
        [True, False, True],
        [False, True, False],
    ]
    # the same release name on other spec files is another contract: shown apart too
    results = read_json(sloppy.results)
    bb = results.results[0]
    moved = dataclasses.replace(bb, spec_files=(SpecFileRef(bb.spec_files[0].path, "0" * 64), *bb.spec_files[1:]))
    other = write_json(dataclasses.replace(results, results=(moved,)), tmp_path / "other" / "results.json")
    groups = build(load([good.results, other]), tmp_path).groups
    assert [len(g.columns) for g in groups] == [1, 1] and {g.label for g in groups} == {"consent@23Q4"}
    assert any("on other spec files" in n for n in groups[0].notes)


def test_cli_writes_html_markdown_and_csv_whose_links_reach_the_reports(runs: Runs) -> None:
    good, sloppy, newer = runs
    out = good.out.parent / "cmp"
    code, output = _compare(
        str(good.results), str(sloppy.results), str(newer.results), "--out", str(out),
        "--name", "Vendor A", "--name", "Vendor B", "--name", "Vendor C",
    )  # fmt: skip
    assert code == 0, output
    assert sorted(p.name for p in out.iterdir()) == ["comparison.csv", "comparison.html", "comparison.md"]
    page = (out / "comparison.html").read_text()
    hrefs = set(re.findall(r'href="([^"#]+)#(bb-\d+)"', page))
    assert {unquote(h) for h, _ in hrefs} == {
        f"../{x.out.name}/report.html" for x in (good, sloppy, newer)
    }  # relative to DIR: they work wherever the folders are copied together
    for href, anchor in hrefs:
        target = (out / unquote(href)).resolve()
        assert target.is_file() and f'id="{anchor}"' in target.read_text()
    rows = list(csv.DictReader(io.StringIO((out / "comparison.csv").read_text())))
    verdicts = {(r["release"], r["candidate"]): r["value"] for r in rows if r["item"] == "Verdict"}
    assert set(verdicts) == {("23Q4", "Vendor A"), ("23Q4", "Vendor B"), ("23Q4.1", "Vendor C")}
    assert verdicts[("23Q4", "Vendor B")].startswith("not conformant")
    pct = next(r for r in rows if r["item"] == "REQUIRED compliance" and r["candidate"] == "Vendor A")
    assert pct["number"] == "100" and pct["link"].endswith("report.html#bb-0")
    md = (out / "comparison.md").read_text()
    assert "| Building block | Vendor A | Vendor B | Vendor C |" in md
    assert "_not tested on this release_" in md


def test_without_out_it_prints_markdown_and_links_from_here(runs: Runs, monkeypatch: pytest.MonkeyPatch) -> None:
    good, sloppy, _ = runs
    monkeypatch.chdir(good.out.parent)
    code, output = _compare(str(good.results), str(sloppy.results))
    assert code == 0, output
    assert output.startswith("## GovStack compliance: 2 candidates side by side")
    assert f"]({good.out.name}/report.html#bb-0)" in output and f"]({sloppy.out.name}/report.html#bb-0)" in output


def test_without_a_report_the_cell_links_the_results_and_names_fall_back(runs: Runs, tmp_path: Path) -> None:
    good, _, _ = runs
    results = read_json(good.results)
    bare = write_json(dataclasses.replace(results, product={}), tmp_path / "bare" / "results.json")
    (candidate,) = load([bare])
    assert candidate.name == good.target and candidate.report is None
    (group,) = build([candidate], tmp_path).groups
    assert {c.href for r in group.rows for c in r.cells if c} == {"bare/results.json"}
    twice = load([good.results, good.results])  # same product name twice: the file tells them apart
    assert [c.name for c in twice] == ["Good Consent (input 1)", "Good Consent (input 2)"]


def test_bad_names_are_one_line_errors(runs: Runs) -> None:
    good, sloppy, _ = runs
    code, output = _compare(str(good.results), str(sloppy.results), "--name", "only one")
    assert code == 2 and "--name was given 1 times for 2 results files" in output
    code, output = _compare(str(good.results), str(sloppy.results), "--name", "X", "--name", "X")
    assert code == 2 and "--name 'X' is given to more than one results file" in output
    code, output = _compare(str(good.out / "missing.json"))
    assert code != 0 and "results file not found" in output and "Traceback" not in output
