"""Every failure replayable: the curl command in the reports sends the request the run sent, byte for byte,
and holds no secret (the credential is a $VARIABLE the reader sets).

A real Starlette product that fails every request (500) records what it receives; each command from
results.json is run by bash with real curl, and the product must receive the same request again.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest
from servers import PETS_SPEC, TOKEN, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from govstack_conform.assessment.compliance import assess
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import RecordedRequest, RunResults
from govstack_conform.engine.run.session import Target, run
from govstack_conform.report.evidence.curl import curl, quoted, variable
from govstack_conform.report.formats.base import FORMATS

SEEN: list[tuple[str, str, dict[str, str], bytes]] = []
CURL = shutil.which("curl")


async def _record(request: Request) -> JSONResponse:
    raw = (
        request.scope["raw_path"].decode()
        + (b"?" + request.scope["query_string"] if request.scope["query_string"] else b"").decode()
    )
    SEEN.append((request.method, raw, {k.lower(): v for k, v in request.headers.items()}, await request.body()))
    return JSONResponse({"message": "it broke"}, status_code=500)


def failing_app() -> Starlette:
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    return Starlette(routes=[Route("/{path:path}", _record, methods=methods)])


@pytest.fixture(scope="module")
def product() -> Iterator[str]:
    with serve(failing_app()) as url:
        yield url


@pytest.fixture(scope="module")
def results(product: str, tmp_path_factory: pytest.TempPathFactory) -> RunResults:
    path = tmp_path_factory.mktemp("curl") / "pets.yaml"
    path.write_text(PETS_SPEC)
    contract = load_spec_files([str(path)])
    options = RunOptions(credentials=Credentials(bearer=TOKEN), concurrency=1, headers=(("X-Trace", "it's a test"),))
    SEEN.clear()
    return run([Target(contract, product)], options)


def _document(results: RunResults) -> dict:  # type: ignore[type-arg]
    data: dict = json.loads(FORMATS["json"].render(results, assess(results)))  # type: ignore[type-arg]
    return data


_COMPARED = ("authorization", "content-type", "x-trace", "accept")


def _request(seen: tuple[str, str, dict[str, str], bytes]) -> tuple[str, str, tuple[str | None, ...], bytes]:
    method, target, headers, body = seen
    return method, target, tuple(headers.get(h) for h in _COMPARED), body


def _anonymous(request: tuple[str, str, tuple[str | None, ...], bytes]) -> tuple[object, ...]:
    method, target, headers, body = request
    return method, target, headers[1:], body


def test_each_failed_case_replays_byte_for_byte_with_real_curl(results: RunResults) -> None:
    if CURL is None:
        pytest.fail("curl is not installed (Debian package: curl; .ci/run installs it)")
    data = _document(results)
    cases = [c for c in data["results"][0]["cases"] if c["verdict"] == "failed"]
    assert len(cases) > 20 and all("curl" in c for c in cases)
    sent = [_request(s) for s in SEEN]
    # one case of each kind and shape: bodies, malformed bodies, query parameters, path parameters
    chosen = {}
    for c in cases:
        first = c["exchanges"][0]["request"]
        chosen[(c["kind"], first["body"] is not None, "?" in first["url"])] = c
    assert len(chosen) >= 8 and any(query for _, _, query in chosen)
    for case in chosen.values():
        for replay in case["curl"]:
            SEEN.clear()
            env = {"PATH": os.environ["PATH"], "AUTHORIZATION": f"Bearer {TOKEN}"}
            if case["kind"] == "security":
                env["AUTHORIZATION"] = "Bearer wrong"
            done = subprocess.run(["bash", "-c", replay["command"]], env=env, capture_output=True, timeout=30)
            assert done.returncode == 0, done.stderr
            assert b"HTTP/1.1 500" in done.stdout
            (again,) = SEEN
            if case["kind"] == "security":  # sent with no or deliberately wrong credentials: compared without them
                assert _anonymous(_request(again)) in [_anonymous(x) for x in sent], case["case_id"]
                continue
            assert _request(again) in sent, (case["case_id"], replay["command"])


def test_no_secret_in_any_command_or_report(results: RunResults) -> None:
    data = _document(results)
    commands = [r for b in data["results"] for c in b["cases"] for r in c.get("curl", ())]
    assert commands
    with_auth = [r for r in commands if "Authorization" in r["command"]]
    assert with_auth and all(
        '"$AUTHORIZATION"' in r["command"] and "AUTHORIZATION" in r["variables"] for r in with_auth
    )
    compliance = assess(results)
    for fmt in FORMATS.values():
        text = fmt.render(results, compliance).decode()
        assert TOKEN not in text, fmt.name
    assert "$AUTHORIZATION" in FORMATS["md"].render(results, compliance).decode()
    assert "$AUTHORIZATION" in FORMATS["html"].render(results, compliance).decode()
    assert "$AUTHORIZATION" in FORMATS["junit"].render(results, compliance).decode()


def test_secrets_are_variables_even_in_an_unredacted_record() -> None:
    request = RecordedRequest(
        "POST",
        "https://bob:pw-123@h.test/a?api_key=k-456&q=it's",
        (("Authorization", "Bearer t-789"), ("X-Api-Key", "k-456"), ("Host", "h.test"), ("Content-Length", "9")),
        '{"a":"b\'c"}',
    )
    r = curl(request, insecure=True)
    for secret in ("pw-123", "k-456", "t-789", "bob"):
        assert secret not in r.command
    assert set(r.variables) == {"URL_USERINFO", "API_KEY", "AUTHORIZATION", "X_API_KEY"}
    assert "--insecure" in r.command and "Host:" not in r.command and "Content-Length" not in r.command
    env = {"URL_USERINFO": "u:p", "API_KEY": "K", "AUTHORIZATION": "Bearer T", "X_API_KEY": "K2"}
    argv = subprocess.run(
        ["bash", "-c", "printf '%s\\n' " + r.command.split(" ", 1)[1].replace("\\\n", "")],
        env={**env, "PATH": os.environ["PATH"]}, capture_output=True, text=True, check=True,
    ).stdout.splitlines()  # fmt: skip
    assert "https://u:p@h.test/a?api_key=K&q=it's" in argv
    assert "Authorization: Bearer T" in argv and "X-Api-Key: K2" in argv and '{"a":"b\'c"}' in argv


def test_names_and_quoting() -> None:
    assert variable("X-Api-Key") == "X_API_KEY" and variable("9lives") == "SECRET_9LIVES"
    assert quoted("it's") == "'it'\\''s'"
    assert curl(RecordedRequest("HEAD", "http://h/x", ())).command.startswith(
        "curl -sS -i --globoff --path-as-is --head"
    )


def test_the_wrong_credentials_case_says_so(results: RunResults) -> None:
    data = _document(results)
    wrong = [
        r for c in data["results"][0]["cases"] if c["kind"] == CaseKind.SECURITY.value
        and c["name"] == "security-wrong-credentials" for r in c.get("curl", ())
    ]  # fmt: skip
    assert wrong and all("deliberately wrong credentials" in (r["note"] or "") for r in wrong)
