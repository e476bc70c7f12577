"""Conformant products that must not be blamed (and a few non-conformant ones that must be).

Each test runs the engine against a real server on 127.0.0.1 for a small contract written to a temp
dir: a product that follows the OpenAPI contract and HTTP may answer in ways that look unusual
(1.0 for an integer, an email normalized to lower case, a 429 when rate-limited...); no REQUIRED
check may fail for them.
"""

from __future__ import annotations

import http.server
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servers import raw_server, serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import CaseResult, CheckResult, Outcome, RunResults
from govstack_conform.engine.run.session import Target, run
from govstack_conform.engine.testdata import load_testdata

Handler = Callable[[http.server.BaseHTTPRequestHandler], None]


def answer(
    h: http.server.BaseHTTPRequestHandler,
    status: int,
    body: bytes = b"",
    content_type: str | None = "application/json",
    headers: tuple[tuple[str, str], ...] = (),
) -> None:
    h.send_response(status)
    if content_type is not None and (body or status not in (204, 304)):
        h.send_header("Content-Type", content_type)
    for k, v in headers:
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    if h.command != "HEAD":
        h.wfile.write(body)


def run_spec(tmp_path: Path, spec: str, handler: Handler, **options: Any) -> RunResults:
    path = tmp_path / "contract.yaml"
    path.write_text(spec)
    contract = load_spec_files([str(path)])
    assert not [d for d in contract.defects if d.severity.value == "error"], contract.defects
    with raw_server(handler) as url:
        return run([Target(contract, url)], RunOptions(concurrency=2, **options))


def cases(results: RunResults) -> list[CaseResult]:
    return [c for bb in results.results for c in bb.cases]


def blamed(results: RunResults) -> list[tuple[str, CheckResult]]:
    """(case name, check) of every REQUIRED check that failed."""
    return [
        (c.name, k)
        for c in cases(results)
        for k in c.checks
        if k.outcome is Outcome.FAILED and k.level is Level.REQUIRED
    ]


def names(results: RunResults) -> set[str]:
    return {k.check for _, k in blamed(results)}


INTEGER_SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /count:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: object
                required: [n]
                properties:
                  n: {type: integer}
                  x: {type: number}
"""


def _json_server(body: bytes, content_type: str = "application/json", status: int = 200) -> Handler:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path.split("?")[0] == "/count" and h.command == "GET":
            answer(h, status, body, content_type)
        else:
            answer(h, 405, b"", None)

    return handler


def test_integral_float_is_an_integer(tmp_path: Path) -> None:
    """JSON does not tell 1 from 1.0 (a Java or .NET product may write 1.0): not a schema violation."""
    assert blamed(run_spec(tmp_path, INTEGER_SPEC, _json_server(b'{"n": 1.0, "x": 2}'))) == []
    assert blamed(run_spec(tmp_path, INTEGER_SPEC, _json_server(b'{"n": 1e2}'))) == []
    # a real fraction is still caught
    assert names(run_spec(tmp_path, INTEGER_SPEC, _json_server(b'{"n": 1.5}'))) == {"response_schema_valid"}


def test_nan_is_not_json(tmp_path: Path) -> None:
    """NaN and Infinity are not JSON (RFC 8259 §6); Python's parser takes them, JSON.parse does not."""
    for bad in (b'{"n": 1, "x": NaN}', b'{"n": 1, "x": Infinity}', b'{"n": 1, "x": -Infinity}'):
        found = blamed(run_spec(tmp_path, INTEGER_SPEC, _json_server(bad)))
        assert {k.check for _, k in found} == {"response_schema_valid"}, bad
        assert any("not valid JSON" in k.message for _, k in found)


def test_json_media_type_spelling_and_bom(tmp_path: Path) -> None:
    """Media type names are case-insensitive, parameters are allowed; a UTF-8 BOM may be ignored (RFC 8259 §8.1)."""
    for ctype in ("application/json; charset=utf-8", "Application/JSON", "application/json;charset=UTF-8"):
        assert blamed(run_spec(tmp_path, INTEGER_SPEC, _json_server(b'{"n": 1}', ctype))) == [], ctype
    assert blamed(run_spec(tmp_path, INTEGER_SPEC, _json_server(b'\xef\xbb\xbf {"n": 1}\r\n'))) == []


HEADERS_SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /items:
    get:
      responses:
        '2XX':
          description: ok
          headers:
            X-Total-Count: {required: true, schema: {type: integer, minimum: 0}}
            X-Page-Ids: {required: true, schema: {type: array, items: {type: integer}}}
            X-Ratio: {required: true, schema: {$ref: '#/components/schemas/Ratio'}}
          content:
            '*/*':
              schema: {type: array, items: {type: string}}
        default:
          description: error
          content:
            application/json:
              schema: {type: object}
components:
  schemas:
    Ratio: {type: number, maximum: 1}
