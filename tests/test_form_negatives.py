"""Negative cases for form bodies (application/x-www-form-urlencoded), as identity's POST /oauth/token takes.

A form carries only strings: a field left out, or a value its schema forbids however a server reads the text,
is invalid input the product must refuse; a value that is invalid only as JSON ("6" where a string is also
allowed) is never sent. The products are real Starlette apps on 127.0.0.1 parsing the form themselves.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from verdict_helpers import checks_named, required_failures, run_app

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.results import Outcome

SPEC = """\
openapi: 3.0.3
info: {title: Tokens, version: "1.0"}
paths:
  /token:
    post:
      operationId: token
      requestBody:
        content:
          application/x-www-form-urlencoded:
            schema:
              type: object
              required: [grant_type, client_id, lifetime]
              properties:
                grant_type: {type: string, enum: [authorization_code]}
                client_id: {type: string, minLength: 3, maxLength: 12}
                lifetime: {type: integer, minimum: 1, maximum: 600}
                note:
                  anyOf:
                    - {type: integer, maximum: 5}
                    - {type: string}
      responses:
        '200':
          description: a token
          content:
            application/json:
              schema:
                type: object
                required: [access_token]
                properties:
                  access_token: {type: string}
        '400':
          description: the request is invalid
          content:
            application/json:
              schema:
                type: object
                required: [error]
                properties:
                  error: {type: string}
"""


def _problem(form: dict[str, list[str]]) -> str | None:
    one = {k: v[0] for k, v in form.items()}
    if one.get("grant_type") != "authorization_code":
        return "grant_type"
    if not 3 <= len(one.get("client_id", "")) <= 12:
        return "client_id"
    text = one.get("lifetime", "")
    if not text.lstrip("-").isdigit() or not 1 <= int(text) <= 600:
        return "lifetime"
    return None


def _app(strict: bool) -> Starlette:
    async def token(request: Request) -> JSONResponse:
        form = parse_qs((await request.body()).decode(), keep_blank_values=True)
        problem = _problem(form)
        if strict and problem is not None:
            return JSONResponse({"error": f"invalid_request: {problem}"}, status_code=400)
        return JSONResponse({"access_token": "t-1"})

    return Starlette(routes=[Route("/token", token, methods=["POST"])])


def _negatives(tmp_path: Path) -> dict[str, bytes]:
    path = tmp_path / "plan.yaml"
    path.write_text(SPEC)
    cases = plan_contract(load_spec_files([str(path)]))
    return {
        c.name: c.steps[0].request.raw_body or b""
        for c in cases
        if c.kind is CaseKind.NEGATIVE and c.steps[0].request.content_type == "application/x-www-form-urlencoded"
    }


def test_form_bodies_get_negative_cases_that_stay_invalid_as_text(tmp_path: Path) -> None:
    found = _negatives(tmp_path)
    want = {"negative-missing-grant-type", "negative-missing-client-id", "negative-not-in-enum-grant-type"}
    assert want <= set(found)
    assert b"grant_type=" not in found["negative-missing-grant-type"]
    for name, raw in found.items():
        form = parse_qs(raw.decode(), keep_blank_values=True)
        assert _problem(form) is not None, (name, raw)  # every form sent is really invalid
        assert "note" not in name, name  # "6" read as a string is allowed: never blamed


def test_a_product_refusing_bad_forms_passes_and_one_accepting_them_fails(tmp_path: Path) -> None:
    strict = run_app(tmp_path, SPEC, _app(strict=True))
    assert required_failures(strict) == []
    judged = [k for c, k in checks_named(strict, "invalid_input_rejected") if c.kind is CaseKind.NEGATIVE]
    assert len(judged) >= 3 and all(k.outcome is Outcome.PASSED for k in judged)

    lenient = run_app(tmp_path, SPEC, _app(strict=False))
    sent = {c.case_id for c in lenient.cases if c.kind is CaseKind.NEGATIVE}
    failed = {c.case_id for c, k in required_failures(lenient) if k.check == "invalid_input_rejected"}
    assert len(sent) >= 3 and failed == sent
    assert any("::negative-missing-" in cid for cid in failed)
