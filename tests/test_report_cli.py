"""`report render|merge|diff` through the command line: files written, exit codes, one-line errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import report_fixture as fx
import typer
from typer.testing import CliRunner

from govstack_conform.cli import report as cli_report
from govstack_conform.engine.results import Verdict, read_json, write_json


def _root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _cb() -> None:
        pass

    cli_report.register(root)
    return root


def _run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(_root(), list(args))
    return r.exit_code, r.output


def test_render_all_formats(tmp_path: Path) -> None:
    src = write_json(fx.build(), tmp_path / "in" / "results.json")
    code, out = _run(
        "report", "render", str(src), "--format", "json,junit,html,md,cucumber,form", "--out", str(tmp_path / "out")
    )
    assert code == 0, out
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [
        "compliance-form.json",
        "cucumber.ndjson",
        "junit.xml",
        "report.html",
        "results.json",
        "summary.md",
    ]
    assert out.splitlines() == [
        str(tmp_path / "out" / n)
        for n in ["results.json", "junit.xml", "report.html", "summary.md", "cucumber.ndjson", "compliance-form.json"]
    ]


def test_render_errors_are_one_line(tmp_path: Path) -> None:
    code, out = _run("report", "render", str(tmp_path / "missing.json"), "--out", str(tmp_path / "o"))
    assert code == 3 and "results file not found" in out and "Traceback" not in out
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema_version": "9.0"}')
    code, out = _run("report", "render", str(bad), "--out", str(tmp_path / "o"))
    assert code == 3 and "not supported" in out
    src = write_json(fx.build(), tmp_path / "r.json")
    code, out = _run("report", "render", str(src), "--format", "pdf", "--out", str(tmp_path / "o"))
    assert code == 2 and "unknown report format pdf" in out


def test_merge_shards(tmp_path: Path) -> None:
    r = fx.build()
    a = write_json(dataclasses.replace(r, results=r.results[:2]), tmp_path / "a.json")
    b = write_json(dataclasses.replace(r, results=r.results[2:]), tmp_path / "b.json")
    code, out = _run("report", "merge", str(a), str(b), "--out", str(tmp_path / "m"), "--format", "json,md")
    assert code == 0, out
    merged = read_json(tmp_path / "m" / "results.json")
    assert [x.bb for x in merged.results] == ["consent", "digital-registries", "information-mediator"]
    assert (tmp_path / "m" / "summary.md").is_file()
    dup = write_json(
        dataclasses.replace(
            r,
            results=(
                dataclasses.replace(
                    r.results[0], cases=(dataclasses.replace(r.results[0].cases[0], verdict=Verdict.FAILED),)
                ),
            ),
        ),
        tmp_path / "dup.json",
    )
    code, out = _run("report", "merge", str(a), str(dup), "--out", str(tmp_path / "m2"))
    assert code == 0 and "warning" in out and "input 2 wins" in out
    code, out = _run("report", "merge", str(a), str(dup), "--out", str(tmp_path / "m3"), "--strict")
    assert code == 2 and "--strict" in out


def test_diff_exit_code_and_json(tmp_path: Path) -> None:
    r = fx.build()
    old = write_json(r, tmp_path / "old.json")
    consent = r.results[0]
    worse = dataclasses.replace(
        consent, cases=(dataclasses.replace(consent.cases[0], verdict=Verdict.FAILED), *consent.cases[1:])
    )
    new = write_json(dataclasses.replace(r, results=(worse, *r.results[1:])), tmp_path / "new.json")
    code, out = _run("report", "diff", str(old), str(old))
    assert code == 0 and "0 regressions" in out
    code, out = _run("report", "diff", str(old), str(new))
    assert code == 1 and out.splitlines()[0].startswith("REGRESSION")
    code, out = _run("report", "diff", str(new), str(old), "--json")
    assert code == 0 and json.loads(out)["improvements"] >= 1
