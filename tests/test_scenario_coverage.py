"""The BBs' own Gherkin scenarios (issue 11 §4): every one accounted for in docs/scenario-coverage.md, which is
current, and `covers` carried by the planned cases that test the same operation and the same outcome."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from govstack_conform.contracts import load as contracts
from govstack_conform.engine.plan.planner import plan_contract, plan_to_json
from govstack_conform.engine.plan.scenarios import coverage, parse_feature

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


def test_scenario_coverage_doc_is_up_to_date() -> None:
    spec = importlib.util.spec_from_file_location("gen_scenario_coverage", REPO / "tools" / "gen_scenario_coverage.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    current = (REPO / "docs" / "scenario-coverage.md").read_text(encoding="utf-8")
    assert current == module.render(), (
        "docs/scenario-coverage.md is out of date: run `python tools/gen_scenario_coverage.py`"
    )


def test_every_scenario_is_covered_or_has_a_reason() -> None:
    contract = contracts.load_contract("registration")
    found = coverage(contract, plan_contract(contract))
    assert len(found) == 39
    assert all(c.cases or c.reason for c in found)


def test_covering_cases_carry_the_scenario_in_the_plan_json() -> None:
    contract = contracts.load_contract("workflow")
    plan = json.loads(plan_to_json(plan_contract(contract)))
    covers = {c["case_id"]: c["covers"] for c in plan["cases"] if c["covers"]}
    workflow_case = "workflow::POST /processes::workflow-start-process-instance"
    # the workflow reads the process it defined and the instance it started, and stops that instance: it covers
    # the detail and stop scenarios, each carried with its name for the reports
    assert covers[workflow_case] == [
        "workflow/23Q4/features/detail-instance.feature:5 A GovStack user wants to see the details of a workflow "
        "process instance",
        "workflow/23Q4/features/detail-instance.feature:10 Successfully retrieved the details of a workflow process "
        "instance",
        "workflow/23Q4/features/detail-process.feature:5 A GovStack user wants to see the details of a workflow "
        "process",
        "workflow/23Q4/features/detail-process.feature:10 Successfully retrieved the details of a workflow process",
        "workflow/23Q4/features/stop-instance.feature:5 A GovStack user wants to stop a workflow process instance",
        "workflow/23Q4/features/stop-instance.feature:10 Successfully stop a workflow process instance",
    ]


FEATURE = """@method=GET @endpoint=/things/{id}
Feature: Things
  @positive
  Scenario: Read a thing
    When the user reads an existing thing
    Then the response should have status 200

  @negative
  Scenario: Read a thing that does not exist
    When the user reads a thing
    Then the response should have status 200
"""


def test_a_success_on_an_item_path_is_not_covered_by_a_generated_identifier() -> None:
    scenarios = parse_feature(FEATURE, "x/1/features/things.feature")
    assert [(s.line, s.method, s.endpoint, s.statuses, s.negative) for s in scenarios] == [
        (4, "GET", "/things/{id}", (200,), False),
        (9, "GET", "/things/{id}", (200,), True),
    ]
    from govstack_conform.engine.plan.scenarios import cover

    contract = contracts.load_contract("registration")
    item = parse_feature(FEATURE.replace("/things/{id}", "/eForms/{eFormId}"), "x/1/features/things.feature")
    ours = plan_contract(contract)
    first, second = (cover(contract, ours, s) for s in item)
    assert first.cases == () and first.reason.startswith("needs data only the candidate has")
    assert second.cases == () and "error in the body" in second.reason
    missing = cover(contract, ours, parse_feature(FEATURE.replace("/things/{id}", "/nowhere"), "f")[0])
    assert missing.reason == "calls GET /nowhere, which the contract does not define"
