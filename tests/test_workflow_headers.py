"""Workflow values taken from response headers (issue 11 §3): GIS creates answer 201 with no body, so its
workflows address what they created by the last segment of `Location`; a product that breaks one step fails
exactly that step, and one that names nothing is untestable, never blamed."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from servers import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.workflows import HeaderCapture, parse_workflows
from govstack_conform.engine.cases import Case, CaseKind
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.results import CaseResult, Outcome, Verdict
from govstack_conform.engine.run.session import Target, run
from govstack_conform.errors import CatalogError


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


def _steps(capture: Any) -> list[dict[str, Any]]:
    return [
        {
            "name": "w",
            "description": "x",
            "steps": [
                {"name": "a", "operation": "createThing", "capture": capture},
                {"name": "b", "operation": "readThing", "params": {"id": "${thing}"}},
            ],
        }
    ]


def test_a_capture_from_a_header_is_typed_and_known_to_later_steps() -> None:
    (wf,) = parse_workflows(_steps({"thing": {"header": "Location", "take": "last-segment"}}), "p: workflows", ())
    assert wf.steps[0].capture == ()
    assert wf.steps[0].capture_headers == (HeaderCapture("thing", "Location", "last-segment"),)
    assert wf.steps[1].params == (("id", "${thing}"),)


@pytest.mark.parametrize(
    ("capture", "message"),
    [
        ({"thing": {"header": "Location", "take": "first-segment"}}, r"take: expected one of value, last-segment"),
        ({"thing": {"header": "Loca tion"}}, r"thing.header: expected a string matching"),
        ({"thing": {"take": "value"}}, r"thing: missing header"),
        ({"thing": {"header": "Location", "from": "x"}}, r"thing: unknown key from"),
        ({"thing": "id"}, r"expected a JSON pointer"),
    ],
)
def test_a_bad_header_capture_is_refused_when_the_catalog_loads(capture: Any, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_workflows(_steps(capture), "p: workflows", ())


@pytest.mark.parametrize(
    ("headers", "take", "expected"),
    [
        ([("Location", "/dataStore/ab12")], "last-segment", "ab12"),
        ([("location", "https://gis.example/v1/gisBB/geofencing/geofences/g-7/")], "last-segment", "g-7"),
        ([("Location", "/geofences/a%2Fb%20c?x=1#f")], "last-segment", "a/b c"),
        ([("Location", "g-9")], "last-segment", "g-9"),
        ([("Location", "/geofences/g-1")], "value", "/geofences/g-1"),
        ([("Location", "/geofences/g-1"), ("Location", "/geofences/g-1")], "last-segment", "g-1"),
        ([("Location", "/geofences/g-1"), ("Location", "/geofences/g-2")], "last-segment", None),
        ([("Content-Location", "/geofences/g-1")], "last-segment", None),
        ([("Location", "/")], "last-segment", None),
        ([("Location", "http://[::1")], "last-segment", None),
    ],
)
def test_the_value_a_header_capture_takes(headers: list[tuple[str, str]], take: str, expected: str | None) -> None:
    assert HeaderCapture("v", "Location", take).value_in(headers) == expected


def _geofence_flow() -> tuple[Any, Case]:
    contract = contracts.load_contract("gis")
    cases = plan_contract(contract, kinds=frozenset({CaseKind.STATEFUL}))
    (case,) = [c for c in cases if c.name == "workflow-geofence-lifecycle"]
    return contract, case


def test_the_gis_workflow_addresses_what_it_created_by_the_captured_location() -> None:
    _, case = _geofence_flow()
    assert case.untestable is None
    assert [s.name for s in case.steps] == ["create", "read", "replace", "read-replaced", "delete", "read-gone"]
    assert case.steps[0].capture_headers == (HeaderCapture("geofence", "Location", "last-segment"),)
    assert {dict(s.request.path_params)["geofenceId"] for s in case.steps[1:]} == {"${geofence}"}
    assert case.steps[0].to_dict()["capture_headers"] == {"geofence": {"header": "Location", "take": "last-segment"}}


def _geofences(breaks: str = "") -> Starlette:
    """A small geofencing service: 201 with only a Location (as the contract's creates answer), 404 when unknown.
    `breaks`: "keeps-deleted" (a delete answers 204 but the geofence stays), "no-location" (names nothing)."""
    stored: dict[str, Any] = {}

    async def create(request: Request) -> Response:
        gid = f"g {uuid.uuid4().hex[:8]}"  # a space: the captured segment must be decoded, then encoded again
        stored[gid] = await request.json()
        headers = (
            {} if breaks == "no-location" else {"Location": f"http://testserver/v1/geofences/{gid.replace(' ', '%20')}"}
        )
        return Response(status_code=201, headers=headers)

    async def item(request: Request) -> Response:
        gid = request.path_params["gid"]
        if gid not in stored:
            return JSONResponse({"detail": "no such geofence"}, 404)
        if request.method == "GET":
            return JSONResponse(stored[gid])
        if request.method == "PUT":
            stored[gid] = await request.json()
        elif breaks != "keeps-deleted":
            del stored[gid]
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/geofences", create, methods=["POST"]),
            Route("/geofences/{gid}", item, methods=["GET", "PUT", "DELETE"]),
        ]
    )


def _run(contract: Any, url: str, case: Case) -> CaseResult:
    options = RunOptions(credentials=Credentials(bearer="gis-token-0d1f"), concurrency=1)
    (result,) = run([Target(contract, url, "", (), cases=(case,))], options).results[0].cases
    return result


def _failed(result: CaseResult) -> set[tuple[str, str]]:
    return {(c.step, c.check) for c in result.checks if c.outcome is Outcome.FAILED}


def test_a_geofence_service_that_keeps_its_promises_passes_the_whole_lifecycle() -> None:
    contract, case = _geofence_flow()
    with serve(_geofences()) as url:
        result = _run(contract, url, case)
    assert _failed(result) == set()
    assert result.verdict is Verdict.PASSED, result.reason
    assert [e.step for e in result.exchanges] == [s.name for s in case.steps]


def test_a_geofence_service_that_keeps_what_it_deleted_fails_exactly_the_read_gone() -> None:
    contract, case = _geofence_flow()
    with serve(_geofences("keeps-deleted")) as url:
        result = _run(contract, url, case)
    assert _failed(result) == {("read-gone", "deleted_resource_gone")}
    assert result.verdict is Verdict.FAILED


def test_a_create_that_names_nothing_leaves_the_workflow_untestable_not_failed() -> None:
    contract, case = _geofence_flow()
    with serve(_geofences("no-location")) as url:
        result = _run(contract, url, case)
    assert _failed(result) == set()
    assert result.verdict is Verdict.UNTESTABLE
    assert result.reason is not None and "no usable Location header for geofence" in result.reason
    assert [e.step for e in result.exchanges] == ["create"]


@pytest.mark.parametrize(
    "steps",
    [
        [  # deletes a geofence named by a literal, not by what the create answered
            {"name": "create", "operation": "POST /geofences", "capture": {"g": {"header": "Location"}}},
            {"name": "delete", "operation": "DELETE /geofences/{geofenceId}", "params": {"geofenceId": "g-1"}},
        ],
        [  # changes before anything is created, even by the workflow's own value
            {"name": "replace", "operation": "PUT /geofences/{geofenceId}", "params": {"geofenceId": "$unique"}},
            {"name": "read", "operation": "GET /geofences/{geofenceId}", "params": {"geofenceId": "$unique"}},
        ],
    ],
)
def test_a_workflow_step_that_would_change_a_record_the_run_did_not_create_is_not_sent(
    steps: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    from govstack_conform.engine.plan import workflows as planned

    flows = parse_workflows([{"name": "unsafe", "description": "x", "steps": steps}], "p: workflows", ())
    monkeypatch.setattr(planned, "profile_workflows", lambda contract: flows)
    contract = contracts.load_contract("gis")
    (case,) = [c for c in plan_contract(contract, kinds=frozenset({CaseKind.STATEFUL})) if "workflow" in c.tags]
    assert case.untestable is not None and "would act on a record the run did not create" in case.untestable
