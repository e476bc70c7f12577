"""A refusal of a valid request is excused only when the request names something that may not exist.

The product is a real FastAPI app for a contract with consent's shape: each request body wraps the
resource (`{"individual": {...}}`), which holds its own `id` and fields named like references
(`externalId`, `identityProviderId`). Forgetting FastAPI's `Body(embed=True)` makes the app expect
the resource unwrapped, so it answers every spec-valid create and update with 422 "Field required":
that is the product's fault, whatever ids the body holds.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import Body, FastAPI, HTTPException
from pydantic import BaseModel, Field
from verdict_helpers import checks_named, failed_names, required_failures, run_app

from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.results import Outcome, Verdict

INDIVIDUALS_SPEC = """\
openapi: 3.0.3
info: {title: Individuals in consent's shape, version: "1"}
components:
  schemas:
    Individual:
      type: object
      required: [externalId]
      properties:
        id: {type: string, minLength: 1, maxLength: 30}
        externalId: {type: string, minLength: 1, maxLength: 30}
        externalIdType: {type: string, minLength: 1, maxLength: 20}
        identityProviderId: {type: string, minLength: 1, maxLength: 30}
    IndividualBody:
      type: object
      required: [individual]
      properties:
        individual: {$ref: '#/components/schemas/Individual'}
    Problem:
      type: object
  responses:
    Invalid:
      description: the request does not follow the contract
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Problem'}
    NotFound:
      description: no such individual
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Problem'}
    One:
      description: the individual
      content:
        application/json:
          schema: {$ref: '#/components/schemas/IndividualBody'}
  requestBodies:
    Individual:
      required: true
      content:
        application/json:
          schema: {$ref: '#/components/schemas/IndividualBody'}
paths:
  /individuals:
    post:
      operationId: createIndividual
      requestBody: {$ref: '#/components/requestBodies/Individual'}
      responses:
        '201': {$ref: '#/components/responses/One'}
        '422': {$ref: '#/components/responses/Invalid'}
  /individuals/{individualId}:
    parameters:
      - {name: individualId, in: path, required: true, schema: {type: string}}
    get:
      operationId: readIndividual
      responses:
        '200': {$ref: '#/components/responses/One'}
        '404': {$ref: '#/components/responses/NotFound'}
        '422': {$ref: '#/components/responses/Invalid'}
    put:
      operationId: updateIndividual
      requestBody: {$ref: '#/components/requestBodies/Individual'}
      responses:
        '200': {$ref: '#/components/responses/One'}
        '404': {$ref: '#/components/responses/NotFound'}
        '422': {$ref: '#/components/responses/Invalid'}
"""


class Individual(BaseModel):
    id: str | None = Field(None, min_length=1, max_length=30)
    externalId: str = Field(min_length=1, max_length=30)
    externalIdType: str | None = Field(None, min_length=1, max_length=20)
    identityProviderId: str | None = Field(None, min_length=1, max_length=30)


Wrapped = Annotated[Individual, Body(embed=True)]


def individuals_app(*, unwrapped: bool) -> FastAPI:
    """The product; `unwrapped` is the one defect: the body parameter lacks Body(embed=True)."""
    app = FastAPI()
    store: dict[str, dict[str, Any]] = {}

    def save(individual: Individual, key: str | None = None) -> dict[str, Any]:
        data = individual.model_dump(exclude_none=True)
        data["id"] = key or data.get("id") or f"ind-{len(store) + 1}"
        store[data["id"]] = data
        return {"individual": data}

    def read(individualId: str) -> dict[str, Any]:
        if individualId not in store:
            raise HTTPException(404, "no such individual")
        return {"individual": store[individualId]}

    def update(individualId: str, individual: Individual) -> dict[str, Any]:
        if individualId not in store:
            raise HTTPException(404, "no such individual")
        return save(individual, individualId)

    if unwrapped:

        @app.post("/individuals", status_code=201)
        def create_unwrapped(individual: Individual) -> dict[str, Any]:
            return save(individual)

        @app.put("/individuals/{individualId}")
        def update_unwrapped(individualId: str, individual: Individual) -> dict[str, Any]:
            return update(individualId, individual)

    else:

        @app.post("/individuals", status_code=201)
        def create_wrapped(individual: Wrapped) -> dict[str, Any]:
            return save(individual)

        @app.put("/individuals/{individualId}")
        def update_wrapped(individualId: str, individual: Wrapped) -> dict[str, Any]:
            return update(individualId, individual)

    app.get("/individuals/{individualId}")(read)
    return app


def test_the_conformant_product_is_not_blamed(tmp_path: Path) -> None:
    bb = run_app(tmp_path, INDIVIDUALS_SPEC, individuals_app(unwrapped=False))
    assert required_failures(bb) == []
    accepted = [k for c, k in checks_named(bb, "valid_input_accepted") if c.kind is CaseKind.STATEFUL]
    assert accepted and all(k.outcome is Outcome.PASSED for k in accepted)


def test_field_required_for_a_valid_body_fails_at_required_level(tmp_path: Path) -> None:
    """Our body holds its own `id` and reference-like fields, but the product names a missing field: its fault."""
    bb = run_app(tmp_path, INDIVIDUALS_SPEC, individuals_app(unwrapped=True))
    assert failed_names(bb) == {"valid_input_accepted"}
    refused = {(c.operation, c.kind) for c, _ in required_failures(bb)}
    assert ("POST /individuals", CaseKind.POSITIVE) in refused
    assert ("POST /individuals", CaseKind.STATEFUL) in refused
    # the update acts only on a record its case creates first (docs/data-safety.md): that create was refused,
    # so the update is not judged, and the refusal is blamed on the create alone
    put = next(c for c in bb.cases if c.case_id.endswith("PUT /individuals/{individualId}::positive-valid"))
    assert put.verdict is Verdict.UNTESTABLE and "setup-create answered 422" in (put.reason or "")
    for _, k in required_failures(bb):
        assert "422" in k.message and "Field required" in k.message, k.message
        assert "fixtures" not in k.message


REFERENCES_SPEC = """\
openapi: 3.0.3
info: {title: References, version: "1"}
components:
  schemas:
    Problem: {type: object, properties: {message: {type: string}}}
    Note:
      type: object
      required: [text, ownerId]
      properties:
        text: {type: string, minLength: 1, maxLength: 20, pattern: '^[a-z]+$'}
        ownerId: {type: string, minLength: 1, maxLength: 20, pattern: '^[a-z0-9]+$'}
    Tag:
      type: object
      required: [name]
      properties:
        name: {type: string, minLength: 1, maxLength: 20, pattern: '^[a-z]+$'}
  responses:
    Problem:
      description: refused
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Problem'}
    Ok:
      description: done
      content:
        application/json:
          schema: {type: object}
paths:
  /notes:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Note'}
      responses:
        '201': {$ref: '#/components/responses/Ok'}
        '400': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
  /tags/{tagId}:
    put:
      parameters:
        - {name: tagId, in: path, required: true, schema: {type: string, pattern: '^[a-z0-9-]+$'}}
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Tag'}
      responses:
        '200': {$ref: '#/components/responses/Ok'}
        '400': {$ref: '#/components/responses/Problem'}
        '404': {$ref: '#/components/responses/Problem'}
  /inbox:
    get:
      responses:
        '200': {$ref: '#/components/responses/Ok'}
        '404': {$ref: '#/components/responses/Problem'}
"""


def references_app() -> Any:
    """Refuses every valid request: an unknown owner (404), an opaque 400 for a fixture tag, an empty inbox (404)."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse, Response
    from starlette.routing import Route

    async def notes(request: Request) -> Response:
        return JSONResponse({"message": "owner not found"}, 404)

    async def tags(request: Request) -> Response:
        return JSONResponse({"message": "cannot do that"}, 400)

    async def inbox(request: Request) -> Response:
        return JSONResponse({"message": "nothing for you"}, 404)

    return Starlette(
        routes=[
            Route("/notes", notes, methods=["POST"]),
            Route("/tags/{tagId}", tags, methods=["PUT"]),
            Route("/inbox", inbox, methods=["GET"]),
        ]
    )


def test_refusals_are_excused_only_for_what_may_not_exist(tmp_path: Path) -> None:
    fixtures = {"disposable": {"parameters": {"tagId": "tag-1"}}}  # an update acts only on a disposable record
    bb = run_app(tmp_path, REFERENCES_SPEC, references_app(), fixtures=fixtures)
    by_op = {c.operation: k for c, k in checks_named(bb, "valid_input_accepted") if c.kind is CaseKind.POSITIVE}
    # a generated reference to another record (ownerId): the product may rightly not have it
    note = by_op["POST /notes"]
    assert note.outcome is Outcome.SKIPPED and "body field /ownerId" in note.message and "fixtures" in note.message
    # the tag comes from the fixtures and the body names nothing else: the refusal is the product's fault
    tag = by_op["PUT /tags/{tagId}"]
    assert (tag.outcome, tag.level) == (Outcome.FAILED, Level.REQUIRED), tag
    assert "cannot do that" in tag.message and "fixtures file" not in tag.message
    # a documented 404 to a request naming no identifier: a recommended finding, not a required failure
    inbox = by_op["GET /inbox"]
    assert (inbox.outcome, inbox.level) == (Outcome.FAILED, Level.RECOMMENDED), inbox
    assert "fixtures" not in inbox.message
    assert failed_names(bb) == {"valid_input_accepted"}


def test_own_ids_and_references_in_a_body() -> None:
    from govstack_conform.engine.checks.refusal import body_ids

    wrapped = {"dataAgreement": {"id": "a1", "controller": {"id": "c1"}, "policyId": "p1", "name": "x"}}
    assert body_ids(wrapped) == (["/dataAgreement/controller/id", "/dataAgreement/policyId"], ["/dataAgreement/id"])
    assert body_ids({"id": "n1", "ownerId": "${id}", "text": "t"}) == ([], ["/id"])
    assert body_ids([{"id": 1}, {"id": 2, "tag_id": 3}]) == (["/1/tag_id"], ["/0/id", "/1/id"])


def test_what_a_refusal_says() -> None:
    from govstack_conform.engine.checks.refusal import refusal_kind

    fastapi = b'{"detail":[{"type":"missing","loc":["body","externalId"],"msg":"Field required","input":{}}]}'
    assert refusal_kind(fastapi) == "missing"
    assert refusal_kind(b'{"message": "must have required property \'name\'"}') == "missing"
    assert refusal_kind(b'{"detail": [{"msg": "Input should be a valid integer"}]}') == "malformed"
    assert refusal_kind(b'{"message": "individual ind-9 not found"}') == "record"
    assert refusal_kind(b'{"error": "missing record for individualId"}') == "record"
    assert refusal_kind(b'{"error": "a valid dataAgreementId is required"}') is None
    assert refusal_kind(b"Bad Request") is None
