"""The compliance model, waivers, merge and diff, on the realistic results set and small variations."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
import report_fixture as fx

from govstack_conform.assessment.compliance import ApiLevel, Fulfillment, assess
from govstack_conform.assessment.coverage import BBVerdict
from govstack_conform.assessment.waivers import Waiver, apply_waivers
from govstack_conform.engine.cases import Level
from govstack_conform.engine.results import BBResult, Outcome, RunResults, SpecFileRef, Verdict
from govstack_conform.errors import ReportError
from govstack_conform.report.compare import diff, merge


def _bb(results: RunResults, name: str) -> BBResult:
    return next(b for b in results.results if b.bb == name)


def test_counts_percentages_and_levels() -> None:
    c = assess(fx.build())
    consent, reg, im = c.bbs
    assert consent.case_counts["passed"] == 6 and consent.waived_cases == 1
    assert consent.compliance_pct == 100.0 and consent.level is ApiLevel.LEVEL_2 and consent.conformant
    assert reg.checks[Level.REQUIRED.value].to_dict() == {
        "met": 3,
        "waived": 0,
        "not_met": 5,
        "untestable": 0,
        "skipped": 0,
    }
    assert reg.compliance_pct == pytest.approx(37.5)
    assert reg.operation_counts == {
        "passed": 1,
        "failed": 2,
        "not-implemented": 1,
        "untestable": 0,
        "error": 0,
        "skipped": 0,
    }
    assert reg.case_pass_rate == pytest.approx(100 / 6)
    assert reg.level is ApiLevel.LEVEL_1 and not reg.conformant
    # A skipped (read-only) operation keeps the mediator from Level 2; the untestable one does not count.
    assert im.level is ApiLevel.LEVEL_1 and "1 not run or errored, 1 untestable" in im.level_reason
    # no failure, but two operations were not checked: never plainly "conformant"
    assert not im.conformant and im.compliance_pct == 100.0
    assert im.verdict is BBVerdict.PARTIAL and im.verdict_text == "partially checked (checked 1 of 3 operations)"
    assert im.level_text == "Level 1 (partial: checked 1 of 3 operations)"
    assert {u.verdict for u in im.coverage.unchecked} == {Verdict.SKIPPED, Verdict.UNTESTABLE}
    assert not c.conformant and c.verdict is BBVerdict.NOT_CONFORMANT


def test_waiver_marks_only_active_and_keeps_failure_visible() -> None:
    r = fx.build()
    consent = _bb(r, "consent")
    case = next(x for x in consent.cases if x.name == "positive-get")
    assert case.verdict is Verdict.FAILED  # the results keep the failure
    failed = [k for k in case.checks if k.outcome is Outcome.FAILED]
    assert [k.waived for k in failed] == ["vendor fix scheduled for 2024-06 release (ticket 4711)"]
    reg = _bb(r, "digital-registries")
    expired_target = next(x for x in reg.cases if x.name == "positive-create")
    assert all(k.waived is None for k in expired_target.checks)  # the expired waiver does not count
    listed = {w["check"]: w for w in r.options["waivers"]}
    assert listed["content_type_json"]["status"] == "active" and listed["content_type_json"]["matched"] == 1
    assert listed["status_code_documented"]["status"] == "expired" and listed["status_code_documented"]["matched"] == 1
    assert [w["check"] for w in assess(r).expired_waivers] == ["status_code_documented"]


def test_waiver_expiry_day_is_inclusive_and_reapplying_clears() -> None:
    base = fx.build(waivers=False)
    w = Waiver("content_type_json", "getConsent", "by operationId", date(2024, 6, 30))
    on_day = assess(apply_waivers(base, [w], date(2024, 6, 30))).bbs[0]
    after = assess(apply_waivers(base, [w], date(2024, 7, 1))).bbs[0]
    assert on_day.conformant and on_day.waived_cases == 1
    assert not after.conformant and after.waived_cases == 0
    assert after.operations[1].verdict is Verdict.FAILED
    cleared = apply_waivers(apply_waivers(base, [w], date(2024, 6, 1)), [], date(2024, 6, 1))
    assert all(k.waived is None for b in cleared.results for c in b.cases for k in c.checks)


def test_level_none_when_nothing_met() -> None:
    r = fx.build(waivers=False)
    reg = _bb(r, "digital-registries")
    only_bad = dataclasses.replace(
        reg,
        operations=tuple(o for o in reg.operations if o.verdict is not Verdict.PASSED),
        cases=tuple(c for c in reg.cases if c.verdict is not Verdict.PASSED),
    )
    b = assess(dataclasses.replace(r, results=(only_bad,))).bbs[0]
    assert b.level is ApiLevel.NONE and b.level_reason.startswith("none")
    assert all(req.fulfillment is not Fulfillment.MET for req in b.requirements if req.operation)


def test_case_of_unlisted_operation_is_still_reported() -> None:
    r = fx.build()
    consent = _bb(r, "consent")
    lone = dataclasses.replace(consent, operations=consent.operations[:1])
    b = assess(dataclasses.replace(r, results=(lone,))).bbs[0]
    assert [o.key for o in b.operations] == ["GET /consents", "GET /consents/{consentId}", "POST /consents"]
    assert sum(b.case_counts.values()) == len(consent.cases)


def _shards() -> tuple[RunResults, RunResults]:
    r = fx.build()
    reg = _bb(r, "digital-registries")
    half = len(reg.cases) // 2
    a = dataclasses.replace(r, results=(dataclasses.replace(reg, cases=reg.cases[:half]),))
    b = dataclasses.replace(r, results=(dataclasses.replace(reg, cases=reg.cases[half:]),), seed=99)
    return a, b


def test_merge_joins_shards_of_the_same_bb_release_and_target() -> None:
    a, b = _shards()
    merged, warnings = merge([a, b])
    assert len(merged.results) == 1
    assert merged.results[0].cases == _bb(fx.build(), "digital-registries").cases
    assert any("different seeds" in w for w in warnings)
    assert [m["seed"] for m in merged.options["merged_from"]] == [1234, 99]
    whole = assess(fx.build()).bbs[1]
    assert assess(merged).bbs[0].case_counts == whole.case_counts


def test_merge_several_bbs_and_duplicates_later_wins() -> None:
    r = fx.build()
    reg = _bb(r, "digital-registries")
    fixed = dataclasses.replace(reg.cases[0], verdict=Verdict.PASSED, checks=())
    rerun = dataclasses.replace(r, results=(dataclasses.replace(reg, cases=(fixed,)),))
    merged, warnings = merge([r, rerun])
    assert [b.bb for b in merged.results] == ["consent", "digital-registries", "information-mediator"]
    got = next(c for c in _bb(merged, "digital-registries").cases if c.case_id == fixed.case_id)
    assert got.verdict is Verdict.PASSED
    assert any(fixed.case_id in w and "input 2 wins" in w for w in warnings)


def test_merge_refuses_different_specs_under_one_path() -> None:
    r = fx.build()
    consent = _bb(r, "consent")
    other = dataclasses.replace(consent, spec_files=(SpecFileRef(consent.spec_files[0].path, "0" * 64),))
    with pytest.raises(ReportError, match="tested different specs"):
        merge([r, dataclasses.replace(r, results=(other,))])
    with pytest.raises(ReportError):
        merge([])


def test_diff_puts_regressions_first() -> None:
    old = fx.build(waivers=False)
    reg = _bb(old, "digital-registries")
    better = [
        dataclasses.replace(c, verdict=Verdict.PASSED, checks=()) if c.name == "positive-create" else c
        for c in reg.cases
    ]
    consent = _bb(old, "consent")
    worse = [dataclasses.replace(c, verdict=Verdict.FAILED) if c.name == "positive-list" else c for c in consent.cases]
    new = dataclasses.replace(
        old,
        results=(
            dataclasses.replace(consent, cases=tuple(worse)),
            dataclasses.replace(reg, cases=tuple(better)),
            old.results[2],
        ),
    )
    d = diff(old, new)
    assert d.changes[0].kind == "regression"
    assert any(
        c.item == "consent::GET /consents::positive-list" and c.old == "passed" and c.new == "failed"
        for c in d.regressions
    )
    assert any(c.item.endswith("positive-create") and c.new == "passed" for c in d.improvements)
    assert diff(old, old).changes == ()


def test_diff_passing_only_by_waiver_is_a_regression() -> None:
    old = fx.build(waivers=False)
    consent = _bb(old, "consent")
    fixed = [
        dataclasses.replace(
            c, verdict=Verdict.PASSED, checks=tuple(dataclasses.replace(k, outcome=Outcome.PASSED) for k in c.checks)
        )
        if c.name == "positive-get"
        else c
        for c in consent.cases
    ]
    clean_old = dataclasses.replace(old, results=(dataclasses.replace(consent, cases=tuple(fixed)),))
    new = apply_waivers(dataclasses.replace(old, results=(consent,)), fx.WAIVERS, fx.TODAY)
    d = diff(clean_old, new)
    assert [(c.item, c.old, c.new) for c in d.regressions if "positive-get" in c.item] == [
        ("consent::GET /consents/{consentId}::positive-get", "passed", "passed (waived)")
    ]
