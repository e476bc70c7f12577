"""pytest plugin: `pytest --govstack-bb consent --govstack-target URL` runs the BB suite as pytest items.

It builds the same `RunRequest` as `govstack-conform run` from the same options and the same config file
(`govstack-conform.toml` or `[tool.govstack-conform]` in the rootdir, or `--govstack-config FILE`), and
plans with the same code (`app.job.plan_jobs`): auth of every kind, path maps, fixtures, proxies,
declared-not-implemented operations and waivers all apply. Each planned case is one item whose node id
is the case id, so `-k`, `-m`, `-x`, `--lf`, xdist and JUnit XML work unchanged, and each item runs its
case through the same engine session, so verdicts are identical:

- FAILED fails with the evidence (rules broken, request, response); a failure every REQUIRED check of
  which is waived is an expected failure (xfail) with the justification;
- UNTESTABLE, SKIPPED and declared cases skip with the reason;
- ERROR (the case could not be judged: no answer, a broken connection) and errors of the tool (a token
  endpoint that refuses) are pytest errors with the reason, never failures of the product;
- RECOMMENDED failures of a passing case are warnings (failures with `fail_on = "recommended"`).

Items carry markers by kind and by the level of the check they exist for (`govstack_positive`,
`govstack_security`, `govstack_required`, `govstack_recommended`…), registered so `--strict-markers`
passes. Without --govstack-bb / --govstack-spec / --govstack-config the plugin only adds its options and
markers: nothing else is imported.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from govstack_conform.app.declarations import Declared
    from govstack_conform.config.file import Config
    from govstack_conform.config.request import RunRequest
    from govstack_conform.engine.cases import Case
    from govstack_conform.engine.options import RunOptions
    from govstack_conform.engine.results import CaseResult
    from govstack_conform.engine.run.session import Target

# Case kinds and check levels as markers (tests/test_pytest_plugin.py keeps them equal to the enums).
KINDS = ("positive", "negative", "security", "method", "stateful")
LEVELS = ("required", "recommended", "optional")
MARKERS = {
    "govstack": "a generated GovStack conformance case (govstack-conform)",
    **{f"govstack_{k}": f"a govstack-conform case of kind {k}" for k in KINDS},
    **{f"govstack_{lv}": f"a govstack-conform case whose check is {lv.upper()}" for lv in LEVELS},
}


class GovstackWarning(UserWarning):
    """A RECOMMENDED check failed on a case that passes, or the plan needs a word of caution."""


class GovstackFailure(Exception):
    """A case the product failed; the message is the evidence."""


# (option, metavar, help); each is --govstack-<option>, its value None unless given.
_VALUES = (
    ("target", "URL", "Base URL of the product under test (default: the config's)."),
    ("config", "FILE", "Config file (default: govstack-conform.toml or pyproject.toml in the rootdir)."),
    ("specs", "DIR", "Spec store folder (default: as `govstack-conform`)."),
    ("token", "env:VAR", "Bearer token, as env:VAR."),
    ("api-key", "env:VAR", "API key, as env:VAR."),
    ("api-key-name", "NAME", "API key name (default: the spec's apiKey scheme)."),
    ("api-key-in", "header|query", "Where the API key goes."),
    ("basic", "USER:env:VAR", "Basic auth."),
    ("oauth2-token-url", "URL", "OAuth2 client-credentials token URL."),
    ("client-id", "ID", "OAuth2 client id."),
    ("client-secret", "env:VAR", "OAuth2 client secret."),
    ("oauth2-scope", "SCOPE", "OAuth2 scope to ask for."),
    ("client-cert", "FILE", "TLS client certificate (PEM)."),
    ("client-key", "FILE", "Key of the client certificate."),
    ("ca-bundle", "FILE", "CA certificates to trust."),
    ("proxy", "URL", "HTTP proxy, or env:VAR (default: HTTPS_PROXY, HTTP_PROXY)."),
)
_NUMBERS = (
    ("seed", int, "N", "Seed for generated data (default 0)."),
    ("timeout", float, "S", "Per request, seconds (default 30)."),
    ("retries", int, "N", "On connection errors only."),
    ("rate-limit", float, "R", "Requests/s."),
    ("latency-budget", float, "MS", "Answer time budget."),
)
_LISTS = (
    ("bb", "BB[@REF]", "Collect this BB's suite (repeatable; default: the config's BBs)."),
    ("spec", "FILE", "An OpenAPI file or URL (repeatable)."),
    ("header", "'N: V'", "Extra header (repeatable)."),
    ("path-map", "FROM=TO|FILE", "Map BB paths to the product's (repeatable)."),
    ("fixtures", "FILE", "Test data file (repeatable)."),
)
_SWITCHES = (
    ("read-only", "Send only GET/HEAD/OPTIONS requests."),
    ("insecure", "Do not verify TLS certificates."),
    ("no-profile-headers", "Do not send the BB profile's default headers."),
    (
        "allow-destructive",
        "Also send changes and deletes aimed at records the run did not create (docs/data-safety.md).",
    ),
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("govstack", "GovStack building-block conformance (govstack-conform)")
    for name, metavar, text in _VALUES:
        group.addoption(f"--govstack-{name}", metavar=metavar, default=None, help=text)
    for name, kind, metavar, text in _NUMBERS:
        group.addoption(f"--govstack-{name}", type=kind, metavar=metavar, default=None, help=text)
    for name, metavar, text in _LISTS:
        group.addoption(f"--govstack-{name}", action="append", default=[], metavar=metavar, help=text)
    for name, text in _SWITCHES:
        group.addoption(f"--govstack-{name}", action="store_true", help=text)


def _opt(config: pytest.Config, name: str) -> Any:
    return config.getoption("govstack_" + name.replace("-", "_"))


def _active(config: pytest.Config) -> bool:
    return bool(_opt(config, "bb") or _opt(config, "spec") or _opt(config, "config"))


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _active(config):
        return None
    names = [*_opt(config, "bb"), *_opt(config, "spec")] or ["the BBs of the config"]
    where = _opt(config, "target") or "the config's targets"
    return f"govstack-conform: {', '.join(names)} at {where}"


def pytest_configure(config: pytest.Config) -> None:
    for name, text in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {text}")
    if _active(config) and not _opt(config, "target") and not _config_has_target(config):
        raise pytest.UsageError("--govstack-target URL is required with --govstack-bb / --govstack-spec")


def _config_has_target(config: pytest.Config) -> bool:
    from govstack_conform.config.file import load_config
    from govstack_conform.errors import ConformError

    try:
        found = load_config(run_request(config).config_file, config.rootpath)
    except ConformError as e:
        raise pytest.UsageError(f"govstack-conform: {e}") from None
    layers = [] if found is None else [found.defaults.to_settings(), *(b.to_settings() for b in found.bbs)]
    return any(layer.target.url for layer in layers)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Collect the suite before -k / -m / --lf deselection and xdist distribution see the list of items."""
    if _active(config):
        collector = GovstackCollector.from_parent(session, name=COLLECTOR, nodeid=COLLECTOR)
        items.extend(session.genitems(collector))


