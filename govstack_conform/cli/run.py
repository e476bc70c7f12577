"""`run`: test a candidate against BB contracts and write results.json. Parsing and printing only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govstack_conform.cli.common import err, guarded, out
from govstack_conform.cli.names import DEPTH_HELP, MAX_DEPTH, QUERY_STYLES
from govstack_conform.errors import UsageError
from govstack_conform.text import one_line, pct

if TYPE_CHECKING:
    from govstack_conform.assessment.compliance import BBCompliance, Compliance
    from govstack_conform.engine.results import RunResults
    from govstack_conform.engine.run.session import Progress

_OUT_HELP = "Folder for results.json (and reports)."
_UNCHECKED_SHOWN = 10  # operations not checked named one by one, for a single BB
_UNCHECKED_SHOWN_EACH = 3  # ... and for each of several BBs
_FINDINGS_SHOWN = 10


def _level(bb: BBCompliance) -> str:
    """The level as the reports state it, its coverage clause shortened: the table has a column for it."""
    text = bb.level_text
    return text.split(" (partial", 1)[0] + " (partial)" if "(partial" in text else text


def print_summary(compliance: Compliance, *, quiet: bool) -> None:
    """One overview table of every BB (or one line per BB with --quiet), then what each BB failed or left
    unchecked, each line naming its BB: the assessment's figures, as the reports state them."""
    from govstack_conform.assessment.compliance import VERDICT_ORDER

    verdicts = [v.value for v in VERDICT_ORDER]
    if quiet:
        for bb in compliance.bbs:
            ops = bb.operation_counts
            parts = ", ".join(f"{ops[v]} {v}" for v in verdicts if ops[v])
            checks = ", ".join(f"{name} ({n})" for name, n in bb.failed_checks.items()) or "none"
            out.print(
                f"{bb.label}: {bb.verdict_text}; operations {parts or 'none'}; cases passed "
                f"{bb.cases_passed}/{bb.cases_total}; failed checks: {checks}",
                markup=False,
            )
    else:
        _overview(compliance)
    if not compliance.complete:
        out.print("interrupted: the results hold what finished", markup=False)


def _overview(compliance: Compliance) -> None:
    from rich import box
    from rich.table import Table

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, show_edge=False)
    table.add_column("building block", no_wrap=True)
    table.add_column("verdict", min_width=len("conformant"))
    table.add_column("checked", justify="right", no_wrap=True)
    table.add_column("level", min_width=len("(partial)"))
    table.add_column("REQUIRED", justify="right", no_wrap=True)
    table.add_column("cases", justify="right", no_wrap=True)
    for bb in compliance.bbs:
        table.add_row(
            bb.label,
            bb.verdict.value,
            f"{bb.coverage.checked}/{bb.coverage.total}",
            _level(bb),
            pct(bb.compliance_pct),
            f"{bb.cases_passed}/{bb.cases_total}",
        )
    out.print(table)
    failing = [bb for bb in compliance.bbs if bb.failed_checks]
    for bb in failing:
        checks = ", ".join(f"{name} ({n})" for name, n in bb.failed_checks.items())
        out.print(f"{bb.label}: failed checks (cases): {checks}", markup=False)
    if not failing:
        out.print("failed checks (cases): none", markup=False)
    shown = _UNCHECKED_SHOWN if len(compliance.bbs) == 1 else _UNCHECKED_SHOWN_EACH
    for bb in compliance.bbs:
        for u in bb.coverage.unchecked[:shown]:
            why = one_line(u.reason, 160)
            out.print(f"{bb.label}: not checked: {u.operation}: {u.verdict.value}: {why}", markup=False)
        if len(bb.coverage.unchecked) > shown:
            more = len(bb.coverage.unchecked) - shown
            out.print(f"{bb.label}: and {more} more operations not checked (see the reports)", markup=False)


