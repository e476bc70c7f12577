"""Findings: a real FastAPI product answers its default 422 where the contract documents 400, on every
operation, and sends null for a field that is not nullable. Many failed cases, two root causes.

FastAPI validates request bodies itself and answers 422 Unprocessable Entity to every invalid one: a
product documented with 400 fails invalid_input_rejected on every negative case, for one reason.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from pydantic import BaseModel, Field
from verdict_helpers import run_app

from govstack_conform.assessment.compliance import assess
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.results import BBResult, Outcome, RunResults
from govstack_conform.report.formats.base import FORMATS

RESOURCES = ("things", "orders", "notes", "tags")

SPEC = (
    """\
openapi: 3.0.3
info: {title: Records, version: "1.0"}
components:
  responses:
    Invalid:
      description: the request is invalid
      content:
        application/json:
          schema: {type: object}
  schemas:
    Input:
      type: object
      required: [name, size]
      properties:
        name: {type: string, minLength: 1, maxLength: 20}
        size: {type: integer, minimum: 0, maximum: 100}
    Record:
      type: object
      required: [id, name]
      properties:
        id: {type: string}
        name: {type: string}
        label: {type: string}
paths:
"""
    + "".join(
        f"""\
  /{r}:
    post:
      operationId: create_{r}
      requestBody:
        required: true
        content:
          application/json:
            schema: {{$ref: '#/components/schemas/Input'}}
      responses:
        '201':
          description: created
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Record'}}
        '400': {{$ref: '#/components/responses/Invalid'}}
"""
        for r in RESOURCES
    )
    + """\
  /latest:
    get:
      operationId: latest
      responses:
        '200':
          description: the latest record
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Record'}
"""
)


class Input(BaseModel):
    name: str = Field(min_length=1, max_length=20)
    size: int = Field(ge=0, le=100)


def records_app() -> FastAPI:
    """A product as FastAPI makes one: the framework's own 422 for every invalid body."""
    app = FastAPI()

    def route(resource: str) -> None:
        @app.post(f"/{resource}", status_code=201)
        def create(body: Input) -> dict[str, object]:
            return {"id": f"{resource}-1", "name": body.name}

    for r in RESOURCES:
        route(r)

    @app.get("/latest")
    def latest() -> dict[str, object]:
        return {"id": "things-1", "name": "first", "label": None}  # label is not nullable in the contract

    return app


@pytest.fixture(scope="module")
def bb(tmp_path_factory: pytest.TempPathFactory) -> BBResult:
    return run_app(tmp_path_factory.mktemp("records"), SPEC, records_app())


def _results(bb: BBResult) -> RunResults:
    return RunResults("test", "2024-05-02T09:00:00+00:00", "2024-05-02T09:00:01+00:00", 0, {}, (bb,))


def test_every_invalid_body_answered_422_is_one_finding(bb: BBResult) -> None:
    failed = [
        c
        for c in bb.cases
        if any(k.check == "invalid_input_rejected" and k.outcome is Outcome.FAILED for k in c.checks)
    ]
    negatives = [c for c in bb.cases if c.kind is CaseKind.NEGATIVE]
    assert len(negatives) >= 12 and failed == negatives  # FastAPI answered 422 to every one of them
    assert {x.response.status for c in failed for x in c.exchanges if x.response} == {422}
    found = [f for f in assess(_results(bb)).bbs[0].findings if f.check == "invalid_input_rejected"]
    assert len(found) == 1
    finding = found[0]
    assert finding.rule == "answers 422 to invalid input where the contract documents 400"
    assert finding.level is Level.REQUIRED
    assert finding.count == len(failed) and finding.case_ids == tuple(c.case_id for c in failed)
    assert set(finding.operations) == {f"POST /{r}" for r in RESOURCES}


def test_a_null_is_one_failure_and_one_finding(bb: BBResult) -> None:
    latest = [c for c in bb.cases if c.operation == "GET /latest" and c.kind is CaseKind.POSITIVE]
    assert latest
    for case in latest:
        broken = [k for k in case.checks if k.check == "response_schema_valid" and k.outcome is Outcome.FAILED]
        assert [k.instance_pointer for k in broken] == ["/label"], [k.message for k in broken]
        assert "null is not allowed" in broken[0].message
    schema = [f for f in assess(_results(bb)).bbs[0].findings if f.check == "response_schema_valid"]
    assert len(schema) == 1
    assert schema[0].location == "contract.yaml#/components/schemas/Record/properties/label/type"
    assert schema[0].count == len(latest)