COLLECTOR = "govstack-conform"


class GovstackCollector(pytest.Collector):
    """Plans the suites; a tool error (unknown BB, unreachable target) is one collection error line."""

    def collect(self) -> list[pytest.Item]:
        from govstack_conform.errors import ConformError

        try:
            return list(_collect(self, self.config))
        except ConformError as e:
            raise self.CollectError(f"govstack-conform: {e}") from None

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, COLLECTOR


def run_request(config: pytest.Config) -> RunRequest:
    """The plugin's options as the same typed request `govstack-conform run` builds from its own."""
    from govstack_conform.config.request import AuthSettings, Limits, RunRequest, Settings, TargetSettings, flag

    def o(name: str) -> Any:
        return _opt(config, name)

    settings = Settings(
        target=TargetSettings(
            url=o("target"), headers=tuple(o("header")), path_map=tuple(o("path-map")),
            profile_headers=False if o("no-profile-headers") else None, ca_bundle=o("ca-bundle"),
            insecure=flag(o("insecure")), proxy=o("proxy"),
        ),
        auth=AuthSettings(
            token=o("token"), api_key=o("api-key"), api_key_name=o("api-key-name"), api_key_in=o("api-key-in"),
            basic=o("basic"), oauth2_token_url=o("oauth2-token-url"), client_id=o("client-id"),
            client_secret=o("client-secret"), oauth2_scope=o("oauth2-scope"), client_cert=o("client-cert"),
            client_key=o("client-key"),
        ),
        limits=Limits(
            concurrency=1, timeout_s=o("timeout"), rate_limit=o("rate-limit"), retries=o("retries"),
            latency_budget_ms=o("latency-budget"),
        ),
        fixtures=tuple(Path(p) for p in o("fixtures")),
        seed=o("seed"),
        read_only=flag(o("read-only")),
        allow_destructive=flag(o("allow-destructive")),
    )  # fmt: skip
    return RunRequest(
        selectors=tuple(o("bb")),
        spec=tuple(o("spec")),
        settings=settings,
        specs_dir=Path(o("specs")) if o("specs") else None,
        config_file=Path(o("config")) if o("config") else None,
        cwd=config.rootpath,
    )


