"""What the loader's model holds, and the defects it finds, on small specs written for the purpose."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import LoadedDocument, load_document, load_files
from govstack_conform.contracts.model import Operation, Severity, SpecDefect

SPEC_30 = """
openapi: 3.0.3
info: {title: Pets, version: '1'}
security: [{key: []}]
paths:
  /pets/{petId}:
    parameters:
      - {name: petId, in: path, required: true, schema: {type: string}}
      - {name: verbose, in: query, schema: {type: boolean}}
      - $ref: '#/components/parameters/Trace'
    get:
      operationId: getPet
      summary: One pet
      tags: [pets]
      parameters:
        - {name: verbose, in: query, required: true, schema: {type: integer}}
        - {name: Accept, in: header, schema: {type: string}}
      responses:
        200:
          description: the pet
          headers:
            X-Rate: {$ref: '#/components/headers/Rate'}
            Content-Type: {schema: {type: string}}
          links:
            owner: {operationId: getOwner}
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Pet'}
              example: {name: rex, born: 2020-01-02}
              examples:
                cat: {$ref: '#/components/examples/Cat'}
                dog: {summary: a dog, value: {name: fido}}
        4XX: {$ref: '#/components/responses/Problem'}
    put:
      security: []
      requestBody: {$ref: '#/components/requestBodies/PetBody'}
      responses:
        default: {description: whatever}
    delete:
      security: [{key: []}, {oauth: [write, admin]}]
      responses:
        '204': {description: gone}
components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
    oauth: {type: oauth2, flows: {clientCredentials: {tokenUrl: /t, scopes: {write: w, admin: a}}}}
    basic: {type: http, scheme: Basic}
  parameters:
    Trace: {name: X-Trace, in: header, required: true, schema: {type: string, format: uuid}, example: abc}
  headers:
    Rate: {required: true, schema: {type: integer}}
  examples:
    Cat: {value: {name: tom}}
  requestBodies:
    PetBody:
      required: true
      content:
        application/json: {schema: {$ref: '#/components/schemas/Pet'}}
        text/plain: {}
  responses:
    Problem:
      description: problem
      content: {application/problem+json: {schema: {type: object}}}
  schemas:
    Pet:
      type: object
      required: [name]
      properties:
        name: {type: string}
        born: {type: string, format: date}
