"""`run`: test a candidate against BB contracts and write results.json. Parsing and printing only."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govstack_conform.cli_common import err, guarded, out
from govstack_conform.errors import UsageError
from govstack_conform.exitcodes import ExitCode
from govstack_conform.results import BBResult, Outcome, RunResults, Verdict

if TYPE_CHECKING:
    from govstack_conform.engine.options import RunOptions
    from govstack_conform.engine.session import Target

_OUT_HELP = "Folder for results.json (and reports)."


def _targets(
    selectors: list[str], spec: list[str], specs: Path | None, target: str, fixtures: list[Path]
) -> list[Target]:
    from govstack_conform.catalog import load_catalog
    from govstack_conform.contracts import load_selected
    from govstack_conform.engine.session import Target
    from govstack_conform.engine.testdata import load_testdata
    from govstack_conform.errors import CatalogError

    testdata = load_testdata(fixtures)
    catalog = load_catalog()
    targets: list[Target] = []
    for contract in load_selected(selectors, spec, specs_option=specs):
        for key in testdata.unknown_operations(contract):
            err.print(
                f"govstack-conform: warning: test data names no operation of {contract.label}: {key}", markup=False
            )
        try:
            bb = catalog.get(contract.bb)
            headers, latency, platform = tuple(bb.profile.headers.items()), bb.profile.latency_ms, bb.platform_id
        except CatalogError:
            headers, latency, platform = (), None, ""
        targets.append(Target(contract, target, platform, headers, latency, testdata=testdata))
    return targets


def _summary_counts(bb: BBResult) -> tuple[Counter[str], Counter[str], int, int]:
    ops = Counter(o.verdict.value for o in bb.operations)
    failed: Counter[str] = Counter()
    for case in bb.cases:
        for c in {(k.check, k.level.value) for k in case.checks if k.outcome is Outcome.FAILED and not k.waived}:
            failed[c[0] if c[1] == "required" else f"{c[0]} (recommended)"] += 1
    passed = sum(1 for c in bb.cases if c.verdict is Verdict.PASSED)
    return ops, failed, passed, len(bb.cases)


def print_summary(results: RunResults, *, quiet: bool) -> None:
    """One table per BB (or one line per BB with --quiet)."""
    for bb in results.results:
        ops, failed, passed, total = _summary_counts(bb)
        checks = ", ".join(f"{name} ({n})" for name, n in sorted(failed.items())) or "none"
        verdicts = [v.value for v in Verdict]
        if quiet:
            parts = ", ".join(f"{ops[v]} {v}" for v in verdicts if ops[v])
            out.print(
                f"{bb.bb}@{bb.ref}: operations {parts or 'none'}; cases passed {passed}/{total}; "
                f"failed checks: {checks}",
                markup=False,
            )
            continue
        from rich.table import Table

        table = Table(title=f"{bb.title} ({bb.bb}@{bb.ref}) at {bb.target}", title_justify="left")
        for v in verdicts:
            table.add_column(v.replace("-", " "), justify="right")
        table.add_column("cases passed", justify="right")
        table.add_row(*[str(ops[v]) for v in verdicts], f"{passed}/{total}")
        out.print(table)
        out.print(f"failed checks (cases): {checks}", markup=False)
    if not results.complete:
        out.print("interrupted: the results hold what finished", markup=False)


@guarded
def run(
    selectors: Annotated[list[str] | None, typer.Argument(metavar="BB[@REF]", help="Building block(s).")] = None,
    target: Annotated[str | None, typer.Option("--target", metavar="URL", help="Candidate base URL.")] = None,
    spec: Annotated[list[str] | None, typer.Option("--spec", metavar="FILE", help="An OpenAPI file or URL.")] = None,
    specs: Annotated[Path | None, typer.Option("--specs", metavar="DIR", help="Spec store folder.")] = None,
    out_dir: Annotated[Path, typer.Option("--out", metavar="DIR", help=_OUT_HELP)] = Path("govstack-reports"),
    seed: Annotated[int, typer.Option("--seed", help="Seed for generated data.")] = 0,
    fixtures: Annotated[list[Path] | None, typer.Option("--fixtures", metavar="FILE", help="Test data.")] = None,
    read_only: Annotated[bool, typer.Option("--read-only", help="Send only GET/HEAD/OPTIONS.")] = False,
    concurrency: Annotated[int, typer.Option("--concurrency", metavar="N", help="Cases in parallel.")] = 8,
    timeout: Annotated[float, typer.Option("--timeout", metavar="S", help="Per request, seconds.")] = 30.0,
    rate_limit: Annotated[float | None, typer.Option("--rate-limit", metavar="R", help="Requests/s.")] = None,
    retries: Annotated[int, typer.Option("--retries", metavar="N", help="On connection errors only.")] = 0,
    header: Annotated[list[str] | None, typer.Option("--header", metavar="'N: V'", help="Extra header.")] = None,
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
    path_map: Annotated[
        list[str] | None, typer.Option("--path-map", metavar="FROM=TO|FILE", help="Map BB paths to the product's.")
    ] = None,
    latency_budget: Annotated[
        float | None, typer.Option("--latency-budget", metavar="MS", help="Answer time budget.")
    ] = None,
    quiet: Annotated[bool, typer.Option("--quiet", help="No progress bar; one summary line per BB.")] = False,
    report: Annotated[
        str,
        typer.Option(
            "--report",
            metavar="FORMATS",
            help="Reports to write besides results.json: json,junit,html,md,cucumber,form or all.",
        ),
    ] = "json",
    evidence: Annotated[
        Path | None,
        typer.Option("--evidence", metavar="DIR", help="Also write an evidence bundle (HAR, hashes, manifest)."),
    ] = None,
    sign: Annotated[
        Path | None,
        typer.Option("--sign", metavar="KEY", help="Sign the evidence manifest with this Ed25519 private key."),
    ] = None,
) -> None:
    """Run the BB test suites against a candidate and write <out>/results.json and the reports asked for."""
    from govstack_conform.engine.auth import Credentials
    from govstack_conform.engine.judge import exit_code
    from govstack_conform.engine.options import RunOptions, parse_header, parse_path_maps

    if not selectors and not spec:
        raise UsageError("name a building block (e.g. consent@main) or give --spec FILE")
    if not target:
        raise UsageError("--target URL is required (the candidate's base URL)")
    if ca_bundle and not Path(ca_bundle).is_file():
        raise UsageError(f"--ca-bundle: no such file: {ca_bundle}")
    creds = Credentials.from_options(
        token=token,
        api_key=api_key,
        api_key_name=api_key_name,
        api_key_in=api_key_in,
        basic=basic,
        oauth2_token_url=oauth2_token_url,
        client_id=client_id,
        client_secret=client_secret,
        oauth2_scope=oauth2_scope,
        client_cert=client_cert,
        client_key=client_key,
    )
    options = RunOptions(
        concurrency=concurrency,
        timeout_s=timeout,
        rate_limit=rate_limit,
        retries=retries,
        latency_budget_ms=latency_budget,
        headers=tuple(parse_header(h) for h in header or ()),
        profile_headers=not no_profile_headers,
        path_map=parse_path_maps(path_map or []),
        credentials=creds,
        ca_bundle=ca_bundle,
        insecure=insecure,
        read_only=read_only,
        seed=seed,
    )
    if sign is not None and evidence is None:
        raise UsageError("--sign needs --evidence DIR")
    from govstack_conform.report.base import get_formats

    get_formats(report)  # unknown formats are a usage error before anything is sent
    targets = _targets(selectors or [], spec or [], specs, target, fixtures or [])
    if insecure:
        err.print("govstack-conform: warning: TLS certificates are not verified (--insecure)", markup=False)
    results = _run_with_progress(targets, options, quiet=quiet)
    from govstack_conform.run_outputs import write_outputs

    written = write_outputs(
        results,
        out_dir,
        formats=[report],
        secrets=creds.secrets(),
        contracts=[t.contract for t in targets],
        evidence_dir=evidence,
        sign_key=sign,
    )
    print_summary(results, quiet=quiet)
    err.print(f"results: {written[0]}", markup=False)
    for extra in written[1:]:
        err.print(f"  wrote {extra}", markup=False)
    if not results.complete:
        raise typer.Exit(int(ExitCode.INTERRUPTED))
    raise typer.Exit(int(exit_code(results)))


def _run_with_progress(targets: list[Target], options: RunOptions, *, quiet: bool) -> RunResults:
    """Run with a rich progress bar on stderr (none with --quiet or when stderr is not a terminal)."""
    from govstack_conform.engine.session import run as session_run

    if quiet or not err.is_terminal:
        return session_run(targets, options)
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=err, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("planning", total=None)

        def progress(done: int, total: int, label: str) -> None:
            bar.update(task, completed=done, total=total, description=label)

        return session_run(targets, options, progress=progress)
