"""JUnit XML: one testsuite per BB release, one testcase per case, for CI test views.

FAILED and NOT_IMPLEMENTED cases are <failure>s (the candidate is wrong); ERROR cases are <error>s
(no verdict: the transport failed); UNTESTABLE and SKIPPED cases are <skipped> with the reason.
XML 1.0 cannot carry control characters even escaped, so all text goes through `clean` first.
"""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET
from typing import IO
from urllib.parse import urlsplit

from govstack_conform.assessment.compliance import BBCompliance, CaseView, Compliance
from govstack_conform.engine.results import Outcome, RunResults, Verdict
from govstack_conform.report.evidence.curl import insecure_run
from govstack_conform.report.evidence.text import case_text, rule_line
from govstack_conform.report.facts import bb_facts, run_facts
from govstack_conform.report.formats.scenarios import scenario_lines
from govstack_conform.text import clean, one_line, pct


def _set(el: ET.Element, **attrs: object) -> ET.Element:
    for k, v in attrs.items():
        el.set(k, clean(v))
    return el


def _host(url: str) -> str:
    """The host of the target URL (the JUnit `hostname` names a host; the whole URL is a property)."""
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _testcase(classname: str, v: CaseView, insecure: bool = False) -> ET.Element:
    c = v.case
    tc = _set(ET.Element("testcase"), classname=classname, name=c.name, time=f"{c.duration_ms / 1000:.3f}")
    out = _verdict(tc, v, insecure)
    # The BB's own Gherkin scenarios the case tests, in <system-out>: the Jenkins JUnit schema has no
    # <properties> in a <testcase>, so CI tools that hold to it would refuse them there.
    text = [clean(line) for line in scenario_lines(c)]
    if out == "passed" and v.waived:
        text.append("passed only because these failures are waived:\n" + case_text(v, insecure=insecure))
    if text:
        ET.SubElement(tc, "system-out").text = "\n".join(text)
    return tc


def _kind(v: CaseView) -> str:
    """What the testcase of `v` holds: "failure", "error", "skipped" or "passed" (see _verdict)."""
    if v.verdict in (Verdict.FAILED, Verdict.NOT_IMPLEMENTED):
        return "failure"
    if v.verdict is Verdict.ERROR:
        return "error"
    if v.verdict in (Verdict.UNTESTABLE, Verdict.SKIPPED):
        return "skipped"
    return "passed"


def _verdict(tc: ET.Element, v: CaseView, insecure: bool) -> str:
    """The testcase's <failure>, <error> or <skipped>, and which it is ("passed" when none)."""
    c = v.case
    if v.verdict in (Verdict.FAILED, Verdict.NOT_IMPLEMENTED):
        failed = [k for k in c.checks if k.outcome is Outcome.FAILED and not k.waived]
        msg = rule_line(failed[0]) if failed else (c.reason or v.verdict.value)
        el = _set(
            ET.SubElement(tc, "failure"),
            message=one_line(msg, 500),
            type=failed[0].check if failed else v.verdict.value,
        )
        el.text = case_text(v, insecure=insecure)
        return "failure"
    if v.verdict is Verdict.ERROR:
        el = _set(ET.SubElement(tc, "error"), message=one_line(c.reason or "error", 500), type="error")
        el.text = case_text(v, insecure=insecure)
        return "error"
    if v.verdict in (Verdict.UNTESTABLE, Verdict.SKIPPED):
        _set(ET.SubElement(tc, "skipped"), message=one_line(f"{v.verdict.value}: {c.reason or ''}", 500))
        return "skipped"
    return "passed"


_SLOT = "testcases-go-here"  # where a suite's testcases are written, in the serialized skeleton


