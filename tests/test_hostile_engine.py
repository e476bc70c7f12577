"""A hostile product cannot stop the run, fool the verdict, or spoil the cases around its own.

Every misbehaviour of tests/hostile_servers.py gets one case, with a correct `/control` case before
and after it on the same keep-alive connection (concurrency 1): the run finishes, each hostile case
has a clear verdict with evidence, and every control case passes.
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_servers import BEHAVIOURS, HOSTILE_SPEC, XSS, HostileServer, hostile_server

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import CaseResult, Outcome, RunResults, Verdict, to_dict
from govstack_conform.engine.run.session import Target, run
from govstack_conform.redact import REDACTED

TOKEN = "hostile-SECRET-bearer-93ac1"
Ran = tuple[RunResults, HostileServer, int]  # results, the server, requests it had seen before the run
MB = 1024 * 1024

# path -> (verdict, words the reason or a check message must contain)
EXPECTED: dict[str, tuple[Verdict, str]] = {
    "/big": (Verdict.UNTESTABLE, "exceeds the size cap"),
    "/gzip-bomb": (Verdict.UNTESTABLE, "exceeds the size cap"),
    "/endless": (Verdict.UNTESTABLE, "exceeds the size cap"),
    # not answering within --timeout is the candidate's failure (issue 17 item 4), a broken connection an error
    "/drip": (Verdict.FAILED, "the 200 answer was still arriving after 1.5 s"),
    "/silent": (Verdict.FAILED, "no answer within 1.5 s"),
    "/reset": (Verdict.ERROR, "in the middle of the 200 answer's body"),
    "/invalid-json": (Verdict.FAILED, "body is not valid JSON"),
    "/invalid-utf8": (Verdict.FAILED, "body is not UTF-8 (byte 0xff at offset 15)"),
    "/deep": (Verdict.UNTESTABLE, "nested deeper than 128 levels"),
    "/huge-string": (Verdict.UNTESTABLE, "exceeds the size cap"),
    "/dup-keys": (Verdict.FAILED, "at /a: 'not an integer' is not of type 'integer'"),
    "/redirect-away": (Verdict.FAILED, "answered 302 (a redirect to http://127.0.0.1:"),
    "/redirect-loop": (Verdict.FAILED, "answered 301 (a redirect to /redirect-loop, not followed"),
    "/short-length": (Verdict.PASSED, ""),
    "/long-length": (Verdict.ERROR, "received 2 bytes, expected 1000"),
    "/http10": (Verdict.PASSED, ""),
    "/ctl-headers": (Verdict.PASSED, ""),
    "/many-headers": (Verdict.PASSED, ""),
    "/evil": (Verdict.FAILED, "the server failed with 500"),
    "/bad-gzip": (Verdict.ERROR, "the body is not valid gzip data"),
    "/evil-value": (Verdict.FAILED, "<script>"),
    "/evil-redirect": (Verdict.FAILED, "answered 302 (a redirect to javascript:alert(1)//<script>"),
}


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("hostile") / "hostile.yaml"
    path.write_text(HOSTILE_SPEC)
    return load_spec_files([str(path)])


def case(path: str, n: int) -> Case:
    req = RequestPlan("GET", path, auth=Auth.VALID)
    step = Step("request", f"GET {path}", req, Expect.SUCCESS)
    return Case(f"hostile::GET {path}::{n}", "custom", "local", f"GET {path}", None, CaseKind.POSITIVE, f"get-{n}",
                "a read", (step,), tags=("fixture",))  # fmt: skip


def interleaved(paths: list[str]) -> tuple[Case, ...]:
    """control, hostile, control, hostile, ..., control."""
    cases = [case("/control", 0)]
    for i, path in enumerate(paths, 1):
        cases += [case(path, 2 * i - 1), case("/control", 2 * i)]
    return tuple(cases)


@pytest.fixture(scope="module")
def hostile() -> Iterator[HostileServer]:
    with hostile_server() as server:
        yield server


@pytest.fixture(scope="module")
def outcome(contract: Contract, hostile: HostileServer) -> Ran:
    paths = [p for p in BEHAVIOURS if p != "/control"]
    cases = interleaved(paths)
    options = RunOptions(concurrency=1, timeout_s=1.5, credentials=Credentials(bearer=TOKEN))
    before = len(hostile.seen)
    results = run([Target(contract, hostile.url, cases=cases)], options)
    return results, hostile, before


def _words(c: CaseResult) -> str:
    return " ".join([c.reason or "", *(k.message for k in c.checks)])


def test_every_behaviour_is_covered() -> None:
    assert set(EXPECTED) == set(BEHAVIOURS) - {"/control"}


def test_the_run_finishes_and_every_control_case_passes(outcome: Ran) -> None:
    results, server, before = outcome
    assert results.complete
    cases = results.results[0].cases
    controls = [c for c in cases if c.operation == "GET /control"]
    assert len(controls) == len(EXPECTED) + 1
    assert [c.verdict for c in controls] == [Verdict.PASSED] * len(controls), [_words(c) for c in controls]
    # exactly one request per control case: no hidden retry was needed, no answer was read off a spoilt connection
    assert sum(1 for r in server.seen[before:] if r.path == "/control") == len(controls)
    control_op = next(o for o in results.results[0].operations if o.key == "GET /control")
    assert control_op.verdict is Verdict.PASSED


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_each_hostile_case_has_a_clear_verdict_with_evidence(path: str, outcome: Ran) -> None:
    results = outcome[0]
    verdict, words = EXPECTED[path]
    (found,) = [c for c in results.results[0].cases if c.operation == f"GET {path}"]
    assert found.verdict is verdict, _words(found)
    assert words in _words(found)
    (exchange,) = found.exchanges
    assert exchange.request.url.endswith(path) and exchange.request.method == "GET"
    if verdict is Verdict.ERROR or path in ("/drip", "/silent"):
        assert exchange.error and exchange.response is None
    else:
        assert exchange.response is not None and exchange.response.status in (200, 301, 302, 500)
    if verdict is not Verdict.PASSED:
        assert found.reason, "a verdict other than passed always says why"


def test_redirects_are_never_followed_and_credentials_never_leave(
    outcome: Ran,
) -> None:
    results, server, _ = outcome
    assert server.other_hits == []  # the other origin was never contacted
    away = next(c for c in results.results[0].cases if c.operation == "GET /redirect-away")
    response = away.exchanges[0].response
    assert response is not None and response.status == 302
    assert dict(response.headers)["Location"].startswith(server.other_url)
    assert ("Authorization", REDACTED) in away.exchanges[0].request.headers


def test_oversized_bodies_are_cut_at_the_cap_and_recorded_as_such(
    outcome: Ran,
) -> None:
    results = outcome[0]
    for path in ("/big", "/gzip-bomb", "/endless", "/huge-string"):
        c = next(c for c in results.results[0].cases if c.operation == f"GET {path}")
        cap = [k for k in c.checks if k.check == "response_within_size_cap"]
        assert cap and cap[0].outcome is Outcome.FAILED
        schema = [k for k in c.checks if k.check == "response_schema_valid"]
        assert schema[0].outcome is Outcome.UNTESTABLE  # a cut body is never judged, nor silently passed
        response = c.exchanges[0].response
        assert response is not None and response.body_truncated


def test_odd_but_valid_http_is_recorded_faithfully(outcome: Ran) -> None:
    cases = {c.operation: c for c in outcome[0].results[0].cases}
    http10 = cases["GET /http10"].exchanges[0].response
    assert http10 is not None and http10.http_version == "HTTP/1.0"  # a passed case: status and version kept
    many = cases["GET /many-headers"].exchanges[0].response
    assert many is not None  # passed cases keep the status only; the run kept all 1000 headers apart
    ctl = cases["GET /ctl-headers"]
    assert ctl.verdict is Verdict.PASSED


def test_hostile_text_is_kept_verbatim_in_the_results(outcome: Ran) -> None:
    evil = next(c for c in outcome[0].results[0].cases if c.operation == "GET /evil")
    response = evil.exchanges[0].response
    assert response is not None
    assert "<script>" in (response.body or "") and "\x1b[31m" in (response.body or "")
    assert ("X-Evil", XSS) in response.headers
    assert TOKEN not in str(to_dict(outcome[0]))


def test_memory_stays_bounded_on_a_200_mb_body_and_a_gzip_bomb(contract: Contract, hostile: HostileServer) -> None:
    """Bodies are streamed and cut at the cap: peak memory is a small multiple of the cap, not of the body."""
    cases = (case("/big", 1), case("/gzip-bomb", 2), case("/endless", 3), case("/control", 4))
    options = RunOptions(concurrency=1, timeout_s=20, body_cap=MB)
    tracemalloc.start()
    try:
        results = run([Target(contract, hostile.url, cases=cases)], options)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    verdicts = [c.verdict for c in results.results[0].cases]
    assert verdicts == [Verdict.UNTESTABLE] * 3 + [Verdict.PASSED]
    assert peak < 12 * MB, f"peak {peak / MB:.1f} MB for a 1 MB cap"


def test_a_50_mb_string_is_read_when_the_cap_allows_it(contract: Contract, hostile: HostileServer) -> None:
    options = RunOptions(concurrency=1, timeout_s=30, body_cap=64 * MB)
    results = run([Target(contract, hostile.url, cases=(case("/huge-string", 1), case("/control", 2)))], options)
    huge, control = results.results[0].cases
    assert huge.verdict is Verdict.PASSED and control.verdict is Verdict.PASSED
    response = huge.exchanges[0].response
    assert response is not None


def test_deep_json_under_a_recursive_schema(tmp_path: Path, hostile: HostileServer) -> None:
    """Nesting within the depth limit under a recursive schema never crashes the validator or the run."""
    spec = tmp_path / "tree.yaml"
    spec.write_text(
        HOSTILE_SPEC.replace(
            "      properties:\n        a: {type: integer}",
            "      properties:\n        a: {type: integer}\n      items: {$ref: '#/components/schemas/Node'}\n"
            "    Node:\n      type: array\n      items: {$ref: '#/components/schemas/Node'}",
        ).replace("schema: {$ref: '#/components/schemas/Thing'}", "schema: {$ref: '#/components/schemas/Node'}")
    )
    tree = load_spec_files([str(spec)])
    results = run([Target(tree, hostile.url, cases=(case("/deep", 1), case("/control", 2)))], RunOptions())
    deep, control = results.results[0].cases
    assert deep.verdict is Verdict.UNTESTABLE and "nested deeper than 128 levels" in (deep.reason or "")
    assert control.verdict is Verdict.FAILED  # {"ok": true} is no array: judged, not crashed
