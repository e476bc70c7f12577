"""Checks that were missing (issue 17 item 7): a 405 must say which methods are allowed (RFC 9110
§15.5.6), and a non-JSON body with a documented schema is checked for what can be checked: a string
schema's rules on the text, and an application/jwt body's compact form (RFC 7519 §3).

Each product is conformant but for one defect, and that defect fails exactly its check.
"""

from __future__ import annotations

import http.server
from pathlib import Path

from test_false_positives import Handler, answer
from verdict_helpers import checks_named, failed_names, run_app

from govstack_conform.engine.cases import Level
from govstack_conform.engine.checks.registry import ALL_CHECKS
from govstack_conform.engine.results import Outcome

SPEC = """\
openapi: 3.0.3
info: {title: Texts, version: "1"}
paths:
  /note:
    get:
      responses:
        '200':
          description: the note
          content:
            text/plain:
              schema: {type: string, minLength: 1, maxLength: 20}
  /token:
    get:
      responses:
        '200':
          description: the signed claims
          content:
            application/jwt:
              schema: {type: string}
"""

JWT = b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def product(*, note: bytes = b"remember the milk\n", token: bytes = JWT, allow: bool = True) -> Handler:
    def handler(h: http.server.BaseHTTPRequestHandler) -> None:
        path = h.path.split("?")[0]
        if h.command not in ("GET", "HEAD") or path not in ("/note", "/token"):
            answer(h, 405, b"", None, (("Allow", "GET, HEAD"),) if allow else ())
        elif path == "/note":
            answer(h, 200, note, "text/plain; charset=utf-8")
        else:
            answer(h, 200, token, "application/jwt")

    return handler


def test_the_conformant_product_fails_nothing(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, None, raw=product())
    assert failed_names(bb) == set() and failed_names(bb, Level.RECOMMENDED) == set()
    schema = [k for _, k in checks_named(bb, "response_schema_valid")]
    assert len(schema) >= 2 and all(k.outcome is Outcome.PASSED for k in schema), schema
    allow = [k for _, k in checks_named(bb, "allow_header_present")]
    assert allow and all(k.outcome is Outcome.PASSED for k in allow)


def test_a_405_without_allow_is_a_recommended_finding(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, None, raw=product(allow=False))
    assert failed_names(bb) == set()
    assert failed_names(bb, Level.RECOMMENDED) == {"allow_header_present"}
    assert "allow_header_present" in ALL_CHECKS


def test_an_empty_text_body_where_a_non_empty_string_is_required_fails(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, None, raw=product(note=b""))
    assert failed_names(bb) == {"response_schema_valid"}
    (found,) = {k.message for _, k in checks_named(bb, "response_schema_valid") if k.outcome is Outcome.FAILED}
    assert "empty" in found


def test_a_text_body_breaking_its_string_schema_fails(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, None, raw=product(note=b"a note far longer than twenty characters"))
    assert failed_names(bb) == {"response_schema_valid"}


def test_a_jwt_body_that_is_no_jwt_fails(tmp_path: Path) -> None:
    for bad in (b"not-a-token", b"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0", b"e30.e30.c2ln", b"!!.e30.c2ln"):
        bb = run_app(tmp_path, SPEC, None, raw=product(token=bad))
        assert failed_names(bb) == {"response_schema_valid"}, bad
        assert any("JWT" in k.message for _, k in checks_named(bb, "response_schema_valid")), bad
    # a nested (signed, then encrypted) JWT is in the five-part JWE form: as good as a signed one
    jwe = b"eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a2V5.aXY.Y2lwaGVy.dGFn"
    assert failed_names(run_app(tmp_path, SPEC, None, raw=product(token=jwe))) == set()