"""


def _load(tmp_path: Path, text: str, name: str = "spec.yaml") -> LoadedDocument:
    f = tmp_path / name
    f.write_text(text)
    return load_document(f, f"bb/main/{name}")


def _op(ld: LoadedDocument, key: str) -> Operation:
    found = [op for op in ld.operations if op.key == key]
    assert found, [op.key for op in ld.operations]
    return found[0]


def _codes(defects: tuple[SpecDefect, ...]) -> set[str]:
    return {d.code for d in defects}


@pytest.fixture(scope="module")
def pets(tmp_path_factory: pytest.TempPathFactory) -> LoadedDocument:
    return _load(tmp_path_factory.mktemp("pets"), SPEC_30)


def test_operations_and_basic_fields(pets: LoadedDocument) -> None:
    assert [op.key for op in pets.operations] == ["GET /pets/{petId}", "PUT /pets/{petId}", "DELETE /pets/{petId}"]
    get = _op(pets, "GET /pets/{petId}")
    assert (get.operation_id, get.summary, get.tags) == ("getPet", "One pet", ("pets",))
    assert get.source_file == "bb/main/spec.yaml" and get.pointer == "/paths/~1pets~1{petId}/get"
    assert pets.document is not None and pets.document.openapi == "3.0.3"


def test_parameters_merge_and_override(pets: LoadedDocument) -> None:
    get = _op(pets, "GET /pets/{petId}")
    by = {(p.name, p.location): p for p in get.parameters}
    assert set(by) == {("petId", "path"), ("verbose", "query"), ("X-Trace", "header")}  # Accept is ignored
    verbose = by[("verbose", "query")]
    assert verbose.required and verbose.pointer == "/paths/~1pets~1{petId}/get/parameters/0"
    assert verbose.schema is not None and verbose.schema.node == {"type": "integer"}
    trace = by[("X-Trace", "header")]
    assert trace.pointer == "/components/parameters/Trace" and trace.required
    assert trace.schema is not None and trace.schema.pointer == "/components/parameters/Trace/schema"
    assert [(e.name, e.value, e.pointer) for e in trace.examples] == [
        ("example", "abc", "/components/parameters/Trace/example")
    ]
    assert any(d.code == "ignored-parameter" and d.severity is Severity.INFO for d in get.defects)
    put = _op(pets, "PUT /pets/{petId}")
    assert {p.name for p in put.parameters} == {"petId", "verbose", "X-Trace"}
    assert next(p for p in put.parameters if p.name == "verbose").required is False


def test_responses_media_types_examples_headers_links(pets: LoadedDocument) -> None:
    get = _op(pets, "GET /pets/{petId}")
    assert [r.status for r in get.responses] == ["200", "4XX"]
    ok = get.responses[0]
    assert ok.pointer == "/paths/~1pets~1{petId}/get/responses/200"
    (mt,) = ok.content
    assert mt.media_type == "application/json"
    assert mt.schema is not None and mt.schema.node == {"$ref": "#/components/schemas/Pet"}
    examples = {e.name: (e.value, e.pointer) for e in mt.examples}
    assert examples["example"] == ({"name": "rex", "born": "2020-01-02"}, mt.pointer + "/example")  # dates stay text
    assert examples["cat"] == ({"name": "tom"}, "/components/examples/Cat/value")
    assert examples["dog"] == ({"name": "fido"}, mt.pointer + "/examples/dog/value")
    (rate,) = ok.headers  # Content-Type response header is ignored, as OpenAPI says
    assert (rate.name, rate.required, rate.pointer) == ("X-Rate", True, "/components/headers/Rate")
    assert rate.schema is not None and rate.schema.pointer == "/components/headers/Rate/schema"
    assert ok.links == {"owner": {"operationId": "getOwner"}}
    problem = get.responses[1]
    assert problem.pointer == "/components/responses/Problem" and problem.description == "problem"
    assert get.response_for(404) is problem and get.response_for(200) is ok and get.response_for(500) is None


def test_request_body_through_ref(pets: LoadedDocument) -> None:
    put = _op(pets, "PUT /pets/{petId}")
    body = put.request_body
    assert body is not None and body.required and body.pointer == "/components/requestBodies/PetBody"
    assert [m.media_type for m in body.content] == ["application/json", "text/plain"]
    assert body.content[0].schema is not None
    assert body.content[0].schema.pointer == "/components/requestBodies/PetBody/content/application~1json/schema"
    assert body.content[1].schema is None
    assert [r.status for r in put.responses] == ["default"]


def test_security_global_override_and_empty(pets: LoadedDocument) -> None:
    assert _op(pets, "GET /pets/{petId}").security == ((("key", ()),),)
    assert _op(pets, "PUT /pets/{petId}").security == ((),)  # security: [] = anonymous allowed
    assert _op(pets, "DELETE /pets/{petId}").security == ((("key", ()),), (("oauth", ("write", "admin")),))
    s = pets.security_schemes
    assert (s["key"].type, s["key"].location, s["key"].param_name) == ("apiKey", "header", "X-Key")
    assert s["basic"].scheme == "basic" and s["oauth"].type == "oauth2"


def test_clean_spec_has_no_warnings_or_errors(pets: LoadedDocument) -> None:
    assert [d for d in pets.defects if d.severity is not Severity.INFO] == []


BROKEN = """
openapi: 3.0.0
info: {title: Broken, version: '1'}
paths:
  /a:
    get:
      parameters: [{$ref: '#/components/parameters/Nope'}]
      responses: {'200': {description: ok, content: {application/json: {schema: {type: string}}}}}
  /b: {get: not-an-operation}
  /f: {$ref: '#/components/pathItems/F'}
  /c:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/Bad'}}}}
        '201': {description: ok, content: {application/json: {schema: {type: string}}}}
  /d:
    post:
      requestBody:
        content:
          application/json:
            schema:
              type: object
              required: code
              properties:
                code: {type: string, pattern: '[a-', required: true}
                kind: {enum: abc}
                size: {type: [string, integer]}
                low: {type: number, minimum: 0, exclusiveMinimum: 0}
                tags: {type: array}
                when: {type: datetime}
      responses: {}
  /e:
    get:
      responses: {'200': {description: fine}}
