"""Real HTTP servers for engine tests, on 127.0.0.1 with an ephemeral port, in a background thread.

`pets_app(breaks)` is a small, conformant Starlette product for PETS_SPEC; each name in `breaks` turns
exactly one correct behaviour into a wrong one, so a test can show that exactly one check notices.
`raw_server(handler)` is a plain http.server for misbehaviour no framework would produce.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

TOKEN = "pets-SECRET-token-4f9a2c71e8"

PETS_SPEC = """\
openapi: 3.0.3
info: {title: Pets test contract, version: "1.0"}
security:
  - bearer: []
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  parameters:
    petId:
      name: petId
      in: path
      required: true
      schema: {type: string, format: uuid}
  responses:
    Error:
      description: error
      content:
        application/json:
          schema: {$ref: '#/components/schemas/Error'}
  schemas:
    Error:
      type: object
      required: [message]
      properties:
        message: {type: string}
    PetInput:
      type: object
      additionalProperties: false
      required: [name, kind]
      properties:
        name: {type: string, minLength: 1, maxLength: 40, pattern: '^[A-Za-z][A-Za-z ]*$'}
        kind: {type: string, enum: [cat, dog, bird]}
        age: {type: integer, minimum: 0, maximum: 50}
        nickname: {type: string, nullable: true, maxLength: 20}
    Pet:
      type: object
      required: [id, name, kind, created]
      properties:
        id: {type: string, format: uuid, readOnly: true}
        name: {type: string}
        kind: {type: string, enum: [cat, dog, bird]}
        age: {type: integer, minimum: 0}
        nickname: {type: string, nullable: true}
        created: {type: string, format: date-time, readOnly: true}
paths:
  /pets:
    get:
      operationId: listPets
      parameters:
        - {name: kind, in: query, schema: {type: string, enum: [cat, dog, bird]}}
        - {name: limit, in: query, schema: {type: integer, minimum: 1, maximum: 100}}
      responses:
        '200':
          description: the pets
          headers:
            X-Total-Count:
              required: true
              schema: {type: integer, minimum: 0}
          content:
            application/json:
              schema:
                type: array
                items: {$ref: '#/components/schemas/Pet'}
        '400': {$ref: '#/components/responses/Error'}
        '401': {$ref: '#/components/responses/Error'}
    post:
      operationId: createPet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/PetInput'}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '400': {$ref: '#/components/responses/Error'}
        '401': {$ref: '#/components/responses/Error'}
  /pets/{petId}:
    parameters:
      - $ref: '#/components/parameters/petId'
    get:
      operationId: readPet
      responses:
        '200':
          description: the pet
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '400': {$ref: '#/components/responses/Error'}
        '401': {$ref: '#/components/responses/Error'}
        '404': {$ref: '#/components/responses/Error'}
    put:
      operationId: updatePet
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/PetInput'}
      responses:
        '200':
          description: updated
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
        '400': {$ref: '#/components/responses/Error'}
        '401': {$ref: '#/components/responses/Error'}
        '404': {$ref: '#/components/responses/Error'}
    delete:
      operationId: deletePet
      responses:
        '204': {description: deleted}
        '401': {$ref: '#/components/responses/Error'}
        '404': {$ref: '#/components/responses/Error'}
