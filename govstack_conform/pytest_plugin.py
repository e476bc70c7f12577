"""pytest plugin: `pytest --govstack-bb consent --govstack-target URL` runs the BB suite as pytest items.

Each planned case becomes one item whose node id is the case id, so `-k`, `--lf`, xdist, JUnit XML and
every other pytest habit work unchanged. Each item runs its case through the same engine session as
`govstack-conform run`, so verdicts are identical: FAILED fails with the evidence (rules broken, request,
response), UNTESTABLE and SKIPPED skip with the reason, ERROR (no answer) fails as an error of the run,
and RECOMMENDED failures of a passing case become warnings.

Without --govstack-bb / --govstack-spec the plugin only adds its options: nothing else is imported.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from govstack_conform.config.request import RunRequest
    from govstack_conform.engine.cases import Case
    from govstack_conform.engine.options import RunOptions
    from govstack_conform.engine.results import CaseResult
    from govstack_conform.engine.run.session import Target


class GovstackWarning(UserWarning):
    """A RECOMMENDED check failed on a case that passes."""


class GovstackFailure(Exception):
    """A case the product failed; the message is the evidence."""


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("govstack", "GovStack building-block conformance (govstack-conform)")
    group.addoption(
        "--govstack-bb", action="append", default=[], metavar="BB[@REF]", help="Collect this BB's suite (repeatable)."
    )
    group.addoption("--govstack-target", metavar="URL", help="Base URL of the product under test.")
    group.addoption(
        "--govstack-spec", action="append", default=[], metavar="FILE", help="An OpenAPI file or URL (repeatable)."
    )
    group.addoption("--govstack-specs", metavar="DIR", help="Spec store folder (default: as `govstack-conform`).")
    group.addoption("--govstack-token", metavar="env:VAR", help="Bearer token, as env:VAR.")
    group.addoption("--govstack-api-key", metavar="env:VAR", help="API key, as env:VAR.")
    group.addoption(
        "--govstack-header", action="append", default=[], metavar="'N: V'", help="Extra header (repeatable)."
    )
    group.addoption(
        "--govstack-fixtures", action="append", default=[], metavar="FILE", help="Test data file (repeatable)."
    )
    group.addoption("--govstack-read-only", action="store_true", help="Send only GET/HEAD/OPTIONS requests.")
    group.addoption(
        "--govstack-allow-destructive",
        action="store_true",
        help="Also send changes and deletes aimed at records the run did not create (see docs/data-safety.md).",
    )
    group.addoption("--govstack-seed", type=int, default=0, metavar="N", help="Seed for generated data.")
    group.addoption("--govstack-timeout", type=float, default=None, metavar="S", help="Per request, seconds.")


def _active(config: pytest.Config) -> bool:
    return bool(config.getoption("govstack_bb") or config.getoption("govstack_spec"))


def pytest_report_header(config: pytest.Config) -> str | None:
    if not _active(config):
        return None
    names = [*config.getoption("govstack_bb"), *config.getoption("govstack_spec")]
    return f"govstack-conform: {', '.join(names)} at {config.getoption('govstack_target')}"


def pytest_configure(config: pytest.Config) -> None:
    if _active(config) and not config.getoption("govstack_target"):
        raise pytest.UsageError("--govstack-target URL is required with --govstack-bb / --govstack-spec")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Collect the suite before -k / -m deselection and xdist distribution see the list of items."""
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

    settings = Settings(
        target=TargetSettings(
            url=config.getoption("govstack_target"), headers=tuple(config.getoption("govstack_header"))
        ),
        auth=AuthSettings(token=config.getoption("govstack_token"), api_key=config.getoption("govstack_api_key")),
        limits=Limits(concurrency=1, timeout_s=config.getoption("govstack_timeout")),
        fixtures=tuple(Path(p) for p in config.getoption("govstack_fixtures")),
        seed=config.getoption("govstack_seed"),
        read_only=flag(config.getoption("govstack_read_only")),
        allow_destructive=flag(config.getoption("govstack_allow_destructive")),
    )
    return RunRequest(
        selectors=tuple(config.getoption("govstack_bb")),
        spec=tuple(config.getoption("govstack_spec")),
        settings=settings,
        specs_dir=Path(config.getoption("govstack_specs")) if config.getoption("govstack_specs") else None,
    )


