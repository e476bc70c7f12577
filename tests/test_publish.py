"""Publishing to a local stand-in of the GovStack compliance platform that checks the upload contract."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import report_fixture as fx
import typer
import yaml
from typer.testing import CliRunner

from govstack_conform.assessment.compliance import assess
from govstack_conform.cli import report as cli_report
from govstack_conform.engine.results import write_json
from govstack_conform.report.publish import PublishError, publish
from govstack_conform.report.redact import redact_results

KEY = "platform-key-9f8e7d"
FIELDS = {"buildingBlock", "testSuite", "testApp", "sourceBranch", "version"}


class Platform(BaseHTTPRequestHandler):
    uploads: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.path != "/report/upload":
            return self._answer(404, {"error": "no such endpoint"})
        if self.headers.get("x-api-key") != KEY:  # echo it back: the client must not print it
            return self._answer(401, {"error": f"bad key {self.headers.get('x-api-key')}"})
        ctype = self.headers.get("Content-Type", "")
        if not ctype.startswith("multipart/form-data; boundary="):
            return self._answer(400, {"error": "not multipart"})
        msg = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for part in msg.iter_parts():
            name = part.get_param("name", header="content-disposition")
            filename = part.get_param("filename", header="content-disposition")
            payload = part.get_payload(decode=True)
            if filename:
                files[name] = (filename, payload)
            else:
                fields[name] = payload.decode()
        problems = []
        if set(fields) != FIELDS:
            problems.append(f"fields {sorted(fields)}")
        if "report" not in files or set(files) - {"report", "META"}:
            problems.append(f"files {sorted(files)}")
        try:
            counts = fx.platform_counts(files["report"][1].decode())
            meta = yaml.safe_load(files["META"][1]) if "META" in files else None
        except Exception as exc:
            problems.append(f"unparseable: {exc}")
        if problems:
            return self._answer(400, {"success": False, "details": problems})
        Platform.uploads.append({"fields": fields, "counts": counts, "meta": meta, "raw": body})
        self._answer(201, {"success": True})


@pytest.fixture(scope="module")
def platform() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Platform)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _clear() -> None:
    Platform.uploads.clear()


def test_one_upload_per_bb_with_the_contract_fields(platform: str) -> None:
    results = fx.build()
    done = publish(results, platform, KEY, "AcmeRegistry", "main", "2.3.1")
    assert [u.building_block for u in done] == ["bb-consent", "bb-digital-registries", "bb-information-mediator"]
    assert [u.status for u in done] == [201, 201, 201]
    assert [up["fields"]["buildingBlock"] for up in Platform.uploads] == [u.building_block for u in done]
    for up in Platform.uploads:
        assert up["fields"]["testSuite"] == "govstack-conform" and up["fields"]["testApp"] == "AcmeRegistry"
        assert up["fields"]["sourceBranch"] == "main" and up["fields"]["version"] == "2.3.1"
        assert up["meta"] == {"name": "Acme Registry <b>Suite</b>"}
    # The platform's own grouping shows the same pass/fail counts as our report.
    compliance = assess(redact_results(results))
    for up, bbc in zip(Platform.uploads, compliance.bbs, strict=True):
        passed = sum(p for p, _ in up["counts"].values())
        failed = sum(f for _, f in up["counts"].values())
        n = bbc.case_counts
        assert (passed, failed) == (n["passed"], n["failed"] + n["not-implemented"] + n["error"])
        if passed + failed:
            assert 100.0 * passed / (passed + failed) == pytest.approx(bbc.case_pass_rate)
    assert Platform.uploads[1]["counts"][("GET", "/data/{registryname}/{versionnumber}/read")] == (0, 2)
    assert all(fx.SECRET.encode() not in up["raw"] for up in Platform.uploads)


def test_options_test_suite_and_product_name(platform: str) -> None:
    publish(fx.build(), platform + "/report/upload", KEY, "app", "dev", "1", test_suite="nightly", product_name="Acme")
    assert {up["fields"]["testSuite"] for up in Platform.uploads} == {"nightly"}
    assert {up["meta"]["name"] for up in Platform.uploads} == {"Acme"}


def test_refusal_is_an_error_that_never_shows_the_key(platform: str) -> None:
    with pytest.raises(PublishError) as info:
        publish(fx.build(), platform, KEY + "-wrong", "app", "main", "1")
    assert "HTTP 401" in str(info.value) and KEY not in str(info.value)
    assert "[REDACTED]" in str(info.value)


def test_unreachable_platform(tmp_path: Path) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    with pytest.raises(PublishError, match="failed"):
        publish(fx.build(), f"http://127.0.0.1:{port}", KEY, "app", "main", "1")


def _root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _cb() -> None:
        pass

    cli_report.register(root)
    return root


def test_cli_reads_the_key_from_the_environment_and_never_prints_it(
    platform: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_json(fx.build(), tmp_path / "results.json")
    monkeypatch.setenv("GC_PLATFORM_KEY", KEY)
    args = [
        "publish",
        str(path),
        "--url",
        platform,
        "--api-key",
        "env:GC_PLATFORM_KEY",
        "--test-app",
        "Acme",
        "--branch",
        "main",
        "--version",
        "2.3.1",
    ]
    r = CliRunner().invoke(_root(), args)
    assert r.exit_code == 0, r.output
    assert "uploaded digital-registries@23Q4 as bb-digital-registries: HTTP 201, 1 passed, 5 failed" in r.output
    assert KEY not in r.output and len(Platform.uploads) == 3
    monkeypatch.setenv("GC_PLATFORM_KEY", KEY + "-wrong")
    r = CliRunner().invoke(_root(), args)
    assert r.exit_code == 3 and KEY not in r.output and "401" in r.output
    r = CliRunner().invoke(_root(), [*args[:5], KEY, *args[6:]])  # a literal key is refused
    assert r.exit_code == 2 and "env:" in r.output and KEY not in r.output
    monkeypatch.delenv("GC_PLATFORM_KEY")
    r = CliRunner().invoke(_root(), args)
    assert r.exit_code == 2 and "GC_PLATFORM_KEY is not set" in r.output