components:
  schemas:
    Bad: {type: object, properties: {n: {type: float}}}
    Unused: {type: object, properties: {x: {maxLength: '5'}}}
"""


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> LoadedDocument:
    return _load(tmp_path_factory.mktemp("broken"), BROKEN)


def test_a_defect_in_one_operation_never_hides_the_others(broken: LoadedDocument) -> None:
    assert [op.key for op in broken.operations] == ["GET /a", "GET /c", "POST /d", "GET /e"]
    assert _op(broken, "GET /e").defects == ()
    (lost,) = [d for d in broken.defects if d.pointer == "/paths/~1f"]
    assert (
        lost.severity is Severity.ERROR and lost.code == "dangling-ref" and "operations of /f are lost" in lost.message
    )
    (bad_op,) = [d for d in broken.defects if d.operation == "GET /b"]
    assert bad_op.severity is Severity.ERROR and bad_op.aspect == "operation" and bad_op.pointer == "/paths/~1b/get"
    a = _op(broken, "GET /a")
    blocker = a.blocked("parameters")
    assert blocker is not None and blocker.code == "dangling-ref" and blocker.pointer == "/paths/~1a/get/parameters/0"
    assert a.blocked("response:200") is None and a.responses[0].content[0].schema is not None


def test_schema_errors_block_only_the_aspect_using_them(broken: LoadedDocument) -> None:
    c = _op(broken, "GET /c")
    d = c.blocked("response:200")
    assert d is not None and d.code == "invalid-type" and d.pointer == "/components/schemas/Bad/properties/n/type"
    assert c.blocked("response:201") is None


def test_schema_defect_kinds(broken: LoadedDocument) -> None:
    d_op = _op(broken, "POST /d")
    base = "/paths/~1d/post/requestBody/content/application~1json/schema"
    got = {(d.code, d.pointer): d for d in d_op.defects}
    errors = {
        ("invalid-required", base + "/required"),
        ("invalid-pattern", base + "/properties/code/pattern"),
        ("invalid-enum", base + "/properties/kind/enum"),
        ("invalid-type", base + "/properties/size/type"),
        ("invalid-keyword", base + "/properties/low/exclusiveMinimum"),
        ("invalid-type", base + "/properties/when/type"),
    }
    for ident in errors:
        assert ident in got, (ident, sorted(got))
        assert got[ident].severity is Severity.ERROR and got[ident].aspect == "request-body"
    assert "date-time" in got[("invalid-type", base + "/properties/when/type")].message
    required_flag = got[("required-not-a-list", base + "/properties/code/required")]
    assert required_flag.severity is Severity.ERROR and "Swagger 2.0 style" in required_flag.message
    missing_items = got[("array-without-items", base + "/properties/tags")]
    assert missing_items.severity is Severity.WARNING and missing_items.aspect is None
    no_resp = got[("no-responses", "/paths/~1d/post/responses")]
    assert no_resp.severity is Severity.ERROR and no_resp.aspect == "response:*"
    assert d_op.blocked("response:200") is no_resp


def test_problem_in_an_unused_schema_is_a_warning(broken: LoadedDocument) -> None:
    (d,) = [d for d in broken.defects if d.pointer == "/components/schemas/Unused/properties/x/maxLength"]
    assert d.severity is Severity.WARNING and d.operation is None and "no operation uses" in d.message


SPEC_31 = """
openapi: 3.1.0
info: {title: T, version: '1'}
paths:
  /things:
    get:
      parameters:
        - {name: q, in: query, content: {application/json: {schema: {type: object}, example: {a: 1}}}}
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema:
                type: [object, 'null']
                properties:
                  id: {type: integer, exclusiveMinimum: 0}
                  note: {type: string, nullable: true}
                  tuple: {type: array, prefixItems: [{type: string}]}
                examples: [{id: 1}]
