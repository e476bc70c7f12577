"""Reaching a product through a forwarding proxy: `--proxy`, HTTP(S)_PROXY and NO_PROXY, CONNECT for https,
the OAuth2 token request on the same route, and a proxy's credentials never written anywhere.

Everything runs for real on 127.0.0.1: the product (a Starlette app, or raw servers), and a small asyncio
forwarding proxy (tests/proxy_server.py) that records what it received.
"""

from __future__ import annotations

import base64
import http.server
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from hostile_servers import CONTROL_SPEC, tls_server
from proxy_server import forward_proxy
from servers import PETS_SPEC, TOKEN, pets_app, raw_server, serve
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.engine.proxy import Proxy

PROXY_USER, PROXY_PASSWORD = "proxyuser", "pr0xy-S3CRET-81d"
PROXY_PAIR = base64.b64encode(f"{PROXY_USER}:{PROXY_PASSWORD}".encode()).decode()


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test states the proxy environment it runs in."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.setenv("PETS_TOKEN", TOKEN)


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["run", *args, "--quiet"])
    return result.exit_code, result.stdout + result.stderr


def verdicts(out: Path) -> dict[str, str]:
    data = json.loads((out / "results.json").read_text())
    return {c["case_id"]: c["verdict"] for bb in data["results"] for c in bb["cases"]}


def sent(out: Path) -> list[str]:
    data = json.loads((out / "results.json").read_text())
    return [e["request"]["url"] for bb in data["results"] for c in bb["cases"] for e in c["exchanges"]]


