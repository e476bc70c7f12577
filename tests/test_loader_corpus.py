"""The loader against every OpenAPI file of the real GovSpecs corpus."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import LoadedDocument, build_contract, load_document
from govstack_conform.contracts.model import Contract, Operation, Schema, Severity, SpecDefect


@pytest.fixture(scope="module")
def loaded(corpus_dir: Path, manifest: list[dict[str, Any]]) -> dict[str, LoadedDocument]:
    return {
        e["file"]: load_document(corpus_dir / e["file"], e["file"], root=corpus_dir)
        for e in manifest
        if e["kind"] != "feature"
    }


@pytest.fixture(scope="module")
def contracts(corpus_dir: Path, manifest: list[dict[str, Any]]) -> list[Contract]:
    groups: dict[tuple[str, str], list[tuple[str, Path]]] = defaultdict(list)
    for e in manifest:
        if e["kind"] != "feature":
            groups[(e["bb"], e["ref"])].append((e["file"], corpus_dir / e["file"]))
    return [build_contract(bb, ref, bb, files, root=corpus_dir) for (bb, ref), files in groups.items()]


def _find(ld: LoadedDocument, code: str, pointer: str) -> SpecDefect:
    hits = [d for d in ld.defects if d.code == code and d.pointer == pointer]
    assert hits, f"no {code} defect at {pointer}; got {[(d.code, d.pointer) for d in ld.defects]}"
    return hits[0]


def _at(doc: Any, pointer: str) -> Any:
    """Independent JSON-pointer lookup used to check the loader's pointers."""
    node = doc
    for token in pointer.split("/")[1:] if pointer else []:
        token = token.replace("~1", "/").replace("~0", "~")
        node = node[int(token)] if isinstance(node, list) else node[token]
    return node


def test_every_openapi_file_loads_with_manifest_operation_count(
    loaded: dict[str, LoadedDocument], manifest: list[dict[str, Any]]
) -> None:
    checked = 0
    for e in manifest:
        if e["kind"] == "feature":
            continue
        ld = loaded[e["file"]]
        expected = e["operations"]
        if expected is None:  # the manifest could not parse it either: must be one "unreadable" defect
            assert ld.document is None and ld.operations == ()
            assert [d.code for d in ld.defects] == ["unreadable"], e["file"]
            continue
        assert ld.document is not None, (e["file"], ld.defects)
        if len(ld.operations) != expected:
            lost = [d for d in ld.defects if d.severity is Severity.ERROR and d.aspect in (None, "operation")]
            assert len(ld.operations) < expected and lost, (e["file"], expected, len(ld.operations))
        assert all(op.source_file == e["file"] for op in ld.operations)
        assert ld.document.openapi == e["openapi_version"]
        checked += 1
    assert checked >= 170


def test_every_invalid_manifest_file_yields_a_matching_defect(
    loaded: dict[str, LoadedDocument], manifest: list[dict[str, Any]]
) -> None:
    """Each manifest validation_error has a defect of the matching kind (and place, where it names one)."""
    rules: list[tuple[str, str]] = [
        (r"PointerToNowhere: '([^']+)'", "dangling-ref"),
        (r"'examples' was unexpected", "unknown-field"),
        (r"'string' is not of type 'object', 'boolean'", "not-a-schema"),
        (r"Duplicate parameter '([^']+)'", "duplicate-parameter"),
        (r"'basePath', 'definitions', 'schemes', 'securityDefinitions'", "swagger2-field"),
        (r"Path parameter '([^']+)' for '(\w+)' operation in '([^']+)' was not resolved", "undeclared-path-parameter"),
        (r"YAML parse error", "unreadable"),
        (r"'float' is not one of", "invalid-type"),
        (r"'headers' does not match", "unknown-field"),
    ]
    invalid = [e for e in manifest if e["kind"] != "feature" and not e["valid"]]
    assert len(invalid) >= 28
    for e in invalid:
        error = e["validation_error"]
        matched = [(m, code) for rx, code in rules if (m := re.search(rx, error))]
        assert matched, f"test does not know the manifest error of {e['file']}: {error}"
        m, code = matched[0]
        defects = [d for d in loaded[e["file"]].defects if d.code == code]
        assert defects, (e["file"], code, [(d.code, d.pointer) for d in loaded[e["file"]].defects])
        if code == "dangling-ref":
            assert any(m.group(1) in d.message and d.severity is Severity.ERROR for d in defects), e["file"]
        if code == "duplicate-parameter":
            assert any(repr(m.group(1)) in d.message for d in defects)
        if code == "undeclared-path-parameter":
            name, method, path = m.groups()
            assert any(d.operation == f"{method.upper()} {path}" and name in d.message for d in defects)
        if code == "swagger2-field":
            assert {d.pointer for d in defects} >= {"/basePath", "/definitions", "/schemes", "/securityDefinitions"}


