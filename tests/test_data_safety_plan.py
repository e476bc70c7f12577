"""Data safety in the plan: which operations change records, how their cases are bound to records the
case creates first or skipped, and the fixtures file's `disposable` section (docs/data-safety.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.engine.cases import Case, CaseKind
from govstack_conform.engine.plan.planner import plan_contract, plan_to_json
from govstack_conform.engine.plan.safety import changes_records
from govstack_conform.engine.testdata import load_testdata
from govstack_conform.errors import ConfigError

RELEASES = [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


def op(method: str, path: str, operation_id: str | None = None) -> Operation:
    return Operation(method, path, operation_id, "", (), (), None, (), (), "x.yaml", "/paths/x")


@pytest.mark.parametrize(
    ("method", "path", "operation_id", "changes"),
    [
        ("DELETE", "/things/{id}", None, True),
        ("PUT", "/config", None, True),
        ("PATCH", "/things/{id}", None, True),
        ("POST", "/things", "createThing", False),
        ("POST", "/things/{thingId}/archive", None, True),  # an updating verb in the path
        ("POST", "/vouchers/voucher_redeemption", None, True),
        ("POST", "/vouchers/cancellation/confirmation", "confirmVoucherCancellation", True),
        ("POST", "/update-uin", None, True),
        ("POST", "/bills/{billId}", None, True),  # POST on an item: an update
        ("POST", "/records/data-agreement/{dataAgreementId}/", "consentRecordCreate", False),  # ... unless it creates
        ("POST", "/transactions/type/{transactionType}", None, False),  # not an id
        ("POST", "/get_cancellation_reasons", None, False),  # asks for data
        ("POST", "/reverseGeocode", None, False),
        ("POST", "/data/{registry}/updateOrCreate", "update-or-create", True),
        ("GET", "/things/{id}/delete", None, False),  # a read never changes anything
    ],
)
def test_which_operations_change_records(method: str, path: str, operation_id: str | None, changes: bool) -> None:
    assert changes_records(op(method, path, operation_id)) is changes


def _target_value(case: Case) -> str | None:
    """The value of the innermost path parameter of the case's judged request."""
    req = case.steps[-1].request
    names = [seg[1:-1] for seg in req.path.split("/") if seg.startswith("{") and seg.endswith("}")]
    return dict(req.path_params).get(names[-1]) if names else None


@pytest.mark.parametrize("selector", RELEASES)
def test_no_case_changes_a_record_the_run_did_not_create(selector: str) -> None:
    """Every sent DELETE/PUT/PATCH acts on a record its own setup step created, or names no valid record."""
    contract = load_contract(selector)
    for case in plan_contract(contract):
        last = case.steps[-1].request
        if case.untestable or case.skip or last.method not in ("DELETE", "PUT", "PATCH"):
            continue
        if case.kind is CaseKind.STATEFUL or (case.kind is CaseKind.METHOD and last.method == "PATCH"):
            continue  # chains act on their own create; an undeclared PATCH goes without a body
        value = _target_value(case)
        assert value is not None, f"{case.case_id}: a change without an identifier must be skipped"
        if value == "${id}":
            setup = case.steps[0]
            assert setup.setup and setup.capture == (("id", setup.capture[0][1]),), case.case_id
            assert setup.request.method == "POST" and "created" in case.tags, case.case_id
        else:
            assert case.kind is CaseKind.NEGATIVE, f"{case.case_id} acts on {value!r}, a record it did not create"


def test_plans_without_changing_operations_are_unchanged_in_form(corpus_dir: Path) -> None:
    """`skip` and `setup` appear in plan JSON only where set (other plans keep their exact bytes)."""
    for selector in ("wallet@main", "messaging@main"):
        text = plan_to_json(plan_contract(load_contract(selector)))
        assert '"skip"' not in text and '"setup"' not in text
    consent = json.loads(plan_to_json(plan_contract(load_contract("consent@main"))))["cases"]
    assert any("skip" in c for c in consent) and any(s.get("setup") for c in consent for s in c["steps"])


def _dr() -> Contract:
    return load_contract("digital-registries@main")


def _by_id(cases: list[Case]) -> dict[str, Case]:
    return {c.case_id: c for c in cases}


UPDATE = "digital-registries::PUT /data/{registryName}/{versionNumber}/update::positive-valid"
READ = "digital-registries::POST /data/{registryName}/{versionNumber}/read::positive-valid"
DELETE = "digital-registries::DELETE /data/{registryName}/{versionNumber}/{id}/delete::positive-valid"