"""


def test_openapi_31_documents(tmp_path: Path) -> None:
    ld = _load(tmp_path, SPEC_31)
    assert ld.document is not None and ld.document.openapi == "3.1.0"
    (op,) = ld.operations
    (q,) = op.parameters
    assert (
        q.schema is not None and q.schema.pointer == "/paths/~1things/get/parameters/0/content/application~1json/schema"
    )
    assert [(e.value, e.pointer) for e in q.examples] == [
        ({"a": 1}, "/paths/~1things/get/parameters/0/content/application~1json/example")
    ]
    (d,) = [d for d in ld.defects if d.severity is not Severity.INFO]
    assert d.code == "nullable-in-3.1" and d.severity is Severity.WARNING
    contract = load_files([tmp_path / "spec.yaml"])
    schema = contract.operations[0].responses[0].content[0].schema
    assert schema is not None
    assert schemas.validate(contract, schema, None) == []
    assert schemas.validate(contract, schema, {"id": 0})  # 3.1 numeric exclusiveMinimum works


def test_unknown_fields_and_swagger2_leftovers(tmp_path: Path) -> None:
    text = (
        "openapi: 3.0.1\ninfo: {title: T, version: '1'}\nbasePath: /v1\nproduces: [application/json]\n"
        "paths:\n  /x:\n    get:\n      consumes: [application/json]\n"
        "      parameters: [{name: n, in: query, type: string}]\n"
        "      responses: {'200': {description: ok, schema: {type: string}}, 'OK': {description: bad}}\n"
    )
    ld = _load(tmp_path, text)
    got = {(d.code, d.pointer) for d in ld.defects}
    assert ("swagger2-field", "/basePath") in got and ("swagger2-field", "/produces") in got
    assert ("unknown-field", "/paths/~1x/get/consumes") in got
    assert ("unknown-field", "/paths/~1x/get/parameters/0/type") in got
    assert ("no-schema", "/paths/~1x/get/parameters/0") in got
    assert ("unknown-field", "/paths/~1x/get/responses/200/schema") in got
    assert ("bad-status", "/paths/~1x/get/responses/OK") in got
    assert len(ld.operations) == 1


def test_duplicate_yaml_keys_are_reported_where_they_are(tmp_path: Path) -> None:
    text = (
        "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths:\n  /x:\n    get:\n"
        "      responses: {'200': {description: first}}\n"
        "      responses: {'204': {description: second}}\n"
    )
    ld = _load(tmp_path, text)
    (d,) = [d for d in ld.defects if d.code == "duplicate-key"]
    assert d.pointer == "/paths/~1x/get/responses" and d.operation == "GET /x" and "line 7" in d.message
    assert [r.status for r in ld.operations[0].responses] == ["204"]


def test_path_parameter_consistency(tmp_path: Path) -> None:
    text = (
        "openapi: 3.0.0\ninfo: {title: T, version: '1'}\npaths:\n  /x/{a}/{b}:\n    get:\n"
        "      parameters:\n        - {name: a, in: path, schema: {type: string}}\n"
        "        - {name: c, in: path, required: true, schema: {type: string}}\n"
        "      responses: {'200': {description: ok}}\n"
    )
    ld = _load(tmp_path, text)
    got: dict[str, Any] = {d.code: d for d in ld.defects}
    assert got["path-parameter-not-required"].pointer == "/paths/~1x~1{a}~1{b}/get/parameters/0"
    assert got["unused-path-parameter"].pointer == "/paths/~1x~1{a}~1{b}/get/parameters/1"
    assert "{b}" in got["undeclared-path-parameter"].message
    params = {p.name: p for p in ld.operations[0].parameters}
    assert params["a"].required and params["b"].required and params["b"].schema is None
