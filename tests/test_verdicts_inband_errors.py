"""Errors in a success answer, where the contract documents them that way (identity's MOSIP-style APIs).

identity@23Q4.1 documents only 200 and 401 for `POST /client-mgmt/oidc-client`, with an `errors` list in
the 200 body, and the BB's own harness sends invalid input and expects 200 with the error in the body.
A FastAPI product built that way is conformant: it must not be blamed for answering 200 to invalid
input. The same product reporting errors for valid input, or an empty error list for invalid input,
fails exactly the matching check. Where a contract documents 400, a 200 with errors is still a failure.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from verdict_helpers import checks_named, failed_names, run_app

from govstack_conform.engine.results import Outcome

SPEC = """\
openapi: 3.0.3
info: {title: Clients, version: "1"}
components:
  schemas:
    Answer:
      type: object
      properties:
        responseTime: {type: string}
        response:
          type: object
          properties:
            clientId: {type: string}
        errors:
          type: array
          items:
            type: object
            additionalProperties: false
            properties:
              errorCode: {type: string, enum: [invalid_client_id, invalid_input]}
              errorMessage: {type: string}
paths:
  /clients:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [requestTime, request]
              properties:
                requestTime: {type: string}
                request:
                  type: object
                  required: [clientId, clientName]
                  additionalProperties: false
                  properties:
                    clientId: {type: string, pattern: '^[a-z-]{3,20}$'}
                    clientName: {type: string, minLength: 1, maxLength: 40}
      responses:
        '200':
          description: the outcome, errors in the body
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Answer'}
"""


def _problem(body: Any) -> str | None:
    """The product's own validation, as a MOSIP-style service reports it."""
    if not isinstance(body, dict) or set(body) - {"requestTime", "request"} or "requestTime" not in body:
        return "invalid_input"
    req = body.get("request")
    if not isinstance(req, dict) or set(req) - {"clientId", "clientName"}:
        return "invalid_input"
    cid, name = req.get("clientId"), req.get("clientName")
    import re

    if not isinstance(cid, str) or not re.fullmatch(r"[a-z-]{3,20}", cid):
        return "invalid_client_id"
    if not isinstance(name, str) or not 1 <= len(name) <= 40 or not isinstance(body["requestTime"], str):
        return "invalid_input"
    return None


def product(*, breaks: str = "") -> FastAPI:
    app = FastAPI()

    @app.post("/clients")
    async def create(request: Request) -> dict[str, Any]:
        try:
            body = await request.json()
        except ValueError:
            body = None
        problem = _problem(body)
        if breaks == "refuses-valid" and problem is None:
            problem = "invalid_input"
        if breaks == "silent" and problem is not None:
            return {"responseTime": "2024-01-01T00:00:00Z", "response": {"clientId": "x"}, "errors": []}
        if problem is not None:
            return {"responseTime": "2024-01-01T00:00:00Z", "errors": [{"errorCode": problem, "errorMessage": "no"}]}
        return {
            "responseTime": "2024-01-01T00:00:00Z",
            "response": {"clientId": body["request"]["clientId"]},
            "errors": [],
        }

    return app


def test_a_product_reporting_errors_in_the_body_as_documented_is_not_blamed(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, product())
    assert failed_names(bb) == set()
    rejected = checks_named(bb, "invalid_input_rejected")
    assert rejected and all(k.outcome is Outcome.PASSED for _, k in rejected)
    assert any("rejected in the 200 answer's body (errors: invalid_client_id" in k.message for _, k in rejected)


def test_errors_reported_for_valid_input_fail_valid_input_accepted(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, product(breaks="refuses-valid"))
    assert failed_names(bb) == {"valid_input_accepted"}
    (failed,) = [k for _, k in checks_named(bb, "valid_input_accepted") if k.outcome is Outcome.FAILED]
    assert "reported errors in the body (errors: invalid_input (no))" in failed.message


def test_an_empty_error_list_for_invalid_input_fails_invalid_input_rejected(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, product(breaks="silent"))
    assert failed_names(bb) == {"invalid_input_rejected"}


def test_where_400_is_documented_errors_in_a_200_are_no_refusal(tmp_path: Path) -> None:
    answer = "              schema: {$ref: '#/components/schemas/Answer'}\n"
    spec = SPEC.replace(
        answer,
        answer + "        '400':\n          description: invalid input\n"
        "          content:\n            application/json:\n" + answer,
    )
    bb = run_app(tmp_path, spec, product())
    assert "invalid_input_rejected" in failed_names(bb)  # the contract names 400 for invalid input: use it
