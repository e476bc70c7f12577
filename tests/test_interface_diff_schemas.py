"""Request schemas that reject what the BB allows, response schemas that may return what it forbids,
status codes, content types and security: one hand-written change per test (see test_interface_diff_cases)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from test_interface_diff_cases import GET, ITEM, NEW_ITEM, POST, Spec, base_spec, codes, get_op, only, post_op, run_diff

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.model import Schema
from govstack_conform.interface_diff import Impact
from govstack_conform.interface_diff.schema_compat import compare_schemas


def new_item(s: Spec) -> Spec:
    result: Spec = s["components"]["schemas"]["NewItem"]
    return result


def item(s: Spec) -> Spec:
    result: Spec = s["components"]["schemas"]["Item"]
    return result


# ---- request bodies: the candidate must accept everything the BB allows ------------------------------


@pytest.mark.parametrize(
    ("change", "code", "bb_at", "cand_at", "words"),
    [
        (lambda s: new_item(s)["required"].append("colour"), "required", f"{NEW_ITEM}/properties/colour",
         f"{NEW_ITEM}/required/1", '"colour"'),
        (lambda s: new_item(s)["properties"]["colour"].update(enum=["red", "green"]), "enum",
         f"{NEW_ITEM}/properties/colour", f"{NEW_ITEM}/properties/colour", '"blue"'),
        (lambda s: new_item(s)["properties"]["name"].update(maxLength=20), "max-length",
         f"{NEW_ITEM}/properties/name", f"{NEW_ITEM}/properties/name", "maxLength 20"),
        (lambda s: new_item(s)["properties"]["name"].update(minLength=3), "min-length",
         f"{NEW_ITEM}/properties/name", f"{NEW_ITEM}/properties/name", "minLength 3"),
        (lambda s: new_item(s)["properties"]["count"].update(maximum=10), "maximum",
         f"{NEW_ITEM}/properties/count", f"{NEW_ITEM}/properties/count", "<= 10"),
        (lambda s: new_item(s)["properties"]["count"].update(minimum=1), "minimum",
         f"{NEW_ITEM}/properties/count", f"{NEW_ITEM}/properties/count", ">= 1"),
        (lambda s: new_item(s)["properties"]["note"].update(pattern="^[a-z]+$"), "pattern",
         f"{NEW_ITEM}/properties/note", f"{NEW_ITEM}/properties/note", "^[a-z]+$"),
        (lambda s: new_item(s)["properties"]["count"].update(type="string"), "type",
         f"{NEW_ITEM}/properties/count", f"{NEW_ITEM}/properties/count", '["integer"]'),
        (lambda s: new_item(s).update(additionalProperties=False), "additional-properties", NEW_ITEM, NEW_ITEM,
         "additionalProperties: false"),
        (lambda s: new_item(s)["properties"]["tags"]["items"].update(maxLength=5), "max-length",
         f"{NEW_ITEM}/properties/tags/items", f"{NEW_ITEM}/properties/tags/items", "at /tags/*"),
    ],
)  # fmt: skip
def test_request_narrowed_is_breaking(tmp_path: Path, change, code: str, bb_at: str, cand_at: str, words: str) -> None:  # type: ignore[no-untyped-def]
    f = only(run_diff(tmp_path, change), f"request-body.{code}")
    assert f.severity is Impact.BREAKING
    assert f.operation == "POST /items"
    assert f.bb_location == f"bb.yaml#{bb_at}"
    assert f.candidate_location == f"vendor.yaml#{cand_at}"
    assert words in f.message
    assert "rejects requests the BB allows" in f.message


@pytest.mark.parametrize(
    "change",
    [
        lambda s: new_item(s)["required"].clear(),
        lambda s: new_item(s)["properties"]["colour"]["enum"].append("black"),
        lambda s: new_item(s)["properties"]["name"].update(maxLength=500),
        lambda s: new_item(s)["properties"]["count"].update(type="number", minimum=-5),
        lambda s: new_item(s)["properties"]["name"].pop("minLength"),
    ],
)
def test_request_widened_is_not_reported(tmp_path: Path, change) -> None:  # type: ignore[no-untyped-def]
    report = run_diff(tmp_path, change)
    assert not [f for f in report.findings if f.code.startswith("request-body.")]
    assert not report.breaking


def test_request_body_content_type_and_presence(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        body = post_op(s)["requestBody"]
        body["content"] = {"application/xml": body["content"]["application/json"]}

    report = run_diff(tmp_path, change)
    f = only(report, "request-content-type-missing")
    assert f.severity is Impact.BREAKING
    assert f.bb_location == f"bb.yaml#{POST}/requestBody/content/application~1json"
    assert only(report, "request-content-type-extra").severity is Impact.INFO


def test_request_body_made_required_and_missing(tmp_path: Path) -> None:
    def optional_in_bb(s: Spec) -> None:
        post_op(s)["requestBody"]["required"] = False

    def required_again(s: Spec) -> None:
        post_op(s)["requestBody"]["required"] = True

    assert only(run_diff(tmp_path / "a", required_again, optional_in_bb), "request-body-made-required").breaking
    missing = only(run_diff(tmp_path / "b", lambda s: post_op(s).pop("requestBody")), "request-body-missing")
    assert missing.severity is Impact.BREAKING  # the BB's body is required


# ---- responses: the candidate must not return what the BB forbids ------------------------------------


@pytest.mark.parametrize(
    ("change", "code", "at", "words"),
    [
        (lambda s: item(s)["properties"]["score"].update(type="string"), "type", f"{ITEM}/properties/score",
         '["string"]'),
        (lambda s: item(s)["required"].remove("status"), "required", f"{ITEM}/properties/status", '"status"'),
        (lambda s: item(s)["properties"]["status"]["enum"].append("deleted"), "enum", f"{ITEM}/properties/status",
         '"deleted"'),
        (lambda s: item(s)["properties"]["score"].update(maximum=100), "maximum", f"{ITEM}/properties/score",
         "<= 100"),
        (lambda s: item(s)["properties"]["score"].pop("minimum"), "minimum", f"{ITEM}/properties/score",
         "no minimum"),
        (lambda s: item(s)["properties"]["name"].update(nullable=True), "nullable", f"{ITEM}/properties/name",
         '"null"'),
        (lambda s: item(s).pop("additionalProperties"), "additional-properties", ITEM, "undeclared properties"),
        (lambda s: item(s)["properties"].update(extra={"type": "string"}), "property-forbidden",
         f"{ITEM}/properties/extra", '"extra"'),
    ],
)  # fmt: skip
def test_response_widened_is_breaking(tmp_path: Path, change, code: str, at: str, words: str) -> None:  # type: ignore[no-untyped-def]
    report = run_diff(tmp_path, change)
    found = [f for f in report.findings if f.code == f"response-body.{code}"]
    # Item is the body of GET 200 and of POST 201: one finding per operation, same locations.
    assert {f.operation for f in found} == {"GET /items/{itemId}", "POST /items"}, report.findings
    for f in found:
        assert f.severity is Impact.BREAKING
        assert f.candidate_location == f"vendor.yaml#{at}"
        assert f.bb_location is not None and f.bb_location.startswith("bb.yaml#/components/schemas/Item")
        assert words in f.message
        assert "may return what the BB forbids" in f.message


def test_response_narrowed_is_not_reported(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        item(s)["properties"]["status"]["enum"] = ["active"]
        item(s)["properties"]["score"]["maximum"] = 5
        item(s)["required"].append("score")

    report = run_diff(tmp_path, change)
    assert not [f for f in report.findings if f.code.startswith("response-body.")]


def test_recursive_schema_difference_deep_inside_is_found_once(tmp_path: Path) -> None:
    """Item.children refers back to Item: the comparison terminates and reports the nested change."""

    def change(s: Spec) -> None:
        item(s)["properties"]["children"]["items"] = {"$ref": "#/components/schemas/Child"}
        child = {k: v for k, v in item(s).items()}
        child["properties"] = dict(item(s)["properties"], id={"type": "integer"})
        s["components"]["schemas"]["Child"] = child

    report = run_diff(tmp_path, change)
    found = [f for f in report.findings if f.code == "response-body.type"]
    assert found and all("/children/*/id" in f.message for f in found)
    assert found[0].candidate_location == "vendor.yaml#/components/schemas/Child/properties/id"
    assert found[0].bb_location == f"bb.yaml#{ITEM}/properties/id"


def test_all_of_is_read_as_one_schema(tmp_path: Path) -> None:
    """A candidate that splits the BB's request object into allOf parts accepts the same bodies."""

    def split(s: Spec) -> None:
        whole = new_item(s)
        names = list(whole["properties"])
        s["components"]["schemas"]["NewItem"] = {
            "allOf": [
                {"type": "object", "properties": {k: whole["properties"][k] for k in names[:2]}},
                {"required": whole["required"], "properties": {k: whole["properties"][k] for k in names[2:]}},
            ]
        }

    assert run_diff(tmp_path / "a", split).findings == ()

    def split_and_tighten(s: Spec) -> None:
        split(s)
        new_item(s)["allOf"][1]["required"] = ["name", "count"]

    f = only(run_diff(tmp_path / "b", split_and_tighten), "request-body.required")
    assert '"count"' in f.message
    assert f.candidate_location == f"vendor.yaml#{NEW_ITEM}/allOf/1/required/1"


