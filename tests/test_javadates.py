"""A Java date pattern written as `pattern` (identity's `requestTime: yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`) is read as
the regular expression it spells; datagen sends real instants for it, so identity's linked-authorization
operations are tested instead of untestable (10 of the harness's scenarios)."""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pytest

from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.javadates import date_format_regex, real_instant
from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.plan.planner import plan_contract

JAVA = "yyyy-MM-dd'T'HH:mm:ss.SSS'Z'"


def test_the_regex_spelled_accepts_real_instants_only() -> None:
    spelled = date_format_regex(JAVA)
    assert spelled is not None
    assert re.search(spelled, "2024-05-01T10:00:00.000Z") and re.search(spelled, "2024-12-31T23:59:59.999Z")
    for bad in (JAVA, "2024-13-01T10:00:00.000Z", "2024-05-32T10:00:00.000Z", "2024-05-01T24:00:00.000Z",
                "2024-05-01T10:00:00Z", "x2024-05-01T10:00:00.000Z"):  # fmt: skip
        assert not re.search(spelled, bad), bad
    assert date_format_regex("dd/MM/yyyy") == r"^(0[1-9]|[12][0-9]|3[01])\/(0[1-9]|1[0-2])\/[0-9]{4}$"
    assert date_format_regex("dd MMM yyyy") is None  # a month name: no one reading
    assert date_format_regex("yyyy-MM-dd'T'HH:mm:ssXXX") is None  # a zone letter


def test_generated_values_are_real_instants() -> None:
    spelled = date_format_regex(JAVA)
    assert spelled is not None
    rng = random.Random(7)
    for _ in range(200):
        value = real_instant(spelled, rng)
        assert value is not None and re.search(spelled, value)
        dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ")  # raises for a date that does not exist
    assert real_instant("^[0-9]{4}$", rng) is None


@pytest.fixture(autouse=True)
def _store(corpus_dir: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


def test_identity_linked_authorization_is_tested_with_real_timestamps() -> None:
    contract = contracts.load_contract("identity@23Q4.1")
    found = [d for d in contract.defects if d.code == "date-format-pattern"]
    assert len(found) == 2 and all("read as the regular expression it spells" in d.message for d in found)
    cases = plan_contract(contract)
    for key in ("POST /linked-authorization/authenticate", "POST /linked-authorization/consent"):
        (positive,) = [c for c in cases if c.operation == key and c.kind is CaseKind.POSITIVE]
        assert positive.untestable is None
        body = positive.steps[0].request.body
        assert isinstance(body, dict)
        dt.datetime.strptime(body["requestTime"], "%Y-%m-%dT%H:%M:%S.%fZ")


def test_the_defect_is_reported_however_often_the_same_parsed_file_is_loaded(tmp_path: Path) -> None:
    """The parsed document is memoized apart from the loaded one (parse.read_document): when the load runs again
    on it (the loaded-document cache full or cleared), the defect is still reported and read the same way."""
    from govstack_conform.contracts.load import load_spec_files
    from govstack_conform.contracts.loader import document

    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC)
    messages = []
    for _ in range(2):
        document.clear_cache()
        found = [d for d in load_spec_files([str(spec)]).defects if d.code == "date-format-pattern"]
        assert len(found) == 1 and "read as the regular expression it spells" in found[0].message, found
        messages.append(found[0].message)
    assert messages[0] == messages[1]


SPEC = f"""\
openapi: 3.0.3
info: {{title: dates, version: "1"}}
paths:
  /events:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [requestTime]
              properties:
                requestTime: {{type: string, pattern: "{JAVA}"}}
      responses:
        '201': {{description: recorded}}
"""
