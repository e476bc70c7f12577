"""An operation is judged by its valid requests: "not found everywhere" is not "passed", and a rejection
of invalid input proves nothing when valid input is rejected too.

The products are real Starlette apps on 127.0.0.1; Starlette answers 405 (with Allow) to a method a
route does not declare, so the undeclared-method cases of an absent operation still get their 405.
"""

from __future__ import annotations

from pathlib import Path

from servers import TOKEN, pets_app
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from verdict_helpers import op_verdict, required_failures, run_app

from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.results import Outcome, Verdict
from govstack_conform.engine.run.auth import Credentials

REGISTRY_SPEC = """\
openapi: 3.0.3
info: {title: Registry, version: "1"}
components:
  responses:
    Data:
      description: the data
      content:
        application/json:
          schema: {type: object, required: [name], properties: {name: {type: string}}}
    Missing:
      description: not there
      content:
        application/json:
          schema: {type: object}
paths:
  /data/{registryName}/{versionNumber}:
    get:
      parameters:
        - {name: registryName, in: path, required: true, schema: {type: string}}
        - {name: versionNumber, in: path, required: true, schema: {type: string}}
      responses:
        '200': {$ref: '#/components/responses/Data'}
        '404': {$ref: '#/components/responses/Missing'}
  /status:
    get:
      responses:
        '200': {$ref: '#/components/responses/Data'}
"""


def registry_app() -> Starlette:
    """Answers 404 to every request of GET /data/{registryName}/{versionNumber}; /status works."""

    async def data(request: Request) -> Response:
        return JSONResponse({"message": "no such registry"}, 404)

    async def status(request: Request) -> Response:
        return JSONResponse({"name": "up"})

    return Starlette(
        routes=[
            Route("/data/{registryName}/{versionNumber}", data, methods=["GET"]),
            Route("/status", status, methods=["GET"]),
        ]
    )


DATA = "GET /data/{registryName}/{versionNumber}"


def test_404_everywhere_is_not_passed_though_other_methods_get_405(tmp_path: Path) -> None:
    bb = run_app(tmp_path, REGISTRY_SPEC, registry_app())
    probes = [c for c in bb.cases if c.operation == DATA and c.kind is CaseKind.METHOD]
    assert probes and all(x.response and x.response.status == 405 for c in probes for x in c.exchanges)
    verdict, reason = op_verdict(bb, DATA)
    # generated identifiers: the registry may exist under other names, so untestable, never passed
    assert verdict == "untestable" and "fixtures" in (reason or ""), (verdict, reason)
    assert op_verdict(bb, "GET /status")[0] == "passed"
    assert required_failures(bb) == []


def test_404_everywhere_with_real_identifiers_is_not_implemented(tmp_path: Path) -> None:
    fixtures = {"parameters": {"registryName": "births", "versionNumber": "1.0"}}
    bb = run_app(tmp_path, REGISTRY_SPEC, registry_app(), fixtures=fixtures)
    assert op_verdict(bb, DATA) == ("not-implemented", "every valid request answered 404 or 501")
    assert op_verdict(bb, "GET /status")[0] == "passed"


MESSAGES_SPEC = """\
openapi: 3.0.3
info: {title: Messages, version: "1"}
paths:
  /users/{userId}/messages:
    post:
      parameters:
        - {name: userId, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9]+$', maxLength: 12}}
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              additionalProperties: false
              required: [text, priority]
              properties:
                text: {type: string, minLength: 1, maxLength: 20}
                priority: {type: integer, minimum: 1, maximum: 5}
      responses:
        '201':
          description: sent
          content:
            application/json:
              schema: {type: object}
        '400':
          description: invalid
          content:
            application/json:
              schema: {type: object}
        '404':
          description: no such user
          content:
            application/json:
              schema: {type: object}
"""


def no_users_app() -> Starlette:
    """Knows no user: every request, valid or not, gets the same 404."""

    async def messages(request: Request) -> Response:
        return JSONResponse({"message": "user not found"}, 404)

    return Starlette(routes=[Route("/users/{userId}/messages", messages, methods=["POST"])])


def test_rejections_are_inconclusive_when_valid_input_is_rejected_too(tmp_path: Path) -> None:
    bb = run_app(tmp_path, MESSAGES_SPEC, no_users_app())
    negatives = [c for c in bb.cases if c.kind is CaseKind.NEGATIVE]
    assert len(negatives) >= 5
    for c in negatives:
        assert c.verdict is Verdict.UNTESTABLE, (c.name, c.verdict, c.reason)
        assert (c.reason or "").startswith("inconclusive:") and "404" in (c.reason or ""), c.reason
        rejected = [k for k in c.checks if k.check == "invalid_input_rejected"]
        assert rejected and all(k.outcome is Outcome.UNTESTABLE for k in rejected)
    verdict, reason = op_verdict(bb, "POST /users/{userId}/messages")
    assert verdict != "passed", reason
    assert required_failures(bb) == []


def test_rejections_count_where_a_sequence_showed_the_operation_at_work(tmp_path: Path) -> None:
    """pets: reading a generated pet id answers 404, but the create-read sequence read a real one."""
    bb = run_app(tmp_path, _pets_spec(), pets_app(), credentials=Credentials(bearer=TOKEN))
    read = [c for c in bb.cases if c.operation == "GET /pets/{petId}" and c.kind is CaseKind.NEGATIVE]
    assert read and all(c.verdict is Verdict.PASSED for c in read), [(c.name, c.reason) for c in read]
    assert not [c.case_id for c in bb.cases if (c.reason or "").startswith("inconclusive")]
    assert all(o.verdict is Verdict.PASSED for o in bb.operations), [(o.key, o.reason) for o in bb.operations]


def _pets_spec() -> str:
    from servers import PETS_SPEC

    return PETS_SPEC