@dataclass(frozen=True, eq=False)
class Suite:
    """What the items of one BB share: its target (the cases to send), options, declarations, config."""

    target: Target
    options: RunOptions
    declared: Declared
    config: Config | None
    fail_on: str


def _collect(parent: pytest.Collector, config: pytest.Config) -> list[GovstackItem]:
    import asyncio

    from govstack_conform.app.job import plan_jobs
    from govstack_conform.config.file import load_config
    from govstack_conform.config.merge import merged
    from govstack_conform.engine.run.runner import preflight, ssl_context

    request = run_request(config)
    cfg = load_config(request.config_file, config.rootpath)
    planned = plan_jobs(request, cfg, lambda text: warnings.warn(GovstackWarning(text), stacklevel=1))
    fail_on = merged(request.settings, cfg, None).gates.fail_on or "required"
    checked: set[tuple[str, RunOptions]] = set()
    items = []
    for job, target, declared in planned:
        options = job.options
        if (target.url, options) not in checked:
            checked.add((target.url, options))
            tls = ssl_context(options) if target.url.lower().startswith("https:") else None
            asyncio.run(preflight(target.url, min(options.timeout_s, 10.0), tls, options.proxy.route(target.url)))
        suite = Suite(target, options, declared, cfg, fail_on)
        by_id = {c.case_id: c for c in (*declared.kept, *declared.skipped)}
        for case_id in declared.plan_order():
            items.append(
                GovstackItem.from_parent(parent, name=case_id, nodeid=case_id, suite=suite, case=by_id[case_id])
            )
    return items


def _level(case: Case) -> str:
    """The level of the check a case exists for: an undeclared method's 405 and input that breaks only a
    `format` are RECOMMENDED (engine/checks/input.py), everything else REQUIRED."""
    from govstack_conform.engine.cases import CaseKind
    from govstack_conform.engine.plan.negative import FORMAT_ONLY

    return "recommended" if case.kind is CaseKind.METHOD or FORMAT_ONLY in case.tags else "required"


def _secrets(options: RunOptions) -> list[str]:
    return options.secrets()


# (BB, release, target URL, operation) -> whether a valid request of the operation was accepted, in this process
_ACCEPTED: dict[tuple[str, str, str, str], bool] = {}


def _accepted(target: Target, plan: Sequence[Case], operation: str, options: RunOptions) -> frozenset[str]:
    """{operation} when one of its valid requests (its positive cases, the sequence steps on it) is accepted.

    A negative case is conclusive only then, as in `govstack-conform run`; an item runs one case, so the
    valid ones of its operation run once per process first (under xdist, once per worker).
    """
    import dataclasses

    from govstack_conform.engine.cases import CaseKind, Expect
    from govstack_conform.engine.run.judge import attempts, success_steps
    from govstack_conform.engine.run.session import run

    c = target.contract
    key = (c.bb, c.ref, target.url, operation)
    if key not in _ACCEPTED:
        valid = tuple(
            case
            for case in plan
            if (case.kind is CaseKind.POSITIVE and case.operation == operation)
            or (
                case.kind is CaseKind.STATEFUL
                and any(s.operation == operation and s.expect is Expect.SUCCESS for s in case.steps)
            )
        )
        bb = run([dataclasses.replace(target, cases=valid)], options, check_target=False).results[0]
        _ACCEPTED[key] = any(a.accepted for a in attempts(bb.cases, success_steps(valid)) if a.operation == operation)
    return frozenset({operation}) if _ACCEPTED[key] else frozenset()


