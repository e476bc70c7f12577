"""No secret in any byte the tool writes, whatever the candidate echoes back.

One `run` per kind of credential (bearer, API key in a header and in the query, basic, OAuth2 client
credentials with a local token endpoint, a client certificate's key, a secret-named extra header),
against a server that repeats every credential it receives in bodies, headers, redirects and errors.
Every report format and an evidence bundle are written; then every file, stdout, stderr and every log
record is scanned for the secrets.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import ssl
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
import trustme
from hostile_servers import Request, Writer, json_answer, serve_routes
from typer.testing import CliRunner

from govstack_conform.cli import app

BEARER = "bearer-SECRET-1111aa"
API_KEY = "apikey-SECRET-2222bb"
API_KEY_Q = "apikeyq-SECRET-3333cc"
PASSWORD = "basic-SECRET-4444dd"
CLIENT_SECRET = "client-SECRET-5555ee"
ACCESS_TOKEN = "access-SECRET-6666ff"
HEADER_SECRET = "hdr-SECRET-7777gg"
BASIC = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
CLIENT_BASIC = base64.b64encode(f"app:{CLIENT_SECRET}".encode()).decode()
ENV = {"S_BEARER": BEARER, "S_KEY": API_KEY, "S_KEYQ": API_KEY_Q, "S_PW": PASSWORD, "S_CS": CLIENT_SECRET,
       "S_HDR": HEADER_SECRET}  # fmt: skip

SPEC = """\
openapi: 3.0.3
info: {title: Echo, version: "1"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
    key: {type: apiKey, in: header, name: X-Api-Key}
    basic: {type: http, scheme: basic}
  schemas:
    Thing:
      type: object
      properties:
        a: {type: integer}
security: [{bearer: []}, {key: []}, {basic: []}]
paths:
  /echo:
    get:
      parameters:
        - {name: q, in: query, schema: {type: string}}
      responses:
        '200':
          description: echoes what it got, in a field that breaks the schema (so it is quoted in the finding)
          content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}
        '401': {description: no}
  /boom:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        '401': {description: no}
  /away:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        '401': {description: no}
  /things:
    post:
      requestBody:
        required: true
        content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}
      responses:
        '201': {description: made, content: {application/json: {schema: {$ref: '#/components/schemas/Thing'}}}}
        '400': {description: bad}
        '401': {description: no}