def print_findings(compliance: Compliance, *, quiet: bool) -> None:
    """The root causes, most cases first: what to fix, each with one case to replay (`--case ID`)."""
    if quiet:
        return
    from govstack_conform.report.evidence.text import counted

    for bb in compliance.bbs:
        if not bb.findings:
            continue
        cases = len({cid for f in bb.findings for cid in f.case_ids})
        found = f"{counted(len(bb.findings), 'root cause')} over {counted(cases, 'case')}"
        out.print(f"{bb.label}: findings: {found}:", markup=False)
        for f in bb.findings[:_FINDINGS_SHOWN]:
            out.print(f"  {f.count:>5} × {one_line(f.label, 200)}", markup=False)
            out.print(f"          e.g. {one_line(f.cases[0].case_id, 200)}", markup=False)
        if len(bb.findings) > _FINDINGS_SHOWN:
            more = len(bb.findings) - _FINDINGS_SHOWN
            out.print(f"  and {more} more findings (see the reports)", markup=False)


def print_cases(results: RunResults, case_ids: Sequence[str], support: Sequence[str]) -> None:
    """The cases asked for with --case, whole: verdict, rules broken, request, response and the curl replay."""
    if not case_ids:
        return
    from govstack_conform.assessment.compliance import case_view
    from govstack_conform.report.evidence.curl import insecure_run
    from govstack_conform.report.evidence.text import case_text

    wanted = set(case_ids)
    for bb in results.results:
        for c in bb.cases:
            if c.case_id in wanted:
                out.print(f"=== {c.case_id}: {c.verdict.value}" + (f" ({c.reason})" if c.reason else ""), markup=False)
                out.print(
                    case_text(case_view(c), insecure=insecure_run(results.options)), markup=False, highlight=False
                )
    if support:
        out.print(
            f"also sent {len(support)} valid requests of the same operations (a refusal of invalid input counts only "
            f"where the operation accepted a valid request in the same run): {', '.join(support)}",
            markup=False,
        )