class GovstackItem(pytest.Item):
    """One generated case: sent and judged in setup (so what cannot be judged is an error), verdict in the call."""

    def __init__(self, *, suite: Suite, case: Case, **kw: Any) -> None:
        super().__init__(**kw)
        self.suite = suite
        self.case = case
        self.result: CaseResult | None = None
        self.extra_keyword_matches.update({case.kind.value, case.bb, *(t for t in case.tags)})
        if case.operation_id:
            self.extra_keyword_matches.add(case.operation_id)
        for name in ("govstack", f"govstack_{case.kind.value}", f"govstack_{_level(case)}"):
            self.add_marker(name)

    @property
    def target(self) -> Target:
        return self.suite.target

    @property
    def options(self) -> RunOptions:
        return self.suite.options

    def run_case(self) -> CaseResult:
        import dataclasses
        from datetime import date

        from govstack_conform.app.declarations import apply_config_waivers
        from govstack_conform.engine.cases import CaseKind
        from govstack_conform.engine.run.session import plan_target, run
        from govstack_conform.report.redact import redact_results

        accepted = frozenset[str]()
        if self.case.kind is CaseKind.NEGATIVE:
            plan = plan_target(self.target, self.options)
            accepted = _accepted(self.target, plan, self.case.operation, self.options)
        one = dataclasses.replace(self.target, cases=(self.case,), accepted=accepted)
        results = redact_results(run([one], self.options, check_target=False), _secrets(self.options))
        if self.suite.config is not None:
            results = apply_config_waivers(results, self.suite.config, date.today())
        return results.results[0].cases[0]

    def setup(self) -> None:
        from govstack_conform.app.declarations import skipped_reason
        from govstack_conform.assessment.compliance import case_view
        from govstack_conform.engine.results import Verdict
        from govstack_conform.errors import ConformError
        from govstack_conform.report.evidence.text import case_text

        if self.case in self.suite.declared.skipped:
            pytest.skip(f"skipped: {skipped_reason(self.case, self.suite.declared)}")
        try:
            result = self.result = self.run_case()
        except ConformError as e:  # the tool could not run the case (e.g. a refused OAuth2 client): not judged
            pytest.fail(f"govstack-conform: {e}", pytrace=False)
        self.user_properties.append(("govstack_verdict", result.verdict.value))
        if result.verdict is Verdict.ERROR:
            reason = result.reason or "no answer"
            pytest.fail(f"not judged: {reason}\n{case_text(case_view(result))}", pytrace=False)
        if result.verdict in (Verdict.UNTESTABLE, Verdict.SKIPPED):
            pytest.skip(f"{result.verdict.value}: {result.reason or 'no reason given'}")

    def runtest(self) -> None:
        from govstack_conform.assessment.compliance import case_view
        from govstack_conform.engine.cases import Level
        from govstack_conform.engine.results import Outcome, Verdict
        from govstack_conform.report.evidence.text import case_text, rule_line

        result = self.result
        assert result is not None  # set by setup
        failed = [c for c in result.checks if c.outcome is Outcome.FAILED]
        unwaived = [c for c in failed if not c.waived]
        gate = {Level.REQUIRED} | ({Level.RECOMMENDED} if self.suite.fail_on == "recommended" else set())
        if (result.verdict is Verdict.FAILED and not case_view(result).waived) or any(
            c.level in gate for c in unwaived
        ):
            raise GovstackFailure(case_text(case_view(result)))
        waived = sorted({c.waived for c in failed if c.waived and c.level in gate})
        if waived:
            pytest.xfail(f"waived: {'; '.join(waived)}")
        for check in unwaived:
            warnings.warn(GovstackWarning(f"{self.case.case_id}: {rule_line(check)}"), stacklevel=1)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GovstackFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.case.case_id
