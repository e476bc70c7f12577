"""BB workflows (issue 11 §3): declared in the profiles, planned as stateful cases, passed by the mock, and
failed at exactly the broken step by a product that breaks one."""

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
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.workflows import parse_workflows
from govstack_conform.engine.cases import Case, CaseKind
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.results import CaseResult, Outcome
from govstack_conform.engine.run.session import Target, run
from govstack_conform.errors import CatalogError
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

# Workflows the default release cannot run yet, each for a reason the spec gives (named in the case).
KNOWN_UNTESTABLE = {"messaging", "scheduler"}


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


def _workflows(selector: str) -> tuple[Any, list[Case]]:
    contract = contracts.load_contract(selector)
    cases = plan_contract(contract, kinds=frozenset({CaseKind.STATEFUL}))
    return contract, [c for c in cases if "workflow" in c.tags]


def _run(contract: Any, url: str, cases: list[Case], headers: tuple[tuple[str, str], ...] = ()) -> list[CaseResult]:
    options = RunOptions(credentials=Credentials(bearer="t", api_key="k"), concurrency=1)
    return list(run([Target(contract, url, "", headers, cases=tuple(cases))], options).results[0].cases)


def test_a_step_using_a_value_no_earlier_step_captured_is_refused_when_the_catalog_loads() -> None:
    raw = [
        {
            "name": "bad",
            "description": "x",
            "steps": [
                {"name": "a", "operation": "createThing"},
                {"name": "b", "operation": "readThing", "params": {"id": "${thing}"}},
            ],
        }
    ]
    with pytest.raises(CatalogError, match=r"uses \$\{thing\}, which no earlier step captures"):
        parse_workflows(raw, "profiles/x.yaml: workflows", ("main",))
    raw[0]["steps"][0]["capture"] = {"thing": "/id"}
    assert parse_workflows(raw, "profiles/x.yaml: workflows", ("main",))[0].steps[1].params == (("id", "${thing}"),)


def test_every_bb_with_a_create_like_operation_has_a_workflow_on_its_default_release() -> None:
    planned = {}
    for bb in load_catalog().bbs:
        _, flows = _workflows(bb.key)
        planned[bb.key] = flows
        for case in flows:
            if bb.key not in KNOWN_UNTESTABLE:
                assert case.untestable is None, f"{case.case_id}: {case.untestable}"
            assert (case.kind is CaseKind.STATEFUL and len(case.steps) >= 2) or case.untestable
    # GIS creates answer no identifier in a body (201 alone): its workflows take it from the Location header.
    assert sorted(k for k, v in planned.items() if not v) == []
    assert any(s.capture_headers for c in planned["gis"] for s in c.steps)


def test_workflow_steps_share_path_parameters_and_the_unique_value() -> None:
    _, flows = _workflows("digital-registries")
    (case,) = flows
    names = [s.name for s in case.steps]
    assert names == ["create", "read", "update", "read-updated", "exists", "delete", "read-gone"]
    registries = {dict(s.request.path_params)["registryName"] for s in case.steps}
    assert len(registries) == 1, "every step addresses the registry the create used"
    created = case.steps[0].request.body["write"]["content"]["id"]
    assert all(s.request.body["query"]["content"]["id"] == created for s in case.steps if s.name.startswith("read"))
    assert dict(case.steps[5].request.path_params)["id"] == created
    assert case.steps[4].must_echo == (("/answer/status", True),)
    assert ("/content/firstName", "Ada") in case.steps[1].must_echo
    assert ("/content/firstName", "Grace") in case.steps[3].must_echo
    assert case.steps[6].expect.value == "gone"


@pytest.mark.parametrize("selector", [bb.key for bb in load_catalog().bbs])
def test_the_mock_passes_every_workflow(selector: str) -> None:
    contract, flows = _workflows(selector)
    headers = tuple(load_catalog().get(contract.bb).profile.headers.items())
    with serve_in_thread(contract, MockOptions(token="t", api_key="k")) as server:
        results = _run(contract, server.base_url, flows, headers)
    failed = [(r.case_id, c.check, c.message) for r in results for c in r.checks if c.outcome is Outcome.FAILED]
    assert failed == []


def test_a_product_that_does_not_keep_what_was_created_fails_exactly_the_read_back() -> None:
    contract, flows = _workflows("consent")
    with serve_in_thread(contract, MockOptions(token="t", api_key="k", keep_state=False)) as server:
        (result,) = _run(contract, server.base_url, flows)
    failed = {(c.step, c.check) for c in result.checks if c.outcome is Outcome.FAILED}
    assert {check for _, check in failed} == {"created_resource_readable"}
    assert ("read-agreement", "created_resource_readable") in failed


def _registry(breaks: str = "") -> Starlette:
    """A small digital registry: stores records by id. `breaks`: "denies-exists" (`exists` answers false whatever
    it holds), "ignores-update" (an update answers 200 and changes nothing), "keeps-deleted" (a delete answers 204
    and the record stays)."""
    records: dict[str, Any] = {}

    async def create(request: Request) -> Response:
        content = (await request.json())["write"]["content"]
        records[content["id"]] = content
        return JSONResponse({"content": content})

    async def read(request: Request) -> Response:
        rid = (await request.json())["query"]["content"]["id"]
        if rid not in records:
            return JSONResponse({"detail": "no record found"}, 404)
        return JSONResponse({"content": records[rid]})

    async def update(request: Request) -> Response:
        body = await request.json()
        if breaks != "ignores-update":
            records[body["query"]["content"]["id"]].update(body["write"]["content"])
        return Response(status_code=200)

    async def exists(request: Request) -> Response:
        rid = (await request.json())["query"]["content"]["id"]
        found = rid in records and breaks != "denies-exists"
        return JSONResponse({"answer": {"status": found, "message": "checked"}})

    async def delete(request: Request) -> Response:
        if breaks != "keeps-deleted":
            records.pop(request.path_params["id"], None)
        return Response(status_code=204)

    base = "/data/{registry}/{version}"
    return Starlette(
        routes=[
            Route(base + "/create", create, methods=["POST"]),
            Route(base + "/read", read, methods=["POST"]),
            Route(base + "/update", update, methods=["PUT"]),
            Route(base + "/exists", exists, methods=["POST"]),
            Route(base + "/{id}/delete", delete, methods=["DELETE"]),
        ]
    )


@pytest.mark.parametrize(
    ("breaks", "fails"),
    [
        ("", set()),
        ("denies-exists", {("exists", "created_resource_readable")}),
        ("ignores-update", {("read-updated", "created_resource_readable")}),
        ("keeps-deleted", {("read-gone", "deleted_resource_gone")}),
    ],
)
def test_a_registry_that_breaks_one_step_fails_exactly_that_step(breaks: str, fails: set[tuple[str, str]]) -> None:
    contract, flows = _workflows("digital-registries")
    with serve(_registry(breaks)) as url:
        (result,) = _run(contract, url, flows)
    failed = {(c.step, c.check) for c in result.checks if c.outcome is Outcome.FAILED}
    assert failed == fails
    assert result.verdict.value == ("failed" if fails else "passed")
