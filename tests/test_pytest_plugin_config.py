"""The pytest plugin is `govstack-conform run` as pytest items: the same request from the same options and
config file (declarations, waivers), markers by kind and level, and what cannot be judged is an error.

Everything runs against real products on 127.0.0.1: the reference mock served in-process, raw servers.
"""

from __future__ import annotations

import http.server
import json
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_servers import CONTROL_SPEC
from servers import raw_server
from typer.testing import CliRunner

from govstack_conform import pytest_plugin
from govstack_conform.cli import app
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.negative import FORMAT_ONLY
from govstack_conform.engine.run.session import Target, plan_target
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import MockServer, serve_in_thread

pytest_plugins = ["pytester"]


@pytest.fixture(autouse=True)
def _env(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


@pytest.fixture(scope="module")
def consent(contract_of: Callable[[str], Contract]) -> Contract:
    return contract_of("consent@main")


@pytest.fixture(scope="module")
def lax(consent: Contract) -> Iterator[MockServer]:
    """A product that accepts invalid input: negative cases fail."""
    with serve_in_thread(consent, MockOptions(validate_requests=False)) as server:
        yield server


def outcomes(pytester: pytest.Pytester, *args: str) -> dict[str, str]:
    """Node id -> passed / failed / error / skipped / xfailed, as pytest reported it."""
    rec = pytester.inline_run("-p", "no:cacheprovider", *args)
    out: dict[str, str] = {}
    for rep in rec.getreports("pytest_runtest_logreport"):
        if rep.when == "setup" and rep.failed:
            out[rep.nodeid] = "error"
        elif hasattr(rep, "wasxfail"):
            out[rep.nodeid] = "xfailed"
        elif rep.skipped:
            out[rep.nodeid] = "skipped"
        elif rep.when == "call":
            out[rep.nodeid] = rep.outcome
    return out


def expected(results: Path) -> dict[str, str]:
    """What each case of a `run` means for pytest: a failure all of whose failed checks are waived is xfailed."""
    data = json.loads(results.read_text())
    out = {}
    for case in data["results"][0]["cases"]:
        verdict = case["verdict"]
        failed = [c for c in case["checks"] if c["outcome"] == "failed"]
        if verdict == "failed" and failed and all(c.get("waived") for c in failed):
            verdict = "xfailed"
        out[case["case_id"]] = {"untestable": "skipped", "error": "error"}.get(verdict, verdict)
    return out


def test_markers_mirror_the_engine() -> None:
    assert tuple(k.value for k in CaseKind) == pytest_plugin.KINDS
    assert tuple(lv.value for lv in Level) == pytest_plugin.LEVELS


def test_markers_select_by_kind_and_level_under_strict_markers(
    pytester: pytest.Pytester, contract_of: Callable[[str], Contract]
) -> None:
    secured = contract_of("consent@23Q4")  # every operation secured: security cases too
    with serve_in_thread(secured, MockOptions()) as server:
        plan = plan_target(Target(secured, server.base_url), RunOptions())
        base = ("--strict-markers", "--govstack-bb", "consent@23Q4", "--govstack-target", server.base_url, "--co")
        _markers_select(pytester, plan, base)


def _markers_select(pytester: pytest.Pytester, plan: Any, base: tuple[str, ...]) -> None:

    def listed(expr: str) -> list[str]:
        result = pytester.runpytest("-p", "no:cacheprovider", *base, "-q", "-m", expr)
        assert result.ret == pytest.ExitCode.OK, result.stdout.str()
        return [line for line in result.outlines if line.startswith("consent::")]

    security = [c.case_id for c in plan if c.kind is CaseKind.SECURITY]
    assert security and listed("govstack_security") == security
    recommended = [c.case_id for c in plan if c.kind is CaseKind.METHOD or FORMAT_ONLY in c.tags]
    assert recommended and listed("govstack_recommended") == recommended
    both = [c.case_id for c in plan if c.kind is CaseKind.NEGATIVE and FORMAT_ONLY not in c.tags]
    assert both and listed("govstack_negative and govstack_required") == both
    assert len(listed("govstack")) == len(plan)


def _write_config(folder: Path, consent: Contract, lax: MockServer) -> tuple[Path, str, str]:
    """A config with a declared operation and a waiver; returns it, the declared and the waived operation."""
    negatives = [o.key for o in consent.operations if o.method == "POST"]
    waived, declared = negatives[0], next(o.key for o in consent.operations if o.method == "DELETE")
    path = folder / "govstack-conform.toml"
    path.write_text(
        f"""[bb.consent]
release = "main"
target = "{lax.base_url}"

[bb.consent.not_implemented]
operations = ["{declared}"]
reason = "served by the archive product"

[[bb.consent.waivers]]
check = "invalid_input_rejected"
operation = "{waived}"
justification = "ticket 4711: validation comes in 2.0"
expires = "2099-12-31"
"""
    )
    return path, declared, waived


def test_the_config_file_applies_as_in_run(
    pytester: pytest.Pytester, consent: Contract, lax: MockServer, tmp_path: Path
) -> None:
    config, declared, waived = _write_config(pytester.path, consent, lax)
    out = tmp_path / "run"
    ran = CliRunner().invoke(app, ["run", "--config", str(config), "--out", str(out), "--quiet"])
    assert ran.exit_code == 1, ran.output
    want = expected(out / "results.json")
    assert "xfailed" in want.values() and "skipped" in want.values() and "failed" in want.values()
    got = outcomes(pytester, "--govstack-bb", "consent")  # the config is found in the rootdir
    assert got == want
    assert all(got[c] == "skipped" for c in got if f"::{declared}::" in c)
    assert any(got[c] == "xfailed" for c in got if f"::{waived}::" in c)
    # --govstack-config alone names the BBs and the target, and the reasons are the run's
    result = pytester.runpytest("-p", "no:cacheprovider", "--govstack-config", str(config), "-rsx")
    text = result.stdout.str()
    assert "declared not implemented by the product: served by the archive product" in text
    assert "waived: ticket 4711: validation comes in 2.0" in text


def test_the_options_make_the_same_request_as_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Every option of the plugin builds the same settings `run` builds from its own flags (one per process)."""
    import importlib

    # the module `run` imports from (sys.modules), not a package attribute a pytester run may have left stale
    job = importlib.import_module("govstack_conform.app.job")

    captured: list[Any] = []

    def capture(request: Any, **_: Any) -> Any:
        captured.append(request)
        raise SystemExit(0)

    monkeypatch.setattr(job, "run_job", capture)
    fixtures, cert, key, ca = (tmp_path / n for n in ("data.yaml", "c.pem", "c.key", "ca.pem"))
    flags = {
        "target": "https://product.example/api", "specs": str(tmp_path), "token": "env:T", "api-key": "env:K",
        "api-key-name": "X-Key", "api-key-in": "query", "basic": "ann:env:PW", "oauth2-token-url": "https://idp/t",
        "client-id": "app", "client-secret": "env:CS", "oauth2-scope": "read", "client-cert": str(cert),
        "client-key": str(key), "ca-bundle": str(ca), "proxy": "env:PROXY", "seed": "7", "timeout": "2.5",
        "retries": "2", "rate-limit": "50", "latency-budget": "900", "header": "X-Trace: 1",
        "path-map": "/a=/b", "fixtures": str(fixtures),
    }  # fmt: skip
    args = [a for name, value in flags.items() for a in (f"--{name}", value)]
    switches = ["--read-only", "--insecure", "--no-profile-headers", "--allow-destructive"]
    result = CliRunner().invoke(app, ["run", "consent", *args, *switches])
    assert len(captured) == 1, result.output
    (cli,) = captured
    config = pytester.parseconfig(
        "--govstack-bb", "consent", *[a.replace("--", "--govstack-", 1) for a in (*args, *switches)]
    )
    plugin = pytest_plugin.run_request(config)
    assert plugin.settings.limits.concurrency == 1  # one case per item
    same = plugin.settings.limits.__class__(**{**vars(plugin.settings.limits), "concurrency": None})
    assert plugin.settings.target == cli.settings.target and plugin.settings.auth == cli.settings.auth
    assert same == cli.settings.limits and plugin.settings.fixtures == cli.settings.fixtures
    assert (plugin.settings.seed, plugin.settings.read_only) == (cli.settings.seed, cli.settings.read_only)
    assert plugin.settings.allow_destructive is cli.settings.allow_destructive is True
    assert (plugin.selectors, plugin.specs_dir) == (cli.selectors, cli.specs_dir)


def _hang_up(h: http.server.BaseHTTPRequestHandler) -> None:
    """Reads the request and closes the connection without a word: nothing to judge."""
    h.close_connection = True
    h.connection.close()


def test_a_case_that_could_not_be_judged_is_an_error_never_a_failure(pytester: pytest.Pytester, tmp_path: Path) -> None:
    spec = tmp_path / "control.yaml"
    spec.write_text(CONTROL_SPEC)
    with raw_server(_hang_up) as url:
        result = pytester.runpytest("-p", "no:cacheprovider", "--govstack-spec", str(spec), "--govstack-target", url)
    outcome = result.parseoutcomes()
    assert outcome.get("errors", 0) >= 1 and "failed" not in outcome, result.stdout.str()
    assert "not judged:" in result.stdout.str() and "Traceback" not in result.stdout.str()


def test_a_tool_error_is_an_error_never_a_failure(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An OAuth2 token endpoint that refuses the client: the tool cannot send the case, the product is not at fault."""
    secured = CONTROL_SPEC.replace("paths:", "security: [{o: []}]\ncomponents:\n  securitySchemes:\n    o:\n"
                                   "      type: http\n      scheme: bearer\npaths:")  # fmt: skip
    spec = tmp_path / "secured.yaml"
    spec.write_text(secured)
    monkeypatch.setenv("CS", "client-SECRET-9")

    def refuse(h: http.server.BaseHTTPRequestHandler) -> None:
        h.send_response(401)
        h.send_header("Content-Length", "0")
        h.end_headers()

    with raw_server(refuse) as url:
        result = pytester.runpytest(
            "-p", "no:cacheprovider", "--govstack-spec", str(spec), "--govstack-target", url,
            "--govstack-oauth2-token-url", url + "/token", "--govstack-client-id", "app",
            "--govstack-client-secret", "env:CS", "-k", "positive",
        )  # fmt: skip
    outcome = result.parseoutcomes()
    assert outcome.get("errors") == 1 and "failed" not in outcome, result.stdout.str()
    text = result.stdout.str()
    assert "govstack-conform: OAuth2 token request" in text and "client-SECRET-9" not in text


def test_x_stops_at_the_first_failure_and_lf_reruns_only_the_failures(
    pytester: pytest.Pytester, lax: MockServer
) -> None:
    base = ("--govstack-bb", "consent@main", "--govstack-target", lax.base_url, "-k", "negative-malformed-json")
    first = pytester.runpytest(*base, "-x", "-p", "no:randomly")
    first.assert_outcomes(failed=1)
    assert "stopping after 1 failures" in first.stdout.str()
    full = pytester.runpytest(*base)
    failed = full.parseoutcomes()["failed"]
    passed = full.parseoutcomes().get("passed", 0)
    assert failed > 1
    again = pytester.runpytest(*base, "--lf")
    again.assert_outcomes(failed=failed, deselected=passed) if passed else again.assert_outcomes(failed=failed)
    assert "run-last-failure: rerun previous" in again.stdout.str()


def test_junit_xml_names_each_case_and_carries_its_verdict(
    pytester: pytest.Pytester, lax: MockServer, tmp_path: Path
) -> None:
    xml = tmp_path / "junit.xml"
    pytester.runpytest(
        "-p", "no:cacheprovider", "--govstack-bb", "consent@main", "--govstack-target", lax.base_url,
        "-k", "negative-malformed-json or positive-valid", f"--junitxml={xml}",
    )  # fmt: skip
    cases = ET.parse(xml).getroot().iter("testcase")
    seen = {}
    for tc in cases:
        props = {p.get("name"): p.get("value") for p in tc.iter("property")}
        seen[f"{tc.get('classname')}::{tc.get('name')}"] = (
            props.get("govstack_verdict"),
            tc.find("failure") is not None,
        )
    assert seen and all(name.startswith("consent.") and "::" in name for name in seen)
    assert {"passed", "failed"} <= {v for v, _ in seen.values()}  # (and skipped: cases not sent for data safety)
    assert all(failure == (verdict == "failed") for verdict, failure in seen.values())
