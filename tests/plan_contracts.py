"""Small hand-written contracts for the planner tests (written into tmp dirs by the tests)."""

from __future__ import annotations

from pathlib import Path

from govstack_conform.contracts.loader import build_contract
from govstack_conform.contracts.model import Contract

PETS = """\
openapi: 3.0.3
info: {title: Tiny pets, version: "1"}
components:
  securitySchemes:
    bearer: {type: http, scheme: bearer}
  schemas:
    Pet:
      type: object
      required: [name, kind]
      properties:
        id: {type: string, readOnly: true}
        name: {type: string, minLength: 1, maxLength: 20, pattern: "^[a-z]+$"}
        kind: {type: string, enum: [cat, dog]}
        age: {type: integer, minimum: 0, maximum: 30}
paths:
  /pets/:
    get:
      operationId: listPets
      parameters:
        - {name: limit, in: query, schema: {type: integer, minimum: 1}}
        - {name: tag, in: query, schema: {type: string}, example: fluffy}
        - {name: X-Client, in: header, required: true, schema: {type: string}, example: client-1}
      responses:
        '200': {description: ok}
        '400': {description: bad request}
    post:
      operationId: createPet
      security: [{bearer: []}]
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Pet'}
            examples:
              tom: {value: {name: tom, kind: cat}}
              rex: {value: {name: rex, kind: dog, age: 3}}
              broken: {value: {name: 5}}
      responses:
        '201':
          description: created
          content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
        '400': {description: bad request}
        '401': {description: no credentials}
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: string}}
    get:
      operationId: getPet
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
        '404': {description: not found}
    put:
      operationId: updatePet
      requestBody:
        content: {application/json: {schema: {$ref: '#/components/schemas/Pet'}}}
      responses:
        '200': {description: ok}
        '400': {description: bad request}
    delete:
      operationId: deletePet
      responses: {'204': {description: deleted}}
  /health:
    get:
      operationId: health
      security: [{}, {bearer: []}]
      responses: {'200': {description: ok}}
  /things/{n}:
    get:
      operationId: getThing
      parameters:
        - {name: n, in: path, required: true, schema: {type: integer}}
        - {name: mode, in: query, required: true, schema: {type: string, enum: [fast, slow]}}
      responses: {'200': {description: ok}}
    put:
      responses: {'200': {description: ok}}
    patch:
      responses: {'200': {description: ok}}
  /reports:
    post:
      operationId: makeReport
      requestBody:
        content:
          text/plain: {schema: {type: string}}
          application/json: {schema: {type: object, properties: {title: {type: string}}}}
      responses:
        '200':
          description: ok
          content: {application/json: {schema: {type: object, properties: {status: {type: string}}}}}
"""

ORDERS = """\
openapi: 3.0.3
info: {title: Orders with links, version: "1"}
paths:
  /orders:
    post:
      operationId: createOrder
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [item]
              properties: {item: {type: string}, quantity: {type: integer, minimum: 1}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {type: object, properties: {ref: {type: string}, item: {type: string}}}
          links:
            GetOrder:
              operationId: getOrder
              parameters: {orderRef: '$response.body#/ref'}
  /orders/{orderRef}:
    get:
      operationId: getOrder
      parameters:
        - {name: orderRef, in: path, required: true, schema: {type: string}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {ref: {type: string}, item: {type: string}}}
"""

BROKEN = """\
openapi: 3.0.3
info: {title: Broken, version: "1"}
paths:
  /widgets:
    post:
      operationId: createWidget
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Missing'}
      responses: {'200': {description: ok}}
    get:
      operationId: listWidgets
      responses: {'200': {description: ok}}
"""


def contract_from(tmp: Path, name: str, text: str, bb: str = "tiny") -> Contract:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return build_contract(bb, "t", f"{bb} test contract", [(name, path)], root=tmp)
