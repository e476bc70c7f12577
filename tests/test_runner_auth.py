"""Credentials on the wire: bearer, API key, basic, OAuth2 client credentials (with refresh), mutual TLS;
and what no / wrong credentials look like. Real servers on 127.0.0.1 see exactly what was sent."""

from __future__ import annotations

import base64
import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from servers import raw_server

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.credentials import Credentials, resolve_secret
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import Verdict, to_dict
from govstack_conform.engine.run.auth import Authenticator
from govstack_conform.engine.run.session import Target, run
from govstack_conform.errors import ConfigError, TargetError
from govstack_conform.redact import REDACTED, Redactor

SPEC = """\
openapi: 3.0.3
info: {title: Secured, version: "1"}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Partner-Key}
    basic: {type: http, scheme: basic}
paths:
  /k:
    get:
      security: [{key: []}]
      responses:
        '200': {description: ok}
        '401': {description: no}
  /b:
    get:
      security: [{basic: []}]
      responses:
        '200': {description: ok}
        '401': {description: no}
"""


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("sec") / "sec.yaml"
    path.write_text(SPEC)
    return load_spec_files([str(path)])


def one(path: str, auth: Auth = Auth.VALID, expect: Expect = Expect.SUCCESS, n: int = 0) -> Case:
    kind = CaseKind.POSITIVE if auth is Auth.VALID else CaseKind.SECURITY
    step = Step("request", f"GET {path}", RequestPlan("GET", path, auth=auth), expect)
    return Case(f"sec::{path}::{auth.value}::{n}", "custom", "local", f"GET {path}", None, kind, f"c{n}", "d", (step,))


def recorder() -> tuple[Any, list[dict[str, str]]]:
    seen: list[dict[str, str]] = []

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        seen.append({"path": h.path, **{k.lower(): v for k, v in h.headers.items()}})
        h.send_response(200)
        h.send_header("Content-Length", "0")
        h.end_headers()

    return handler, seen


def test_api_key_named_by_the_spec_and_wrong_and_none(contract: Contract) -> None:
    handler, seen = recorder()
    creds = Credentials(api_key="pk-REAL-1234567890")
    cases = (
        one("/k", n=1),
        one("/k", Auth.WRONG, Expect.AUTH_REFUSED, 2),
        one("/k", Auth.NONE, Expect.AUTH_REFUSED, 3),
    )
    with raw_server(handler) as url:
        run([Target(contract, url, cases=cases)], RunOptions(credentials=creds, concurrency=1))
    valid, wrong, none = seen
    assert valid["x-partner-key"] == "pk-REAL-1234567890"
    assert wrong["x-partner-key"] != "pk-REAL-1234567890" and len(wrong["x-partner-key"]) == len("pk-REAL-1234567890")
    assert "x-partner-key" not in none and "authorization" not in none


def test_basic_auth_and_wrong_basic(contract: Contract) -> None:
    handler, seen = recorder()
    creds = Credentials(basic_user="ann", basic_password="pw-SECRET-42")
    with raw_server(handler) as url:
        results = run(
            [Target(contract, url, cases=(one("/b", n=1), one("/b", Auth.WRONG, Expect.AUTH_REFUSED, 2)))],
            RunOptions(credentials=creds, concurrency=1),
        )
    assert seen[0]["authorization"] == "Basic " + base64.b64encode(b"ann:pw-SECRET-42").decode()
    assert seen[1]["authorization"].startswith("Basic ") and seen[1]["authorization"] != seen[0]["authorization"]
    text = json.dumps(to_dict(results))
    assert "pw-SECRET-42" not in text and base64.b64encode(b"ann:pw-SECRET-42").decode() not in text
    # the product let wrong credentials in: a failure, with the wrong credential itself redacted
    security = results.results[0].cases[1]
    assert security.verdict is Verdict.FAILED
    assert ("Authorization", REDACTED) in security.exchanges[0].request.headers