def test_prose_file_is_one_unreadable_defect(loaded: dict[str, LoadedDocument]) -> None:
    ld = loaded["payments/main/P2G-API-YAMLs/billInquiryBillerResponse.yml"]
    assert ld.document is None and ld.operations == ()
    (d,) = ld.defects
    assert d.code == "unreadable" and d.severity is Severity.ERROR
    assert d.file == "payments/main/P2G-API-YAMLs/billInquiryBillerResponse.yml"
    assert "line 3, column 1" in d.message and "\n" not in d.message


def test_messaging_swagger2_keys_reported_and_operations_load(loaded: dict[str, LoadedDocument]) -> None:
    for name in ("messaging/main/swagger.yaml", "messaging/main/swagger.json"):
        ld = loaded[name]
        assert len(ld.operations) == 4
        for key in ("basePath", "definitions", "schemes", "securityDefinitions"):
            d = _find(ld, "swagger2-field", f"/{key}")
            assert d.severity is Severity.WARNING and d.file == name
        # schemas under Swagger-2 `definitions` still resolve (the keys exist in the document)
        assert not any(d.code == "dangling-ref" for d in ld.defects)
        op = next(o for o in ld.operations if o.key == "POST /send/email/single")
        assert {(p.name, p.location) for p in op.parameters} >= {("apiKey", "header")}
        assert op.security == ((("apiKey", ()),),)
        assert any(d.code == "undeclared-security-scheme" and d.operation == op.key for d in op.defects)


def test_dangling_refs_block_the_affected_response_only(loaded: dict[str, LoadedDocument]) -> None:
    ld = loaded["digital-registries/main/GovStack_Digital_registries_BB_Database_API_template-1.3.0.json"]
    d = _find(ld, "dangling-ref", "/paths/~1databases/get/responses/200/content/application~1json/schema")
    assert d.severity is Severity.ERROR and d.operation == "GET /databases" and d.aspect == "response:200"
    assert "'/components/schemas/DatabasesSchema'" in d.message
    op = next(o for o in ld.operations if o.key == "GET /databases")
    assert op.blocked("response:200") is d
    assert op.blocked("parameters") is None and op.blocked("response:400") is None
    others = [o for o in ld.operations if o.key != "GET /databases"]
    assert len(others) == 3 and all(o.blocked("response:200") is None for o in others)

    ld = loaded["digital-registries/main/GovStack_Digital_registries_BB_Database_API_template-1.3.0.yaml"]
    d = _find(ld, "dangling-ref", "/paths/~1database~1{id}/get/responses/200/content/application~1json/schema")
    assert d.operation == "GET /database/{id}" and d.aspect == "response:200"
    assert "'/components/schemas/DatabaseInfo'" in d.message
    d = _find(ld, "dangling-ref", "/paths/~1databases/get/responses/200/content/application~1json/schema")
    assert "did you mean 'databasesSchema'" in d.message