def test_additional_properties_false_in_one_all_of_member_forbids_siblings(tmp_path: Path) -> None:
    """JSON Schema: a member's additionalProperties does not see its siblings' properties."""

    def change(s: Spec) -> None:
        whole = new_item(s)
        s["components"]["schemas"]["NewItem"] = {"allOf": [whole, {"additionalProperties": False}]}

    report = run_diff(tmp_path, change)
    forbidden = [f for f in report.findings if f.code == "request-body.property-forbidden"]
    assert sorted(str(f.bb_location) for f in forbidden) == [
        f"bb.yaml#{NEW_ITEM}/properties/{name}" for name in ("colour", "count", "name", "note", "tags")
    ]
    assert all(f.candidate_location == f"vendor.yaml#{NEW_ITEM}/allOf/1" for f in forbidden)
    assert all(f.breaking for f in forbidden)


def test_one_of_response_alternatives(tmp_path: Path) -> None:
    def bb(s: Spec) -> None:
        item(s)["properties"]["score"] = {"oneOf": [{"type": "string"}, {"type": "integer"}]}

    fine = run_diff(tmp_path / "a", lambda s: item(s)["properties"].update(score={"type": "string"}), bb)
    assert fine.findings == ()
    wrong = run_diff(tmp_path / "b", lambda s: item(s)["properties"].update(score={"type": "boolean"}), bb)
    found = [f for f in wrong.findings if f.code == "response-body.type"]
    assert found and "alternatives" in found[0].message


