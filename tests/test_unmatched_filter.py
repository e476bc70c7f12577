"""A list filtered by an identifier no record holds comes back empty (registration's harness: "Retrieves any
tasks because provided fileId was not found", 200 and an empty array).

Real FastAPI products on 127.0.0.1 hold two tasks: one applies its documented filters, one ignores them.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from verdict_helpers import checks_named, failed_names, required_failures, run_app

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.cases import Level
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.results import Outcome

SPEC = """\
openapi: 3.0.3
info: {title: Tasks, version: "1.0"}
paths:
  /tasks:
    get:
      operationId: listTasks
      parameters:
        - {name: fileId, in: query, schema: {type: string}}
        - {name: assigneeId, in: query, schema: {type: string}}
        - {name: X-CorrelationID, in: query, schema: {type: string}}
        - {name: sortBy, in: query, schema: {type: string}}
      responses:
        '200':
          description: the tasks, or an empty array
          content:
            application/json:
              schema:
                type: array
                items:
                  type: object
                  required: [taskId]
                  properties:
                    taskId: {type: string}
                    fileId: {type: string}
                    assigneeId: {type: string}
"""

TASKS = [
    {"taskId": "t-1", "fileId": "f-1", "assigneeId": "a-1"},
    {"taskId": "t-2", "fileId": "f-2", "assigneeId": "a-1"},
]


def _app(applies_filters: bool) -> FastAPI:
    app = FastAPI()

    @app.get("/tasks")
    def tasks(fileId: str | None = None, assigneeId: str | None = None) -> list[dict[str, str]]:
        if not applies_filters:
            return TASKS
        return [
            t for t in TASKS if fileId in (None, t["fileId"]) and assigneeId in (None, t["assigneeId"])
        ]  # fmt: skip

    return app


def test_one_case_per_identifier_filter_of_the_listed_items(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(SPEC)
    cases = [c for c in plan_contract(load_spec_files([str(path)])) if c.steps[0].unmatched_filter is not None]
    # X-CorrelationID is named like an identifier but no item has it; sortBy is no identifier
    assert sorted(c.name for c in cases) == [
        "positive-filter-unmatched-assignee-id",
        "positive-filter-unmatched-file-id",
    ]
    for c in cases:
        (query,) = c.steps[0].request.query  # the other optional filters are left out
        assert query[0] in ("fileId", "assigneeId") and query[1] not in {"f-1", "f-2", "a-1"}


def test_a_product_applying_its_filters_passes(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, _app(applies_filters=True))
    judged = checks_named(bb, "unmatched_filter_empty")
    assert len(judged) == 2 and all(k.outcome is Outcome.PASSED for _, k in judged)
    assert required_failures(bb) == [] and "unmatched_filter_empty" not in failed_names(bb, Level.RECOMMENDED)


def test_a_product_ignoring_its_filters_fails_with_what_it_listed(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, _app(applies_filters=False))
    judged = checks_named(bb, "unmatched_filter_empty")
    assert len(judged) == 2 and all(k.outcome is Outcome.FAILED and k.level is Level.RECOMMENDED for _, k in judged)
    message = judged[0][1].message
    assert "answered 2 items" in message and '"taskId": "t-1"' in message and "the filter was not applied" in message
    assert required_failures(bb) == []  # the answer is valid for the contract: only the filter is not applied
