"""Data safety end to end: a run never changes or deletes records it did not create (docs/data-safety.md).

Against a real stateful product whose records exist before the run (tests/notes_server.py), and against
the project's Consent mock with the vendor guide's own fixtures: runs in a row give the same per-case
verdicts, and what existed before the runs is unchanged after them (read back over HTTP).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from notes_server import LABELS, NOTES_SPEC, SEEDED, TOKEN, Store, notes_app
from plan_contracts import contract_from
from servers import serve

from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import BBResult, CaseResult, Outcome, RunResults, Verdict
from govstack_conform.engine.run.auth import Credentials
from govstack_conform.engine.run.session import Target, run
from govstack_conform.engine.testdata import TestData, load_testdata
from govstack_conform.mock import MockOptions, serve_in_thread

OPTIONS = RunOptions(credentials=Credentials(bearer=TOKEN), concurrency=4)
RUNS = 3


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    return contract_from(tmp_path_factory.mktemp("notes"), "notes.yaml", NOTES_SPEC, bb="notes")


def fixtures(tmp_path: Path, text: str) -> TestData:
    path = tmp_path / "fixtures.yaml"
    path.write_text(text)
    return load_testdata([path])


@contextmanager
def product(**switches: Any) -> Iterator[tuple[str, Store]]:
    store = Store()
    store.seed()
    with serve(notes_app(store, **switches)) as url:
        yield url, store


def verdicts(bb: BBResult) -> dict[str, str]:
    return {c.case_id: c.verdict.value for c in bb.cases}


def case(bb: BBResult, suffix: str) -> CaseResult:
    return next(c for c in bb.cases if c.case_id.endswith(suffix))


def read_back(url: str, note: str) -> object:
    return httpx.get(f"{url}/notes/{note}", headers={"Authorization": f"Bearer {TOKEN}"}).json()


@pytest.mark.parametrize("with_fixtures", [True, False])
def test_runs_in_a_row_give_the_same_verdicts_and_leave_existing_records_alone(
    notes: Contract, tmp_path: Path, with_fixtures: bool
) -> None:
    data = fixtures(tmp_path, "parameters: {noteId: n-keep, name: keep-label}\n") if with_fixtures else None
    with product() as (url, store):
        before = {nid: read_back(url, nid) for nid in SEEDED}
        runs = [run([Target(notes, url, testdata=data)], OPTIONS).results[0] for _ in range(RUNS)]
        after = {nid: read_back(url, nid) for nid in SEEDED}
    assert all(verdicts(bb) == verdicts(runs[0]) for bb in runs[1:])
    assert after == before and set(store.labels) == set(LABELS) and store.cache_cleared == 0
    assert store.touched_existing() == []
    # The changing cases did run, on records each case created first: the product saw them change.
    changed = {where for where, _ in store.changed}
    assert changed == {"PUT /notes/{noteId}", "DELETE /notes/{noteId}", "POST /notes/{noteId}/archive"}
    for bb in runs:
        delete = case(bb, "DELETE /notes/{noteId}::positive-valid")
        assert delete.verdict is Verdict.PASSED
        assert [x.step for x in delete.exchanges] == ["setup-create", "request"]
        read = case(bb, "GET /notes/{noteId}::positive-valid")
        assert read.exchanges[-1].response is not None  # the kept record is read; a generated id is not found
        assert read.exchanges[-1].response.status == (200 if with_fixtures else 404)


def test_a_product_that_wrongly_accepts_changes_only_the_runs_own_records(notes: Contract, tmp_path: Path) -> None:
    """Negative updates it accepts and deletes without credentials land on records the cases created."""
    data = fixtures(tmp_path, "parameters: {noteId: n-keep}\n")
    with product(lenient=True, open=True) as (url, store):
        bb = run([Target(notes, url, testdata=data)], OPTIONS).results[0]
        kept = read_back(url, "n-keep")
    failed = {k.check for c in bb.cases for k in c.checks if k.outcome is Outcome.FAILED}
    assert {"invalid_input_rejected", "auth_required"} <= failed  # the faults are caught ...
    assert kept == {"id": "n-keep", "text": "kept note", "archived": False}  # ... and the kept note is intact
    assert store.touched_existing() == []
    security = case(bb, "DELETE /notes/{noteId}::security-no-credentials")
    assert security.verdict is Verdict.FAILED and security.exchanges[-1].response is not None
    assert security.exchanges[-1].response.status == 204  # it deleted the record its setup step created


def test_a_setup_step_is_not_judged_its_own_operation_is(notes: Contract) -> None:
    """The create a setup step sends belongs to POST /notes: its fault is blamed there, not on the delete."""
    with product(created_status=200) as (url, _):
        bb = run([Target(notes, url)], OPTIONS).results[0]
    create = case(bb, "POST /notes::positive-valid")
    assert [k.check for k in create.checks if k.outcome is Outcome.FAILED] == ["status_code_documented"]
    delete = case(bb, "DELETE /notes/{noteId}::positive-valid")
    assert delete.verdict is Verdict.PASSED and [x.step for x in delete.exchanges] == ["setup-create", "request"]
    assert {k.step for k in delete.checks} == {"request"}


def test_a_setup_create_is_no_valid_request_of_the_operation_it_prepares(notes: Contract) -> None:
    """A delete that is not implemented stays not implemented, although each of its cases' creates succeeded."""
    with product(no_delete=True) as (url, _):
        bb = run([Target(notes, url)], OPTIONS).results[0]
    delete = next(o for o in bb.operations if o.key == "DELETE /notes/{noteId}")
    assert delete.verdict is Verdict.NOT_IMPLEMENTED, delete.reason
    assert case(bb, "POST /notes::positive-valid").verdict is Verdict.PASSED


