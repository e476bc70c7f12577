"""Planner on real GovStack contracts: consent, digital registries, and every release and file of the corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govstack_conform.contracts import schemas
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.loader import load_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Case, CaseKind, Expect
from govstack_conform.engine.plan.planner import plan_contract, plan_to_json
from govstack_conform.engine.plan.request import pick_media


@pytest.fixture(scope="module")
def contracts(corpus_dir: Path) -> Iterator[dict[str, Contract]]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        yield {key: load_contract(key) for key in ("consent@main", "digital-registries@main")}


@pytest.fixture(scope="module")
def plans(contracts: dict[str, Contract]) -> dict[str, list[Case]]:
    return {key: plan_contract(c) for key, c in contracts.items()}


def _schema(contract: Contract, key: str) -> schemas.Schema | None:
    op = contract.operation(key)
    assert op is not None
    media = pick_media(op)
    return media.schema if media is not None else None


def test_expected_kinds(plans: dict[str, list[Case]]) -> None:
    consent = {c.kind for c in plans["consent@main"]}
    assert consent == {CaseKind.POSITIVE, CaseKind.NEGATIVE, CaseKind.METHOD, CaseKind.STATEFUL}  # no security declared
    dr = {c.kind for c in plans["digital-registries@main"]}
    assert dr == set(CaseKind)
    assert "consent::POST /config/policy/::negative-missing-policy" in {c.case_id for c in plans["consent@main"]}


@pytest.mark.parametrize("key", ["consent@main", "digital-registries@main"])
def test_positive_bodies_valid_negative_bodies_invalid(
    key: str, contracts: dict[str, Contract], plans: dict[str, list[Case]]
) -> None:
    contract = contracts[key]
    valid = {c.operation: c.steps[-1].request for c in plans[key] if c.name == "positive-valid"}
    positives = negatives = 0
    for case in plans[key]:
        if case.untestable or case.kind not in (CaseKind.POSITIVE, CaseKind.NEGATIVE):
            continue
        req = case.steps[-1].request
        schema = _schema(contract, case.operation)
        if case.kind is CaseKind.POSITIVE:
            if req.has_body and schema is not None:
                assert schemas.validate(contract, schema, req.body, direction="request") == [], case.case_id
                positives += 1
            continue
        base = valid[case.operation]
        if req.raw_body is not None:
            assert req.raw_body == b'{"broken": ' or req.content_type == "text/plain"
        elif base.has_body and not req.has_body:
            assert case.name == "negative-missing-body"
        elif req.has_body and req.body != base.body:  # a body mutation: the body alone must break the schema
            assert schema is not None
            assert schemas.validate(contract, schema, req.body, direction="request"), case.case_id
            negatives += 1
        else:  # a parameter mutation: same body, different parameters
            assert (req.path_params, req.query, req.headers) != (base.path_params, base.query, base.headers)
    assert positives >= 8 and negatives >= 30


def _steps(case: Case) -> list[tuple[str, str, str, Expect]]:
    return [(s.name, s.request.method, s.request.path, s.expect) for s in case.steps]


def test_consent_policy_chain(plans: dict[str, list[Case]]) -> None:
    case = {c.case_id: c for c in plans["consent@main"]}[
        "consent::POST /config/policy/::stateful-create-read-update-delete"
    ]
    item = "/config/policy/{policyId}/"
    assert _steps(case) == [
        ("create", "POST", "/config/policy/", Expect.SUCCESS),
        ("read", "GET", item, Expect.SUCCESS),
        ("update", "PUT", item, Expect.SUCCESS),
        ("read-after-update", "GET", item, Expect.SUCCESS),
        ("delete", "DELETE", item, Expect.SUCCESS),
        ("read-after-delete", "GET", item, Expect.GONE),
    ]
    assert case.steps[0].capture == (("id", "/policy/id"),)
    assert all(dict(s.request.path_params) == {"policyId": "${id}"} for s in case.steps[1:])
    sent = case.steps[0].request.body["policy"]
    for pointer, value in case.steps[1].must_echo:
        assert pointer.startswith("/policy/") and sent[pointer.split("/")[2]] == value
        assert pointer != "/policy/id"  # the server assigns ids: never demanded back


def test_digital_registries_create_delete_chain(plans: dict[str, list[Case]]) -> None:
    # the generic chain finder's (the profile's workflows are tests/test_workflows.py's)
    chains = [c for c in plans["digital-registries@main"] if c.kind is CaseKind.STATEFUL and "workflow" not in c.tags]
    assert [c.case_id for c in chains] == [
        "digital-registries::POST /data/{registryName}/{versionNumber}/create::stateful-create-delete"
    ]
    create, delete = chains[0].steps
    assert create.capture == (("id", "/content/id"),)
    assert delete.request.path == "/data/{registryName}/{versionNumber}/{id}/delete"
    params = dict(delete.request.path_params)
    assert params["id"] == "${id}"
    # The other path parameters are the create's, so the delete addresses the same registry.
    assert params["registryName"] == dict(create.request.path_params)["registryName"]


def test_digital_registries_security_and_headers(plans: dict[str, list[Case]]) -> None:
    cases = {c.case_id: c for c in plans["digital-registries@main"]}
    op = "digital-registries::POST /data/{registryName}/{versionNumber}/read"
    for name in ("security-no-credentials", "security-wrong-credentials"):
        assert cases[f"{op}::{name}"].steps[-1].expect is Expect.AUTH_REFUSED
    valid = cases[f"{op}::positive-valid"].steps[-1].request
    assert dict(valid.headers)["Information-Mediator-Client"] == "eGovStack/GOV/90000009/digitalregistries"
    assert "Authorization" not in dict(valid.headers)  # the apiKey credential is the runner's to send
    missing = cases[f"{op}::negative-missing-header-information-mediator-client"].steps[-1].request
    assert missing.omit_headers == ("Information-Mediator-Client",)


def test_fixtures_reach_real_records(contracts: dict[str, Contract], tmp_path: Path) -> None:
    from govstack_conform.engine.testdata import load_testdata

    flat = tmp_path / "testCustomParameters.json"
    flat.write_text('{"REGISTRY_NAME": "mcts", "VERSION_NUMBER": "1.0", "ID": "EE378627348834"}')
    cases = plan_contract(contracts["digital-registries@main"], testdata=load_testdata([flat]))
    delete = {c.case_id: c for c in cases}[
        "digital-registries::DELETE /data/{registryName}/{versionNumber}/{id}/delete::positive-valid"
    ]
    # The fixture registry is reached; the fixture record is not deleted: the delete acts on a record the
    # case's own first step creates in that registry (docs/data-safety.md).
    assert dict(delete.steps[-1].request.path_params) == {"registryName": "mcts", "versionNumber": "1.0", "id": "${id}"}
    setup = delete.steps[0]
    assert setup.setup and setup.operation == "POST /data/{registryName}/{versionNumber}/create"
    assert dict(setup.request.path_params) == {"registryName": "mcts", "versionNumber": "1.0"}
    assert setup.capture == (("id", "/content/id"),)
    assert "created" in delete.tags and "generated-id" not in delete.tags


def test_plan_is_deterministic_and_seed_sensitive(contracts: dict[str, Contract]) -> None:
    c = contracts["consent@main"]
    assert plan_to_json(plan_contract(c, seed=3)) == plan_to_json(plan_contract(c, seed=3))
    assert plan_to_json(plan_contract(c, seed=3)) != plan_to_json(plan_contract(c, seed=4))


def test_every_catalog_release_plans(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    total = untestable = 0
    for bb in load_catalog().bbs:
        for release in bb.releases:
            contract = load_contract(f"{bb.key}@{release.ref}")
            cases = plan_contract(contract)
            assert cases, contract.label
            plan_to_json(cases)
            total += len(cases)
            untestable += _check_untestable(contract, cases)
    assert total > 3000 and untestable > 0


def _check_untestable(contract: Contract, cases: list[Case]) -> int:
    """Blocked operations give untestable cases naming the defect and where it is; returns their count."""
    by_id = {c.case_id: c for c in cases}
    for op in contract.operations:
        if op.blocked("request") is not None:
            case = by_id[f"{contract.bb}::{op.key}::positive-valid"]
            assert case.untestable, case.case_id
    found = [c for c in cases if c.untestable]
    for c in found:
        assert "#" in c.untestable and "\n" not in c.untestable, c.untestable  # type: ignore[operator]
    return len(found)


@pytest.mark.slow
def test_every_manifest_openapi_file_plans(corpus_dir: Path, manifest: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    untestable = files = 0
    for entry in manifest:
        if not entry["kind"].startswith("openapi") or entry["sha256"] in seen:
            continue
        seen.add(entry["sha256"])
        contract = load_files([corpus_dir / entry["file"]])
        cases = plan_contract(contract)
        plan_to_json(cases)
        untestable += _check_untestable(contract, cases)
        files += 1
    assert files > 80 and untestable > 0
