"""Conformant answers that must not be blamed, found on contracts beyond GovStack (issue 17 item 6):
an operation documenting no responses, a created id the read operation's parameter cannot hold, a gzip
body in several members, an integer longer than Python's parser reads. Real servers on 127.0.0.1.
"""

from __future__ import annotations

import gzip
import http.server
import json
import re
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from test_false_positives import INTEGER_SPEC, Handler, answer
from verdict_helpers import checks_named, required_failures, run_app

from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.results import Outcome, Verdict

NO_RESPONSES_SPEC = """\
openapi: 3.1.0
info: {title: No responses, version: "1"}
paths:
  /ping:
    get: {}
"""


def test_an_operation_documenting_no_responses_makes_its_status_untestable(tmp_path: Path) -> None:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        answer(h, 200, b"{}")

    bb = run_app(tmp_path, NO_RESPONSES_SPEC, None, raw=handler, defects=True)
    assert required_failures(bb) == []
    found = [k for c, k in checks_named(bb, "status_code_documented") if c.kind is CaseKind.POSITIVE]
    assert found and all(k.outcome is Outcome.UNTESTABLE for k in found), found
    assert "documents no responses" in found[0].message


ORDERS_SPEC = """\
openapi: 3.0.3
info: {title: Orders, version: "1"}
components:
  schemas:
    Order:
      type: object
      required: [id, item]
      properties:
        id: {type: integer, readOnly: true}
        item: {type: string, minLength: 1, maxLength: 20, pattern: '^[a-z]+$'}
    Problem: {type: object}
  responses:
    One:
      description: the order
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Order'}
    Problem:
      description: refused
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Problem'}
paths:
  /orders:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Order'}
      responses:
        '201': {$ref: '#/components/responses/One'}
        '400': {$ref: '#/components/responses/Problem'}
  /orders/{orderId}:
    get:
      parameters:
        - {name: orderId, in: path, required: true, schema: {type: integer, minimum: 1, maximum: 10}}
      responses:
        '200': {$ref: '#/components/responses/One'}
        '400': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
"""


def orders_app() -> Starlette:
    """Numbers orders from 1004 (the create schema allows it); reading checks orderId against 1-10 first."""
    orders: dict[int, dict[str, object]] = {}

    async def create(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "not JSON"}, 400)
        item = body.get("item") if isinstance(body, dict) else None
        if not isinstance(item, str) or not re.fullmatch("[a-z]{1,20}", item):
            return JSONResponse({"message": "item must be 1-20 lower-case letters"}, 400)
        order = {"id": 1004 + len(orders), "item": item}
        orders[1004 + len(orders)] = order
        return JSONResponse(order, 201)

    async def read(request: Request) -> Response:
        raw = request.path_params["orderId"]
        if not raw.isdigit() or not 1 <= int(raw) <= 10:
            return JSONResponse({"message": "orderId must be 1-10"}, 400)
        found = orders.get(int(raw))
        return JSONResponse(found) if found else JSONResponse({"message": "no such order"}, 404)

    return Starlette(routes=[Route("/orders", create, methods=["POST"]), Route("/orders/{orderId}", read)])


def test_a_created_id_the_read_parameter_cannot_hold_is_a_spec_inconsistency(tmp_path: Path) -> None:
    """The product created order 1004, which the create schema allows; the read's orderId allows 1-10,
    and the product answers the documented 400 to reading 1004."""
    bb = run_app(tmp_path, ORDERS_SPEC, orders_app())
    assert required_failures(bb) == []
    read = [k for _, k in checks_named(bb, "created_resource_readable")]
    assert read and all(k.outcome is Outcome.UNTESTABLE for k in read), read
    assert re.search(r"returned \(100\d\)", read[0].message) and "orderId" in read[0].message, read[0].message


def _count_server(body: bytes, *headers: tuple[str, str]) -> Handler:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path.split("?")[0] == "/count" and h.command == "GET":
            answer(h, 200, body, headers=headers)
        else:
            answer(h, 405, b"", None, (("Allow", "GET"),))

    return handler


def test_a_gzip_body_in_several_members_is_read_whole(tmp_path: Path) -> None:
    """RFC 1952 §2.2: a gzip file is a series of members; Node and Python's gzip read them all."""
    body = gzip.compress(b'{"n": ') + gzip.compress(b"1}")
    bb = run_app(tmp_path, INTEGER_SPEC, None, raw=_count_server(body, ("Content-Encoding", "gzip")))
    assert required_failures(bb) == []
    (positive,) = [c for c in bb.cases if c.kind is CaseKind.POSITIVE]
    assert positive.verdict is Verdict.PASSED, (positive.reason, positive.checks)
    # and a member that breaks the schema is still caught: the whole body was read
    bad = gzip.compress(b'{"n": ') + gzip.compress(b'"one"}')
    bb = run_app(tmp_path, INTEGER_SPEC, None, raw=_count_server(bad, ("Content-Encoding", "gzip")))
    assert {k.check for _, k in required_failures(bb)} == {"response_schema_valid"}


def test_an_integer_beyond_our_parser_is_untestable_not_invalid(tmp_path: Path) -> None:
    """JSON sets no limit on a number's digits (RFC 8259 §6); Python's int conversion stops at 4300."""
    bb = run_app(tmp_path, INTEGER_SPEC, None, raw=_count_server(b'{"n": ' + b"7" * 5000 + b"}"))
    assert required_failures(bb) == []
    (positive,) = [c for c in bb.cases if c.kind is CaseKind.POSITIVE]
    schema = [k for k in positive.checks if k.check == "response_schema_valid"]
    assert schema and schema[0].outcome is Outcome.UNTESTABLE and "digits" in schema[0].message, schema


def test_gzip_members_split_anywhere_across_reads() -> None:
    """However the stream is cut into reads (a member boundary inside the magic bytes, say), all of it is inflated;
    zero padding after the last member is ignored."""
    from govstack_conform.engine.run.bodies import _Inflater

    stream = gzip.compress(b"hello ") + gzip.compress(b"big ") + gzip.compress(b"world") + b"\0\0\0"
    for size in (1, 2, 3, 7, len(stream)):
        inflater = _Inflater(True)
        out = b"".join(b"".join(inflater.feed(stream[i : i + size], 1 << 20)) for i in range(0, len(stream), size))
        assert out == b"hello big world" and inflater.eof, size