def test_disposable_values_are_used_by_changing_cases_only(tmp_path: Path) -> None:
    fx = tmp_path / "fx.yaml"
    fx.write_text(
        "parameters: {registryName: mcts, versionNumber: '1.0'}\ndisposable: {parameters: {versionNumber: '9.9'}}\n"
    )
    cases = _by_id(plan_contract(_dr(), testdata=load_testdata([fx])))
    update = cases[UPDATE]
    assert update.skip is None and dict(update.steps[-1].request.path_params)["versionNumber"] == "9.9"
    assert "disposable" in update.tags and "generated-id" not in update.tags
    assert dict(cases[READ].steps[-1].request.path_params)["versionNumber"] == "1.0"  # a read keeps the kept one
    # Where the run can create the record itself, it still does (the disposable one is not needed).
    assert dict(cases[DELETE].steps[-1].request.path_params)["id"] == "${id}"


def test_without_disposable_data_the_update_is_skipped_and_the_opt_in_sends_it(tmp_path: Path) -> None:
    fx = tmp_path / "fx.yaml"
    fx.write_text("parameters: {registryName: mcts, versionNumber: '1.0'}\n")
    data = load_testdata([fx])
    skipped = _by_id(plan_contract(_dr(), testdata=data))[UPDATE]
    assert skipped.skip == (
        "not sent: PUT on a record the run did not create (versionNumber is a fixture not marked disposable); "
        "mark the fixture disposable or give --allow-destructive"
    )
    allowed = _by_id(plan_contract(_dr(), testdata=data, allow_destructive=True))
    assert allowed[UPDATE].skip is None
    assert dict(allowed[UPDATE].steps[-1].request.path_params)["versionNumber"] == "1.0"
    assert dict(allowed[DELETE].steps[-1].request.path_params)["id"] == "${id}"  # still its own record
    assert not [c.case_id for c in allowed.values() if c.skip]


def test_a_harness_value_is_made_disposable_by_naming_it(tmp_path: Path) -> None:
    flat = tmp_path / "testCustomParameters.json"
    flat.write_text('{"VERSION_NUMBER": "2.0", "REGISTRY_NAME": "mcts"}')
    marks = tmp_path / "disposable.yaml"
    marks.write_text("disposable: {parameters: {versionNumber: '${VERSION_NUMBER}'}}\n")
    alone = load_testdata([flat])
    assert alone.lookup_disposable(None, "versionNumber") is None  # harness values are kept by default
    both = load_testdata([flat, marks])
    assert both.lookup_disposable(None, "versionNumber") == "2.0"
    assert _by_id(plan_contract(_dr(), testdata=both))[UPDATE].skip is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("disposable: [a]\n", "'disposable' must be a mapping"),
        ("disposable: {keep: {}}\n", "disposable: unknown key 'keep'"),
        ("disposable: {parameters: [1]}\n", "'disposable/parameters' must be a mapping"),
        ("disposable: {operations: {x: {body: 1, when: now}}}\n", "disposable/operations/x: unknown key 'when'"),
    ],
)
def test_a_bad_disposable_section_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    fx = tmp_path / "fx.yaml"
    fx.write_text(text)
    with pytest.raises(ConfigError, match=message.replace("[", r"\[")):
        load_testdata([fx])


def test_disposable_operations_are_checked_for_typos(tmp_path: Path) -> None:
    fx = tmp_path / "fx.yaml"
    fx.write_text("disposable:\n  operations:\n    clearCahce:\n    DELETE /database/{id}: {parameters: {id: x}}\n")
    data = load_testdata([fx])
    assert data.unknown_operations(_dr()) == ["clearCahce"]


def test_the_plan_table_says_why_a_case_is_not_sent(corpus_dir: Path) -> None:
    env = {**os.environ, "GOVSTACK_CONFORM_SPECS": str(corpus_dir), "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "govstack_conform", "plan", "consent@main"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if "DELETE /service/individual/record/::positive-valid" in x)
    assert "not sent: DELETE /service/individual/record/ changes existing data" in line


def test_each_setup_step_creates_its_own_record() -> None:
    """A product may take the id from the body: setup steps sharing one body would all address one record,
    and cases running at once would change each other's (and the create's own cases') record."""
    cases = plan_contract(load_contract("consent@main"))
    setups = [c.steps[0] for c in cases if c.steps[0].setup]
    assert len(setups) > 20
    bodies = [json.dumps(s.request.body, sort_keys=True) for s in setups]
    assert len(set(bodies)) == len(bodies)
    own = {
        json.dumps(c.steps[0].request.body, sort_keys=True)
        for c in cases
        if c.name == "positive-valid" and not c.steps[0].setup
    }
    assert not own & set(bodies)
