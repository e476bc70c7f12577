"""No secret in any byte the tool writes, whatever the candidate echoes back.

One `run` per kind of credential (bearer, API key in a header and in the query under a secret and a
plain name, basic, OAuth2 client credentials with a local token endpoint, a client certificate's key,
secret-named extra headers, an `env:` header of a plain name, a header marked with --secret-header,
'Authorization: Bearer X' given as a header), against a product that repeats every value it receives,
and each word of it alone, in every encoding of ENCODINGS, in bodies, headers, redirects and errors.
Every report format, the journal and an evidence bundle are written; then every file, stdout, stderr
and every log record is scanned for every secret in every encoding of SCANNED.
"""

from __future__ import annotations

import base64
import html
import json
import logging
import re
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qsl, quote, quote_plus

import pytest
import trustme
from hostile_servers import Request, Writer, head, json_answer, serve_routes
from typer.testing import CliRunner

from govstack_conform.cli import app

# Secrets with the characters that change under each encoding: / and + (percent, base64), space (%20 vs +),
# " and \\ (JSON, quoted-string, repr), < > ' & (HTML), = and & (query strings).
BEARER = "bearer-SECRET/1111+aa"
API_KEY = 'apikey-SECRET"2222\\bb'
API_KEY_Q = "keyCANARY2/x+y z&k=v"
PASSWORD = "basic-SECRET<4444>'dd"
CLIENT_SECRET = "client-SECRET-5555ee/+"
ACCESS_TOKEN = "access-SECRET-6666ff"
HEADER_SECRET = "hdr-SECRET-7777gg"
X_AUTH = "xauth-SECRET-8888hh"
X_PASSWORD = "xpass-SECRET-9999ii"
X_API_PASS = "xapipass-SECRET-1010jj"
PLAIN_ENV = "plainenv-SECRET-1212kk"
MARKED = "marked-SECRET-1313ll"
BEARER_HDR = "bearerhdr-SECRET-1414mm"
BASIC = base64.b64encode(f"ann:{PASSWORD}".encode()).decode()
CLIENT_BASIC = base64.b64encode(f"app:{CLIENT_SECRET}".encode()).decode()
ENV = {"S_BEARER": BEARER, "S_KEY": API_KEY, "S_KEYQ": API_KEY_Q, "S_PW": PASSWORD, "S_CS": CLIENT_SECRET,
       "S_HDR": HEADER_SECRET, "S_PLAIN": PLAIN_ENV, "S_MARKED": MARKED, "S_BEARER_HDR": f"Bearer {BEARER_HDR}",
       "S_CR": "crtoken-SECRET-1515nn\r"}  # fmt: skip