"""


def _headers_server(ids: str, status: int = 200) -> Handler:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path.split("?")[0] == "/items" and h.command == "GET":
            headers = (("x-total-count", " 42"), ("X-PAGE-IDS", ids), ("X-Ratio", "0.5"))
            answer(h, status, b'["a"]', "application/json; charset=utf-8", headers)
        else:
            answer(h, 405, b"", None)

    return handler


def test_header_values_are_read_as_their_schema_types(tmp_path: Path) -> None:
    """Header values are text on the wire: "42" is an integer, "1, 2" an array of integers; names are
    case-insensitive; a `2XX` range and a `*/*` media type cover the answer."""
    assert blamed(run_spec(tmp_path, HEADERS_SPEC, _headers_server("1, 2,3"))) == []
    assert blamed(run_spec(tmp_path, HEADERS_SPEC, _headers_server("7", status=203))) == []
    found = blamed(run_spec(tmp_path, HEADERS_SPEC, _headers_server("1, x")))
    assert [(k.check, k.instance_pointer) for _, k in found] == [("required_headers_present", "/1")]


NOTES_SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /notes:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [text]
              properties:
                text: {type: string, maxLength: 20}
                author: {type: string}
                contact: {type: string, format: email}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        '400': {$ref: '#/components/responses/Error'}
        default: {$ref: '#/components/responses/Error'}
  /notes/{noteId}:
    parameters:
      - {name: noteId, in: path, required: true, schema: {type: string}}
    get:
      responses:
        '200':
          description: the note
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Note'}
        '404': {$ref: '#/components/responses/Error'}
        default: {$ref: '#/components/responses/Error'}
    delete:
      responses:
        '204': {description: deleted}
        '404': {$ref: '#/components/responses/Error'}
  /status:
    get:
      responses:
        '200':
          description: up
          content:
            application/json:
              schema: {type: object, required: [up], properties: {up: {type: boolean}}}
        '400': {$ref: '#/components/responses/Error'}
        default: {$ref: '#/components/responses/Error'}
components:
  responses:
    Error:
      description: error
      content:
        application/json:
          schema: {type: object, required: [message], properties: {message: {type: string}}}
  schemas:
    Note:
      type: object
      required: [id, text]
      properties:
        id: {type: string, readOnly: true}
        text: {type: string}
        author: {oneOf: [{type: string}, {type: object, properties: {name: {type: string}}}]}
        contact: {type: string, format: email}
"""


def test_rate_limiting_is_not_blamed(tmp_path: Path) -> None:
    """429 Too Many Requests (RFC 6585) says the product or its gateway throttles our load, nothing about the
    request: untestable, never a failure; its body comes from the gateway, not from the documented `default`."""

    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        answer(h, 429, b"slow down\n", "text/plain", (("Retry-After", "1"),))

    results = run_spec(tmp_path, NOTES_SPEC, handler)
    assert blamed(results) == []
    kinds = {c.kind for c in cases(results) if c.verdict.value == "untestable"}
    assert {CaseKind.POSITIVE, CaseKind.NEGATIVE, CaseKind.STATEFUL} <= kinds
    assert all("429" in (c.reason or "") for c in cases(results) if c.kind is not CaseKind.METHOD)


def _notes_app(*, expand: bool, lower: bool, keep: bool = True) -> Starlette:
    """A notes product storing what it is sent; it may expand `author` into an object and normalize the
    e-mail address to lower case (both allowed by NOTES_SPEC's read schema); `keep=False` loses the text."""
    notes: dict[str, dict[str, Any]] = {}

    async def create(request: Request) -> Response:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"message": "not JSON"}, 400)
        if not isinstance(body, dict) or not isinstance(body.get("text"), str) or len(body["text"]) > 20:
            return JSONResponse({"message": "text is required (at most 20 characters)"}, 400)
        if not all(isinstance(body.get(k, ""), str) for k in ("author", "contact")):
            return JSONResponse({"message": "author and contact are strings"}, 400)
        note = {**body, "id": str(len(notes) + 1)}
        if expand and "author" in note:
            note["author"] = {"name": note["author"]}
        if lower and "contact" in note:
            note["contact"] = note["contact"].lower()
        if not keep:
            note["text"] = note["text"] + "!"
        notes[note["id"]] = note
        return JSONResponse(note, 201)

    async def item(request: Request) -> Response:
        note = notes.get(request.path_params["noteId"])
        if note is None:
            return JSONResponse({"message": "no such note"}, 404)
        if request.method == "DELETE":
            del notes[note["id"]]
            return Response(status_code=204)
        return JSONResponse(note)

    async def status(request: Request) -> Response:
        return JSONResponse({"up": True})

    return Starlette(
        routes=[
            Route("/notes", create, methods=["POST"]),
            Route("/notes/{noteId}", item, methods=["GET", "DELETE"]),
            Route("/status", status, methods=["GET"]),
        ]
    )


def _run_notes(tmp_path: Path, app: Starlette) -> RunResults:
    spec, data = tmp_path / "notes.yaml", tmp_path / "data.yaml"
    spec.write_text(NOTES_SPEC)
    body = {"text": "Hello", "author": "Ann Lee", "contact": "Ann.Lee@Example.ORG"}
    data.write_text(json.dumps({"operations": {"POST /notes": {"body": body}}}))
    contract = load_spec_files([str(spec)])
    with serve(app) as url:
        return run([Target(contract, url, testdata=load_testdata([data]))], RunOptions(concurrency=2))