@pytest.mark.parametrize(
    ("name", "pointer", "op"),
    [
        ("VoucherCreationResponse.yml", "/paths/~1voucher-details-return/post", "POST /voucher-details-return"),
        ("VoucherPreactivationRequest.yml", "/paths/~1vouchers/post", "POST /vouchers"),
    ],
)
def test_type_float_is_an_error_on_what_uses_it(
    loaded: dict[str, LoadedDocument], name: str, pointer: str, op: str
) -> None:
    ld = loaded[f"payments/main/Voucher-API-YAMLs/{name}"]
    where = pointer + "/requestBody/content/application~1json/schema/properties/voucherInstructions/items"
    d = _find(ld, "invalid-type", where + "/properties/amount/type")
    assert d.severity is Severity.ERROR and d.operation == op and d.aspect == "request-body"
    assert "'float'" in d.message and "number" in d.message
    assert ld.operations[0].blocked("request-body") is d
    assert ld.operations[0].blocked("response:200") is None


def test_duplicate_parameter_in_pubsub(loaded: dict[str, LoadedDocument]) -> None:
    ld = loaded["information-mediator/main/GovStack_IM_PubSub_API.yaml"]
    path = "/r1/{instanceId}/{memberClass}/{memberCode}/{applicationCode}/pull/v1/{eventType}"
    d = _find(ld, "duplicate-parameter", "/paths/" + path.replace("/", "~1") + "/parameters/6")
    assert d.operation == f"GET {path}" and "'eventType'" in d.message and d.severity is Severity.WARNING
    op = next(o for o in ld.operations if o.key == f"GET {path}")
    assert [p.name for p in op.parameters].count("eventType") == 1
    assert len(ld.operations) == 14


def test_undeclared_path_parameter_and_the_duplicate_key_behind_it(loaded: dict[str, LoadedDocument]) -> None:
    ld = loaded["payments/main/G2P-API-YAMLs/GetAuthorizationRequest.yml"]
    d = _find(ld, "undeclared-path-parameter", "/paths/~1batches~1{batchId}/post")
    assert d.operation == "POST /batches/{batchId}" and "batchId" in d.message
    dup = _find(ld, "duplicate-key", "/paths/~1batches~1{batchId}/post/parameters")
    assert dup.operation == "POST /batches/{batchId}"
    (op,) = ld.operations
    implied = next(p for p in op.parameters if p.name == "batchId")
    assert implied.location == "path" and implied.required and implied.schema is None
    assert any(p.name == "X-Client-Correlation-ID" and p.location == "header" for p in op.parameters)


def test_examples_on_a_31_response_object(loaded: dict[str, LoadedDocument]) -> None:
    ld = loaded["gis/main/GovStack_GISBB_mapDisplay-1.0.0-swagger-2.yaml"]
    d = _find(ld, "unknown-field", "/paths/~1type/get/responses/200/examples")
    assert d.operation == "GET /type" and "content/<media type>/examples" in d.message
    assert len(ld.operations) == 8


def test_string_where_a_schema_is_expected(loaded: dict[str, LoadedDocument]) -> None:
    ld = loaded["identity/main/enrollment.yaml"]
    tail = "/properties/request/properties/biometrics/properties/birInfo/properties/payload/items/properties/type"
    hits = [d for d in ld.defects if d.code == "not-a-schema" and d.pointer.endswith(tail)]
    assert hits and hits[0].severity is Severity.ERROR and hits[0].aspect == "request-body"
    assert "'string' stands where a schema is expected" in hits[0].message
    (op,) = ld.operations
    assert op.blocked("request-body") is not None and op.blocked("response:200") is None


def test_headers_in_the_wrong_place(loaded: dict[str, LoadedDocument]) -> None:
    for name in ("VoucherRedemption.yml", "VoucherStatus.yml"):
        ld = loaded[f"payments/main/Voucher-API-YAMLs/{name}"]
        d = _find(ld, "unknown-field", "/headers")
        assert d.severity is Severity.WARNING and "header parameters" in d.message
        assert len(ld.operations) == 1


