"""Operations declared not implemented, and per-BB waivers, on real runs against the reference mock.

The "product" is the mock of consent@main built from the contract minus one operation, so it really
lacks that operation (it answers 404/405 there), as a product that leaves a feature out would.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from govstack_conform.app.declarations import PREFIX, apply_config_waivers, apply_declared, split_declared
from govstack_conform.assessment.compliance import ApiLevel, assess
from govstack_conform.assessment.coverage import BBVerdict
from govstack_conform.assessment.gate import gate
from govstack_conform.config.file import CONFIG_NAME, Config, NotImplementedDecl, load_config
from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Case, CaseKind
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import RunResults, Verdict
from govstack_conform.engine.run.session import Target, plan_target, run
from govstack_conform.errors import ConfigError
from govstack_conform.exitcodes import ExitCode
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

DELETE = "DELETE /config/webhook/{webhookId}/"
STATEFUL = "consent::POST /config/webhook/::stateful-create-read-update-delete"
OPTIONS = RunOptions(concurrency=4)


@pytest.fixture(scope="module")
def contract(corpus_dir: Path) -> Contract:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        return contracts.load_contract("consent@main")


@pytest.fixture(scope="module")
def cases(contract: Contract) -> tuple[Case, ...]:
    return plan_target(Target(contract, "http://127.0.0.1:1"), OPTIONS)


def _against_product_without_delete(contract: Contract, cases: tuple[Case, ...]) -> RunResults:
    product = dataclasses.replace(contract, operations=tuple(o for o in contract.operations if o.key != DELETE))
    with serve_in_thread(product, MockOptions()) as server:
        return run([Target(contract, server.base_url, cases=cases)], OPTIONS)


def test_split_skips_the_operation_and_every_sequence_that_needs_it(
    contract: Contract, cases: tuple[Case, ...]
) -> None:
    d = split_declared(contract, cases, NotImplementedDecl(operations=("configWebhookDelete",), reason="no webhooks"))
    assert d.operations == {DELETE}
    skipped = {c.case_id for c in d.skipped}
    assert STATEFUL in skipped
    assert {c.case_id for c in cases if c.operation == DELETE} <= skipped
    assert all(c.operation == DELETE or any(s.operation == DELETE for s in c.steps) for c in d.skipped)
    assert len(d.kept) + len(d.skipped) == len(cases)
    # by key, in any case of the method, and by tag
    same = split_declared(contract, cases, NotImplementedDecl(operations=("delete " + DELETE.split()[1],), reason="r"))
    assert same.operations == {DELETE}
    audit = split_declared(contract, cases, NotImplementedDecl(tags=("Auditor",), reason="r"))
    assert audit.operations == {o.key for o in contract.operations if "auditor" in o.tags}
    assert split_declared(contract, cases, None).kept == cases


def test_names_the_contract_does_not_have_are_errors_with_suggestions(
    contract: Contract, cases: tuple[Case, ...]
) -> None:
    with pytest.raises(ConfigError, match=r"consent@main has no operation 'configWebhookDelet'.*configWebhookDelete"):
        split_declared(contract, cases, NotImplementedDecl(operations=("configWebhookDelet",), reason="r"))
    with pytest.raises(ConfigError, match=r"has no tag 'audit'.*did you mean 'auditor'"):
        split_declared(contract, cases, NotImplementedDecl(tags=("audit",), reason="r"))


def test_a_declared_operation_is_skipped_not_failed_and_does_not_reach_level_2(
    contract: Contract, cases: tuple[Case, ...]
) -> None:
    undeclared = _against_product_without_delete(contract, cases)
    assert gate(assess(undeclared)).exit_code is ExitCode.NONCONFORMANT  # the missing operation really fails
    d = split_declared(contract, cases, NotImplementedDecl(operations=(DELETE,), reason="webhooks are never deleted"))
    ran = _against_product_without_delete(contract, d.kept)
    bb = apply_declared(ran.results[0], d)
    results = dataclasses.replace(ran, results=(bb,))
    assert [c.case_id for c in bb.cases] == [c.case_id for c in cases]  # plan order, nothing lost
    by_id = {c.case_id: c for c in bb.cases}
    assert by_id[STATEFUL].verdict is Verdict.SKIPPED
    assert by_id[STATEFUL].reason is not None and DELETE in by_id[STATEFUL].reason
    for c in bb.cases:
        if c.operation == DELETE:
            assert c.verdict is Verdict.SKIPPED and c.reason == f"{PREFIX}: webhooks are never deleted"
            assert c.exchanges == ()  # nothing was sent
    op = next(o for o in bb.operations if o.key == DELETE)
    assert op.verdict is Verdict.SKIPPED and op.reason == f"{PREFIX}: webhooks are never deleted"
    assert gate(assess(results)).exit_code is ExitCode.OK
    c = assess(results).bbs[0]
    assert c.verdict is BBVerdict.PARTIAL and not c.conformant  # the declared operation was not checked
    # the declared operation, and the delete-all not sent for data safety (docs/data-safety.md)
    unchecked = {u.operation: u.verdict for u in c.coverage.unchecked}
    assert unchecked == {DELETE: Verdict.SKIPPED, "DELETE /service/individual/record/": Verdict.SKIPPED}
    assert c.level is ApiLevel.LEVEL_1  # a left-out operation keeps the product from Level 2
    req = next(r for r in c.requirements if r.operation == DELETE)
    assert req.fulfillment.name == "NA" and req.blocks_level_2
    # labelled as what it is: declared not implemented, not "not run or errored"
    assert "1 declared not implemented" in c.level_reason, c.level_reason
    # everything else ran: as many cases passed as not skipped (here or for data safety, docs/data-safety.md)
    assert sum(x.verdict is Verdict.PASSED for x in bb.cases) == len([k for k in d.kept if not k.skip])
    assert any(x.kind is CaseKind.STATEFUL and x.verdict is Verdict.PASSED for x in bb.cases)


def two_bb_results() -> RunResults:
    """consent and gis, each failing `status` and `schema` on an operation of the same key."""
    from govstack_conform.engine.cases import Level
    from govstack_conform.engine.results import BBResult, CaseResult, CheckResult, OperationResult, Outcome

    def bb(key: str) -> BBResult:
        checks = tuple(CheckResult(n, Level.REQUIRED, Outcome.FAILED, "no") for n in ("status", "schema"))
        case = CaseResult(f"{key}::GET /x::positive", "GET /x", CaseKind.POSITIVE, "p", "", Verdict.FAILED, checks)
        op = OperationResult("GET /x", "GET", "/x", None, "f", Verdict.FAILED)
        return BBResult(key, "main", key, f"bb-{key}", "http://t", (), (op,), (case,))

    return RunResults("0", "s", "f", 0, {}, (bb("consent"), bb("gis")))


def test_config_waivers_apply_to_their_own_bb_only(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_text(
        """
