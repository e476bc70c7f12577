"""Workflow steps that must be refused (issue 11 §4): a workflow changes what it created with input the schema
rejects, so that GovStack's "not able to update ..." scenarios are tested without touching a record the run did
not create. A refusal is demanded only of input the schema itself rejects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from servers import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.workflows import parse_workflows
from govstack_conform.engine.cases import Case, CaseKind
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan import workflows as planned
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.plan.scenarios import coverage
from govstack_conform.engine.results import CaseResult, Outcome, Verdict
from govstack_conform.engine.run.session import Target, run

REFUSED = "workflow-oidc-client-update-refused"


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


def _flow(name: str) -> tuple[Any, Case]:
    contract = contracts.load_contract("identity")
    (case,) = [c for c in plan_contract(contract, kinds=frozenset({CaseKind.STATEFUL})) if c.name == name]
    return contract, case


def _planned_with(update_body: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Case:
    steps = [
        {"name": "create", "operation": "post-client", "body": {"request": {"clientId": "$unique"}},
         "capture": {"client": "/response/clientId"}},
        {"name": "update-refused", "operation": "put-oidc-client-client_id", "expect": "client-error",
         "params": {"client_id": "${client}"}, "body": update_body},
    ]  # fmt: skip
    flows = parse_workflows([{"name": "refusal", "description": "x", "steps": steps}], "p: workflows", ())
    monkeypatch.setattr(planned, "profile_workflows", lambda contract: flows)
    (case,) = [
        c
        for c in plan_contract(contracts.load_contract("identity"), kinds=frozenset({CaseKind.STATEFUL}))
        if "workflow" in c.tags
    ]
    return case


def test_a_refusal_is_planned_only_for_a_body_the_schema_rejects(monkeypatch: pytest.MonkeyPatch) -> None:
    refused = _planned_with({"request": {"grantTypes": ["invalid_code"]}}, monkeypatch)
    assert refused.untestable is None
    assert refused.steps[1].request.body["request"]["grantTypes"] == ["invalid_code"]
    valid = _planned_with({"request": {"clientName": "a valid new name"}}, monkeypatch)
    assert valid.untestable is not None and "expects a refusal, but the body it sets is valid" in valid.untestable
    late = _planned_with({"request": {"clientName": "${client}", "grantTypes": ["invalid_code"]}}, monkeypatch)
    assert late.untestable is not None and "holds a value known only at run time" in late.untestable


def test_the_refused_update_covers_the_not_able_to_update_scenarios() -> None:
    contract = contracts.load_contract("identity")
    found = coverage(contract, plan_contract(contract))
    update = [c for c in found if c.scenario.file.endswith("client_update.feature") and c.scenario.negative]
    assert len(update) == 8
    assert all(f"identity::POST /client-mgmt/oidc-client::{REFUSED}" in c.cases for c in update)


def _identity(lenient: bool) -> Starlette:
    """A small OIDC client registry reporting errors in its 200 body, as the contract does; `lenient` takes any
    grant type instead of refusing one it does not know."""
    clients: dict[str, Any] = {}

    async def create(request: Request) -> Response:
        client = (await request.json())["request"]
        clients[client["clientId"]] = client
        return JSONResponse({"responseTime": "2024-01-01T00:00:00.000Z", "response": {"clientId": client["clientId"]},
                             "errors": []})  # fmt: skip

    async def update(request: Request) -> Response:
        cid = request.path_params["cid"]
        changes = (await request.json())["request"]
        if not lenient and any(g != "authorization_code" for g in changes.get("grantTypes", [])):
            error = {"errorCode": "invalid_grant_type", "errorMessage": "grant type not supported"}
            return JSONResponse({"responseTime": "2024-01-01T00:00:00.000Z", "errors": [error]})
        clients[cid].update(changes)
        return JSONResponse({"responseTime": "2024-01-01T00:00:00.000Z", "response": {"clientId": cid}, "errors": []})

    return Starlette(
        routes=[
            Route("/client-mgmt/oidc-client", create, methods=["POST"]),
            Route("/client-mgmt/oidc-client/{cid}", update, methods=["PUT"]),
        ]
    )


def _run(contract: Any, url: str, case: Case) -> CaseResult:
    options = RunOptions(credentials=Credentials(bearer="idp-token-5e2a"), concurrency=1)
    (result,) = run([Target(contract, url, "", (), cases=(case,))], options).results[0].cases
    return result


@pytest.mark.parametrize("lenient", [False, True])
def test_a_product_that_takes_the_invalid_update_fails_exactly_that_step(lenient: bool) -> None:
    contract, case = _flow(REFUSED)
    with serve(_identity(lenient)) as url:
        result = _run(contract, url, case)
    failed = {(c.step, c.check) for c in result.checks if c.outcome is Outcome.FAILED}
    assert failed == ({("update-refused", "invalid_input_rejected")} if lenient else set())
    assert result.verdict is (Verdict.FAILED if lenient else Verdict.PASSED), result.reason
