"""The OAuth2 token endpoint is as untrusted as the product: its answer is capped, inflated only up to the
cap and held to the same whole-exchange deadline (--timeout), so a hostile one ends the run in one line.

Each endpoint runs on 127.0.0.1 (tests/hostile_servers.py); the product itself is a correct one.
"""

from __future__ import annotations

import asyncio
import gc
import json
import tracemalloc
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_servers import Request, Writer, control, head, json_answer, serve_routes, spec_for
from test_properties_badinput import no_hang
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.engine.options import DEFAULT_BODY_CAP

INFLATED = 40 * DEFAULT_BODY_CAP  # what the bomb inflates to: far over the cap, small enough to survive without it


async def token_bomb(req: Request, w: Writer) -> bool:
    w.write(head(200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip"), ("Connection", "close")]))
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    w.write(z.compress(b'{"access_token": "tok", "pad": "'))
    block = b"0" * (1024 * 1024)
    for _ in range(INFLATED // len(block)):
        w.write(z.compress(block))
        await w.drain()
    w.write(z.compress(b'"}') + z.flush())
    return False


async def token_drip(req: Request, w: Writer) -> bool:
    """Headers at once, then a body that never ends, one byte every 0.2 s (each read is quick, the whole is not)."""
    w.write(head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]))
    w.write(b"1\r\n{\r\n")
    while True:
        await asyncio.sleep(0.2)
        w.write(b"1\r\n \r\n")
        await w.drain()


async def token_ok(req: Request, w: Writer) -> bool:
    w.write(json_answer(json.dumps({"access_token": "tok-ok", "expires_in": 3600}).encode()))
    return True


SEEN: list[Request] = []


@pytest.fixture(scope="module")
def urls() -> Iterator[str]:
    routes = {"/control": control, "/bomb": token_bomb, "/drip": token_drip, "/ok": token_ok}
    with serve_routes(routes, SEEN) as url:
        yield url


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("token") / "control.yaml"
    path.write_text(spec_for(["/control"]))
    return path


def run(spec: Path, url: str, token_path: str, tmp_path: Path, *extra: str) -> tuple[int, str]:
    args = ["run", "--spec", str(spec), "--target", url, "--out", str(tmp_path / "out"), "--quiet",
            "--oauth2-token-url", url + token_path, "--client-id", "app", "--client-secret", "s3", *extra]  # fmt: skip
    with no_hang(60):
        result = CliRunner().invoke(app, args)
    return result.exit_code, result.stderr


def test_a_token_answer_inflating_past_the_cap_is_refused_with_bounded_memory(
    spec: Path, urls: str, tmp_path: Path
) -> None:
    gc.collect()
    tracemalloc.start()
    try:
        code, stderr = run(spec, urls, "/bomb", tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert code == 2, stderr
    assert "larger than the 10240 KiB body cap" in stderr, stderr
    assert peak < 3 * DEFAULT_BODY_CAP, f"{peak / 2**20:.0f} MiB at the peak"


def test_a_dripping_token_endpoint_is_held_to_the_deadline(spec: Path, urls: str, tmp_path: Path) -> None:
    code, stderr = run(spec, urls, "/drip", tmp_path, "--timeout", "1")
    assert code == 2, stderr
    assert "no whole answer within 1 s" in stderr, stderr


def test_a_sane_token_endpoint_still_works(spec: Path, urls: str, tmp_path: Path) -> None:
    before = len(SEEN)
    code, stderr = run(spec, urls, "/ok", tmp_path)
    assert code == 0, stderr
    sent = SEEN[before:]
    token = [r for r in sent if r.path == "/ok"]
    assert len(token) == 1 and _header(token[0], "accept-encoding") == "gzip, deflate"  # codings we can cap
    assert any(_header(r, "authorization") == "Bearer tok-ok" for r in sent if r.path == "/control")


def _header(req: Request, name: str) -> str | None:
    return next((v for n, v in req.headers if n.lower() == name), None)