[[waivers]]
check = "schema"
operation = "GET /x"
justification = "everywhere"
expires = 2030-01-01

[bb.consent]
target = "http://a:1"
[[bb.consent.waivers]]
check = "status"
operation = "GET /x"
justification = "consent only"
expires = 2030-01-01
""",
        encoding="utf-8",
    )
    cfg = load_config(None, tmp_path)
    assert isinstance(cfg, Config)
    out = apply_config_waivers(two_bb_results(), cfg, date(2029, 1, 1))
    waived = {(b.bb, k.check): k.waived for b in out.results for c in b.cases for k in c.checks}
    assert waived == {
        ("consent", "status"): "consent only",
        ("consent", "schema"): "everywhere",
        ("gis", "status"): None,  # the consent waiver does not leak into another BB with the same path
        ("gis", "schema"): "everywhere",
    }
    listed = {(w["bb"], w["check"]): w["matched"] for w in out.options["waivers"]}
    assert listed == {("*", "schema"): 2, ("consent", "status"): 1}
    assert gate(assess(out)).exit_code is ExitCode.NONCONFORMANT  # gis's status failure stands


def test_prepare_shards_then_declares_and_shards_merge_back(contract: Contract, cases: tuple[Case, ...]) -> None:
    from govstack_conform.app.declarations import prepare
    from govstack_conform.report.compare import merge

    decl = NotImplementedDecl(operations=(DELETE,), reason="webhooks are never deleted")
    product = dataclasses.replace(contract, operations=tuple(o for o in contract.operations if o.key != DELETE))
    parts = []
    with serve_in_thread(product, MockOptions()) as server:
        for spec in (None, "1/2", "2/2"):
            target, declared = prepare(Target(contract, server.base_url), OPTIONS, shard_spec=spec, decl=decl)
            assert target.cases == declared.kept
            bb = apply_declared(run([target], OPTIONS).results[0], declared)
            parts.append(RunResults("0", "s", "f", 0, {}, (bb,)))
    whole, merged = parts[0], merge(parts[1:])[0]
    assert {c.case_id: c.verdict for c in merged.results[0].cases} == {
        c.case_id: c.verdict for c in whole.results[0].cases
    }
    assert len(whole.results[0].cases) == len(cases)
    ops = {o.key: (o.verdict, o.reason) for o in merged.results[0].operations}
    assert ops == {o.key: (o.verdict, o.reason) for o in whole.results[0].operations}
    assert ops[DELETE] == (Verdict.SKIPPED, f"{PREFIX}: webhooks are never deleted")