def test_read_back_in_an_equivalent_representation_is_not_blamed(tmp_path: Path) -> None:
    """A read schema may return a reference expanded into an object, and an e-mail address normalized to
    lower case (domains are case-insensitive, RFC 5321 §2.4): the data written is still there."""
    results = _run_notes(tmp_path, _notes_app(expand=True, lower=True))
    seq = next(c for c in cases(results) if c.kind is CaseKind.STATEFUL)
    assert [x.response.status for x in seq.exchanges if x.response] == [201, 200, 204, 404]
    assert blamed(results) == []
    # a product that changes what was written is still caught
    found = blamed(_run_notes(tmp_path, _notes_app(expand=True, lower=True, keep=False)))
    assert [(k.check, k.instance_pointer) for _, k in found] == [("created_resource_readable", "/text")]


EVENTS_SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /events:
    get:
      parameters:
        - {name: since, in: query, schema: {type: string, format: date-time}}
        - {name: code, in: query, schema: {type: string, format: uuid, pattern: '^[0-9a-f-]{36}$'}}
      responses:
        '200':
          description: events
          content:
            application/json:
              schema: {type: array, items: {type: string}}
        '400': {description: bad input}
"""


def test_a_format_only_violation_is_recommended_not_required(tmp_path: Path) -> None:
    """`format` is an annotation in JSON Schema unless a validator asserts it: a product that accepts
    since=not-a-date is not blamed (a RECOMMENDED finding), but a broken pattern still is."""

    def lenient(h: http.server.BaseHTTPRequestHandler) -> None:
        if h.path.startswith("/events") and h.command == "GET":
            answer(h, 200, b'["e1"]')
        else:
            answer(h, 405, b"", None)

    results = run_spec(tmp_path, EVENTS_SPEC, lenient)
    by_case = {c.name: c for c in cases(results)}
    since = by_case["negative-bad-format-query-since"]
    [check] = [k for k in since.checks if k.check == "invalid_input_rejected"]
    assert (check.level, check.outcome) == (Level.RECOMMENDED, Outcome.FAILED)
    assert "format" in check.message
    assert "negative-bad-pattern-query-code" in by_case  # the stricter rule is the one broken
    assert [(name, k.check) for name, k in blamed(results)] == [
        ("negative-bad-pattern-query-code", "invalid_input_rejected")
    ]


SECRET_SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
security: [{bearer: []}]
paths:
  /secret:
    get:
      responses:
        '200':
          description: the secret
          content:
            application/json:
              schema: {type: object}
        '401': {description: no credentials}
"""


def test_a_redirect_to_sign_in_is_not_blamed(tmp_path: Path) -> None:
    """A product (or its gateway) may send a request without valid credentials to its sign-in page: not the
    401/403 the check hopes for, but no access either, so neither auth_required nor the status check blames it.
    Answering 200 without credentials is still caught."""

    def handler(h: http.server.BaseHTTPRequestHandler, *, open_door: bool = False) -> None:
        if h.path != "/secret" or h.command != "GET":
            answer(h, 405, b"", None)
        elif h.headers.get("Authorization") == "Bearer s3cret-token-value" or open_door:
            answer(h, 200, b"{}")
        else:
            answer(h, 302, b"", None, (("Location", "/sign-in"),))

    creds = Credentials(bearer="s3cret-token-value")
    results = run_spec(tmp_path, SECRET_SPEC, handler, credentials=creds)
    security = [c for c in cases(results) if c.kind is CaseKind.SECURITY]
    assert len(security) == 2 and all(c.verdict.value == "passed" for c in security)
    assert blamed(results) == []
    leaky = run_spec(tmp_path, SECRET_SPEC, lambda h: handler(h, open_door=True), credentials=creds)
    assert names(leaky) == {"auth_required"}


def test_problem_json_where_json_is_documented_says_why(tmp_path: Path) -> None:
    """application/problem+json where only application/json is documented breaks the contract (a client
    negotiating by media type cannot know it), and the message says it plainly."""
    problem = _json_server(b'{"n": 1}', "application/problem+json")
    [(_, check)] = blamed(run_spec(tmp_path, INTEGER_SPEC, problem))
    assert check.check == "content_type_documented"
    assert "application/problem+json is JSON too, but not the media type the contract names" in check.message


NO_SCHEMA_SPEC = """\
openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /count:
    get:
      responses:
        '200':
          description: ok, with a JSON body the spec does not describe
          content:
            application/json: {}
"""


def test_empty_json_body_where_the_spec_describes_none_is_not_blamed(tmp_path: Path) -> None:
    assert blamed(run_spec(tmp_path, NO_SCHEMA_SPEC, _json_server(b""))) == []
    # where a schema is documented, an empty body labelled JSON is still a failure
    assert names(run_spec(tmp_path, INTEGER_SPEC, _json_server(b""))) == {"response_schema_valid"}
