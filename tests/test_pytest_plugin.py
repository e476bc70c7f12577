"""The pytest plugin, run with pytester against the real mock served in-process on 127.0.0.1.

Verdicts are compared case by case with `session.run` against the same product: the plugin must agree
with `govstack-conform run` on every case id.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import Verdict
from govstack_conform.engine.run.session import Target, plan_target, run
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import MockServer, serve_in_thread

pytest_plugins = ["pytester"]

TOKEN = "plugin-token-5c1f"
API_KEY = "plugin-key-77e0"
OUTCOME = {
    Verdict.PASSED: "passed",
    Verdict.FAILED: "failed",
    Verdict.ERROR: "failed",
    Verdict.UNTESTABLE: "skipped",
    Verdict.SKIPPED: "skipped",
}


@pytest.fixture(autouse=True)
def _env(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    monkeypatch.setenv("PLUGIN_TOKEN", TOKEN)
    monkeypatch.setenv("PLUGIN_KEY", API_KEY)


def _contract(selector: str, corpus_dir: Path) -> Contract:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        return contracts.load_contract(selector)


@pytest.fixture(scope="module")
def consent(corpus_dir: Path) -> Contract:
    return _contract("consent@main", corpus_dir)


@pytest.fixture(scope="module")
def good(consent: Contract) -> Iterator[MockServer]:
    with serve_in_thread(consent, MockOptions()) as server:
        yield server


@pytest.fixture(scope="module")
def lax(consent: Contract) -> Iterator[MockServer]:
    with serve_in_thread(consent, MockOptions(validate_requests=False)) as server:
        yield server


def _engine_verdicts(contract: Contract, url: str, **options: object) -> dict[str, Verdict]:
    results = run([Target(contract, url)], RunOptions(**options))  # type: ignore[arg-type]
    return {c.case_id: c.verdict for c in results.results[0].cases}


def _outcomes(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    rec = pytester.inline_run("-p", "no:cacheprovider", *args)
    out = {}
    for rep in rec.getreports("pytest_runtest_logreport"):
        if rep.when == "call" or (rep.when == "setup" and rep.outcome != "passed") or rep.skipped:
            out[rep.nodeid] = rep.outcome
    return out


def test_every_case_is_an_item_whose_id_is_the_case_id(
    pytester: pytest.Pytester, consent: Contract, good: MockServer
) -> None:
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--govstack-bb", "consent@main", "--govstack-target", good.base_url, "--co", "-q"
    )
    planned = [c.case_id for c in plan_target(Target(consent, good.base_url), RunOptions())]
    listed = [line for line in result.outlines if line.startswith("consent::")]
    assert listed == planned
    assert f"{len(planned)} tests collected" in result.stdout.str()


def test_conformant_product_all_pass(pytester: pytest.Pytester, consent: Contract, good: MockServer) -> None:
    got = _outcomes(pytester, "--govstack-bb", "consent@main", "--govstack-target", good.base_url)
    engine = _engine_verdicts(consent, good.base_url)
    assert got == {cid: OUTCOME[v] for cid, v in engine.items()}
    skipped = {cid for cid, o in got.items() if o == "skipped"}  # not sent: it would delete existing records
    assert set(got.values()) == {"passed", "skipped"}
    assert skipped == {"consent::DELETE /service/individual/record/::positive-valid"}


def test_sabotaged_product_same_verdicts_as_run_with_evidence(
    pytester: pytest.Pytester, consent: Contract, lax: MockServer
) -> None:
    got = _outcomes(pytester, "--govstack-bb", "consent@main", "--govstack-target", lax.base_url)
    engine = _engine_verdicts(consent, lax.base_url)
    assert got == {cid: OUTCOME[v] for cid, v in engine.items()}
    failed = {cid for cid, o in got.items() if o == "failed"}
    assert failed and all("::negative-" in cid for cid in failed)
    assert any(o == "passed" for o in got.values())
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--govstack-bb", "consent@main", "--govstack-target", lax.base_url,
        "-k", "negative-malformed-json and POST and data-agreement/::",
    )  # fmt: skip
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "consent::POST /config/data-agreement/::negative-malformed-json" in text
    assert "invalid_input_rejected (required): answered 200 to invalid input" in text
    assert "--- request (request) ---" in text and "POST http://127.0.0.1:" in text
    assert "--- response" in text and "HTTP/1.1 200" in text
    assert "Traceback" not in text


def test_k_selects_by_case_id_parts(pytester: pytest.Pytester, consent: Contract, lax: MockServer) -> None:
    got = _outcomes(pytester, "--govstack-bb", "consent@main", "--govstack-target", lax.base_url, "-k", "stateful")
    stateful = [
        c.case_id for c in plan_target(Target(consent, lax.base_url), RunOptions()) if c.kind.value == "stateful"
    ]
    assert sorted(got) == sorted(stateful) and stateful
    got = _outcomes(
        pytester, "--govstack-bb", "consent@main", "--govstack-target", lax.base_url, "-k", "configPolicyCreate"
    )
    assert got and all(cid.startswith("consent::POST /config/policy/::") for cid in got)


def test_untestable_cases_skip_with_the_reason_and_credentials_come_from_env(
    pytester: pytest.Pytester, corpus_dir: Path
) -> None:
    contract = _contract("messaging@23Q4.1", corpus_dir)
    with serve_in_thread(contract, MockOptions(token=TOKEN, api_key=API_KEY)) as server:
        got = _outcomes(
            pytester, "--govstack-bb", "messaging@23Q4.1", "--govstack-target", server.base_url,
            "--govstack-token", "env:PLUGIN_TOKEN", "--govstack-api-key", "env:PLUGIN_KEY", "-rs",
        )  # fmt: skip
        engine = _engine_verdicts(
            contract, server.base_url, credentials=Credentials(bearer=TOKEN, api_key=API_KEY), concurrency=1
        )
        result = pytester.runpytest(
            "-p", "no:cacheprovider", "--govstack-bb", "messaging@23Q4.1", "--govstack-target", server.base_url,
            "--govstack-token", "env:PLUGIN_TOKEN", "--govstack-api-key", "env:PLUGIN_KEY", "-rs",
        )  # fmt: skip
    assert got == {cid: OUTCOME[v] for cid, v in engine.items()}
    assert "skipped" in got.values() and "passed" in got.values()
    assert "untestable: " in result.stdout.str()
    assert TOKEN not in result.stdout.str() and API_KEY not in result.stdout.str()


def test_secrets_never_reach_the_failure_report(pytester: pytest.Pytester, corpus_dir: Path) -> None:
    contract = _contract("consent@23Q4", corpus_dir)  # every operation secured
    with serve_in_thread(contract, MockOptions(token=TOKEN, enforce_auth=False)) as server:
        result = pytester.runpytest(
            "-p", "no:cacheprovider", "--govstack-bb", "consent@23Q4", "--govstack-target", server.base_url,
            "--govstack-token", "env:PLUGIN_TOKEN", "-k", "security", "-vv",
        )  # fmt: skip
    text = result.stdout.str()
    assert result.ret == 1
    assert "security" in text and "FAILED" in text
    assert TOKEN not in text


def test_xdist_runs_the_same_items(pytester: pytest.Pytester, good: MockServer) -> None:
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--govstack-bb", "consent@main", "--govstack-target", good.base_url,
        "-n", "2", "-k", "negative-wrong-type",
    )  # fmt: skip
    plain = pytester.runpytest(
        "-p", "no:cacheprovider", "--govstack-bb", "consent@main", "--govstack-target", good.base_url,
        "-k", "negative-wrong-type", "--co", "-q",
    )  # fmt: skip
    n = sum(1 for line in plain.outlines if line.startswith("consent::"))
    assert n > 0
    result.assert_outcomes(passed=n)
    assert "2 workers" in result.stdout.str()


def test_usage_errors_are_one_line(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("-p", "no:cacheprovider", "--govstack-bb", "consent@main")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--govstack-target URL is required" in result.stderr.str()
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--govstack-bb", "consnet", "--govstack-target", "http://127.0.0.1:9"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert "govstack-conform: unknown building block 'consnet' (did you mean 'consent'?)" in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_unreachable_target_is_one_collection_error(pytester: pytest.Pytester) -> None:
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--govstack-bb", "consent@main", "--govstack-target", f"http://127.0.0.1:{port}"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert f"govstack-conform: target 127.0.0.1:{port} refused the connection" in result.stdout.str()


def test_inert_without_its_options(pytester: pytest.Pytester) -> None:
    """Without --govstack-bb nothing is collected, nothing heavy is imported, ordinary tests run as before."""
    pytester.makepyfile(
        test_plain="""
        import sys

        def test_nothing_of_the_tool_loaded():
            assert "govstack_conform.pytest_plugin" in sys.modules  # the entry point is installed
            ours = [m for m in sys.modules if m.startswith("govstack_conform.")]
            heavy = [m for m in ours if m != "govstack_conform.pytest_plugin"]
            assert heavy == []
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "govstack-conform:" not in result.stdout.str()
    assert os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD") is None
