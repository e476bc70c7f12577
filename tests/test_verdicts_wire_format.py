"""Answers judged, not guessed (issue 13 §4): throttling by 503 + Retry-After, JSON that is not UTF-8 and a
Content-Type sent twice, each against a real server on 127.0.0.1.

- A product in maintenance (a Starlette app whose middleware answers 503 with Retry-After, as
  maintenance-mode middlewares do) says nothing about the requests: every case is untestable with the
  reason, none is a REQUIRED failure; a 503 without Retry-After stays a server failure.
- JSON in UTF-16 or UTF-32 (RFC 8259 §8.1 requires UTF-8) and two Content-Type headers (RFC 9110 §5.3)
  are RECOMMENDED findings on an otherwise conformant product; its UTF-8 twin has none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from verdict_helpers import checks_named, failed_names, run_app

from govstack_conform.engine.cases import Level
from govstack_conform.engine.checks.registry import ALL_CHECKS
from govstack_conform.engine.results import Outcome, Verdict

SPEC = """\
openapi: 3.0.3
info: {title: Things, version: "1"}
paths:
  /things:
    get:
      responses:
        '200':
          description: the things
          content:
            application/json:
              schema: {type: object, required: [items], properties: {items: {type: array}}}
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {type: object, required: [name], properties: {name: {type: string}}}
      responses:
        '201':
          description: made
          content:
            application/json:
              schema: {type: object, properties: {name: {type: string}}}
        '400': {description: invalid}
"""


def maintenance_app(retry_after: bool) -> Starlette:
    async def things(request: Request) -> Response:
        return JSONResponse({"items": []})

    class Maintenance(BaseHTTPMiddleware):
        async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
            headers = {"Retry-After": "120"} if retry_after else {}
            return JSONResponse({"detail": "down for maintenance"}, status_code=503, headers=headers)

    app = Starlette(routes=[Route("/things", things, methods=["GET", "POST"])])
    app.add_middleware(Maintenance)
    return app


def test_a_503_with_retry_after_is_throttling_not_a_failure(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, maintenance_app(retry_after=True))
    assert failed_names(bb) == set(), [(c.case_id, c.reason) for c in bb.cases]
    assert bb.cases and all(c.verdict is Verdict.UNTESTABLE for c in bb.cases), [c.verdict for c in bb.cases]
    assert all("503 Service Unavailable with Retry-After" in (c.reason or "") for c in bb.cases)
    assert all(k.outcome is Outcome.UNTESTABLE for _, k in checks_named(bb, "no_server_error"))


def test_a_503_without_retry_after_is_still_a_server_failure(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, maintenance_app(retry_after=False))
    assert "no_server_error" in failed_names(bb)


def product(*, encoding: str = "utf-8", content_types: int = 1) -> Starlette:
    """A conformant product that writes its JSON in `encoding` and sends Content-Type `content_types` times."""

    def encoded(doc: object, status: int) -> Response:
        response = Response(json.dumps(doc, ensure_ascii=False).encode(encoding), status, media_type="application/json")
        response.raw_headers += [(b"content-type", b"application/json")] * (content_types - 1)
        return response

    async def things(request: Request) -> Response:
        if request.method == "GET":
            return encoded({"items": ["é", "ü"]}, 200)
        try:
            sent = json.loads(await request.body())
        except ValueError:
            sent = None
        if request.headers.get("content-type", "").split(";")[0] != "application/json":
            return encoded({"error": "send JSON"}, 415)
        if not isinstance(sent, dict) or not isinstance(sent.get("name"), str):
            return encoded({"error": "invalid"}, 400)
        return encoded({"name": sent["name"]}, 201)

    return Starlette(routes=[Route("/things", things, methods=["GET", "POST"])])


def test_the_utf8_product_has_no_finding(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, product())
    assert failed_names(bb) == set() and failed_names(bb, Level.RECOMMENDED) == set()


@pytest.mark.parametrize(
    ("encoding", "said"),
    [("utf-16-le", "UTF-16 little-endian"), ("utf-16", "UTF-16 (with a byte order mark)"),
     ("utf-32-be", "UTF-32 big-endian"), ("utf-8-sig", "UTF-8 with a byte order mark")],
)  # fmt: skip
def test_json_that_is_not_utf8_is_a_recommended_finding(tmp_path: Path, encoding: str, said: str) -> None:
    bb = run_app(tmp_path, SPEC, product(encoding=encoding))
    assert failed_names(bb) == set()  # JSON in another encoding still parses: no REQUIRED check blames it
    assert failed_names(bb, Level.RECOMMENDED) == {"json_encoded_as_utf8"}
    messages = {k.message for _, k in checks_named(bb, "json_encoded_as_utf8")}
    assert all(said in m and "RFC 8259" in m and "no charset declared" in m for m in messages), messages
    assert "json_encoded_as_utf8" in ALL_CHECKS


def test_two_content_type_headers_are_a_recommended_finding(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, product(content_types=2))
    assert failed_names(bb) == set()
    assert failed_names(bb, Level.RECOMMENDED) == {"single_content_type"}
    (message, *_) = {k.message for _, k in checks_named(bb, "single_content_type")}
    assert "2 Content-Type headers" in message and "RFC 9110" in message
    assert "single_content_type" in ALL_CHECKS
