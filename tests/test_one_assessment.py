"""One assessment, one set of numbers: with a waiver in play, the terminal, results.json, summary.md, the HTML,
JUnit and Cucumber all state the same operation and case counts and the same REQUIRED compliance %.

The product is the pets test product with two rules broken: POST /pets answers an undocumented 200 (waived
in the config file) and GET /pets leaves out its required header (not waived), so the waiver changes the
verdict of one operation and the raw verdicts no longer tell the truth on their own.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import PETS_SPEC, TOKEN, pets_app, serve
from typer.testing import CliRunner

from govstack_conform.cli import app


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve(pets_app(frozenset({"status_code_documented", "required_headers_present"}))) as base:
        yield base


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory, url: str) -> tuple[int, str, Path]:
    root = tmp_path_factory.mktemp("waived")
    spec = root / "pets.yaml"
    spec.write_text(PETS_SPEC)
    config = root / "govstack-conform.toml"
    config.write_text(
        f"""
[bb.custom]
target = "{url}"

[bb.custom.auth]
token = "env:PETS_TOKEN"

[[waivers]]
check = "status_code_documented"
operation = "POST /pets"
justification = "the product's 200 is agreed with the buyer"
expires = "2999-12-31"
"""
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PETS_TOKEN", TOKEN)
        result = CliRunner().invoke(
            app,
            [
                "run",
                "--quiet",
                "--spec",
                str(spec),
                "--config",
                str(config),
                "--out",
                str(root / "out"),
                "--report",
                "all",
            ],
        )
    return result.exit_code, result.output, root / "out"


def _bb(out: Path) -> dict[str, Any]:
    data = json.loads((out / "results.json").read_text())
    (bb,) = data["compliance"]["building_blocks"]
    return dict(bb)


def test_the_waiver_changes_an_operation_verdict(run: tuple[int, str, Path]) -> None:
    code, output, out = run
    assert code == 1, output  # the unwaived missing header still fails the run
    bb = _bb(out)
    assert bb["operation_verdicts"]["POST /pets"] == "passed"  # failed only by the waived check
    assert bb["operation_verdicts"]["GET /pets"] == "failed"
    assert bb["waived_cases"] > 0


def test_terminal_states_the_assessment(run: tuple[int, str, Path]) -> None:
    _, output, out = run
    bb = _bb(out)
    line = next(x for x in output.splitlines() if "cases passed" in x)
    assert line.startswith(f"custom@local: {bb['verdict_text']}; operations ")
    ops = dict((v, int(n)) for n, v in re.findall(r"(\d+) ([a-z-]+)", line.split(";")[1]))
    assert ops == {k: n for k, n in bb["operations"].items() if n}
    passed, total = map(int, re.search(r"cases passed (\d+)/(\d+)", line).groups())  # type: ignore[union-attr]
    assert (passed, total) == (bb["cases"]["passed"], sum(bb["cases"].values()))
    checks = re.search(r"failed checks: (.*)$", line).group(1)  # type: ignore[union-attr]
    assert checks.startswith("required_headers_present (") and "status_code_documented" not in checks


def test_summary_md_states_the_assessment(run: tuple[int, str, Path]) -> None:
    _, _, out = run
    bb = _bb(out)
    row = next(x for x in (out / "summary.md").read_text().splitlines() if x.startswith("| Pets"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[3] == bb["verdict_text"]
    pct, ops, rate = cells[5], cells[6], cells[7]
    assert pct.startswith(f"{bb['compliance_pct']:.1f}%")
    order = ["passed", "failed", "not-implemented", "untestable", "error", "skipped"]
    assert [int(n) for n in ops.split(" / ")] == [bb["operations"][v] for v in order]
    assert rate == f"{bb['case_pass_rate']:.1f}%"


def test_html_states_the_assessment(run: tuple[int, str, Path]) -> None:
    _, _, out = run
    bb = _bb(out)
    html = (out / "report.html").read_text()
    svg = html[html.index("<svg") : html.index("</svg>")]
    ops_bar, cases_bar = svg.split("cases (", 1)
    shown_ops = {v: int(n) for v, n in re.findall(r"<title>([a-z-]+): (\d+)</title>", ops_bar)}
    shown_cases = {v: int(n) for v, n in re.findall(r"<title>([a-z-]+): (\d+)</title>", cases_bar)}
    assert shown_ops == {k: n for k, n in bb["operations"].items() if n}
    assert shown_cases == {k: n for k, n in bb["cases"].items() if n}
    assert f"<b>{bb['compliance_pct']:.1f}%</b>REQUIRED checks met" in html


def test_junit_states_the_assessment(run: tuple[int, str, Path]) -> None:
    _, _, out = run
    bb = _bb(out)
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    c = bb["cases"]
    assert int(suite.get("tests", "")) == sum(c.values())
    assert int(suite.get("failures", "")) == c["failed"] + c["not-implemented"]
    assert int(suite.get("errors", "")) == c["error"]
    assert int(suite.get("skipped", "")) == c["untestable"] + c["skipped"]
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["compliance_pct"] == f"{bb['compliance_pct']:.1f}%"


def test_cucumber_states_the_assessment(run: tuple[int, str, Path]) -> None:
    _, _, out = run
    bb = _bb(out)
    messages = [json.loads(x) for x in (out / "cucumber.ndjson").read_text().splitlines() if x.strip()]
    failed_steps: dict[str, bool] = {}
    for m in messages:
        if "testCaseStarted" in m:
            failed_steps[m["testCaseStarted"]["id"]] = False
        elif "testStepFinished" in m:
            f = m["testStepFinished"]
            if f["testStepResult"]["status"] == "FAILED":
                failed_steps[f["testCaseStartedId"]] = True
    c = bb["cases"]
    assert sum(failed_steps.values()) == c["failed"] + c["not-implemented"] + c["error"]
    assert len(failed_steps) - sum(failed_steps.values()) == c["passed"]
