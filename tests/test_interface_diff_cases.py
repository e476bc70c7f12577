"""The interface diff on small hand-written spec pairs: one test per kind of difference.

Each pair is a base spec (the "BB") and a copy with one change (the "candidate"); each test asserts the
finding that change must produce (code, severity, both locations) and, where it matters, that the
opposite change is not reported as breaking.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.interface_diff import DiffReport, Finding, Impact, diff_contracts
from govstack_conform.interface_diff.compare import shape

Spec = dict[str, Any]


def base_spec() -> Spec:
    return {
        "openapi": "3.0.3",
        "info": {"title": "Base", "version": "1"},
        "paths": {
            "/items/{itemId}": {
                "get": {
                    "operationId": "getItem",
                    "parameters": [
                        {"name": "itemId", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "lang", "in": "query", "required": False, "schema": {"type": "string"}},
                        {"name": "X-Trace", "in": "header", "required": True, "schema": {"type": "string"}},
                        {
                            "name": "sort",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["asc", "desc"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "the item",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                        },
                        "404": {"description": "no such item"},
                    },
                },
            },
            "/items": {
                "post": {
                    "operationId": "createItem",
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/NewItem"}}},
                    },
                    "responses": {
                        "201": {
                            "description": "created",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                        },
                        "400": {"description": "bad input"},
                    },
                },
            },
        },
        "components": {
            "schemas": {
                "NewItem": {
                    "type": "object",
                    "required": ["name"],
                    "properties": {
                        "name": {"type": "string", "maxLength": 50, "minLength": 1},
                        "colour": {"type": "string", "enum": ["red", "green", "blue"]},
                        "count": {"type": "integer", "minimum": 0, "maximum": 100},
                        "note": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "Item": {
                    "type": "object",
                    "required": ["id", "name", "status"],
                    "additionalProperties": False,
                    "properties": {
                        "id": {"type": "string"},
                        "name": {"type": "string", "maxLength": 50},
                        "status": {"type": "string", "enum": ["active", "retired"]},
                        "score": {"type": "number", "minimum": 0, "maximum": 10},
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Item"}},
                    },
                },
            }
        },
    }


def _write(path: Path, spec: Spec) -> Path:
    path.write_text(yaml.safe_dump(spec, sort_keys=False), encoding="utf-8")
    return path


def run_diff(
    tmp_path: Path, change: Callable[[Spec], None], bb_change: Callable[[Spec], None] | None = None
) -> DiffReport:
    bb_spec = base_spec()
    if bb_change:
        bb_change(bb_spec)
    cand = copy.deepcopy(bb_spec)
    change(cand)
    (tmp_path / "bb").mkdir(parents=True)
    (tmp_path / "cand").mkdir(parents=True)
    bb = load_spec_files([str(_write(tmp_path / "bb" / "bb.yaml", bb_spec))])
    candidate = load_spec_files([str(_write(tmp_path / "cand" / "vendor.yaml", cand))])
    return diff_contracts(bb, candidate)


def only(report: DiffReport, code: str) -> Finding:
    found = [f for f in report.findings if f.code == code]
    assert len(found) == 1, f"expected one {code}, got {[(f.code, f.message) for f in report.findings]}"
    return found[0]


def codes(report: DiffReport) -> set[str]:
    return {f.code for f in report.findings}


GET = "/paths/~1items~1{itemId}/get"
POST = "/paths/~1items/post"
NEW_ITEM = "/components/schemas/NewItem"
ITEM = "/components/schemas/Item"


def get_op(spec: Spec) -> Spec:
    result: Spec = spec["paths"]["/items/{itemId}"]["get"]
    return result


def post_op(spec: Spec) -> Spec:
    result: Spec = spec["paths"]["/items"]["post"]
    return result


def test_identical_spec_has_no_findings(tmp_path: Path) -> None:
    report = run_diff(tmp_path, lambda s: None)
    assert report.findings == ()
    assert report.operations_compared == 2
    assert not report.breaking


# ---- operations --------------------------------------------------------------------------------------


def test_missing_operation_is_breaking_and_extra_is_info(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        del s["paths"]["/items"]
        s["paths"]["/health"] = {"get": {"responses": {"200": {"description": "up"}}}}

    report = run_diff(tmp_path, change)
    missing = only(report, "operation-missing")
    assert missing.severity is Impact.BREAKING
    assert missing.operation == "POST /items"
    assert missing.bb_location == f"bb.yaml#{POST}"
    assert missing.candidate_location is None
    extra = only(report, "operation-extra")
    assert extra.severity is Impact.INFO
    assert extra.candidate_location == "vendor.yaml#/paths/~1health/get"
    assert report.breaking


def test_renamed_path_parameter_matches_the_operation(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        item = s["paths"].pop("/items/{itemId}")
        item["get"]["parameters"][0]["name"] = "id"
        s["paths"]["/items/{id}"] = item

    report = run_diff(tmp_path, change)
    renamed = only(report, "path-parameter-renamed")
    assert renamed.severity is Impact.NON_BREAKING
    assert "{itemId} → {id}" in renamed.message
    assert renamed.candidate_location == "vendor.yaml#/paths/~1items~1{id}/get"
    assert "operation-missing" not in codes(report)
    assert not report.breaking  # the path parameter itself is matched by position, not reported missing
    assert shape("/items/{id}") == shape("/items/{itemId}/") == "/items/{}"


# ---- parameters --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("required", "code", "impact"),
    [(True, "parameter-added-required", Impact.BREAKING), (False, "parameter-added", Impact.NON_BREAKING)],
)
def test_added_parameter(tmp_path: Path, required: bool, code: str, impact: Impact) -> None:
    def change(s: Spec) -> None:
        get_op(s)["parameters"].append(
            {"name": "tenant", "in": "query", "required": required, "schema": {"type": "string"}}
        )

    f = only(run_diff(tmp_path, change), code)
    assert f.severity is impact
    assert f.bb_location == f"bb.yaml#{GET}"
    assert f.candidate_location == f"vendor.yaml#{GET}/parameters/4"


def test_missing_parameters_required_breaks_optional_does_not(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        get_op(s)["parameters"] = [p for p in get_op(s)["parameters"] if p["name"] not in ("X-Trace", "lang")]

    report = run_diff(tmp_path, change)
    required = only(report, "parameter-missing")
    assert required.severity is Impact.BREAKING
    assert "'X-Trace'" in required.message
    assert required.bb_location == f"bb.yaml#{GET}/parameters/2"
    optional = only(report, "optional-parameter-missing")
    assert optional.severity is Impact.NON_BREAKING
    assert "'lang'" in optional.message


def test_parameter_made_required_and_header_names_are_case_insensitive(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        get_op(s)["parameters"][1]["required"] = True
        get_op(s)["parameters"][2]["name"] = "x-trace"

    report = run_diff(tmp_path, change)
    f = only(report, "parameter-made-required")
    assert f.severity is Impact.BREAKING
    assert f.bb_location == f"bb.yaml#{GET}/parameters/1"
    assert f.candidate_location == f"vendor.yaml#{GET}/parameters/1"
    assert codes(report) == {"parameter-made-required"}


def test_parameter_type_and_enum_changes(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        get_op(s)["parameters"][0]["schema"] = {"type": "integer"}
        get_op(s)["parameters"][3]["schema"]["enum"] = ["asc"]

    report = run_diff(tmp_path, change)
    t = only(report, "parameter.type")
    assert t.severity is Impact.BREAKING
    assert t.bb_location == f"bb.yaml#{GET}/parameters/0/schema"
    assert t.candidate_location == f"vendor.yaml#{GET}/parameters/0/schema"
    e = only(report, "parameter.enum")
    assert e.severity is Impact.BREAKING
    assert '"desc"' in e.message


def test_parameter_widened_is_not_reported(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        get_op(s)["parameters"][3]["schema"]["enum"] = ["asc", "desc", "random"]

    assert run_diff(tmp_path, change).findings == ()


def test_parameters_travel_as_text(tmp_path: Path) -> None:
    """A string parameter accepts every integer the BB allows ("42" on the wire); the reverse does not."""

    def integer_in_bb(s: Spec) -> None:
        get_op(s)["parameters"][1]["schema"] = {"type": "integer"}

    def string_again(s: Spec) -> None:
        get_op(s)["parameters"][1]["schema"] = {"type": "string"}

    assert run_diff(tmp_path / "a", string_again, integer_in_bb).findings == ()
    assert only(run_diff(tmp_path / "b", integer_in_bb), "parameter.type").breaking


def test_parameter_style_change_is_breaking(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        get_op(s)["parameters"][1]["explode"] = False

    f = only(run_diff(tmp_path, change), "parameter-style-changed")
    assert f.severity is Impact.BREAKING
    assert "explode=true" in f.message and "explode=false" in f.message