class JUnitFormat:
    name = "junit"
    filename = "junit.xml"
    extension = "xml"

    def render(self, results: RunResults, compliance: Compliance) -> bytes:
        out = io.BytesIO()
        self.write(results, compliance, out)
        return out.getvalue()

    def write(self, results: RunResults, compliance: Compliance, out: IO[bytes]) -> None:
        """The document, its testcases written one at a time: held as one tree, a large run's testcases took
        several times the file's size. The rest (suites, properties, counts) is one small tree, serialized
        with a slot where each suite's testcases go; counts are taken in a first pass over the cases."""
        root = _skeleton(results, compliance)
        ET.indent(root)
        text = ET.tostring(root, encoding="unicode")
        insecure = insecure_run(results.options)
        parts = text.split(f"<{_SLOT} />")
        out.write(('<?xml version="1.0" encoding="UTF-8"?>\n' + parts[0]).encode())
        suites = [bbc for bbc in compliance.bbs if any(op.cases for op in bbc.operations)]
        for bbc, after in zip(suites, parts[1:], strict=True):
            bb = bbc.result
            first = True
            for op in bbc.operations:
                for v in op.cases:
                    tc = _testcase(f"{bb.bb}@{bb.ref}.{op.key}", v, insecure)
                    ET.indent(tc, level=2)
                    out.write((("" if first else "\n    ") + ET.tostring(tc, encoding="unicode")).encode())
                    first = False
            out.write(after.encode())
        out.write(b"\n")


def _skeleton(results: RunResults, compliance: Compliance) -> ET.Element:
    """Everything but the testcases: a slot element stands where a suite's testcases go."""
    facts = run_facts(results)
    root = _set(ET.Element("testsuites"), name=f"govstack-conform {facts.tool_version}")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    total_time = 0.0
    for bbc in compliance.bbs:
        bb = bbc.result
        suite = _set(ET.SubElement(root, "testsuite"), name=f"{bb.bb}@{bb.ref}", timestamp=bb.started)
        host = _host(bb.target)
        if host:
            _set(suite, hostname=host)
        props = ET.SubElement(suite, "properties")
        for k, val in _properties(results, compliance, bbc):
            _set(ET.SubElement(props, "property"), name=k, value=val)
        n = {"tests": 0, "failure": 0, "error": 0, "skipped": 0}
        for op in bbc.operations:
            for v in op.cases:
                n["tests"] += 1
                kind = _kind(v)
                if kind in n:
                    n[kind] += 1
        if n["tests"]:
            ET.SubElement(suite, _SLOT)
        _set(
            suite,
            tests=n["tests"],
            failures=n["failure"],
            errors=n["error"],
            skipped=n["skipped"],
            time=f"{bb.duration_s:.3f}",
        )
        totals["tests"] += n["tests"]
        totals["failures"] += n["failure"]
        totals["errors"] += n["error"]
        totals["skipped"] += n["skipped"]
        total_time += bb.duration_s
    _set(root, time=f"{total_time:.3f}", tests=totals["tests"], failures=totals["failures"], errors=totals["errors"])
    return root


def _properties(results: RunResults, compliance: Compliance, bbc: BBCompliance) -> list[tuple[str, object]]:
    facts = run_facts(results)
    bb = bbc.result
    info = bb_facts(bb)
    pairs: list[tuple[str, object]] = [
        ("tool_version", facts.tool_version),
        ("bb", bb.bb),
        ("release", bb.ref),
        ("platform_id", bb.platform_id),
        ("target", bb.target),
        ("date", facts.started),
        ("seed", facts.seed),
        ("duration_s", f"{bb.duration_s:.3f}"),
        ("verdict", bbc.verdict_text),
        ("operations_checked", f"{bbc.coverage.checked} of {bbc.coverage.total}"),
        ("compliance_pct", pct(bbc.compliance_pct)),
        ("api_level", int(bbc.level)),
        ("api_level_text", bbc.level_text),
        ("api_level_reason", bbc.level_reason),
        ("level_rule", compliance.level_rule),
    ]
    pairs += [(f"spec_file:{f['path']}", f"sha256:{f['sha256']}") for f in info["spec_files"]]
    # property names are unique (a parser may keep them in a map): each option by its own name
    rows = facts.option_rows()
    waivers = [f"{k}: {v}" for k, v in rows if k.startswith("waiver (")]
    pairs += [(f"option.{k}", v) for k, v in rows if not k.startswith("waiver (")]
    pairs += [(f"waiver.{n}", w) for n, w in enumerate(waivers, 1)]
    pairs += [(f"not_checked:{u.operation}", f"{u.verdict.value}: {u.reason}") for u in bbc.coverage.unchecked]
    return pairs