"""


def _everything(req: Request) -> str:
    """All the request said, credentials included, as one string."""
    query = dict(parse_qsl(req.target.partition("?")[2]))
    return json.dumps({"headers": req.headers, "query": query, "target": req.target, "body": req.body.decode()})


async def echo_app(req: Request, w: Writer) -> bool:
    said = _everything(req)
    auth = next((v for n, v in req.headers if n.lower() == "authorization"), "")
    echo_headers = [("X-Echo-Auth", auth), ("Set-Cookie", f"session={auth}"), ("X-Echo-All", said[:4000])]
    if req.path == "/token":
        ok = auth == f"Basic {CLIENT_BASIC}"
        body = {"access_token": ACCESS_TOKEN, "expires_in": 3600} if ok else {"error": f"bad client {auth}"}
        w.write(json_answer(json.dumps(body).encode(), 200 if ok else 401))
    elif req.path == "/boom":
        w.write(json_answer(json.dumps({"error": f"crashed handling {said}"}).encode(), 500, echo_headers))
    elif req.path == "/away":
        location = f"http://127.0.0.1:1/login?token={auth}&all={said[:500]}"
        w.write(json_answer(b"{}", 302, [("Location", location.replace("\r", "").replace("\n", ""))]))
    elif req.method == "POST":
        w.write(json_answer(json.dumps({"a": said}).encode(), 400, echo_headers))
    else:
        w.write(json_answer(json.dumps({"a": said}).encode(), 200, echo_headers))
    return True


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "echo.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module")
def plain() -> Iterator[str]:
    with serve_routes({p: echo_app for p in ("/echo", "/boom", "/away", "/things", "/token")}, []) as url:
        yield url


@pytest.fixture(scope="module")
def mtls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path, Path, str]]:
    folder = tmp_path_factory.mktemp("mtls")
    ca = trustme.CA()
    client = ca.issue_cert("client@example.org")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "client.pem", folder / "client.key"
    ca.cert_pem.write_to_path(str(ca_file))
    client.cert_chain_pems[0].write_to_path(str(cert_file))
    client.private_key_pem.write_to_path(str(key_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED
    key_lines = [line for line in key_file.read_text().splitlines() if line and not line.startswith("-----")]
    key_marker = max(key_lines, key=len)  # a long piece of the private key itself
    with serve_routes({p: echo_app for p in ("/echo", "/boom", "/away", "/things")}, [], ctx) as url:
        yield url, ca_file, cert_file, key_file, key_marker


SECRETS = [BEARER, API_KEY, API_KEY_Q, PASSWORD, CLIENT_SECRET, ACCESS_TOKEN, HEADER_SECRET, BASIC, CLIENT_BASIC]


def _scan(where: str, data: bytes, secrets: list[str]) -> list[str]:
    found = []
    for s in secrets:
        for form in {s, s.replace("/", "\\/"), re.sub(r"[^A-Za-z0-9]", "", s)}:
            if len(form) >= 8 and form.encode() in data:
                found.append(f"{s!r} in {where}")
    return found


def run_and_scan(args: list[str], tmp_path: Path, caplog: pytest.LogCaptureFixture, extra: list[str]) -> int:
    out, evidence = tmp_path / "out", tmp_path / "evidence"
    caplog.set_level(logging.DEBUG)
    result = CliRunner().invoke(
        app,
        ["run", *args, "--out", str(out), "--report", "all", "--evidence", str(evidence), "--quiet"],
        env=ENV,
    )
    leaks = _scan("stdout", result.stdout.encode(), SECRETS + extra)
    leaks += _scan("stderr", result.stderr.encode(), SECRETS + extra)
    leaks += _scan("logging", "\n".join(r.getMessage() for r in caplog.records).encode(), SECRETS + extra)
    files = [p for d in (out, evidence) if d.exists() for p in d.rglob("*") if p.is_file()]
    for p in files:
        leaks += _scan(str(p.relative_to(tmp_path)), p.read_bytes(), SECRETS + extra)
    assert not leaks, leaks
    names = {p.name for p in files}
    if result.exit_code in (0, 1):  # the run happened: every format and the bundle were written and scanned
        assert {"results.json", "report.html", "summary.md", "exchanges.har", ".run-journal.ndjson"} <= names, names
    return result.exit_code


MODES = {
    "bearer": ["--token", "env:S_BEARER"],
    "api-key-header": ["--api-key", "env:S_KEY", "--api-key-in", "header"],
    "api-key-query": ["--api-key", "env:S_KEYQ", "--api-key-in", "query", "--api-key-name", "api_key"],
    "basic": ["--basic", "ann:env:S_PW"],
    "secret-header": ["--header", f"X-Session-Token: {HEADER_SECRET}"],
}


@pytest.mark.parametrize("mode", sorted(MODES))
def test_no_secret_anywhere(
    mode: str, spec: Path, plain: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    code = run_and_scan(["--spec", str(spec), "--target", plain, *MODES[mode]], tmp_path, caplog, [])
    assert code == 1  # the echo product is not conformant: the failures were reported, with evidence


def test_no_oauth2_secret_or_token_anywhere(
    spec: Path, plain: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    args = ["--spec", str(spec), "--target", plain, "--oauth2-token-url", plain + "/token", "--client-id", "app",
            "--client-secret", "env:S_CS"]  # fmt: skip
    assert run_and_scan(args, tmp_path, caplog, []) == 1


def test_a_refused_oauth2_client_leaks_nothing_in_the_error(
    spec: Path, plain: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    args = ["--spec", str(spec), "--target", plain, "--oauth2-token-url", plain + "/token", "--client-id", "other",
            "--client-secret", "env:S_CS"]  # fmt: skip
    assert run_and_scan(args, tmp_path, caplog, []) == 2  # a configuration error, said in one line


def test_no_client_key_anywhere(
    spec: Path, mtls: tuple[str, Path, Path, Path, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, ca_file, cert_file, key_file, key_marker = mtls
    args = ["--spec", str(spec), "--target", url, "--ca-bundle", str(ca_file), "--client-cert", str(cert_file),
            "--client-key", str(key_file), "--token", "env:S_BEARER"]  # fmt: skip
    assert run_and_scan(args, tmp_path, caplog, [key_marker]) == 1