@pytest.fixture(scope="module")
def pets(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    spec = tmp_path_factory.mktemp("pets") / "pets.yaml"
    spec.write_text(PETS_SPEC)
    with serve(pets_app()) as url:
        yield url, spec


def test_http_through_the_proxy_gives_the_same_verdicts_as_direct(pets: tuple[str, Path], tmp_path: Path) -> None:
    url, spec = pets
    common = ("--spec", str(spec), "--target", url, "--token", "env:PETS_TOKEN", "--concurrency", "2")
    code, text = invoke(*common, "--out", str(tmp_path / "direct"))
    assert code == 0, text
    with forward_proxy() as (proxy, log):
        code, text = invoke(*common, "--out", str(tmp_path / "proxied"), "--proxy", proxy)
    assert code == 0, text
    assert verdicts(tmp_path / "proxied") == verdicts(tmp_path / "direct")
    # Every request went to the proxy, in absolute form, and nothing else did.
    urls = sent(tmp_path / "proxied")
    assert urls and sorted(log.targets()) == sorted(urls)
    assert all(t.startswith(url + "/") for t in log.targets())
    recorded = json.loads((tmp_path / "proxied" / "results.json").read_text())["options"]["proxy"]
    assert recorded == {
        "from": "--proxy", "http": proxy, "https": proxy, "authenticated": False, "no_proxy": [],
    }  # fmt: skip


def test_the_environment_proxy_is_used_and_no_proxy_bypasses_it(
    pets: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, spec = pets
    common = ("--spec", str(spec), "--target", url, "--token", "env:PETS_TOKEN", "--read-only")
    with forward_proxy() as (proxy, log):
        monkeypatch.setenv("HTTP_PROXY", proxy)
        code, text = invoke(*common, "--out", str(tmp_path / "env"))
        assert code == 0, text
        through = len(log.requests)
        assert through == len(sent(tmp_path / "env")) > 0
        monkeypatch.setenv("NO_PROXY", "example.org, 127.0.0.1")
        code, text = invoke(*common, "--out", str(tmp_path / "bypassed"))
        assert code == 0, text
        assert len(log.requests) == through  # nothing more went through the proxy
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")  # --proxy does not override NO_PROXY either
        code, text = invoke(*common, "--out", str(tmp_path / "explicit"), "--proxy", proxy)
        assert code == 0, text
        assert len(log.requests) == through
    assert verdicts(tmp_path / "bypassed") == verdicts(tmp_path / "env")


def test_https_goes_through_a_connect_tunnel_and_tls_stays_verified(
    tls: tuple[str, Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, ca_file, spec = tls
    authority = url.removeprefix("https://")
    with forward_proxy() as (proxy, log):
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        code, text = invoke("--spec", str(spec), "--target", url, "--out", str(tmp_path / "untrusted"))
        assert code == 3 and "not trusted" in text and "--ca-bundle" in text  # verified inside the tunnel
        assert log.targets() == [authority]  # the pre-flight check's tunnel, and nothing sent
        code, text = invoke(
            "--spec", str(spec), "--target", url, "--ca-bundle", str(ca_file), "--out", str(tmp_path / "ok")
        )
    assert code == 0, text
    assert set(verdicts(tmp_path / "ok").values()) == {"passed"}
    assert {m for m, _ in log.requests} == {"CONNECT"} and set(log.targets()) == {authority}
    assert len(log.targets()) >= 3  # the two pre-flight checks and at least one worker's tunnel


def test_a_client_certificate_is_presented_inside_the_tunnel(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ca = trustme.CA()
    ca_file, cert_file, key_file = tmp_path / "ca.pem", tmp_path / "client.pem", tmp_path / "client.key"
    ca.cert_pem.write_to_path(str(ca_file))
    client = ca.issue_cert("conformance@example.org")
    client.cert_chain_pems[0].write_to_path(str(cert_file))
    client.private_key_pem.write_to_path(str(key_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    ca.configure_trust(ctx)
    ctx.verify_mode = ssl.CERT_REQUIRED  # no client certificate, no answer
    spec = tmp_path / "control.yaml"
    spec.write_text(CONTROL_SPEC)
    with tls_server(ctx) as url, forward_proxy() as (proxy, log):
        monkeypatch.setenv("HTTPS_PROXY", proxy)
        code, text = invoke(
            "--spec", str(spec), "--target", url, "--ca-bundle", str(ca_file), "--client-cert", str(cert_file),
            "--client-key", str(key_file), "--out", str(tmp_path / "out"),
        )  # fmt: skip
    assert code == 0, text
    assert set(verdicts(tmp_path / "out").values()) == {"passed"} and log.targets("CONNECT")


def _echo_headers(h: http.server.BaseHTTPRequestHandler) -> None:
    """A product that quotes every request header back in its body (what a debug endpoint does)."""
    body = json.dumps({k: v for k, v in h.headers.items()}).encode()
    h.send_response(200)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)


def test_a_proxys_credentials_are_sent_and_never_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    spec = tmp_path / "echo.yaml"
    spec.write_text(CONTROL_SPEC.replace("{type: object}", "{type: array}"))  # the echo fails: its body is kept
    out, evidence = tmp_path / "out", tmp_path / "evidence"
    with raw_server(_echo_headers) as url, forward_proxy((PROXY_USER, PROXY_PASSWORD), leaky=True) as (proxy, log):
        monkeypatch.setenv("CORP_PROXY", proxy.replace("://", f"://{PROXY_USER}:{PROXY_PASSWORD}@"))
        result = CliRunner().invoke(
            app,
            ["run", "--spec", str(spec), "--target", url, "--proxy", "env:CORP_PROXY", "--out", str(out),
             "--report", "all", "--evidence", str(evidence)],
        )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert log.refused == 0 and log.requests  # the credentials were given to the proxy
    data = json.loads((out / "results.json").read_text())
    echoed = [e["response"]["body"] or "" for c in data["results"][0]["cases"] for e in c["exchanges"]]
    assert any("Proxy-Authorization" in b for b in echoed)  # the leaky proxy passed it on, the product echoed it
    assert data["options"]["proxy"]["authenticated"] is True and data["options"]["proxy"]["http"] == proxy
    written = [p.read_bytes() for p in [*out.rglob("*"), *evidence.rglob("*")] if p.is_file()]
    written.append((result.stdout + result.stderr + "".join(capfd.readouterr())).encode())
    assert len(written) > 5
    for blob in written:
        assert PROXY_PASSWORD.encode() not in blob and PROXY_PAIR.encode() not in blob


def test_a_proxy_that_wants_credentials_is_never_the_products_fault(
    tls: tuple[str, Path, Path], tmp_path: Path
) -> None:
    spec = tmp_path / "echo.yaml"
    spec.write_text(CONTROL_SPEC)
    url, ca_file, tls_spec = tls
    with raw_server(_echo_headers) as plain, forward_proxy((PROXY_USER, PROXY_PASSWORD)) as (proxy, log):
        code, text = invoke(
            "--spec", str(tls_spec), "--target", url, "--ca-bundle", str(ca_file), "--proxy", proxy,
            "--out", str(tmp_path / "tls"),
        )  # fmt: skip
        assert code == 3, text
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) == 1 and "407" in lines[0] and "wants credentials" in lines[0]
        code, text = invoke("--spec", str(spec), "--target", plain, "--proxy", proxy, "--out", str(tmp_path / "plain"))
    assert log.refused >= 2 and not log.requests
    assert code == 3 and "the target answered no request" in text  # never "not conformant"
    data = json.loads((tmp_path / "plain" / "results.json").read_text())
    cases = data["results"][0]["cases"]
    assert cases and all(c["verdict"] == "error" and "wants credentials (407)" in c["reason"] for c in cases)


def test_the_oauth2_token_request_takes_the_same_route(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The target and the token endpoint are on one server, under two names: NO_PROXY picks which goes direct."""
    secured = CONTROL_SPEC.replace("paths:", "security: [{bearer: []}]\ncomponents:\n  securitySchemes:\n"
                                   "    bearer: {type: http, scheme: bearer}\npaths:")  # fmt: skip
    secured = secured.replace(
        "'405': {description: not allowed}", "'401': {description: no}\n        '405': {description: not allowed}"
    )
    spec = tmp_path / "secured.yaml"
    spec.write_text(secured)
    monkeypatch.setenv("CLIENT_SECRET", "cs-SECRET-proxy-3")

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        body = json.dumps({"access_token": "at-SECRET-p", "expires_in": 3600} if h.path == "/token" else {}).encode()
        ok = h.path == "/token" or h.headers.get("Authorization") == "Bearer at-SECRET-p"
        h.send_response(200 if ok else 401)
        h.send_header("Content-Type", "application/json")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    with raw_server(handler) as url, forward_proxy() as (proxy, log):
        port = url.rsplit(":", 1)[1]
        monkeypatch.setenv("HTTP_PROXY", proxy)
        oauth = ("--oauth2-token-url", f"http://127.0.0.1:{port}/token", "--client-id", "app",
                 "--client-secret", "env:CLIENT_SECRET", "--read-only")  # fmt: skip
        for bypass in ("localhost", "127.0.0.1"):
            monkeypatch.setenv("NO_PROXY", bypass)
            code, text = invoke("--spec", str(spec), "--target", f"http://localhost:{port}", *oauth,
                                "--out", str(tmp_path / bypass))  # fmt: skip
            assert code == 0, text
    via = log.targets()
    token = [t for t in via if t.endswith("/token")]
    product = [t for t in via if t.startswith("http://localhost:")]
    assert token == [f"http://127.0.0.1:{port}/token"]  # NO_PROXY=localhost: only the token request went through
    assert product and len(product) == len(via) - 1  # NO_PROXY=127.0.0.1: only the product's requests did


@pytest.mark.parametrize(
    ("no_proxy", "url", "bypassed"),
    [
        ("*", "https://anything.example:8443/x", True),
        ("example.org", "http://example.org/x", True),
        ("example.org", "http://api.example.org/x", True),
        (".example.org", "http://api.example.org/x", True),
        ("example.org", "http://badexample.org/x", False),
        ("10.0.0.0/8", "http://10.2.3.4:8080/x", True),
        ("10.0.0.0/8", "http://11.2.3.4:8080/x", False),
        ("127.0.0.1", "http://127.0.0.1:9/x", True),
        ("host.internal:8443", "https://host.internal:8443/", True),
        ("host.internal:8443", "https://host.internal/", False),
        ("::1", "http://[::1]:8080/x", True),
        ("", "http://127.0.0.1/x", False),
    ],
)
def test_no_proxy_rules(no_proxy: str, url: str, bypassed: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("HTTPS_PROXY", "proxy.internal:3129")  # a bare HOST:PORT means http://
    monkeypatch.setenv("NO_PROXY", no_proxy)
    route = Proxy.from_settings(None).route(url)
    assert (route is None) is bypassed
    if route is not None:
        assert route.url == f"http://proxy.internal:{3129 if url.startswith('https') else 3128}"


def test_bad_proxy_settings_are_one_line_before_anything_is_sent(
    pets: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, spec = pets
    code, text = invoke("--spec", str(spec), "--target", url, "--proxy", "socks5://127.0.0.1:1080")
    assert code == 2 and "socks5:// proxies are not supported" in text and len(text.strip().splitlines()) == 1
    monkeypatch.setenv("ALL_PROXY", "socks5://127.0.0.1:1080")
    code, text = invoke("--spec", str(spec), "--target", url)
    assert code == 2 and "ALL_PROXY" in text
    monkeypatch.delenv("ALL_PROXY")
    code, text = invoke("--spec", str(spec), "--target", url, "--proxy", "http://127.0.0.1:1")
    assert code == 3 and "the proxy http://127.0.0.1:1 refused the connection" in text
    (tmp_path / "govstack-conform.toml").write_text(f'[defaults]\ntarget = "{url}"\nproxy = "http://u:pw@p:3128"\n')
    code, text = invoke("--spec", str(spec), "--config", str(tmp_path / "govstack-conform.toml"))
    assert code == 2 and "proxy" in text and "env:VAR" in text and "u:pw" not in text
