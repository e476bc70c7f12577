"""The runner's HTTP behaviour against raw servers: caps, timeouts, broken connections, URLs, rate limit."""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest
from servers import raw_server

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import PathMap, RunOptions
from govstack_conform.engine.results import Outcome, Verdict
from govstack_conform.engine.run.runner import UrlBuilder
from govstack_conform.engine.run.session import Target, run
from govstack_conform.errors import TargetError, UsageError

SPEC = """\
openapi: 3.0.3
info: {title: Raw, version: "1"}
paths:
  /things/{thingId}:
    get:
      parameters:
        - {name: thingId, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object}
"""


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("raw") / "raw.yaml"
    path.write_text(SPEC)
    return load_spec_files([str(path)])


def case(thing: str = "a b/c", query: tuple[tuple[str, str], ...] = (), n: int = 0) -> Case:
    req = RequestPlan("GET", "/things/{thingId}", path_params=(("thingId", thing),), query=query, auth=Auth.VALID)
    step = Step("request", "GET /things/{thingId}", req, Expect.SUCCESS)
    return Case(f"raw::get::{n}", "custom", "local", "GET /things/{thingId}", None, CaseKind.POSITIVE, f"get-{n}",
                "a read", (step,), tags=("fixture",))  # fmt: skip


def answer(status: int, body: bytes, ctype: str = "application/json", delay: float = 0.0):  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        seen.append(h.path)
        if delay:
            time.sleep(delay)
        h.send_response(status)
        h.send_header("Content-Type", ctype)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    return handler, seen


def test_a_body_over_the_cap_is_a_finding_not_a_crash(contract: Contract) -> None:
    big = b'{"pad": "' + b"x" * 200_000 + b'"}'
    handler, _ = answer(200, big)
    with raw_server(handler) as url:
        results = run([Target(contract, url, cases=(case(),))], RunOptions(body_cap=4096))
    result = results.results[0].cases[0]
    finding = [k for k in result.checks if k.check == "response_within_size_cap"]
    assert finding and finding[0].outcome is Outcome.FAILED and "exceeds size cap" in finding[0].message
    schema = [k for k in result.checks if k.check == "response_schema_valid"]
    assert schema[0].outcome is Outcome.UNTESTABLE  # never judged on a cut body, and never a silent pass
    assert result.verdict is Verdict.UNTESTABLE and "size cap" in (result.reason or "")
    response = result.exchanges[0].response
    assert response is not None and response.body_truncated and len(response.body or "") <= 4096


def test_an_answer_later_than_the_timeout_is_the_candidates_failure(contract: Contract) -> None:
    """Issue 17 item 4: a product that takes the request and does not answer in time is not conformant."""
    handler, _ = answer(200, b"{}", delay=2.0)
    with raw_server(handler) as url:
        results = run([Target(contract, url, cases=(case(),))], RunOptions(timeout_s=0.3))
    result = results.results[0].cases[0]
    assert result.verdict is Verdict.FAILED and result.reason == "failed: answered_within_timeout"
    assert any(k.check == "answered_within_timeout" and "0.3 s" in k.message for k in result.checks)
    assert results.results[0].operations[0].verdict is Verdict.FAILED


def test_a_dropped_connection_is_an_error(contract: Contract) -> None:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        h.close_connection = True
        h.connection.shutdown(2)

    with raw_server(handler) as url:
        results = run([Target(contract, url, cases=(case(),))], RunOptions())
    assert results.results[0].cases[0].verdict is Verdict.ERROR


def test_prefix_path_map_and_encoding(contract: Contract) -> None:
    handler, seen = answer(200, b"{}")
    maps = PathMap((("/things/{thingId}", "/api/v2/items/{thingId}/view"),))
    with raw_server(handler) as url:
        run([Target(contract, url + "/gateway/", cases=(case("a b/c", (("q", "x&y=z"),)),))], RunOptions(path_map=maps))
    assert seen == ["/gateway/api/v2/items/a%20b%2Fc/view?q=x%26y%3Dz"]


def test_path_map_prefix_rules_and_literal_query() -> None:
    urls = UrlBuilder("http://127.0.0.1:9/base", PathMap((("/config", "/v1/cfg"),)))
    assert urls.url("/config/policy/{id}", {"id": "é"}) == "http://127.0.0.1:9/base/v1/cfg/policy/%C3%A9"
    assert urls.url("/configs", {}) == "http://127.0.0.1:9/base/configs"  # not a segment boundary
    # a spec that writes a query into its path key: kept, unless it names a declared parameter
    assert urls.url("/b?command=validate", {}, (("x", "1"),)) == "http://127.0.0.1:9/base/b?command=validate&x=1"
    assert urls.url("/e?language=L", {}, (), frozenset({"language"})) == "http://127.0.0.1:9/base/e"
    with pytest.raises(UsageError):
        UrlBuilder("ftp://host/", PathMap())


def test_api_key_in_query_is_redacted_in_the_record(contract: Contract) -> None:
    handler, seen = answer(500, b"{}")
    creds = Credentials(api_key="q-SECRET-998877", api_key_name="api_key", api_key_in="query")
    with raw_server(handler) as url:
        results = run([Target(contract, url, cases=(case(),))], RunOptions(credentials=creds))
    assert seen[0].endswith("api_key=q-SECRET-998877")
    recorded = results.results[0].cases[0].exchanges[0].request.url
    assert "q-SECRET" not in recorded and "api_key=[REDACTED]" in recorded


def test_rate_limit_spaces_requests(contract: Contract) -> None:
    handler, seen = answer(200, b"{}")
    cases = tuple(case(str(n), n=n) for n in range(6))
    with raw_server(handler) as url:
        start = time.perf_counter()
        run([Target(contract, url, cases=cases)], RunOptions(rate_limit=20, concurrency=4))
        took = time.perf_counter() - start
    assert len(seen) == 6
    assert took >= 5 / 20 * 0.9  # six requests at 20/s need at least five intervals


def test_retries_only_when_asked(contract: Contract) -> None:
    """A connection refused is retried --retries times; the server comes up in between."""
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    url = f"http://127.0.0.1:{port}"
    no_retry = run([Target(contract, url, cases=(case(),))], RunOptions(), check_target=False)
    assert no_retry.results[0].cases[0].verdict is Verdict.ERROR
    assert "connection failed" in (no_retry.results[0].cases[0].reason or "")

    served: list[str] = []

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            served.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: object) -> None:
            pass

    httpd: list[http.server.HTTPServer] = []

    def late_start() -> None:
        time.sleep(0.25)
        httpd.append(http.server.HTTPServer(("127.0.0.1", port), H))
        httpd[0].serve_forever()

    thread = threading.Thread(target=late_start, daemon=True)
    thread.start()
    try:
        later = run([Target(contract, url, cases=(case(),))], RunOptions(retries=6), check_target=False)
    finally:
        while not httpd:
            time.sleep(0.05)
        httpd[0].shutdown()
        httpd[0].server_close()
    assert later.results[0].cases[0].verdict is Verdict.PASSED
    assert len(served) == 1


def test_unreachable_target_is_one_line_target_error(contract: Contract, tmp_path: Path) -> None:
    with pytest.raises(TargetError, match="refused the connection"):
        run([Target(contract, "http://127.0.0.1:1", cases=(case(),))], RunOptions())