def test_schema_pointers_locate_their_nodes(contracts: list[Contract]) -> None:
    """Schema.(doc, pointer) is where Schema.node physically stands, as validators need."""
    count = 0
    for c in contracts:
        for op in c.operations:
            for schema in _schemas(op):
                assert _at(c.documents[schema.doc].raw, schema.pointer) is schema.node, (op.key, schema.pointer)
                count += 1
            raw = c.documents[op.source_file].raw
            assert _at(raw, op.pointer) is not None
            for p in op.parameters:
                node = _at(raw, p.pointer)
                assert node.get("name") == p.name or p.schema is None, (op.key, p.pointer)
            for r in op.responses:
                assert isinstance(_at(raw, r.pointer), dict)
                for mt in r.content:
                    for ex in mt.examples:
                        assert _at(raw, ex.pointer) is ex.value
    assert count > 1000


def _schemas(op: Operation) -> list[Schema]:
    out = [p.schema for p in op.parameters if p.schema]
    if op.request_body:
        out += [mt.schema for mt in op.request_body.content if mt.schema]
    for r in op.responses:
        out += [mt.schema for mt in r.content if mt.schema]
        out += [h.schema for h in r.headers if h.schema]
    return out


def test_validators_never_crash_on_an_unblocked_aspect(contracts: list[Contract]) -> None:
    """If a schema cannot be evaluated, the loader must have marked that aspect blocked (no silent crash)."""
    probes: list[Any] = [{}, [], "x", 1, 1.5, None, True, {"type": "x", "id": 1}]
    validated = 0
    for c in contracts:
        for op in c.operations:
            aspects = [("parameters", p.schema, "request") for p in op.parameters if p.schema]
            if op.request_body:
                aspects += [("request-body", mt.schema, "request") for mt in op.request_body.content if mt.schema]
            for r in op.responses:
                aspects += [(f"response:{r.status}", mt.schema, "response") for mt in r.content if mt.schema]
            for aspect, schema, direction in aspects:
                for value in probes:
                    try:
                        schemas.validate(c, schema, value, direction=direction)
                        validated += 1
                    except Exception as e:  # any failure must be explained by a defect
                        assert op.blocked(aspect) is not None, (op.source_file, op.key, aspect, repr(e))
                        break
    assert validated > 10000


def test_documents_and_registry_of_a_merged_contract(corpus_dir: Path) -> None:
    files = [
        (k, corpus_dir / k)
        for k in (
            "digital-registries/main/GovStack_Digital_registries_BB_Data_API_template-1.3.0.json",
            "digital-registries/main/gitbook-assets/GovStack_Digital_registries_BB_Database_API_template-1.3.0.yaml",
        )
    ]
    c = build_contract("digital-registries", "main", "Digital Registries", files, root=corpus_dir)
    assert set(c.documents) == {k for k, _ in files}
    assert len(c.operations) == 15
    assert {op.source_file for op in c.operations} == {k for k, _ in files}
    assert c.security_schemes["apiKey"].location == "header"
    assert c.security_schemes["apiKey"].param_name == "Authorization"
    again = build_contract("digital-registries", "main", "Digital Registries", files, root=corpus_dir)
    assert again is c


def test_registry_validates_the_spec_examples(corpus_dir: Path) -> None:
    """The wallet spec's response examples are valid against their $ref'd 3.1 schemas, through the registry."""
    key = "wallet/main/gitbook-assets/wallet-bb.yaml"
    c = build_contract("wallet", "main", "Wallet", [(key, corpus_dir / key)], root=corpus_dir)
    checked = 0
    for op in c.operations:
        for r in op.responses:
            for mt in r.content:
                for ex in mt.examples:
                    if mt.schema is not None:
                        assert schemas.validate(c, mt.schema, ex.value) == [], (op.key, r.status)
                        wrong: Any = 12345 if isinstance(ex.value, str) else "not-the-documented-shape"
                        assert schemas.validate(c, mt.schema, wrong), (op.key, r.status)
                        checked += 1
    assert checked >= 10


def test_json_with_tabs_parses(loaded: dict[str, LoadedDocument], corpus_dir: Path) -> None:
    name = "registration/main/GovStack_Registration_BB_API.json"
    assert b"\t" in (corpus_dir / name).read_bytes()
    ld = loaded[name]
    assert ld.document is not None and len(ld.operations) == 12
    assert json.loads((corpus_dir / name).read_text()) == ld.document.raw