def test_cases_that_can_only_change_existing_data_are_skipped_with_the_reason(notes: Contract, tmp_path: Path) -> None:
    data = fixtures(tmp_path, "parameters: {noteId: n-keep, name: keep-label}\n")
    with product() as (url, store):
        bb = run([Target(notes, url, testdata=data)], OPTIONS).results[0]
    for op in ("DELETE /labels", "POST /cache/clear"):
        cases = [c for c in bb.cases if c.operation == op and c.kind.value != "method"]
        assert cases and all(c.verdict is Verdict.SKIPPED for c in cases), op
        assert all(c.reason and c.reason.startswith("not sent:") and "--allow-destructive" in c.reason for c in cases)
        assert all(not c.exchanges for c in cases)
        assert next(o for o in bb.operations if o.key == op).verdict is Verdict.SKIPPED
    label = case(bb, "DELETE /labels::positive-valid")
    assert "name" in (label.reason or "") and "fixture not marked disposable" in (label.reason or "")
    assert store.labels == set(LABELS) and store.cache_cleared == 0


def test_with_the_opt_in_destructive_cases_are_sent(notes: Contract, tmp_path: Path) -> None:
    data = fixtures(tmp_path, "parameters: {noteId: n-keep, name: keep-label}\n")
    options = RunOptions(credentials=OPTIONS.credentials, concurrency=4, allow_destructive=True)
    with product() as (url, store):
        results: RunResults = run([Target(notes, url, testdata=data)], options)
    bb = results.results[0]
    assert results.options["allow_destructive"] is True  # the report states it
    assert not [c.case_id for c in bb.cases if c.verdict is Verdict.SKIPPED]
    assert "keep-label" not in store.labels and store.cache_cleared >= 1  # what the user accepted
    assert case(bb, "DELETE /labels::positive-valid").verdict is Verdict.PASSED
    # Records the run can create are still the ones it changes, opt-in or not.
    assert not [what for where, what in store.changed if where.startswith(("PUT", "DELETE /notes")) and what in SEEDED]


def test_disposable_fixtures_are_used_by_changing_cases_only(notes: Contract, tmp_path: Path) -> None:
    data = fixtures(
        tmp_path,
        "parameters: {noteId: n-keep, name: keep-label}\n"
        "disposable:\n"
        "  parameters: {name: spare-label}\n"
        "  operations:\n"
        "    clearCache:\n",
    )
    with product() as (url, store):
        bb = run([Target(notes, url, testdata=data)], OPTIONS).results[0]
    assert store.labels == {"keep-label"} and store.cache_cleared == 1
    assert sorted(store.touched_existing()) == [("DELETE /labels", "spare-label"), ("POST /cache/clear", "cache")]
    assert case(bb, "DELETE /labels::positive-valid").verdict is Verdict.PASSED
    assert case(bb, "POST /cache/clear::positive-valid").verdict is Verdict.PASSED
    # A negative that leaves out or breaks the disposable name could reach other labels: never sent.
    missing = case(bb, "DELETE /labels::negative-missing-query-name")
    assert missing.verdict is Verdict.SKIPPED


VENDOR_FIXTURES = 'parameters: {dataAgreementId: "da-0001", individualId: "ind-42"}\n'  # docs/vendor.md
VENDOR_RECORDS = ("/config/data-agreement/da-0001/", "/service/individual/ind-42/", "/config/individual/ind-42/")


def test_consent_mock_runs_in_a_row_with_the_vendor_guide_fixtures(corpus_dir: Path, tmp_path: Path) -> None:
    contract = load_contract("consent@23Q4.1", specs_option=corpus_dir)
    data = fixtures(tmp_path, VENDOR_FIXTURES)
    with serve_in_thread(contract, MockOptions()) as mock:
        before = {p: httpx.get(mock.base_url + p).json() for p in VENDOR_RECORDS}
        runs = [run([Target(contract, mock.base_url, testdata=data)], RunOptions()).results[0] for _ in range(RUNS)]
        after = {p: httpx.get(mock.base_url + p).json() for p in VENDOR_RECORDS}
    assert all(verdicts(bb) == verdicts(runs[0]) for bb in runs[1:])
    assert after == before
    for bb in runs:
        read = case(bb, "GET /config/data-agreement/{dataAgreementId}/::positive-valid")
        assert read.verdict is Verdict.PASSED
        assert not [c.case_id for c in bb.cases if c.verdict is Verdict.FAILED]
    skipped = {c.case_id for c in runs[0].cases if c.verdict is Verdict.SKIPPED}
    assert skipped == {"consent::DELETE /service/individual/record/::positive-valid"}  # deletes all of ind-42's


def test_consent_mock_with_the_opt_in_sends_the_delete_all(corpus_dir: Path, tmp_path: Path) -> None:
    contract = load_contract("consent@23Q4.1", specs_option=corpus_dir)
    data = fixtures(tmp_path, VENDOR_FIXTURES)
    with serve_in_thread(contract, MockOptions()) as mock:
        bb = run([Target(contract, mock.base_url, testdata=data)], RunOptions(allow_destructive=True)).results[0]
    delete_all = case(bb, "DELETE /service/individual/record/::positive-valid")
    assert delete_all.verdict is Verdict.PASSED
    assert [x.request.method for x in delete_all.exchanges] == ["DELETE"]