@guarded
def run(
    selectors: Annotated[
        list[str] | None, typer.Argument(metavar="BB[@REF]", help="Building block(s); default: the config's.")
    ] = None,
    target: Annotated[str | None, typer.Option("--target", metavar="URL", help="Candidate base URL.")] = None,
    config: Annotated[
        Path | None, typer.Option("--config", metavar="FILE", help="Config file (default: ./govstack-conform.toml).")
    ] = None,
    spec: Annotated[list[str] | None, typer.Option("--spec", metavar="FILE", help="An OpenAPI file or URL.")] = None,
    specs: Annotated[Path | None, typer.Option("--specs", metavar="DIR", help="Spec store folder.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out", metavar="DIR", help=_OUT_HELP + " Default: govstack-reports.")
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed for generated data (default 0).")] = None,
    max_depth: Annotated[
        int | None, typer.Option("--max-depth", metavar="N", help=f"{DEPTH_HELP} Default {MAX_DEPTH}.")
    ] = None,
    fixtures: Annotated[list[Path] | None, typer.Option("--fixtures", metavar="FILE", help="Test data.")] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Send only GET/HEAD/OPTIONS: nothing is written to the candidate.")
    ] = False,
    allow_destructive: Annotated[
        bool,
        typer.Option(
            "--allow-destructive",
            help="Also send changes and deletes the run cannot aim at a record it created itself (kept fixtures, "
            "generated ids); see docs/data-safety.md.",
        ),
    ] = False,
    passed_evidence: Annotated[
        bool,
        typer.Option(
            "--passed-evidence",
            help="Record the headers and bodies of passed cases too (by default a passed case keeps its "
            "request line and status: results.json and the journal stay small).",
        ),
    ] = False,
    query_style: Annotated[
        str | None,
        typer.Option(
            "--query-style",
            metavar="STYLE",
            help="How nested query values are written, which OpenAPI leaves undefined: brackets (qry[a][b]=x) "
            "or json (a={...}). Default: the BB profile's (brackets).",
        ),
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option("--concurrency", metavar="N", help="Cases in parallel (default 8).")
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout", metavar="S", help="Per request, seconds (default 30); no answer in time fails the candidate."
        ),
    ] = None,
    rate_limit: Annotated[float | None, typer.Option("--rate-limit", metavar="R", help="Requests/s.")] = None,
    retries: Annotated[int | None, typer.Option("--retries", metavar="N", help="On connection errors only.")] = None,
    header: Annotated[list[str] | None, typer.Option("--header", metavar="'N: V'", help="Extra header.")] = None,
    secret_header: Annotated[
        list[str] | None,
        typer.Option("--secret-header", metavar="NAME", help="Treat this header's value as a secret (redacted)."),
    ] = None,
    no_profile_headers: Annotated[
        bool, typer.Option("--no-profile-headers", help="Do not send the BB profile's default headers.")
    ] = False,
    token: Annotated[str | None, typer.Option("--token", metavar="env:VAR", help="Bearer token.")] = None,
    api_key: Annotated[str | None, typer.Option("--api-key", metavar="env:VAR", help="API key.")] = None,
    api_key_name: Annotated[
        str | None,
        typer.Option("--api-key-name", metavar="NAME", help="API key name (default: the spec's apiKey scheme)."),
    ] = None,
    api_key_in: Annotated[
        str | None, typer.Option("--api-key-in", metavar="header|query", help="Where the API key goes.")
    ] = None,
    basic: Annotated[str | None, typer.Option("--basic", metavar="USER:env:VAR", help="Basic auth.")] = None,
    oauth2_token_url: Annotated[
        str | None, typer.Option("--oauth2-token-url", metavar="URL", help="OAuth2 client-credentials token URL.")
    ] = None,
    client_id: Annotated[str | None, typer.Option("--client-id", metavar="ID", help="OAuth2 client id.")] = None,
    client_secret: Annotated[
        str | None, typer.Option("--client-secret", metavar="env:VAR", help="OAuth2 client secret.")
    ] = None,
    oauth2_scope: Annotated[
        str | None, typer.Option("--oauth2-scope", metavar="SCOPE", help="OAuth2 scope to ask for.")
    ] = None,
    client_cert: Annotated[
        str | None, typer.Option("--client-cert", metavar="FILE", help="TLS client certificate (PEM).")
    ] = None,
    client_key: Annotated[
        str | None, typer.Option("--client-key", metavar="FILE", help="Key of the client certificate.")
    ] = None,
    ca_bundle: Annotated[
        str | None, typer.Option("--ca-bundle", metavar="FILE", help="CA certificates to trust.")
    ] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="Do not verify TLS certificates.")] = False,
    proxy: Annotated[
        str | None,
        typer.Option("--proxy", metavar="URL", help="HTTP proxy, or env:VAR (default: HTTPS_PROXY, HTTP_PROXY)."),
    ] = None,
    path_map: Annotated[
        list[str] | None, typer.Option("--path-map", metavar="FROM=TO|FILE", help="Map BB paths to the product's.")
    ] = None,
    latency_budget: Annotated[
        float | None, typer.Option("--latency-budget", metavar="MS", help="Answer time budget.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar; one summary line per BB.")] = False,
    report: Annotated[
        str | None,
        typer.Option(
            "--report",
            metavar="FORMATS",
            help="Reports to write besides results.json: json,junit,html,md,cucumber,form or all.",
        ),
    ] = None,
    evidence: Annotated[
        Path | None,
        typer.Option("--evidence", metavar="DIR", help="Also write an evidence bundle (HAR, hashes, manifest)."),
    ] = None,
    sign: Annotated[
        Path | None,
        typer.Option("--sign", metavar="KEY", help="Sign the evidence manifest with this Ed25519 private key."),
    ] = None,
    fail_under: Annotated[
        float | None,
        typer.Option("--fail-under", metavar="PERCENT", help="Fail when a BB's REQUIRED compliance is below this."),
    ] = None,
    fail_on: Annotated[
        str | None,
        typer.Option("--fail-on", metavar="LEVEL", help="Fail on failures of: required (default) or recommended."),
    ] = None,
    allow_incomplete: Annotated[
        bool,
        typer.Option(
            "--allow-incomplete", help="Exit 0, not 4, when some cases could not be judged (connection lost)."
        ),
    ] = False,
    shard: Annotated[
        str | None, typer.Option("--shard", metavar="I/N", help="Run only shard I of N (join with `report merge`).")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option("--baseline", metavar="RESULTS.json", help="Only failures not in this earlier run fail."),
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(
            "--resume",
            metavar="DIR",
            help="Finish an interrupted run in its --out folder DIR: send only the cases its journal lacks.",
        ),
    ] = None,
    operation: Annotated[
        list[str] | None,
        typer.Option("--operation", metavar="'VERB /path'", help="Run only this operation (a glob path). Repeatable."),
    ] = None,
    kind: Annotated[
        list[str] | None,
        typer.Option("--kind", metavar="KIND", help="Run only cases of this kind (see `plan --kind`)."),
    ] = None,
    case: Annotated[
        list[str] | None,
        typer.Option("--case", metavar="CASE_ID", help="Re-run exactly this case and print it whole."),
    ] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", metavar="TAG", help="Run only cases with this tag.")] = None,
) -> None:
    """Run the BB test suites against a candidate; write results.json and the reports asked for.

    What is written to the candidate: records the run creates itself (left behind), and changes and deletes
    of those records only; never of records it did not create, unless --allow-destructive (fixtures marked
    disposable excepted). --read-only writes nothing. See docs/data-safety.md.

    Settings may also come from --config (or ./govstack-conform.toml); the command line wins.
    """
    from govstack_conform.app.job import run_job
    from govstack_conform.cli.gate_words import gate_lines
    from govstack_conform.config.request import (
        AuthSettings,
        Gates,
        Limits,
        Outputs,
        RunRequest,
        Selection,
        Settings,
        TargetSettings,
        flag,
    )  # fmt: skip

    if fail_on is not None and fail_on not in ("required", "recommended"):
        raise UsageError("--fail-on takes required or recommended")
    if query_style is not None and query_style not in QUERY_STYLES:
        raise UsageError(f"--query-style takes {' or '.join(QUERY_STYLES)}")
    settings = Settings(
        target=TargetSettings(
            url=target, headers=tuple(header or ()), secret_headers=tuple(secret_header or ()),
            path_map=tuple(path_map or ()),
            profile_headers=False if no_profile_headers else None, ca_bundle=ca_bundle, insecure=flag(insecure),
            proxy=proxy,
        ),
        auth=AuthSettings(
            token=token, api_key=api_key, api_key_name=api_key_name, api_key_in=api_key_in, basic=basic,
            oauth2_token_url=oauth2_token_url, client_id=client_id, client_secret=client_secret,
            oauth2_scope=oauth2_scope, client_cert=client_cert, client_key=client_key,
        ),
        limits=Limits(
            concurrency=concurrency, timeout_s=timeout, rate_limit=rate_limit, retries=retries,
            latency_budget_ms=latency_budget,
        ),
        fixtures=tuple(fixtures or ()),
        seed=seed,
        max_depth=max_depth,
        read_only=flag(read_only),
        query_style=query_style,
        allow_destructive=flag(allow_destructive),
        passed_evidence=flag(passed_evidence),
        outputs=Outputs(out_dir=out_dir, formats=(report,) if report else (), evidence=evidence, sign_key=sign),
        gates=Gates(
            fail_under=fail_under, fail_on=fail_on, baseline=baseline, allow_incomplete=flag(allow_incomplete)
        ),
    )  # fmt: skip
    selection = Selection(
        operations=tuple(operation or ()), kinds=tuple(kind or ()), cases=tuple(case or ()), tags=tuple(tag or ())
    )
    request = RunRequest(
        selectors=tuple(selectors or ()), spec=tuple(spec or ()), settings=settings, specs_dir=specs,
        config_file=config, shard=shard, resume=resume, selection=selection,
    )  # fmt: skip

    def warn(text: str) -> None:
        err.print(f"govstack-conform: warning: {text}", markup=False)

    with _progress(quiet) as progress:
        outcome = run_job(request, progress=progress, warn=warn)
    print_summary(outcome.compliance, quiet=quiet)
    print_findings(outcome.compliance, quiet=quiet)
    print_cases(outcome.results, selection.cases, outcome.support)
    err.print(f"results: {outcome.written[0]}", markup=False)
    for extra in outcome.written[1:]:
        err.print(f"  wrote {extra}", markup=False)
    for line in gate_lines(outcome.decision, err.width):
        err.print(line, markup=False, highlight=False)
    raise typer.Exit(int(outcome.decision.exit_code))


@contextmanager
def _progress(quiet: bool) -> Iterator[Progress | None]:
    """A rich progress bar on stderr (none with --quiet or when stderr is not a terminal)."""
    if quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("planning", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        yield progress
