"""Every report format, from the one realistic results set: golden files, structure and escaping.

Regenerate the golden files with `UPDATE_GOLDEN=1 pytest tests/test_report_formats.py`.
"""

from __future__ import annotations

import html
import json
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import report_fixture as fx
from markdown_it import MarkdownIt

from govstack_conform.assessment.compliance import assess
from govstack_conform.engine.results import from_dict, read_json, to_dict, write_json
from govstack_conform.errors import UsageError
from govstack_conform.report.formats.base import FORMATS, get_formats
from govstack_conform.report.formats.json import schema
from govstack_conform.report.formats.markdown import md as md_text
from govstack_conform.report.redact import redact_results
from govstack_conform.report.render import render

GOLDEN = Path(__file__).parent / "golden"


def _normalise(name: str, data: bytes) -> bytes:
    """Only the renderer's machine (Cucumber meta runtime/os/cpu) may differ between hosts."""
    if name == "cucumber.ndjson":
        first, rest = data.split(b"\n", 1)
        meta = json.loads(first)
        for k in ("runtime", "os", "cpu"):
            meta["meta"][k] = {"name": "<normalised>", **({"version": "<normalised>"} if k == "runtime" else {})}
        return json.dumps(meta, separators=(",", ":")).encode() + b"\n" + rest
    return data


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report")
    paths = render(fx.build(), ["all"], out)
    assert sorted(p.name for p in paths) == sorted(f.filename for f in FORMATS.values())
    return out


@pytest.mark.parametrize("name", [f.filename for f in FORMATS.values()])
def test_golden(rendered: Path, name: str) -> None:
    data = _normalise(name, (rendered / name).read_bytes())
    golden = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        golden.write_bytes(data)
    assert golden.is_file(), f"golden file missing: run UPDATE_GOLDEN=1 pytest {__file__}"
    assert data == golden.read_bytes(), f"{name} differs from its golden file (UPDATE_GOLDEN=1 to accept)"


def test_golden_files_hold_no_varying_timestamps() -> None:
    """Only the fixture's fixed dates may appear: nothing from the clock of the machine that rendered."""
    stamps = re.compile(rb"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")
    for path in GOLDEN.iterdir():
        for stamp in stamps.findall(path.read_bytes()):
            assert stamp.startswith(b"2024-05-02T09:00:"), (path.name, stamp)


def test_rendering_is_deterministic(tmp_path: Path) -> None:
    a = render(fx.build(), ["all"], tmp_path / "a")
    b = render(fx.build(), ["all"], tmp_path / "b")
    for x, y in zip(a, b, strict=True):
        assert x.read_bytes() == y.read_bytes(), x.name


