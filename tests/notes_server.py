"""A small stateful Starlette product whose records exist before the suite runs (the vendor's data).

NOTES_SPEC has a create (POST /notes), item reads, updates and deletes, an updating POST
(/notes/{noteId}/archive), a delete named by a query parameter (DELETE /labels?name=) and one named by
nothing (POST /cache/clear). `notes_app` seeds SEEDED notes and LABELS and logs every request that may
change data, so a test can tell which existing records a run touched. `lenient` accepts any update body
(a product that wrongly accepts invalid input); `open` checks no credentials; `created_status` is what
POST /notes answers (201 documented); `no_delete` answers every DELETE /notes/{noteId} with 404.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "notes-SECRET-token-5b1e"
SEEDED = {"n-keep": "kept note", "n-spare": "spare note"}
LABELS = ("keep-label", "spare-label")

NOTES_SPEC = """\
openapi: 3.0.3
info: {title: Notes, version: "1.0"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  parameters:
    noteId:
      name: noteId
      in: path
      required: true
      schema: {type: string, pattern: '^n-[a-z0-9-]+$', maxLength: 40}
  requestBodies:
    NoteInput:
      required: true
      content: {application/json: {schema: {$ref: '#/components/schemas/NoteInput'}}}
  schemas:
    NoteInput:
      type: object
      additionalProperties: false
      required: [text]
      properties:
        text: {type: string, minLength: 1, maxLength: 40}
    Note:
      type: object
      required: [id, text, archived]
      properties:
        id: {type: string}
        text: {type: string}
        archived: {type: boolean}
  responses:
    Note:
      description: the note
      content: {application/json: {schema: {$ref: '#/components/schemas/Note'}}}
    Done: {description: done}
    No: {description: refused}
paths:
  /notes:
    post:
      operationId: createNote
      requestBody: {$ref: '#/components/requestBodies/NoteInput'}
      responses: {'201': {$ref: '#/components/responses/Note'}, '400': {$ref: '#/components/responses/No'},
                  '401': {$ref: '#/components/responses/No'}}
  /notes/{noteId}:
    parameters: [{$ref: '#/components/parameters/noteId'}]
    get:
      operationId: readNote
      responses: {'200': {$ref: '#/components/responses/Note'}, '400': {$ref: '#/components/responses/No'},
                  '401': {$ref: '#/components/responses/No'}, '404': {$ref: '#/components/responses/No'}}
    put:
      operationId: updateNote
      requestBody: {$ref: '#/components/requestBodies/NoteInput'}
      responses: {'200': {$ref: '#/components/responses/Note'}, '400': {$ref: '#/components/responses/No'},
                  '401': {$ref: '#/components/responses/No'}, '404': {$ref: '#/components/responses/No'}}
    delete:
      operationId: deleteNote
      responses: {'204': {$ref: '#/components/responses/Done'}, '400': {$ref: '#/components/responses/No'},
                  '401': {$ref: '#/components/responses/No'}, '404': {$ref: '#/components/responses/No'}}
  /notes/{noteId}/archive:
    parameters: [{$ref: '#/components/parameters/noteId'}]
    post:
      operationId: archiveNote
      responses: {'200': {$ref: '#/components/responses/Note'}, '400': {$ref: '#/components/responses/No'},
                  '401': {$ref: '#/components/responses/No'}, '404': {$ref: '#/components/responses/No'}}
  /labels:
    delete:
      operationId: deleteLabel
      parameters: [{name: name, in: query, required: true, schema: {type: string, pattern: '^[a-z-]+$'}}]
      responses: {'204': {$ref: '#/components/responses/Done'}, '400': {$ref: '#/components/responses/No'},
                  '401': {$ref: '#/components/responses/No'}, '404': {$ref: '#/components/responses/No'}}
  /cache/clear:
    post:
      operationId: clearCache
      responses: {'204': {$ref: '#/components/responses/Done'}, '401': {$ref: '#/components/responses/No'}}
security: [{bearer: []}]
"""

_NOTE_ID = re.compile(r"^n-[a-z0-9-]+$")
_LABEL = re.compile(r"^[a-z-]+$")


@dataclass
class Store:
    """The product's data and what was done to it."""

    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    labels: set[str] = field(default_factory=set)
    created: set[str] = field(default_factory=set)  # ids this product handed out to POST /notes
    changed: list[tuple[str, str]] = field(default_factory=list)  # (method + path, what) of every change made
    cache_cleared: int = 0

    def seed(self) -> None:
        for nid, text in SEEDED.items():
            self.notes[nid] = {"id": nid, "text": text, "archived": False}
        self.labels.update(LABELS)

    def touched_existing(self) -> list[tuple[str, str]]:
        """Changes made to data that existed before the run (seeded notes and labels)."""
        return [(where, what) for where, what in self.changed if what not in self.created]


def _input_problem(body: Any) -> str | None:
    if not isinstance(body, dict) or set(body) - {"text"}:
        return "the body must be an object with `text` only"
    text = body.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= 40:
        return "text must be 1-40 characters"
    return None


def notes_app(
    store: Store, *, lenient: bool = False, open: bool = False, created_status: int = 201, no_delete: bool = False
) -> Starlette:
    def error(status: int, message: str) -> Response:
        return JSONResponse({"message": message}, status)

    def denied(request: Request) -> Response | None:
        if open or request.headers.get("authorization") == f"Bearer {TOKEN}":
            return None
        return error(401, "a valid bearer token is required")

    async def body_of(request: Request) -> tuple[Any, Response | None]:
        if (request.headers.get("content-type") or "").split(";")[0].strip() != "application/json":
            return None, error(400, "send application/json")
        try:
            return json.loads(await request.body()), None
        except ValueError:
            return None, error(400, "the body is not JSON")

    async def collection(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        body, refusal = await body_of(request)
        if refusal is not None:
            return refusal
        if (problem := _input_problem(body)) is not None:
            return error(400, problem)
        nid = f"n-{uuid.uuid4()}"
        store.created.add(nid)
        store.notes[nid] = {"id": nid, "text": body["text"], "archived": False}
        return JSONResponse(store.notes[nid], created_status)

    def refused(request: Request) -> Response | None:
        """The refusal of an item request: no credentials, or a malformed note id."""
        if (refusal := denied(request)) is not None:
            return refusal
        nid = request.path_params["noteId"]
        return error(400, "noteId must look like n-...") if not _NOTE_ID.match(nid) or len(nid) > 40 else None

    async def item(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        nid = request.path_params["noteId"]
        body = None
        if request.method == "PUT" and not lenient:
            body, refusal = await body_of(request)
            if refusal is not None:
                return refusal
            if (problem := _input_problem(body)) is not None:
                return error(400, problem)
        elif request.method == "PUT":  # lenient: whatever arrives overwrites the note
            body, _ = await body_of(request)
        note = store.notes.get(nid)
        if note is None or (no_delete and request.method == "DELETE"):
            return error(404, "no such note")
        if request.method == "GET":
            return JSONResponse(note)
        store.changed.append((f"{request.method} /notes/{{noteId}}", nid))
        if request.method == "DELETE":
            del store.notes[nid]
            return Response(status_code=204)
        text = body.get("text") if isinstance(body, dict) else None
        note = store.notes[nid] = {**note, "text": text if isinstance(text, str) else "overwritten"}
        return JSONResponse(note)

    async def archive(request: Request) -> Response:
        if (refusal := refused(request)) is not None:
            return refusal
        nid = request.path_params["noteId"]
        if nid not in store.notes:
            return error(404, "no such note")
        store.changed.append(("POST /notes/{noteId}/archive", nid))
        store.notes[nid] = {**store.notes[nid], "archived": True}
        return JSONResponse(store.notes[nid])

    async def labels(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        name = request.query_params.get("name")
        if name is None or not _LABEL.match(name):
            return error(400, "name must be lower-case letters and dashes")
        if name not in store.labels:
            return error(404, "no such label")
        store.labels.discard(name)
        store.changed.append(("DELETE /labels", name))
        return Response(status_code=204)

    async def clear(request: Request) -> Response:
        if (refusal := denied(request)) is not None:
            return refusal
        store.cache_cleared += 1
        store.changed.append(("POST /cache/clear", "cache"))
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/notes", collection, methods=["POST"]),
            Route("/notes/{noteId}", item, methods=["GET", "PUT", "DELETE"]),
            Route("/notes/{noteId}/archive", archive, methods=["POST"]),
            Route("/labels", labels, methods=["DELETE"]),
            Route("/cache/clear", clear, methods=["POST"]),
        ]
    )
