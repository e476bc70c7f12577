"""The interface diff on pairs of real GovStack contracts (two releases of one BB, or two files of it).

Every expectation here was checked by hand with `diff` on the corpus files:
- consent 23Q4 vs main: main comments out the OAuth2 `security` of each of the 42 operations, nothing else;
- identity 23Q4.1 vs main: same files, plus main's Credential Management API (8 operations);
- information-mediator 1.1.0 vs main: byte-identical files;
- workflow main vs 23Q4: 23Q4 types the process ids as integers (main: strings), adds an optional `name`
  query parameter to GET /processes, and its start/stop responses describe none of main's properties;
- payments 23Q4 vs main: main's BulkPaymentStatusUpdate (v1.0.4) requires `ongoing` and `currency` in the
  body; 23Q4's BulkPayment(StatusUpdate) files repeat the `parameters` key, so YAML drops the first list;
- payments 23Q4 voucher API vs 1.0-QA VoucherAPIS.json: the only interface change is the path
  /vouchers/voucher_redemption spelled /vouchers/voucher_redeemption.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from govstack_conform.contracts.load import load_contract, load_spec_files
from govstack_conform.contracts.model import Contract
from govstack_conform.interface_diff import DiffReport, Impact, diff_contracts


@pytest.fixture(scope="module")
def load(corpus_dir: Path) -> Iterator[dict[str, Contract]]:
    cache: dict[str, Contract] = {}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))

        class Loader(dict[str, Contract]):
            def __missing__(self, key: str) -> Contract:
                self[key] = load_contract(key)
                return self[key]

        yield Loader(cache)


def diff(load: dict[str, Contract], bb: str, candidate: str) -> DiffReport:
    return diff_contracts(load[bb], load[candidate])


def _ops_with(path: Path, *, security: bool | None = None) -> set[str]:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = set()
    for p, item in raw["paths"].items():
        for method, op in item.items():
            if method in ("get", "put", "post", "delete", "patch") and (
                security is None or bool(op.get("security")) == security
            ):
                out.add(f"{method.upper()} {p}")
    return out


def test_consent_23q4_security_dropped_in_main(load: dict[str, Contract], corpus_dir: Path) -> None:
    report = diff(load, "consent@23Q4", "consent@main")
    assert {f.code for f in report.findings} == {"security-removed"}
    assert all(f.severity is Impact.BREAKING for f in report.findings)
    secured = _ops_with(corpus_dir / "consent/23Q4/consent-openapi.yaml", security=True)
    assert len(secured) == 42
    assert {f.operation for f in report.findings} == secured
    f = next(f for f in report.findings if f.operation == "POST /config/policy/")
    assert f.bb_location == "consent/23Q4/consent-openapi.yaml#/paths/~1config~1policy~1/post"
    assert f.candidate_location == "consent/main/consent-openapi.yaml#/paths/~1config~1policy~1/post"
    assert "bearer token" in f.message
    assert report.breaking and report.operations_compared == 42


def test_consent_main_to_23q4_adds_security_without_breaking(load: dict[str, Contract]) -> None:
    report = diff(load, "consent@main", "consent@23Q4")
    assert {f.code for f in report.findings} == {"security-added"}
    assert len(report.findings) == 42
    assert not report.breaking


@pytest.mark.parametrize(
    ("bb", "candidate"),
    [
        ("consent@main", "consent@23Q4.1"),
        ("information-mediator@1.1.0", "information-mediator@main"),
        ("information-mediator@main", "information-mediator@1.1.0"),
        ("workflow@23Q4", "workflow@23Q4"),
    ],
)
def test_identical_contracts_have_no_findings(load: dict[str, Contract], bb: str, candidate: str) -> None:
    report = diff(load, bb, candidate)
    assert report.findings == ()
    assert report.operations_compared == len(load[bb].operations)


def test_identity_main_adds_credential_management(load: dict[str, Contract], corpus_dir: Path) -> None:
    cm_file = "identity/main/gitbook-assets/Credential-Management.yaml"
    cm_ops = _ops_with(corpus_dir / cm_file)
    assert len(cm_ops) == 8
    forward = diff(load, "identity@23Q4.1", "identity@main")
    extra = [f for f in forward.findings if f.code == "operation-extra"]
    assert {f.operation for f in extra} == cm_ops
    assert all(f.severity is Impact.INFO and str(f.candidate_location).startswith(cm_file + "#") for f in extra)
    assert not forward.breaking
    backward = diff(load, "identity@main", "identity@23Q4.1")
    missing = [f for f in backward.findings if f.code == "operation-missing"]
    assert {f.operation for f in missing} == cm_ops
    assert all(f.breaking and f.candidate_location is None for f in missing)
    block = next(f for f in missing if f.operation == "POST /block")
    assert block.bb_location == cm_file + "#/paths/~1block/post"


WF_MAIN, WF_23Q4 = "workflow/main/swagger.yaml#", "workflow/23Q4/swagger.yaml#"


def test_workflow_ids_typed_differently(load: dict[str, Contract]) -> None:
    report = diff(load, "workflow@main", "workflow@23Q4")
    by = {(f.operation, f.code, f.bb_location, f.candidate_location): f for f in report.findings}
    param = "/components/parameters/processIdParam/schema"
    for op in ("GET /processes/{processId}", "PUT /processes/{processId}", "DELETE /processes/{processId}"):
        f = by[(op, "parameter.type", WF_MAIN + param, WF_23Q4 + param)]
        assert f.severity is Impact.BREAKING and '["integer"]' in f.message
    pid = "/components/schemas/Process/properties/id"
    f = by[("GET /processes/{processId}", "response-body.type", WF_MAIN + pid, WF_23Q4 + pid)]
    assert f.severity is Impact.BREAKING and "at /id" in f.message
    ref = "/components/schemas/ProcessInstance/properties/processRef"
    assert by[("GET /instances/{instanceId}", "response-body.type", WF_MAIN + ref, WF_23Q4 + ref)].breaking
    added = by[
        (
            "GET /processes",
            "parameter-added",
            WF_MAIN + "/paths/~1processes/get",
            WF_23Q4 + "/paths/~1processes/get/parameters/0",
        )
    ]
    assert added.severity is Impact.NON_BREAKING and "'name'" in added.message
    undeclared = {
        f.message.split("at /")[1].split(":")[0]
        for f in report.findings
        if f.operation == "POST /processes/{processId}/start" and f.code == "response-body.property-undeclared"
    }
    assert undeclared == {"id", "processRef", "suspended", "ended", "state"}


def test_workflow_23q4_to_main_accepts_strings(load: dict[str, Contract]) -> None:
    """String ids accept every integer id: the request side is fine, the response side is not."""
    report = diff(load, "workflow@23Q4", "workflow@main")
    assert not [f for f in report.findings if f.code == "parameter.type"]
    pid = "/components/schemas/Process/properties/id"
    f = next(
        f for f in report.findings if f.code == "response-body.type" and f.operation == "GET /processes/{processId}"
    )
    assert (f.bb_location, f.candidate_location) == (WF_23Q4 + pid, WF_MAIN + pid)
    assert only_codes(report, "GET /processes") >= {"optional-parameter-missing"}


def only_codes(report: DiffReport, operation: str) -> set[str]:
    return {f.code for f in report.findings if f.operation == operation}


def test_payments_bulk_status_update_requires_more(load: dict[str, Contract]) -> None:
    report = diff(load, "payments@23Q4", "payments@main")
    body = "#/paths/~1api~1v1~1batch/post/requestBody/content/application~1json/schema"
    bb_schema = "payments/23Q4/G2P-API-YAMLs/BulkPaymentStatusUpdate.yml" + body
    cand_schema = "payments/main/gitbook-assets/v1_0_1_fixed_BulkPaymentStatusUpdate.yml" + body
    required = {f.candidate_location: f for f in report.findings if f.code == "request-body.required"}
    # v1.0.4 lists `ongoing` 4th and `currency` 7th in `required`; 1.0.3 lists neither.
    assert set(required) == {cand_schema + "/required/3", cand_schema + "/required/6"}
    assert '"ongoing"' in required[cand_schema + "/required/3"].message
    currency = required[cand_schema + "/required/6"]
    assert '"currency"' in currency.message and currency.breaking and currency.operation == "POST /api/v1/batch"
    assert currency.bb_location == bb_schema  # 1.0.3 does not declare `currency` at all
    assert required[cand_schema + "/required/3"].bb_location == bb_schema + "/properties/ongoing"
    # The BB's own parameter lists were lost to a duplicated `parameters` key: not counted against the candidate.
    lost = [f for f in report.findings if f.code == "parameter-added-required"]
    assert {f.operation for f in lost} == {"POST /api/v1/batch", "POST /batchtransactions"}
    assert all(f.severity is Impact.INFO and "duplicate key" in f.message for f in lost)
    assert sum(f.breaking for f in report.findings) == 2


def test_payments_voucher_path_misspelled(corpus_dir: Path) -> None:
    bb = load_spec_files([str(corpus_dir / "payments/23Q4/test/Payment_BB_Voucher_api_test.json")])
    candidate = load_spec_files([str(corpus_dir / "payments/1.0-QA/VoucherAPIS.json")])
    report = diff_contracts(bb, candidate)
    assert [(f.code, f.operation, f.severity) for f in report.findings] == [
        ("operation-extra", "POST /vouchers/voucher_redeemption", Impact.INFO),
        ("operation-missing", "POST /vouchers/voucher_redemption", Impact.BREAKING),
    ]
    assert (
        report.findings[1].bb_location == "Payment_BB_Voucher_api_test.json#/paths/~1vouchers~1voucher_redemption/post"
    )
    assert report.findings[0].candidate_location == "VoucherAPIS.json#/paths/~1vouchers~1voucher_redeemption/post"
    assert report.operations_compared == 4


def test_every_release_against_itself_has_nothing_breaking(
    load: dict[str, Contract], manifest: list[dict[str, object]]
) -> None:
    """No false positives on any real contract compared with itself (defects may give info findings)."""
    releases = sorted(
        {f"{e['bb']}@{e['ref']}" for e in manifest if str(e.get("file", "")).endswith((".yaml", ".yml", ".json"))}
    )
    checked = 0
    for sel in releases:
        try:
            contract = load[sel]
        except Exception:  # a corpus ref the catalog does not list
            continue
        report = diff_contracts(contract, contract)
        assert [f for f in report.findings if f.severity is not Impact.INFO] == [], sel
        checked += 1
    assert checked >= 25