def test_oauth2_client_credentials_fetched_and_refreshed_on_401(contract: Contract) -> None:
    state = {"issued": 0, "current": ""}
    lock = threading.Lock()
    calls: list[str] = []

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        with lock:
            if h.path == "/token":
                assert h.headers["Authorization"] == "Basic " + base64.b64encode(b"app:cs-SECRET-7").decode()
                state["issued"] += 1
                state["current"] = f"at-SECRET-{state['issued']}"
                body = json.dumps({"access_token": state["current"], "expires_in": 3600}).encode()
                status = 200
            else:
                calls.append(h.headers.get("Authorization", ""))
                ok = h.headers.get("Authorization") == f"Bearer {state['current']}" and len(calls) != 2
                if len(calls) == 2:  # the server rotates its keys: the token held is no longer good
                    state["current"] = "revoked"
                status, body = (200, b"{}") if ok else (401, b"{}")
        h.send_response(status)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    with raw_server(handler) as url:
        creds = Credentials(oauth2_token_url=url + "/token", client_id="app", client_secret="cs-SECRET-7")
        cases = tuple(one("/k", n=n) for n in range(3))
        results = run([Target(contract, url, cases=cases)], RunOptions(credentials=creds, concurrency=1))
    assert state["issued"] == 2
    assert calls[:3] == ["Bearer at-SECRET-1", "Bearer at-SECRET-1", "Bearer at-SECRET-2"]
    assert [c.verdict for c in results.results[0].cases] == [Verdict.PASSED] * 3
    assert "SECRET" not in json.dumps(to_dict(results))


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path, Path]]:
    """An HTTPS server on 127.0.0.1 that requires a client certificate from the test CA."""
    ca = trustme.CA()
    server_cert = ca.issue_cert("127.0.0.1")
    client_cert = ca.issue_cert("client@example.org")
    folder = tmp_path_factory.mktemp("tls")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "client.pem", folder / "client.key"
    ca.cert_pem.write_to_path(str(ca_file))
    client_cert.cert_chain_pems[0].write_to_path(str(cert_file))
    client_cert.private_key_pem.write_to_path(str(key_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_cert.configure_cert(ctx)
    ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}", ca_file, cert_file, key_file
    httpd.shutdown()
    httpd.server_close()


def test_mutual_tls_with_ca_bundle(contract: Contract, tls_server: tuple[str, Path, Path, Path]) -> None:
    url, ca_file, cert_file, key_file = tls_server
    creds = Credentials(client_cert=str(cert_file), client_key=str(key_file))
    ok = run([Target(contract, url, cases=(one("/k"),))], RunOptions(credentials=creds, ca_bundle=str(ca_file)))
    assert ok.results[0].cases[0].verdict is Verdict.PASSED
    assert ok.options["tls_verified"] is True and ok.options["auth"]["client_certificate"] is True
    # without our CA the server certificate is not trusted: refused before anything is sent, saying what to do
    with pytest.raises(TargetError, match=r"not trusted.*--ca-bundle"):
        run([Target(contract, url, cases=(one("/k"),))], RunOptions(credentials=creds))
    untrusted = run([Target(contract, url, cases=(one("/k"),))], RunOptions(credentials=creds), check_target=False)
    assert untrusted.results[0].cases[0].verdict is Verdict.ERROR
    # --insecure skips verification and the results say so
    insecure = run([Target(contract, url, cases=(one("/k"),))], RunOptions(credentials=creds, insecure=True))
    assert insecure.results[0].cases[0].verdict is Verdict.PASSED and insecure.options["insecure"] is True
    # without the client certificate the server refuses the handshake
    anonymous = run([Target(contract, url, cases=(one("/k"),))], RunOptions(ca_bundle=str(ca_file)))
    assert anonymous.results[0].cases[0].verdict is Verdict.ERROR


def test_env_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GC_TEST_TOKEN", "from-env-123")
    assert resolve_secret("env:GC_TEST_TOKEN", "--token") == "from-env-123"
    assert resolve_secret("literal", "--token") == "literal"
    monkeypatch.delenv("GC_TEST_TOKEN")
    with pytest.raises(ConfigError, match="GC_TEST_TOKEN is not set"):
        Credentials.from_options(token="env:GC_TEST_TOKEN")
    monkeypatch.setenv("GC_PW", "pw")
    assert Credentials.from_options(basic="user:env:GC_PW").basic_password == "pw"
    with pytest.raises(ConfigError):
        Credentials.from_options(basic="no-colon")
    with pytest.raises(ConfigError):
        Credentials(oauth2_token_url="http://127.0.0.1/token")


def test_wrong_credentials_follow_the_spec_when_none_are_configured(contract: Contract) -> None:
    auth = Authenticator(Credentials(), contract.security_schemes)
    key_op, basic_op = contract.operation("GET /k"), contract.operation("GET /b")
    assert [n for n, _ in auth.static(key_op, Auth.WRONG).headers] == ["X-Partner-Key"]
    assert auth.static(basic_op, Auth.WRONG).headers[0][1].startswith("Basic ")
    assert auth.static(key_op, Auth.NONE).headers == ()
    assert auth.static(key_op, Auth.VALID).headers == ()


def test_redactor() -> None:
    r = Redactor(["s3cret-value"])
    assert r.text("a s3cret-value b") == f"a {REDACTED} b"
    assert r.headers([("X-Api-Key", "v"), ("Cookie", "c"), ("Accept", "s3cret-value")]) == (
        ("X-Api-Key", REDACTED), ("Cookie", REDACTED), ("Accept", REDACTED),
    )  # fmt: skip
    assert r.url("http://u:p@h/x?access_token=abc&q=1") == f"http://{REDACTED}@h/x?access_token={REDACTED}&q=1"