def _collect(parent: pytest.Collector, config: pytest.Config) -> list[GovstackItem]:
    import asyncio

    from govstack_conform.config.merge import merged, run_options
    from govstack_conform.contracts.catalog import load_catalog
    from govstack_conform.contracts.load import load_selected
    from govstack_conform.engine.run.runner import UrlBuilder, preflight
    from govstack_conform.engine.run.session import Target, plan_target
    from govstack_conform.engine.testdata import load_testdata
    from govstack_conform.errors import CatalogError

    request = run_request(config)
    settings = merged(request.settings, None, None)
    url = str(settings.target.url)
    options = run_options(settings)
    UrlBuilder(url, options.path_map)  # a malformed URL is a usage error before anything is sent
    testdata = load_testdata(list(settings.fixtures))
    catalog = load_catalog()
    contracts = load_selected(list(request.selectors), list(request.spec), specs_option=request.specs_dir)
    asyncio.run(preflight(url, min(options.timeout_s, 10.0)))
    items = []
    for contract in contracts:
        try:
            bb = catalog.get(contract.bb)
            headers, latency, platform = tuple(bb.profile.headers.items()), bb.profile.latency_ms, bb.platform_id
        except CatalogError:
            headers, latency, platform = (), None, ""
        target = Target(contract, url, platform, headers, latency, testdata=testdata)
        plan = plan_target(target, options)
        for case in plan:
            item = GovstackItem.from_parent(
                parent, name=case.case_id, nodeid=case.case_id, target=target, case=case, options=options, plan=plan
            )
            items.append(item)
    return items


# (BB, release, target URL, operation) -> whether a valid request of the operation was accepted, in this process
_ACCEPTED: dict[tuple[str, str, str, str], bool] = {}


def _accepted(target: Target, plan: tuple[Case, ...], operation: str, options: RunOptions) -> frozenset[str]:
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
    """One generated case."""

    def __init__(self, *, target: Target, case: Case, options: RunOptions, plan: tuple[Case, ...], **kw: Any) -> None:
        super().__init__(**kw)
        self.target = target
        self.case = case
        self.options = options
        self.plan = plan
        self.extra_keyword_matches.update({case.kind.value, case.bb, *(t for t in case.tags)})
        if case.operation_id:
            self.extra_keyword_matches.add(case.operation_id)

    def run_case(self) -> CaseResult:
        import dataclasses

        from govstack_conform.engine.cases import CaseKind
        from govstack_conform.engine.run.session import run
        from govstack_conform.report.redact import redact_results

        accepted = frozenset[str]()
        if self.case.kind is CaseKind.NEGATIVE:
            accepted = _accepted(self.target, self.plan, self.case.operation, self.options)
        one = dataclasses.replace(self.target, cases=(self.case,), accepted=accepted)
        results = run([one], self.options, check_target=False)
        safe = redact_results(results, self.options.credentials.secrets())
        return safe.results[0].cases[0]

    def runtest(self) -> None:
        from govstack_conform.assessment.compliance import case_view
        from govstack_conform.engine.cases import Level
        from govstack_conform.engine.results import Outcome, Verdict
        from govstack_conform.report.evidence.text import case_text, rule_line

        result = self.run_case()
        self.user_properties.append(("govstack_verdict", result.verdict.value))
        if result.verdict is Verdict.FAILED:
            raise GovstackFailure(case_text(case_view(result)))
        if result.verdict is Verdict.ERROR:
            raise GovstackFailure("error: no verdict on the product\n" + case_text(case_view(result)))
        if result.verdict in (Verdict.UNTESTABLE, Verdict.SKIPPED):
            pytest.skip(f"{result.verdict.value}: {result.reason or 'no reason given'}")
        for check in result.checks:
            if check.outcome is Outcome.FAILED and check.level is not Level.REQUIRED:
                warnings.warn(GovstackWarning(f"{self.case.case_id}: {rule_line(check)}"), stacklevel=1)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, GovstackFailure):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, self.case.case_id