"""

# Each break makes the product wrong in exactly one way (see pets_app).
BREAKS = {
    "no_server_error": "GET /pets crashes with 500",
    "status_code_documented": "POST /pets answers 200 instead of the documented 201",
    "content_type_documented": "GET /pets/{petId} labels its JSON text/plain",
    "response_schema_valid": "GET /pets/{petId} gives `created` that is no date-time",
    "required_headers_present": "GET /pets leaves out X-Total-Count",
    "invalid_input_rejected": "POST /pets accepts any body",
    "valid_input_accepted": "POST /pets refuses everything with a documented 400",
    "auth_required": "no credential is checked",
    "created_resource_readable": "GET /pets/{petId} never finds a pet",
    "deleted_resource_gone": "DELETE /pets/{petId} answers 204 and keeps the pet",
    "method_not_allowed": "undeclared methods answer 200",
    "latency_within_budget": "GET /pets takes 6 s",
}

_NAME = re.compile(r"^[A-Za-z][A-Za-z ]*$")
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")


def _input_problem(body: Any) -> str | None:
    """What is wrong with a PetInput, if anything (the rules of PETS_SPEC, by hand)."""
    if not isinstance(body, dict):
        return "the body must be an object"
    extra = set(body) - {"name", "kind", "age", "nickname"}
    if extra:
        return f"unknown properties {sorted(extra)}"
    name, kind = body.get("name"), body.get("kind")
    if not isinstance(name, str) or not 1 <= len(name) <= 40 or not _NAME.match(name):
        return "name must be 1-40 letters"
    if kind not in ("cat", "dog", "bird"):
        return "kind must be cat, dog or bird"
    if "age" in body:
        age = body["age"]
        if isinstance(age, bool) or not isinstance(age, int) or not 0 <= age <= 50:
            return "age must be an integer 0-50"
    if "nickname" in body:
        nick = body["nickname"]
        if nick is not None and (not isinstance(nick, str) or len(nick) > 20):
            return "nickname must be a string of at most 20 characters or null"
    return None


def pets_app(breaks: frozenset[str] = frozenset(), *, echo_secrets: bool = False) -> Starlette:
    """The product. `echo_secrets` makes error bodies quote the Authorization header (a leak to redact)."""
    pets: dict[str, dict[str, Any]] = {}

    def error(status: int, message: str, request: Request) -> Response:
        if echo_secrets:
            message += f" (you sent Authorization: {request.headers.get('authorization', '')})"
        return JSONResponse({"message": message}, status)

    def denied(request: Request) -> Response | None:
        if "auth_required" in breaks:
            return None
        if request.headers.get("authorization") != f"Bearer {TOKEN}":
            return error(401, "a valid bearer token is required", request)
        return None

    async def read_body(request: Request) -> tuple[Any, Response | None]:
        if (request.headers.get("content-type") or "").split(";")[0].strip() != "application/json":
            return None, error(415, "send application/json", request)
        try:
            return json.loads(await request.body()), None
        except ValueError:
            return None, error(400, "the body is not JSON", request)

    def pet_id(request: Request) -> tuple[str, Response | None]:
        pid = request.path_params["petId"]
        if not _UUID.match(pid):
            return pid, error(400, "petId must be a UUID", request)
        return pid, None

    def not_allowed(request: Request) -> Response:
        if "method_not_allowed" in breaks:
            return JSONResponse({}, 200)
        return Response(status_code=405, headers={"Allow": "GET, POST, PUT, DELETE"})

    async def collection(request: Request) -> Response:
        if request.method not in ("GET", "POST"):
            return not_allowed(request)
        if (refusal := denied(request)) is not None:
            return refusal
        if request.method == "GET":
            kind, limit = request.query_params.get("kind"), request.query_params.get("limit", "100")
            if kind is not None and kind not in ("cat", "dog", "bird"):
                return error(400, "kind must be cat, dog or bird", request)
            if not limit.isdigit() or not 1 <= int(limit) <= 100:
                return error(400, "limit must be 1-100", request)
            if "no_server_error" in breaks:
                return JSONResponse({"message": "internal error"}, 500)
            if "latency_within_budget" in breaks:
                await asyncio.sleep(6.0)
            found = [p for p in pets.values() if kind is None or p["kind"] == kind][: int(limit)]
            headers = {} if "required_headers_present" in breaks else {"X-Total-Count": str(len(found))}
            return JSONResponse(found, 200, headers=headers)
        body, refusal = await read_body(request)
        if "invalid_input_rejected" in breaks:
            body = body if refusal is None and _input_problem(body) is None else {"name": "Rex", "kind": "dog"}
        else:
            if refusal is not None:
                return refusal
            if (problem := _input_problem(body)) is not None:
                return error(400, problem, request)
        if "valid_input_accepted" in breaks:
            return error(400, "we accept no new pets", request)
        pet = {**body, "id": str(uuid.uuid4()), "created": datetime.now(UTC).isoformat()}
        pets[pet["id"]] = pet
        return JSONResponse(pet, 200 if "status_code_documented" in breaks else 201)

    async def item(request: Request) -> Response:
        if request.method not in ("GET", "PUT", "DELETE"):
            return not_allowed(request)
        if (refusal := denied(request)) is not None:
            return refusal
        pid, refusal = pet_id(request)
        if refusal is not None:
            return refusal
        if request.method == "PUT":
            body, refusal = await read_body(request)
            if refusal is not None:
                return refusal
            if (problem := _input_problem(body)) is not None:
                return error(400, problem, request)
        pet = pets.get(pid)
        if pet is None or (request.method == "GET" and "created_resource_readable" in breaks):
            return error(404, "no such pet", request)
        if request.method == "DELETE":
            if "deleted_resource_gone" not in breaks:
                del pets[pid]
            return Response(status_code=204)
        if request.method == "PUT":
            pet = pets[pid] = {"id": pid, "created": pet["created"], **body}
            return JSONResponse(pet, 200)
        if "response_schema_valid" in breaks:
            pet = {**pet, "created": "yesterday"}
        if "content_type_documented" in breaks:
            return Response(json.dumps(pet), 200, media_type="text/plain")
        return JSONResponse(pet, 200)

    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]
    return Starlette(
        routes=[Route("/pets", collection, methods=methods), Route("/pets/{petId}", item, methods=methods)]
    )


class _Server(uvicorn.Server):
    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.port: int | None = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.servers:
            self.port = self.servers[0].sockets[0].getsockname()[1]


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1:<free port> until the block ends; yields its base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="off")
    server = _Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while server.port is None:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def raw_server(handler: Callable[[http.server.BaseHTTPRequestHandler], None]) -> Iterator[str]:
    """A threaded http.server calling `handler(request_handler)` for every request, whatever the method."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def handle_one_request(self) -> None:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or not self.parse_request():
                self.close_connection = True
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            handler(self)
            self.wfile.flush()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
