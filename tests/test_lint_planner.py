"""Lint says what the planner knows: every reason `plan` gives for an untestable case is a `specs lint` finding
with the same file and a pointer at or below the one the reason names, on every catalog release."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from plan_contracts import contract_from
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.model import Contract, Severity, SpecDefect
from govstack_conform.engine.plan.planner import plan_contract

RELEASES = [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]
_LOCATION = re.compile(r"\(([^()#\s]+)#([^()\s]*)\)\s*$")


def _covered(reason: str, findings: list[tuple[str, str]]) -> bool:
    m = _LOCATION.search(reason)
    if m is None:
        return False
    file, pointer = m.group(1), m.group(2)
    return any(f == file and (p == pointer or p.startswith(pointer + "/")) for f, p in findings)


@pytest.mark.parametrize("selector", RELEASES)
def test_plan_untestable_reasons_are_lint_findings(selector: str, corpus_dir: Path) -> None:
    env = {"GOVSTACK_CONFORM_SPECS": str(corpus_dir)}
    planned = CliRunner().invoke(app, ["plan", selector, "--json"], env=env)
    linted = CliRunner().invoke(app, ["specs", "lint", selector, "--json"], env=env)
    assert planned.exit_code == 0 and linted.exit_code == 0, planned.output + linted.output
    reasons = {c["untestable"] for c in json.loads(planned.output)["cases"] if c["untestable"]}
    (contract,) = json.loads(linted.output)["contracts"]
    findings = [(d["file"], d["pointer"]) for d in contract["defects"]]
    assert sorted(r for r in reasons if not _covered(r, findings)) == []


def _findings(contract: Contract, code: str) -> list[SpecDefect]:
    every = list(contract.defects) + [d for op in contract.operations for d in op.defects]
    unique = {tuple(sorted(d.to_dict().items())): d for d in every}  # an operation's defects are the contract's too
    return [d for d in unique.values() if d.code == code]


def _reasons(contract: Contract, operation: str) -> set[str]:
    return {c.untestable for c in plan_contract(contract) if c.operation == operation and c.untestable}


def _all_cite(contract: Contract, operation: str, text: str) -> bool:
    """The operation has untestable cases, and every one of them gives `text` as the reason."""
    reasons = _reasons(contract, operation)
    return bool(reasons) and all(text in r for r in reasons)


LINTED = """\
openapi: 3.0.3
info: {title: What lint owes the planner, version: "1"}
components:
  schemas:
    Id: {type: string, description: an id}
    Other: {type: string}
paths:
  /ids/{id}:
    get:
      parameters:
        - name: id
          in: path
          required: true
          schema: {oneOf: [{$ref: '#/components/schemas/Id'}, {$ref: '#/components/schemas/Other'}]}
      responses: {'200': {description: ok}}
  /either/{id}:
    get:
      parameters:
        - name: id
          in: path
          required: true
          schema: {oneOf: [{type: string}, {type: string, description: same}, {type: integer}]}
      responses: {'200': {description: ok}}
  /short:
    get:
      parameters:
        - {name: code, in: query, required: true, schema: {type: string, minLength: 5, maxLength: 2}}
      responses: {'200': {description: ok}}
  /levels:
    get:
      parameters:
        - {name: level, in: query, schema: {type: integer, enum: [low, high]}}
      responses: {'200': {description: ok}}
  /headers:
    get:
      parameters:
        - {name: X-Payer FI-ID, in: header, required: true, schema: {type: string}}
      responses: {'200': {description: ok}}
  /send:
    post:
      parameters:
        - name: body
          in: query
          required: true
          schema:
            type: object
            properties: {sender: {type: object, properties: {name: {type: string}}}}
        - name: tags
          in: header
          schema: {type: array, items: {type: array, items: {type: string}}}
      responses: {'200': {description: ok}, '405': {description: invalid input}}
  /failing:
    get:
      responses: {'400': {description: bad}, '5XX': {description: broken}}
  /documents:
    post:
      requestBody:
        required: true
        content: {application/xml: {schema: {type: object}}}
      responses: {'201': {description: stored}}
"""


@pytest.fixture(scope="module")
def linted(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return contract_from(tmp_path_factory.mktemp("lint"), "lint.yaml", LINTED)


def test_identical_oneof_branches(linted: Contract) -> None:
    """Every branch with a twin: no value is valid (ERROR, and the planner says so); some: a WARNING only."""
    (every,) = [d for d in _findings(linted, "oneof-overlap") if d.severity is Severity.ERROR]
    assert every.pointer == "/paths/~1ids~1{id}/get/parameters/0/schema/oneOf" and every.operation == "GET /ids/{id}"
    assert _all_cite(linted, "GET /ids/{id}", every.message)
    (some,) = [d for d in _findings(linted, "oneof-overlap") if d.severity is Severity.WARNING]
    assert "branches 0, 1" in some.message
    assert _reasons(linted, "GET /either/{id}") == set()  # an integer matches the third branch alone


def test_crossed_bounds_and_an_enum_of_the_wrong_type(linted: Contract) -> None:
    found = {(d.pointer.rsplit("/", 1)[-1], d.severity) for d in _findings(linted, "unsatisfiable")}
    assert found == {("minLength", Severity.ERROR), ("enum", Severity.ERROR)}
    assert _all_cite(linted, "GET /short", "minLength 5 is above maxLength 2")
    assert _all_cite(linted, "GET /levels", "no value of enum ['low', 'high'] is of type integer")


def test_a_header_name_no_request_can_carry(linted: Contract) -> None:
    (d,) = _findings(linted, "bad-header-name")
    assert d.severity is Severity.ERROR and d.pointer == "/paths/~1headers/get/parameters/0"
    assert _all_cite(linted, "GET /headers", "'X-Payer FI-ID' is not a valid HTTP header name")


def test_nested_parameters_and_a_swagger2_body(linted: Contract) -> None:
    nested = {d.pointer: d.message for d in _findings(linted, "nested-parameter")}
    assert set(nested) == {"/paths/~1send/post/parameters/0", "/paths/~1send/post/parameters/1"}
    assert "convention" in nested["/paths/~1send/post/parameters/0"]  # exploded form: sent by bracket nesting
    assert "no form for them" in nested["/paths/~1send/post/parameters/1"]  # a header: never
    (body,) = _findings(linted, "swagger2-body-parameter")
    assert body.pointer == "/paths/~1send/post/parameters/0" and "requestBody" in body.message


def test_only_error_statuses(linted: Contract) -> None:
    (d,) = _findings(linted, "no-success-response")
    assert d.pointer == "/paths/~1failing/get/responses" and "(400, 5XX)" in d.message
    assert _findings(linted, "no-success-response")[0].operation == "GET /failing"


def test_a_body_only_in_a_media_type_the_suite_does_not_build(linted: Contract) -> None:
    (d,) = _findings(linted, "ungenerated-media")
    assert d.pointer == "/paths/~1documents/post/requestBody/content/application~1xml"
    reasons = _reasons(linted, "POST /documents")
    assert reasons and all(_covered(r, [(d.file, d.pointer)]) for r in reasons)


def test_lint_no_longer_says_scheduler_has_no_defects(corpus_dir: Path) -> None:
    result = CliRunner().invoke(app, ["specs", "lint", "scheduler"], env={"GOVSTACK_CONFORM_SPECS": str(corpus_dir)})
    assert result.exit_code == 0 and "no defects" not in result.output
    assert result.output.count("[nested-parameter]") == 28
