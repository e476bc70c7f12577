"""Coverage is part of every verdict (issue 17 items 4 and 5), through the real CLI against real servers.

- A read-only run of the conformant pets product checks only its reads: every place that states a verdict
  says "partially checked" with the figure and lists what was not checked, never a plain "conformant" or
  a plain "Level 2".
- A product that breaks the connection on one operation leaves cases unjudged: the BB is "incomplete",
  never conformant, and the run exits 4 unless `--allow-incomplete` is given.
"""

from __future__ import annotations

import http.server
import json
import socket
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import PETS_SPEC, TOKEN, pets_app, raw_server, serve
from test_false_positives import answer
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.exitcodes import ExitCode


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", "--quiet", *args])
    return result.exit_code, result.output


def _bb(out: Path) -> dict[str, Any]:
    (bb,) = json.loads((out / "results.json").read_text())["compliance"]["building_blocks"]
    return dict(bb)


@pytest.fixture(scope="module")
def read_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, Path]]:
    root = tmp_path_factory.mktemp("partial")
    spec = root / "pets.yaml"
    spec.write_text(PETS_SPEC)
    with serve(pets_app()) as url, pytest.MonkeyPatch.context() as mp:
        mp.setenv("PETS_TOKEN", TOKEN)
        code, output = _run(
            "--spec", str(spec), "--target", url, "--token", "env:PETS_TOKEN", "--read-only",
            "--out", str(root / "out"), "--report", "all",
        )  # fmt: skip
    yield code, output, root / "out"


def test_a_partial_check_is_never_plainly_conformant(read_only: tuple[int, str, Path]) -> None:
    code, output, out = read_only
    assert code == ExitCode.OK, output  # nothing failed: the gate passes, the words say partial
    bb = _bb(out)
    assert bb["verdict"] == "partially checked" and bb["conformant"] is False
    cover = bb["coverage"]
    # of five operations only the list was checked: the writes were not sent, and reading one pet by a
    # generated id proves nothing (404 for an id the product need not know)
    assert cover["checked"] == 1 and cover["operations"] == 5
    why = {u["operation"]: (u["verdict"], u["reason"]) for u in cover["not_checked"]}
    writes = {"POST /pets", "PUT /pets/{petId}", "DELETE /pets/{petId}"}
    assert set(why) == {*writes, "GET /pets/{petId}"}
    assert all(why[w] == ("skipped", "not sent: --read-only sends only GET, HEAD, OPTIONS requests") for w in writes)
    assert why["GET /pets/{petId}"][0] == "untestable" and why["GET /pets/{petId}"][1].startswith("every valid request")
    assert bb["verdict_text"] == "partially checked (checked 1 of 5 operations)"
    assert bb["api_level"] == 1 and bb["api_level_text"] == "Level 1 (partial: checked 1 of 5 operations)"


def test_every_place_that_states_the_verdict_states_the_coverage(read_only: tuple[int, str, Path]) -> None:
    _, output, out = read_only
    bb = _bb(out)
    words, level = bb["verdict_text"], bb["api_level_text"]
    assert f"custom@local: {words};" in output  # terminal
    md = (out / "summary.md").read_text()
    assert f"| {words} | {level} |" in md and "partially checked ⚠️" in md
    assert "- POST /pets: skipped: not sent: --read-only sends only GET, HEAD, OPTIONS requests" in md
    html = (out / "report.html").read_text()
    assert f'<span class="banner partial">{words}</span>' in html
    assert "conformant</span>" not in html.replace("not conformant</span>", "")
    assert "Operations not checked (4 of 5)" in html and f"<b>{level}</b>" in html
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    assert suite is not None
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["verdict"] == words and props["operations_checked"] == "1 of 5" and props["api_level_text"] == level
    assert (
        props["not_checked:DELETE /pets/{petId}"]
        == "skipped: not sent: --read-only sends only GET, HEAD, OPTIONS requests"
    )
    features = [
        json.loads(x)["gherkinDocument"]["feature"]["description"]
        for x in (out / "cucumber.ndjson").read_text().splitlines()
        if '"gherkinDocument"' in x
    ]
    # stated once, in the BB's first feature (the platform stores the upload as one document)
    assert features and f"verdict: {words}; API level: {level}" in features[0]
    assert sum(f"verdict: {words}" in d for d in features) == 1
    form = json.loads((out / "compliance-form.json").read_text())
    (details,) = form["bbDetails"].values()
    interface = details["interfaceCompliance"]
    assert interface["levelText"] == level and interface["operationsChecked"] == {"checked": 1, "of": 5}
    assert f"Verdict: {words}." in interface["testHarnessResult"]
    assert "Not checked: POST /pets (skipped: not sent: --read-only" in interface["testHarnessResult"]


SPEC = """\
openapi: 3.0.3
info: {title: Broken connection, version: "1"}
components:
  responses:
    Ok:
      description: ok
      content:
        application/json:
          schema: {type: object}
paths:
  /reset:
    get:
      responses:
        '200': {$ref: '#/components/responses/Ok'}
  /quick:
    get:
      responses:
        '200': {$ref: '#/components/responses/Ok'}
"""


def _breaks_one(h: http.server.BaseHTTPRequestHandler) -> None:
    if h.path.split("?")[0] == "/reset" and h.command == "GET":
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)  # mid-run, after the target proved reachable
        return
    if h.command not in ("GET", "HEAD"):
        answer(h, 405, b"", None, (("Allow", "GET"),))
    else:
        answer(h, 200, b"{}")


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("incomplete")
    spec = root / "broken.yaml"
    spec.write_text(SPEC)
    with raw_server(_breaks_one) as url:
        yield url, spec


def test_cases_that_could_not_be_judged_make_the_bb_incomplete(broken: tuple[str, Path], tmp_path: Path) -> None:
    url, spec = broken
    code, output = _run("--spec", str(spec), "--target", url, "--out", str(tmp_path))
    assert code == ExitCode.INCOMPLETE, output
    assert "failed: custom@local: incomplete: " in output and "cases could not be judged" in output
    bb = _bb(tmp_path)
    assert bb["verdict"] == "incomplete" and bb["conformant"] is False
    assert bb["cases"]["error"] > 0 and bb["cases"]["failed"] == 0
    assert bb["operation_verdicts"]["GET /reset"] == "error"
    assert any(u["operation"] == "GET /reset" and u["verdict"] == "error" for u in bb["coverage"]["not_checked"])


def test_allow_incomplete_relaxes_the_gate_but_not_the_words(broken: tuple[str, Path], tmp_path: Path) -> None:
    url, spec = broken
    code, output = _run("--spec", str(spec), "--target", url, "--out", str(tmp_path), "--allow-incomplete")
    assert code == ExitCode.OK, output
    assert "tolerated: custom@local: incomplete: " in output and "(--allow-incomplete)" in output
    assert _bb(tmp_path)["verdict"] == "incomplete"