def test_broken_candidate_schema_is_info_not_a_crash(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        item(s)["properties"]["children"]["items"] = {"$ref": "#/components/schemas/Nowhere"}

    report = run_diff(tmp_path, change)
    assert {(f.code, f.severity, f.bb_location) for f in report.findings} == {
        ("cannot-compare", Impact.INFO, f"bb.yaml#{GET}/responses/200"),
        ("cannot-compare", Impact.INFO, f"bb.yaml#{POST}/responses/201"),
    }
    assert all("Nowhere" in f.message for f in report.findings)


@pytest.mark.parametrize(
    "broken", [{"$ref": "#/components/schemas/Nowhere"}, "not a schema", {"allOf": [{"$ref": "#/x"}]}]
)
def test_unusable_schema_inside_the_comparison_is_info(tmp_path: Path, broken: object) -> None:
    """Below the loader's checks (a schema built by hand): SchemaUnusable becomes one info difference."""
    bb_file = tmp_path / "bb.yaml"
    bb_file.write_text(yaml.safe_dump(base_spec()), encoding="utf-8")
    contract = load_spec_files([str(bb_file)])
    good = Schema(node={"$ref": "#/components/schemas/Item"}, doc="bb.yaml", pointer="/x")
    bad = Schema(node=broken, doc="bb.yaml", pointer="/y")
    for direction in ("request", "response"):
        diffs = compare_schemas(contract, good, contract, bad, direction)
        assert [(d.kind, d.impact) for d in diffs] == [("cannot-compare", Impact.INFO)], diffs
        assert diffs[0].candidate is not None and diffs[0].candidate.pointer.startswith("/y")


# ---- statuses, content types, security ---------------------------------------------------------------


def test_status_codes(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        responses = get_op(s)["responses"]
        responses["203"] = responses.pop("200")
        del responses["404"]
        responses["503"] = {"description": "later"}

    report = run_diff(tmp_path, change)
    missing = only(report, "status-missing")
    assert missing.severity is Impact.BREAKING
    assert missing.bb_location == f"bb.yaml#{GET}/responses/200"
    assert only(report, "error-status-missing").severity is Impact.NON_BREAKING
    extra = only(report, "status-extra")
    assert extra.severity is Impact.NON_BREAKING and extra.candidate_location == f"vendor.yaml#{GET}/responses/203"
    assert only(report, "error-status-extra").severity is Impact.INFO


def test_status_range_covers_code(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        responses = get_op(s)["responses"]
        responses["2XX"] = responses.pop("200")

    report = run_diff(tmp_path, change)
    assert "status-missing" not in codes(report)
    assert not report.breaking


def test_response_content_type_missing(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        ok = get_op(s)["responses"]["200"]
        ok["content"] = {"text/csv": {"schema": {"type": "string"}}}

    report = run_diff(tmp_path, change)
    f = only(report, "response-content-type-missing")
    assert f.severity is Impact.BREAKING
    assert f.bb_location == f"bb.yaml#{GET}/responses/200/content/application~1json"
    assert f.candidate_location == f"vendor.yaml#{GET}/responses/200"
    assert only(report, "response-content-type-extra").severity is Impact.NON_BREAKING


def test_json_charset_parameter_is_the_same_media_type(tmp_path: Path) -> None:
    def change(s: Spec) -> None:
        ok = get_op(s)["responses"]["200"]
        ok["content"] = {"application/json; charset=utf-8": ok["content"]["application/json"]}

    assert run_diff(tmp_path, change).findings == ()


def _secured(s: Spec) -> None:
    s.setdefault("components", {})["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    s["security"] = [{"bearer": []}]


def test_security_removed_is_breaking_added_is_not(tmp_path: Path) -> None:
    removed = run_diff(tmp_path / "a", lambda s: s.pop("security"), _secured)
    assert {f.code for f in removed.findings} == {"security-removed"}
    assert all(f.severity is Impact.BREAKING for f in removed.findings)
    assert len(removed.findings) == 2
    added = run_diff(tmp_path / "b", _secured)
    assert {f.code for f in added.findings} == {"security-added"}
    assert not added.breaking