def test_results_json_validates_against_shipped_schema(rendered: Path) -> None:
    data = json.loads((rendered / "results.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    plain = to_dict(fx.build(waivers=False))  # as the runner writes it, without the compliance summary
    jsonschema.validate(plain, schema(), cls=jsonschema.Draft202012Validator)


def test_schema_rejects_broken_results(rendered: Path) -> None:
    data = json.loads((rendered / "results.json").read_text())
    data["results"][0]["cases"][0]["verdict"] = "sort-of-passed"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)
    data = json.loads((rendered / "results.json").read_text())
    del data["results"][1]["spec_files"][0]["sha256"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema(), cls=jsonschema.Draft202012Validator)


def test_json_round_trips(rendered: Path, tmp_path: Path) -> None:
    again = read_json(rendered / "results.json")
    assert again == redact_results(fx.build())
    write_json(again, tmp_path / "r.json")
    assert from_dict(json.loads((tmp_path / "r.json").read_text())) == again


def test_junit_counts_keep_failures_errors_and_skips_apart(rendered: Path) -> None:
    root = ET.parse(rendered / "junit.xml").getroot()
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["consent@23Q4.1", "digital-registries@23Q4", "information-mediator@23Q4"]
    reg = suites["digital-registries@23Q4"]
    assert (reg.get("tests"), reg.get("failures"), reg.get("errors"), reg.get("skipped")) == ("6", "4", "1", "0")
    assert len(reg.findall("testcase/failure")) == 4 and len(reg.findall("testcase/error")) == 1
    im = suites["information-mediator@23Q4"]
    assert [s.get("message", "").split(":")[0] for s in im.findall("testcase/skipped")] == ["untestable", "skipped"]
    consent = suites["consent@23Q4.1"]
    assert consent.get("failures") == "0"
    waived = [tc for tc in consent.findall("testcase") if tc.find("system-out") is not None]
    assert [tc.get("name") for tc in waived] == ["positive-get"]
    assert "WAIVED: vendor fix" in (waived[0].findtext("system-out") or "")
    props = {p.get("name"): p.get("value") for p in reg.find("properties") or []}
    assert props["seed"] == "1234" and props["target"] == "http://127.0.0.1:8002/registries"
    assert props["spec_file:digital-registries/23Q4/GovStack_Digital_Registries_BB_API.json"].startswith("sha256:")
    assert root.get("tests") == "15" and root.get("failures") == "4" and root.get("errors") == "1"
    text = (rendered / "junit.xml").read_text()
    assert "\x1b" not in text and "\\x1b[31mRED" in text  # ANSI escapes made visible, XML stays valid
    failure = next(f for f in reg.iter("failure") if "read" in (f.text or "") and "<script>" in (f.text or ""))
    assert "HTTP/1.1 200" in (failure.text or "") and "GET http://127.0.0.1:8002" in (failure.text or "")


def _github(markdown: str) -> str:
    """Markdown as GitHub renders it: CommonMark with tables and inline HTML allowed."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_markdown_escapes_candidate_content(rendered: Path) -> None:
    md = (rendered / "summary.md").read_text()
    shown = _github(md)
    assert "<script" not in shown and "&lt;script&gt;" in shown
    assert "<b>Suite" not in shown  # the product name is data, not markup
    assert "\x1b" not in md
    assert not re.search(r"&(#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z]+);", md)  # plain Markdown: no HTML entity
    assert (
        "| Digital Registries | 23Q4 | http://127.0.0.1:8002/registries | not conformant (checked 4 of 4 operations) "
        "| Level 1 | 37.5% |"
    ) in md
    assert "expired waiver (not applied)" in md


@pytest.mark.parametrize(
    "text",
    [
        'it\'s "quoted" & fine, mail a@b.org',
        "<script>alert(1)</script> <b>bold</b> <!-- c --> <https://x.test>",
        "&amp; &#64; &#x27; stay as typed",
        "*em* _em_ `code` [link](https://x.test) ~~gone~~ | pipe \\ back",
    ],
)
def test_markdown_text_reads_as_typed(text: str) -> None:
    shown = _github(f"| a |\n|---|\n| {md_text(text)} |\n")
    cell = re.search(r"<td>(.*)</td>", shown, re.S)
    assert cell is not None
    assert html.unescape(cell.group(1)) == text


def test_markdown_mentions_nobody() -> None:
    shown = _github(f"x {md_text('ping @octocat, cc:@team/leads; mail me@example.org')}")
    assert "@octocat" not in shown and "@team" not in shown and "me@example.org" in shown
    assert "@\u2060octocat" in shown


def test_compliance_form_codes_and_level(rendered: Path) -> None:
    form = json.loads((rendered / "compliance-form.json").read_text())
    details = form["bbDetails"]
    assert list(details) == ["bb-consent", "bb-digital-registries", "bb-information-mediator"]
    assert [d["interfaceCompliance"]["level"] for d in details.values()] == [2, 1, 1]
    reqs = details["bb-digital-registries"]["interfaceCompliance"]["requirements"]
    by_op = {r["requirement"].split(": ", 1)[1].split(" (")[0]: r for r in reqs if r["status"] == 0}
    assert by_op["POST /data/{registryname}/{versionnumber}"]["fulfillment"] == 0
    assert by_op["DELETE /data/{registryname}/{versionnumber}/{ID}/delete"]["fulfillment"] == 0
    assert by_op["GET /data/{registryname}/{versionnumber}/exists"]["fulfillment"] == 1
    im = details["bb-information-mediator"]["interfaceCompliance"]["requirements"]
    assert sorted(r["fulfillment"] for r in im if r["status"] == 0) == [-1, -1, 1]
    consent = details["bb-consent"]["interfaceCompliance"]["requirements"]
    rec = [r for r in consent if r["status"] == 1]
    assert rec and all(r["requirement"].startswith("Recommended practice") for r in rec)
    assert {r["requirement"]: r["fulfillment"] for r in rec}["Recommended practice: method_refused_405"] == 0
    for d in details.values():
        for r in d["interfaceCompliance"]["requirements"]:
            assert set(r) == {"requirement", "comment", "fulfillment", "status"}
            assert r["fulfillment"] in (-1, 0, 1) and r["status"] in (0, 1, 2)


def test_cucumber_counts_match_our_report_under_the_platform_rule(rendered: Path) -> None:
    counts = fx.platform_counts((rendered / "cucumber.ndjson").read_text())
    compliance = assess(redact_results(fx.build()))
    expected = {}
    for b in compliance.bbs:
        for op in b.operations:
            n = op.case_counts
            failed = n["failed"] + n["not-implemented"] + n["error"]
            if n["passed"] + failed:
                expected[(op.method, op.path)] = (n["passed"], failed)
    assert counts == expected
    passed = sum(p for p, _ in counts.values())
    failed = sum(f for _, f in counts.values())
    assert (passed, failed) == (8, 5)
    total = sum(b.case_counts["passed"] for b in compliance.bbs)
    assert total == passed


def test_cucumber_messages_are_consistent(rendered: Path) -> None:
    msgs = [json.loads(line) for line in (rendered / "cucumber.ndjson").read_text().splitlines()]
    assert list(msgs[0]) == ["meta"] and list(msgs[-1]) == ["testRunFinished"]
    assert msgs[-1]["testRunFinished"]["success"] is False
    sources = {m["source"]["uri"]: m["source"]["data"] for m in msgs if "source" in m}
    ast: dict[str, dict] = {}
    for m in msgs:
        if "gherkinDocument" in m:
            g = m["gherkinDocument"]
            lines = sources[g["uri"]].splitlines()
            assert lines[0] == " ".join(t["name"] for t in g["feature"]["tags"])
            assert lines[0].startswith("@method=") and " @endpoint=/" in lines[0]
            for child in g["feature"]["children"]:
                sc = child["scenario"]
                assert lines[sc["location"]["line"] - 1].strip() == f"Scenario: {sc['name']}"
                for st in sc["steps"]:
                    ast[st["id"]] = st
                    assert lines[st["location"]["line"] - 1].strip() == st["keyword"] + st["text"]
    steps = {}
    for m in msgs:
        if "pickle" in m:
            for s in m["pickle"]["steps"]:
                assert s["astNodeIds"][0] in ast
                steps[s["id"]] = s
    test_steps = {}
    for m in msgs:
        if "testCase" in m:
            for ts in m["testCase"]["testSteps"]:
                assert ts["pickleStepId"] in steps
                test_steps[ts["id"]] = ts
    finished = [m["testStepFinished"] for m in msgs if "testStepFinished" in m]
    assert {f["testStepId"] for f in finished} == set(test_steps)
    assert {f["testStepResult"]["status"] for f in finished} <= {"PASSED", "FAILED", "SKIPPED", "UNKNOWN"}
    waived = [f for f in finished if "waived" in f["testStepResult"].get("message", "")]
    assert waived and all(f["testStepResult"]["status"] == "PASSED" for f in waived)
    names = {u.rsplit("/", 1)[1] for u in sources}
    assert "PUT__sub__eventType_.feature" not in names  # skipped: never sent, so never counted as passed
    assert "POST__pub__eventType_.feature" not in names  # untestable: same


def test_unknown_format_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown report format pdf"):
        get_formats("json,pdf")
    assert [f.name for f in get_formats("markdown, xml")] == ["md", "junit"]


def test_options_are_a_small_table_in_words_never_python_reprs() -> None:
    import dataclasses

    from govstack_conform.engine.credentials import Credentials
    from govstack_conform.engine.options import RunOptions

    record = RunOptions(credentials=Credentials(bearer="t0k", api_key="k3y"), headers=(("X-Trace", "a"),)).record()
    results = dataclasses.replace(fx.build(waivers=False), options=record)
    compliance = assess(results)
    md = FORMATS["md"].render(results, compliance).decode()
    page = FORMATS["html"].render(results, compliance).decode()
    assert "| auth | bearer token, API key |" in md and "| insecure | no |" in md and "| headers | X-Trace: a |" in md
    assert "<tr><td>auth</td><td>bearer token, API key</td></tr>" in page
    md_table = md.split("Options that change results:")[1].split("\n\n")[1]
    html_table = page.split('<table class="options">')[1].split("</table>")[0]
    for table in (md_table, html_table):
        assert "timeout_s" in table.replace("\\", "")
        for python in ("{'", "': ", "False", "None", "True", "[["):
            assert python not in table, python


def test_every_report_names_the_govstack_scenarios_a_case_covers(rendered: Path) -> None:
    """The names come from the results (the planner's parse of the features), never from a feature file."""
    read = "User obtains a searched *record* | <b> (digital-registries/23Q4/features/data_read.feature:15)"
    page = (rendered / "report.html").read_text()
    assert f"<p>GovStack scenario: {html.escape(read, quote=False)}</p>" in page
    assert "<p>GovStack scenario: consent/23Q4.1/features/smoke.feature:3</p>" in page  # an older result: no name

    shown = _github((rendered / "summary.md").read_text())
    assert f"<li>GovStack scenario: {html.escape(read, quote=False)}</li>" in shown

    root = ET.parse(rendered / "junit.xml").getroot()
    outs = {tc.get("name"): (tc.findtext("system-out") or "").split("\n") for tc in root.iter("testcase")}
    assert outs["positive-read"] == [f"GovStack scenario: {read}"]
    assert outs["positive-get"][:2] == [
        "GovStack scenario: Read one consent by its id (consent/23Q4.1/features/consents.feature:12)",
        "GovStack scenario: consent/23Q4.1/features/smoke.feature:3",
    ]
    assert outs["positive-get"][2] == "passed only because these failures are waived:"  # and the waiver follows
    assert outs["positive-list-methods"] == [
        "GovStack scenario: The <methods> are listed & shown "
        "(information-mediator/23Q4/features/list_methods.feature:4)"
    ]
    assert outs["positive-exists"] == [""]