def test_every_output_lists_the_same_findings(bb: BBResult, tmp_path: Path) -> None:
    results = _results(bb)
    compliance = assess(results)
    data = json.loads(FORMATS["json"].render(results, compliance))
    assert [(f["check"], f["rule"], f["count"]) for f in data["findings"]] == [
        (f.check, f.rule, f.count) for f in compliance.findings
    ]
    top = data["findings"][0]
    assert top["rule"] == "answers 422 to invalid input where the contract documents 400"
    assert top["example"]["case_id"] == top["case_ids"][0]
    md = FORMATS["md"].render(results, compliance).decode()
    html = FORMATS["html"].render(results, compliance).decode()
    for text in (md, html):
        assert text.count("answers 422 to invalid input where the contract documents 400") == 1
    # the findings come first, then the per-operation matrix
    assert md.index("### Findings for custom@local") < md.index("### Operations of custom@local")
    assert html.index("<h3>Findings: 2 root causes") < html.index("<h3>Operation matrix")
    first = compliance.findings[0]
    assert f"{first.count} cases" in md and f"The other {first.count - 1} cases" in md
    assert f"The other {first.count - 1} cases" in html


MANY_SPEC = """\
openapi: 3.0.3
info: {title: Many, version: "1.0"}
paths:
  /many:
    get:
      responses:
        '200':
          description: many records
          content:
            application/json:
              schema:
                type: array
                items: {type: object, properties: {id: {type: string}}}
"""


def test_violations_past_the_cap_are_said_on_the_last_one_not_as_a_failure_without_location(tmp_path: Path) -> None:
    app = FastAPI()

    @app.get("/many")
    def many() -> list[dict[str, object]]:
        return [{"id": n} for n in range(30)]  # 30 ids that are not strings

    bb = run_app(tmp_path, MANY_SPEC, app)
    case = next(c for c in bb.cases if c.kind is CaseKind.POSITIVE)
    broken = [k for k in case.checks if k.check == "response_schema_valid" and k.outcome is Outcome.FAILED]
    assert [k.instance_pointer for k in broken] == [f"/{n}/id" for n in range(20)]
    assert broken[-1].message.endswith("(10 more violations of this body are not listed)")
    assert not any("more violations" in k.message for k in broken[:-1])


def test_the_terminal_leads_with_the_findings_after_the_summary(tmp_path: Path) -> None:
    from servers import serve
    from typer.testing import CliRunner

    from govstack_conform.cli import app as cli

    spec = tmp_path / "contract.yaml"
    spec.write_text(SPEC)
    with serve(records_app()) as url:
        result = CliRunner().invoke(cli, ["run", "--spec", str(spec), "--target", url, "--out", str(tmp_path / "o")])
    assert result.exit_code == 1, result.output
    data = json.loads((tmp_path / "o" / "results.json").read_text())
    top = data["findings"][0]
    lines = result.output.splitlines()
    cases = len({cid for f in data["findings"] for cid in f["case_ids"]})
    at = lines.index(f"custom@local: findings: 2 root causes over {cases} cases:")
    assert lines[at + 1].split() == [
        str(top["count"]), "×", "invalid_input_rejected", "(required):", *top["rule"].split()
    ]  # fmt: skip
    assert lines[at + 2].strip() == f"e.g. {top['case_ids'][0]}"
    assert result.output.index("failed checks (cases):") < result.output.index("custom@local: findings:")


def test_case_descriptions_are_sentences_and_messages_do_not_repeat_them(bb: BBResult) -> None:
    negatives = [c for c in bb.cases if c.kind is CaseKind.NEGATIVE]
    sentence = re.compile(r"[A-Z][^.]*(\.[^ .][^.]*)*\. Expects a 4xx \(never a 5xx\)\.")
    for case in negatives:
        assert sentence.fullmatch(case.description), case.description
        assert "'" not in case.description  # values and names as JSON writes them, not Python reprs
        for check in case.checks:
            assert case.description not in check.message
    assert any(c.description.startswith('Sends a body without the required property "name".') for c in negatives)
