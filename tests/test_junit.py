"""JUnit XML as CI tools read it: parsed by junitparser, and held to the rules of the JUnit schema Jenkins
uses (the xunit plugin's junit-10.xsd). The XSD is not copied here: its rules are written out below as
assertions (which elements, which attributes, which are required, the time format).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import report_fixture as fx
from junitparser import Error, Failure, JUnitXml, Skipped

from govstack_conform.report.render import render

# The rules of Jenkins' JUnit schema, element by element: allowed children, allowed and required attributes.
CHILDREN = {
    "testsuites": {"testsuite"},
    "testsuite": {"testsuite", "properties", "testcase", "system-out", "system-err"},
    "properties": {"property"},
    "property": set(),
    "testcase": {
        "skipped",
        "error",
        "failure",
        "system-out",
        "system-err",
        "rerunFailure",
        "rerunError",
        "flakyFailure",
        "flakyError",
    },
    "failure": set(),
    "error": set(),
    "skipped": set(),
    "system-out": set(),
    "system-err": set(),
}
ATTRIBUTES = {
    "testsuites": {"name", "time", "tests", "failures", "errors"},
    "testsuite": {
        "name",
        "tests",
        "failures",
        "errors",
        "group",
        "time",
        "skipped",
        "timestamp",
        "hostname",
        "id",
        "package",
        "file",
        "log",
        "url",
    },
    "properties": set(),
    "property": {"name", "value"},
    "testcase": {"name", "time", "classname", "group"},
    "failure": {"type", "message"},
    "error": {"type", "message"},
    "skipped": {"type", "message"},
    "system-out": set(),
    "system-err": set(),
}
REQUIRED = {"testsuite": {"name", "tests", "failures", "errors"}, "property": {"name", "value"}, "testcase": {"name"}}
SUREFIRE_TIME = re.compile(r"(([0-9]{0,3},)*[0-9]{3}|[0-9]{0,3})*(\.[0-9]*)?")  # the schema's time pattern


@pytest.fixture(scope="module")
def junit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    (path,) = render(fx.build(), ["junit"], tmp_path_factory.mktemp("junit"))
    return path


def _check(el: ET.Element) -> None:
    assert el.tag in CHILDREN, el.tag
    assert set(el.attrib) <= ATTRIBUTES[el.tag], (el.tag, set(el.attrib) - ATTRIBUTES[el.tag])
    assert REQUIRED.get(el.tag, set()) <= set(el.attrib), (el.tag, el.attrib)
    if el.tag in ("testsuites", "testsuite") and "time" in el.attrib:
        assert SUREFIRE_TIME.fullmatch(el.attrib["time"]), el.attrib["time"]
    for child in el:
        assert child.tag in CHILDREN[el.tag], (el.tag, child.tag)
        _check(child)


def test_junit_keeps_to_the_jenkins_schema(junit: Path) -> None:
    root = ET.parse(junit).getroot()
    assert root.tag == "testsuites"
    _check(root)


def test_property_names_are_unique_and_hostname_is_a_host(junit: Path) -> None:
    for suite in ET.parse(junit).getroot().iter("testsuite"):
        names = [p.get("name") for p in suite.iter("property")]
        assert len(names) == len(set(names)), [n for n in names if names.count(n) > 1]
        host = suite.get("hostname")
        assert host is not None and "/" not in host and ":" not in host, host
    consent = next(s for s in ET.parse(junit).getroot().iter("testsuite") if s.get("name") == "consent@23Q4.1")
    props = {p.get("name"): p.get("value") for p in consent.iter("property")}
    assert props["option.read_only"] == "yes" and props["option.timeout_ms"] == "15000"
    assert props["waiver.1"].startswith("waiver (active, expires 2024-06-30): content_type_json")
    assert consent.get("hostname") == "127.0.0.1" and props["target"] == "http://127.0.0.1:8001/consent"


def test_junitparser_reads_what_we_wrote(junit: Path) -> None:
    xml = JUnitXml.fromfile(str(junit))
    suites = {s.name: s for s in xml}
    assert list(suites) == ["consent@23Q4.1", "digital-registries@23Q4", "information-mediator@23Q4"]
    reg = suites["digital-registries@23Q4"]
    assert (reg.tests, reg.failures, reg.errors, reg.skipped) == (6, 4, 1, 0)
    kinds: dict[str, int] = {}
    for case in reg:
        for result in case.result:
            kinds[type(result).__name__] = kinds.get(type(result).__name__, 0) + 1
            assert isinstance(result, (Failure, Error, Skipped))
    assert kinds == {"Failure": 4, "Error": 1}
    props = {p.name: p.value for p in reg.properties()}
    assert props["seed"] == "1234" and len(props) == len(list(reg.properties()))


def _many(copies: int) -> tuple[object, object]:
    """The fixture's results with each BB's cases repeated `copies` times (ids kept distinct)."""
    import dataclasses

    from govstack_conform.assessment.compliance import assess

    base = fx.build()
    bbs = tuple(
        dataclasses.replace(
            bb,
            cases=tuple(
                dataclasses.replace(c, case_id=f"{c.case_id}-{n}", name=f"{c.name}-{n}")
                for n in range(copies)
                for c in bb.cases
            ),
        )
        for bb in base.results
    )
    results = dataclasses.replace(base, results=bbs)
    return results, assess(results)


def test_writing_holds_no_testcase_tree() -> None:
    """The XML is written a testcase at a time: what writing needs at its peak does not grow with the cases
    (as one tree, every testcase's elements were held until the end: about 1 KB a case)."""
    import gc
    import tracemalloc

    from govstack_conform.report.formats.junit import JUnitFormat

    class Sink:
        def __init__(self) -> None:
            self.size = 0

        def write(self, data: bytes) -> int:
            self.size += len(data)
            return len(data)

    peaks, sizes = [], []
    for copies in (20, 80):
        results, compliance = _many(copies)
        gc.collect()
        tracemalloc.start()
        sink = Sink()
        JUnitFormat().write(results, compliance, sink)  # type: ignore[arg-type]
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        sizes.append(sink.size)
    grown = (peaks[1] - peaks[0]) / (sizes[1] - sizes[0])
    assert grown < 0.05, f"{peaks} bytes at the peak for {sizes} bytes written"
    results, compliance = _many(3)
    written = JUnitFormat().render(results, compliance)
    assert written.count(b"<testcase ") == sum(len(bb.cases) for bb in results.results)
