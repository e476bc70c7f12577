"""CI gate: exit codes from --fail-under / --fail-on / --baseline, on hand-made and on real results."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from govstack_conform.assessment.compliance import assess
from govstack_conform.assessment.gate import CheckTally, Standing, Threshold, gate, known_failures
from govstack_conform.cli.gate_words import gate_lines
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    CheckResult,
    Exchange,
    OperationResult,
    Outcome,
    RecordedRequest,
    RecordedResponse,
    RunResults,
    Verdict,
)
from govstack_conform.errors import ConfigError
from govstack_conform.exitcodes import ExitCode

OK_X = Exchange("request", RecordedRequest("GET", "http://t/x", ()), RecordedResponse(200, ()))


def _check(name: str, outcome: Outcome, level: Level = Level.REQUIRED, waived: str | None = None) -> CheckResult:
    return CheckResult(name, level, outcome, f"{name} {outcome.value}", waived=waived)


def _case(cid: str, *checks: CheckResult, exchanges: tuple[Exchange, ...] = (OK_X,)) -> CaseResult:
    failed = any(c.outcome is Outcome.FAILED and c.level is Level.REQUIRED and not c.waived for c in checks)
    verdict = Verdict.FAILED if failed else Verdict.PASSED
    return CaseResult(cid, "GET /x", CaseKind.POSITIVE, cid, "", verdict, checks, exchanges)


def _results(*cases: CaseResult, bb: str = "consent", complete: bool = True) -> RunResults:
    op = OperationResult("GET /x", "GET", "/x", "getX", "f.yaml", Verdict.PASSED)
    b = BBResult(bb, "main", "Consent", f"bb-{bb}", "http://t", (), (op,), tuple(cases))
    return RunResults("0", "s", "f", 0, {}, (b,), complete)


P, F = Outcome.PASSED, Outcome.FAILED


def test_default_gate_fails_on_any_unwaived_required_failure_only() -> None:
    clean = _results(_case("consent::a", _check("status", P)), _case("consent::b", _check("x", F, Level.RECOMMENDED)))
    assert gate(assess(clean)).exit_code is ExitCode.OK
    assert gate(assess(clean)).checks == ()
    bad = _results(_case("consent::a", _check("status", F)), _case("consent::b", _check("schema", P)))
    d = gate(assess(bad))
    assert d.exit_code is ExitCode.NONCONFORMANT
    assert d.checks == (CheckTally("consent@main", "status", Level.REQUIRED, Standing.FAILS, ("consent::a",)),)
    assert gate_lines(d, 80)[-1] == "failed: 1 REQUIRED failures: consent::a: status"
    waived = _results(_case("consent::a", _check("status", F, waived="ticket 12")))
    assert gate(assess(waived)).exit_code is ExitCode.OK


def test_fail_on_recommended_also_fails_recommended_failures() -> None:
    r = _results(_case("consent::a", _check("status", P), _check("location_header", F, Level.RECOMMENDED)))
    assert gate(assess(r), fail_on="required").exit_code is ExitCode.OK
    d = gate(assess(r), fail_on="recommended")
    assert d.exit_code is ExitCode.NONCONFORMANT
    assert [(t.check, t.cases) for t in d.failing] == [("location_header (recommended)", ("consent::a",))]
    optional = _results(_case("consent::a", _check("style", F, Level.OPTIONAL)))
    assert gate(assess(optional), fail_on="recommended").exit_code is ExitCode.OK
    with pytest.raises(ConfigError, match="--fail-on must be one of required, recommended"):
        gate(assess(r), fail_on="optional")


def test_fail_under_uses_the_required_compliance_percentage() -> None:
    # 3 of 4 REQUIRED checks met: 75 %.
    r = _results(
        _case("consent::a", _check("c1", P), _check("c2", P)),
        _case("consent::b", _check("c3", P), _check("c4", F)),
    )
    assert gate(assess(r)).exit_code is ExitCode.NONCONFORMANT
    at = gate(assess(r), fail_under=75)
    assert at.exit_code is ExitCode.OK
    assert at.checks == (CheckTally("consent@main", "c4", Level.REQUIRED, Standing.WITHIN, ("consent::b",)),)
    above = gate(assess(r), fail_under=75.1)
    assert above.exit_code is ExitCode.NONCONFORMANT
    assert above.below == (Threshold("consent@main", 75.0, 75.1),)
    # the failures of a BB below the threshold are what fails the run: never "within" it
    assert [(t.check, t.standing) for t in above.checks] == [("c4", Standing.FAILS)]
    # a waived failure counts as met, as in the compliance report
    waived = _results(_case("consent::a", _check("c1", P)), _case("consent::b", _check("c4", F, waived="w")))
    assert gate(assess(waived), fail_under=100).exit_code is ExitCode.OK
    with pytest.raises(ConfigError, match="between 0 and 100"):
        gate(assess(r), fail_under=101)


def test_fail_under_with_nothing_judged_fails_rather_than_vouching() -> None:
    r = _results(_case("consent::a", _check("c1", Outcome.UNTESTABLE)))
    d = gate(assess(r), fail_under=50)
    assert d.exit_code is ExitCode.NONCONFORMANT
    assert d.below == (Threshold("consent@main", None, 50),)
    assert "failed: consent@main: no REQUIRED check could be judged" in gate_lines(d, 80)[-1]


def test_fail_under_and_fail_on_recommended_combine() -> None:
    r = _results(_case("consent::a", _check("c1", P), _check("r", F, Level.RECOMMENDED)))
    assert gate(assess(r), fail_under=90).exit_code is ExitCode.OK
    assert gate(assess(r), fail_under=90, fail_on="recommended").exit_code is ExitCode.NONCONFORMANT


def test_baseline_tolerates_known_failures_and_fails_new_ones() -> None:
    before = _results(_case("consent::a", _check("status", F)), _case("consent::b", _check("schema", P)))
    same = gate(assess(before), baseline=assess(before))
    assert same.exit_code is ExitCode.OK
    assert same.checks == (CheckTally("consent@main", "status", Level.REQUIRED, Standing.KNOWN, ("consent::a",)),)
    after = _results(
        _case("consent::a", _check("status", F)),
        _case("consent::b", _check("schema", F)),  # new: passed in the baseline
        _case("consent::c", _check("status", F)),  # new: case not in the baseline
    )
    d = gate(assess(after), baseline=assess(before))
    assert d.exit_code is ExitCode.NONCONFORMANT
    assert [(t.check, t.standing, t.cases) for t in d.checks] == [
        ("schema", Standing.FAILS, ("consent::b",)),
        ("status", Standing.FAILS, ("consent::c",)),
        ("status", Standing.KNOWN, ("consent::a",)),
    ]
    assert gate_lines(d, 120)[-1] == "failed: 2 new REQUIRED failures: consent::b: schema; consent::c: status"
    # same case, another check failing: new
    other = _results(_case("consent::a", _check("status", F), _check("schema", F)))
    assert [(t.check, t.cases) for t in gate(assess(other), baseline=assess(before)).failing] == [
        ("schema", ("consent::a",))
    ]
    assert known_failures(assess(before)) == {("consent::a", "status")}


def test_unreachable_target_is_exit_3_and_interrupted_is_130() -> None:
    down = Exchange("request", RecordedRequest("GET", "http://t/x", ()), None, "connection refused")
    r = _results(_case("consent::a", exchanges=(down,)))
    d = gate(assess(r))
    assert d.exit_code is ExitCode.UNUSABLE
    assert gate(assess(r), fail_under=80).exit_code is ExitCode.UNUSABLE
    partial = dataclasses.replace(_results(_case("consent::a", _check("c", P))), complete=False)
    assert gate(assess(partial)).exit_code is ExitCode.INTERRUPTED


def test_many_failures_are_counted_not_all_listed() -> None:
    r = _results(*[_case(f"consent::c{i:02}", _check("status", F)) for i in range(25)])
    d = gate(assess(r))
    (tally,) = d.checks
    assert tally.count == 25 and tally.cases[0] == "consent::c00"
    gate_line, failed = gate_lines(d, 100)
    assert gate_line == "gate: consent@main status: 25 failed cases: fail the run"
    assert failed.startswith("failed: 25 REQUIRED failures: consent::c00: status;")
    assert failed.endswith(" more in the reports") and len(failed) <= 100


# ---- on real results: the reference mock, sabotaged ---------------------------------------------------


@pytest.fixture(scope="module")
def mock_runs(corpus_dir: Path) -> tuple[RunResults, RunResults, RunResults]:
    """consent@23Q4 against a conformant mock, one that accepts any input, and one that also ignores auth."""
    from govstack_conform.contracts import load as contracts
    from govstack_conform.engine.credentials import Credentials
    from govstack_conform.engine.options import RunOptions
    from govstack_conform.engine.run.session import Target, run
    from govstack_conform.mock import MockOptions
    from govstack_conform.mock.server import serve_in_thread

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        contract = contracts.load_contract("consent@23Q4")
    options = RunOptions(credentials=Credentials(bearer="tok-1"))
    out = []
    for mock in (
        MockOptions(token="tok-1"),
        MockOptions(token="tok-1", validate_requests=False),
        MockOptions(token="tok-1", validate_requests=False, enforce_auth=False),
    ):
        with serve_in_thread(contract, mock) as server:
            out.append(run([Target(contract, server.base_url)], options))
    return out[0], out[1], out[2]


def test_real_runs_gate_as_the_engine_judges(mock_runs: tuple[RunResults, RunResults, RunResults]) -> None:

    good, lax, open_ = mock_runs
    assert gate(assess(open_)).exit_code is ExitCode.NONCONFORMANT
    assert gate(assess(good)).exit_code is ExitCode.OK
    assert gate(assess(lax)).exit_code is ExitCode.NONCONFORMANT


def test_baseline_on_real_runs_fails_only_on_the_new_sabotage(
    mock_runs: tuple[RunResults, RunResults, RunResults],
) -> None:
    _good, lax, open_ = mock_runs
    assert gate(assess(lax), baseline=assess(lax)).exit_code is ExitCode.OK
    assert {t.standing for t in gate(assess(lax), baseline=assess(lax)).checks} == {Standing.KNOWN}
    d = gate(assess(open_), baseline=assess(lax))
    assert d.exit_code is ExitCode.NONCONFORMANT
    # only the security cases are new: accepting any input was already known
    security = {c.case_id for c in open_.results[0].cases if c.kind is CaseKind.SECURITY}
    assert security
    named = {case for t in d.failing for case in t.cases}
    assert named and named <= security
    assert {t.standing for t in d.checks} == {Standing.FAILS, Standing.KNOWN}
    failed_now = {
        (c.case_id, k.check)
        for c in open_.results[0].cases
        for k in c.checks
        if k.outcome is Outcome.FAILED and k.level is Level.REQUIRED
    }
    known = sum(t.count for t in d.checks if t.standing is Standing.KNOWN)
    assert known == len(failed_now & known_failures(assess(lax))) > 0
