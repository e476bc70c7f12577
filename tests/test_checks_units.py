"""Small pieces of the checks and verdicts, where a real server adds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from govstack_conform.assessment.compliance import assess
from govstack_conform.assessment.gate import gate
from govstack_conform.contracts.model import MediaType, Operation
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.checks.registry import echoes, match_media, media_type, mentions_id
from govstack_conform.engine.options import parse_header, parse_path_maps
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    CheckResult,
    Exchange,
    Outcome,
    RecordedRequest,
    RecordedResponse,
    RunResults,
    Verdict,
)
from govstack_conform.engine.run.judge import case_verdict, operation_verdict
from govstack_conform.errors import ConfigError
from govstack_conform.exitcodes import ExitCode


def mt(name: str) -> MediaType:
    return MediaType(name, None, (), "/x")


def test_media_types_ignore_parameters_and_honour_wildcards() -> None:
    assert media_type("Application/JSON; charset=utf-8") == "application/json"
    documented = (mt("application/json"), mt("text/*"))
    assert match_media("application/json", documented) is documented[0]
    assert match_media("text/csv", documented) is documented[1]
    assert match_media("application/xml", documented) is None
    assert match_media("image/png", (mt("*/*"),)) is not None


def test_echo_comparison_is_lenient_where_products_normalise() -> None:
    assert echoes({"a": 1}, {"a": 1.0, "b": 2})
    assert echoes("2024-01-01T00:00:00Z", "2024-01-01T00:00:00.000+00:00")
    assert echoes([1, 2], [2, 1, 3])
    assert not echoes({"a": "x"}, {"a": "y"})
    assert not echoes(True, 1)


def test_generated_ids_in_bodies_are_noticed() -> None:
    assert mentions_id({"dataAgreementId": "x"})
    assert mentions_id({"items": [{"id": "x"}]})
    assert not mentions_id({"id": "${id}"})
    assert not mentions_id({"name": "idle", "kind": "cat"})


def test_headers_and_path_maps(tmp_path: Path) -> None:
    assert parse_header("X-A:  b c ") == ("X-A", "b c")
    with pytest.raises(ConfigError):
        parse_header("X A: b")
    mapping = tmp_path / "map.txt"
    mapping.write_text("# comment\n/config/policy/{policyId}/ = /api/policies/{policyId}\n")
    rules = parse_path_maps([str(mapping), "/data=/registry/data"])
    assert rules.apply("/config/policy/{policyId}/") == "/api/policies/{policyId}"
    assert rules.apply("/data/{registryName}") == "/registry/data/{registryName}"
    yaml_map = tmp_path / "map.yaml"
    yaml_map.write_text("/a: /b\n")
    assert parse_path_maps([str(yaml_map)]).apply("/a") == "/b"
    with pytest.raises(ConfigError):
        parse_path_maps(["nothing-like-a-rule"])


def check(name: str, outcome: Outcome, level: Level = Level.REQUIRED, msg: str = "m") -> CheckResult:
    return CheckResult(name, level, outcome, msg, "request")


def exchange(status: int | None, error: str | None = None) -> Exchange:
    response = RecordedResponse(status, ()) if status is not None else None
    return Exchange("request", RecordedRequest("GET", "http://h/x", ()), response, error)


def case(
    verdict: Verdict, statuses: list[int], checks: tuple[CheckResult, ...] = (), kind: CaseKind = CaseKind.POSITIVE
) -> CaseResult:
    return CaseResult("c", "GET /x", kind, "n", "d", verdict, checks, tuple(exchange(s) for s in statuses))


OP = Operation("GET", "/x", None, "", (), (), None, (), (), "f.yaml", "/paths/~1x/get")


def test_case_verdict_precedence() -> None:
    failed = check("valid_input_accepted", Outcome.FAILED)
    untestable = check("response_schema_valid", Outcome.UNTESTABLE, msg="spec broken")
    recommended = check("latency_within_budget", Outcome.FAILED, Level.RECOMMENDED)
    assert case_verdict([failed, untestable], [exchange(400)])[0] is Verdict.FAILED
    assert case_verdict([untestable], [exchange(200)]) == (Verdict.UNTESTABLE, "spec broken")
    assert case_verdict([recommended], [exchange(200)])[0] is Verdict.PASSED
    assert case_verdict([], [exchange(None, "timed out")])[0] is Verdict.ERROR
    assert case_verdict([], [exchange(200)], "stopped")[0] is Verdict.UNTESTABLE


def test_operation_not_implemented_only_on_evidence() -> None:
    blamed = check("valid_input_accepted", Outcome.FAILED)
    sure = operation_verdict(OP, [case(Verdict.FAILED, [404], (blamed,)), case(Verdict.PASSED, [404])])
    assert sure[0] is Verdict.NOT_IMPLEMENTED
    assert operation_verdict(OP, [case(Verdict.PASSED, [501])])[0] is Verdict.NOT_IMPLEMENTED
    # every read of a generated id answered 404: the route may well exist
    unsure = operation_verdict(OP, [case(Verdict.PASSED, [404]), case(Verdict.PASSED, [404])])
    assert unsure[0] is Verdict.UNTESTABLE and "fixtures" in (unsure[1] or "")
    mixed = operation_verdict(
        OP, [case(Verdict.PASSED, [200]), case(Verdict.UNTESTABLE, [401], kind=CaseKind.NEGATIVE)]
    )
    assert mixed[0] is Verdict.PASSED
    assert operation_verdict(OP, [case(Verdict.SKIPPED, [])])[0] is Verdict.SKIPPED


def test_exit_code_follows_required_checks_only() -> None:
    def results(*cases: CaseResult) -> RunResults:
        bb = BBResult("b", "r", "t", "bb-b", "http://h", (), (), cases)
        return RunResults("0", "", "", 0, {}, (bb,))

    assert gate(assess(results(case(Verdict.PASSED, [200])))).exit_code is ExitCode.OK
    rec = check("method_not_allowed", Outcome.FAILED, Level.RECOMMENDED)
    assert gate(assess(results(case(Verdict.PASSED, [200], (rec,))))).exit_code is ExitCode.OK
    req = check("no_server_error", Outcome.FAILED)
    assert gate(assess(results(case(Verdict.FAILED, [500], (req,))))).exit_code is ExitCode.NONCONFORMANT
    lost = CaseResult("c", "GET /x", CaseKind.POSITIVE, "n", "d", Verdict.ERROR, (), (exchange(None, "refused"),))
    assert gate(assess(results(lost))).exit_code is ExitCode.UNUSABLE