# How a product (or a format) may write a value: each echoed by the product, each looked for in every byte.
ENCODINGS: dict[str, Callable[[str], str]] = {
    "raw": lambda s: s,
    "percent": lambda s: quote(s, safe=""),
    "percent, lower-case hex": lambda s: re.sub("%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(s, safe="")),
    "percent, slash kept": lambda s: quote(s),
    "form (+ for space)": lambda s: quote_plus(s),
    "base64": lambda s: base64.b64encode(s.encode()).decode(),
    "base64url": lambda s: base64.urlsafe_b64encode(s.encode()).decode(),
    "JSON string": lambda s: json.dumps(s)[1:-1],
    "JSON string, slash escaped": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"),
    "HTML": lambda s: html.escape(s),
    "quoted-string": lambda s: s.replace("\\", "\\\\").replace('"', '\\"'),
    "Python repr": lambda s: repr(s)[1:-1],
    "bytes repr": lambda s: repr(s.encode())[2:-1],
}
# Only looked for: what a second round of escaping or a careless cleanup leaves of a value.
SCANNED = {
    **ENCODINGS,
    "JSON string twice": lambda s: json.dumps(json.dumps(s)[1:-1])[1:-1],
    "letters and digits only": lambda s: re.sub(r"[^A-Za-z0-9]", "", s),
}


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


def _values(req: Request) -> list[str]:
    """Every value the request carried (headers, query, body), and each word of each on its own
    (what a product quoting only the credential of 'Bearer X' says)."""
    target = req.target.partition("?")[2]
    values = [v for _, v in req.headers] + [v for _, v in parse_qsl(target)] + [target, req.body.decode()]
    return [x for v in values if v for x in dict.fromkeys([v, *v.split()])]


def _echoes(req: Request) -> list[str]:
    return [encode(v) for v in _values(req) for encode in ENCODINGS.values()]


async def echo_app(req: Request, w: Writer) -> bool:
    echoes = _echoes(req)
    auth = next((v for n, v in req.headers if n.lower() == "authorization"), "")
    credential = auth.partition(" ")[2]
    headers = [(f"X-Echo-{i}", v) for i, v in enumerate(_values(req)[:40]) if "\n" not in v and "\r" not in v]
    headers += [
        ("Set-Cookie", f"session={credential}"),
        ("WWW-Authenticate", f'Bearer error_description="{credential}"'),
    ]
    if req.path == "/token":
        ok = auth == f"Basic {CLIENT_BASIC}"
        body = {"access_token": ACCESS_TOKEN, "expires_in": 3600} if ok else {"error": f"bad client {auth}"}
        w.write(json_answer(json.dumps(body).encode(), 200 if ok else 401))
    elif req.path == "/boom":  # a plain-text crash report quoting every value raw, one per line
        text = "\n".join(["crashed handling:", *echoes]).encode("utf-8", "surrogateescape")
        w.write(head(500, [("Content-Type", "text/plain"), ("Content-Length", str(len(text))), *headers]) + text)
    elif req.path == "/away":
        location = "http://127.0.0.1:1/login?" + "&".join(f"v{i}={quote(e, safe='')}" for i, e in enumerate(echoes))
        w.write(json_answer(b"{}", 302, [("Location", location[:6000])]))
    elif req.method == "POST":
        errors = [f"invalid token: {credential}", *echoes]
        w.write(json_answer(json.dumps({"errors": errors}).encode(), 400, headers))
    else:
        w.write(json_answer(json.dumps({"a": echoes}).encode(), 200, headers))
    return True


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("secrets") / "echo.yaml"
    path.write_text(SPEC)
    return path


SEEN: list[Request] = []  # every request the plain echo product received


@pytest.fixture(scope="module")
def plain() -> Iterator[str]:
    with serve_routes({p: echo_app for p in ("/echo", "/boom", "/away", "/things", "/token")}, SEEN) as url:
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


SECRETS = [BEARER, API_KEY, API_KEY_Q, PASSWORD, CLIENT_SECRET, ACCESS_TOKEN, HEADER_SECRET, BASIC, CLIENT_BASIC,
           f"ann:{PASSWORD}", X_AUTH, X_PASSWORD, X_API_PASS, PLAIN_ENV, MARKED, BEARER_HDR, ENV["S_CR"]]  # fmt: skip


def _scan(where: str, data: bytes, secrets: list[str]) -> list[str]:
    found = []
    for s in secrets:
        for how, encode in SCANNED.items():
            form = encode(s)
            if len(form) >= 8 and form.encode() in data:
                found.append(f"{s!r} ({how}) in {where}")
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
    "api-key-query-plain-name": ["--api-key", "env:S_KEYQ", "--api-key-in", "query", "--api-key-name", "access"],
    "secret-header": ["--header", f"X-Session-Token: {HEADER_SECRET}"],
    "secret-named-headers": ["--header", f"X-Authorization: {X_AUTH}", "--header", f"X-Password: {X_PASSWORD}",
                             "--header", f"X-Api-Pass: {X_API_PASS}"],
    "env-header-plain-name": ["--header", "X-Plain: env:S_PLAIN"],
    "marked-header": ["--header", f"X-Tenant: {MARKED}", "--secret-header", "x-tenant"],
    "authorization-header": ["--header", f"Authorization: Bearer {BEARER_HDR}"],
    "authorization-header-env": ["--header", "Authorization: env:S_BEARER_HDR", "--api-key", "env:S_KEY"],
}  # fmt: skip


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


def test_a_credential_with_a_control_character_is_refused_before_anything_is_sent(
    spec: Path, plain: str, tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for option in (["--token", "env:S_CR"], ["--header", "X-Api-Token: env:S_CR"], ["--basic", "ann:env:S_CR"]):
        before = len(SEEN)
        code = run_and_scan(["--spec", str(spec), "--target", plain, *option], tmp_path, caplog, [])
        assert code == 2, option
        assert len(SEEN) == before, f"{option}: {len(SEEN) - before} requests sent"
        assert list(tmp_path.iterdir()) == [], option  # nothing written


def test_the_refusal_names_the_character_not_the_value(
    spec: Path, plain: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["run", "--spec", str(spec), "--target", plain, "--token", "env:S_CR"], env=ENV)
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert "control character" in lines[0] and "\\r" in lines[0] and "crtoken" not in lines[0], lines[0]
