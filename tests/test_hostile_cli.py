"""Hostile products through the real `run` command: TLS they cannot prove, and text that attacks readers.

Candidate text carrying `<script>`, `javascript:` links and ANSI escapes is escaped in HTML and
Markdown, never reaches the terminal raw, and is kept verbatim only in the JSON results and the HAR.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from browser import chromium
from hostile_servers import ANSI, HostileServer, hostile_server, spec_for
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from govstack_conform.cli import app


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, ["run", *args])
    return result.exit_code, result.stdout, result.stderr


def test_untrusted_tls_is_refused_at_preflight_with_one_line_saying_what_to_do(
    tls: tuple[str, Path, Path], tmp_path: Path
) -> None:
    url, _, spec = tls
    code, stdout, stderr = invoke("--spec", str(spec), "--target", url, "--out", str(tmp_path), "--quiet")
    assert code == 3, stdout + stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("govstack-conform: error: ")
    assert "not trusted" in lines[0] and "--ca-bundle FILE" in lines[0]
    assert "Traceback" not in stdout + stderr
    assert not (tmp_path / "results.json").exists()  # nothing was sent, nothing claimed


def test_untrusted_tls_is_accepted_with_its_ca_bundle(tls: tuple[str, Path, Path], tmp_path: Path) -> None:
    url, ca_file, spec = tls
    code, stdout, stderr = invoke(
        "--spec", str(spec), "--target", url, "--out", str(tmp_path), "--quiet", "--ca-bundle", str(ca_file)
    )
    assert code == 0, stdout + stderr
    data = json.loads((tmp_path / "results.json").read_text())
    cases = data["results"][0]["cases"]
    assert cases and all(c["verdict"] == "passed" for c in cases)
    assert data["options"]["tls_verified"] is True and data["options"]["ca_bundle"] == str(ca_file)


EVIL_PATHS = ("/control", "/evil", "/evil-value", "/evil-redirect", "/ctl-headers")


@pytest.fixture(scope="module")
def evil_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, str, str, int]]:
    folder = tmp_path_factory.mktemp("evil")
    spec = folder / "evil.yaml"
    spec.write_text(spec_for(list(EVIL_PATHS)))
    out, evidence = folder / "out", folder / "evidence"
    server: HostileServer
    with hostile_server() as server:
        code, stdout, stderr = invoke(
            "--spec", str(spec), "--target", server.url, "--out", str(out), "--report", "all",
            "--evidence", str(evidence), "--timeout", "5",
        )  # fmt: skip
    yield out, evidence, stdout, stderr, code


def test_the_run_reports_the_evil_product_non_conformant(evil_run: tuple[Path, Path, str, str, int]) -> None:
    out, _, stdout, stderr, code = evil_run
    assert code == 1, stdout + stderr
    data = json.loads((out / "results.json").read_text())
    ops = {o["key"]: o["verdict"] for o in data["results"][0]["operations"]}
    assert ops["GET /control"] == "passed"
    assert ops["GET /evil"] == ops["GET /evil-value"] == ops["GET /evil-redirect"] == "failed"


def test_the_terminal_never_gets_raw_escapes(evil_run: tuple[Path, Path, str, str, int]) -> None:
    _, _, stdout, stderr, _ = evil_run
    for text in (stdout, stderr):
        assert "\x1b" not in text and "\x07" not in text and "\x00" not in text


def test_html_and_markdown_escape_what_the_candidate_sent(evil_run: tuple[Path, Path, str, str, int]) -> None:
    out = evil_run[0]
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and 'href="javascript:' not in html and "\x1b" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html  # shown as text, not run
    assert "\\x1b[31mRED" in html  # escapes made visible
    md = (out / "summary.md").read_text(encoding="utf-8")
    assert "\x1b" not in md and "](javascript:" not in md
    shown = MarkdownIt("commonmark", {"html": True}).enable("table").render(md)  # as GitHub renders it
    assert "<script" not in shown and 'href="javascript:' not in shown and "&lt;script&gt;" in shown


def test_junit_is_well_formed_xml_without_control_characters(evil_run: tuple[Path, Path, str, str, int]) -> None:
    out = evil_run[0]
    (junit,) = out.glob("*.xml")
    raw = junit.read_bytes()
    assert b"\x1b" not in raw
    ET.fromstring(raw)  # parses: nothing the candidate sent broke the document


def test_json_and_har_keep_the_answer_verbatim(evil_run: tuple[Path, Path, str, str, int]) -> None:
    out, evidence = evil_run[0], evil_run[1]
    data = json.loads((out / "results.json").read_text())
    evil = next(c for c in data["results"][0]["cases"] if c["operation"] == "GET /evil" and c["exchanges"])
    body = evil["exchanges"][0]["response"]["body"]
    assert "<script>alert('x')</script>" in body and ANSI.replace("\x07", "") in body.replace("\x07", "")
    har = json.loads((evidence / "exchanges.har").read_text())
    texts = [e["response"]["content"].get("text", "") for e in har["log"]["entries"]]
    assert any("<script>alert('x')</script>" in t and "\x1b[31m" in t for t in texts)


def test_chromium_renders_the_evil_report_inert(evil_run: tuple[Path, Path, str, str, int], tmp_path: Path) -> None:
    report = evil_run[0] / "report.html"
    dom = chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", report.as_uri())
    assert "<script" not in dom and not re.search(r"<a\b[^>]*javascript:", dom)  # no element was made
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in dom  # the text is there, as text


def test_error_lines_show_control_characters_instead_of_obeying_them(capsys: pytest.CaptureFixture[str]) -> None:
    from govstack_conform.cli.common import fail
    from govstack_conform.exitcodes import ExitCode

    exit_ = fail("the product said \x1b[2J\x1b[31mRED\x1b[0m\nand more", ExitCode.UNUSABLE)
    assert exit_.exit_code == 3
    err = capsys.readouterr().err
    assert "\x1b" not in err and "\\x1b[31mRED" in err and len(err.strip().splitlines()) == 1
