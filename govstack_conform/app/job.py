"""A whole `run`: config and command line merged per BB, suites planned, sharded, sent, gated and written.

The CLI (and the pytest plugin) parse their options into a typed `RunRequest` and call `run_job`;
they only print what it returns.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from govstack_conform.app.prechecks import check_baseline_bbs, check_job, check_outputs, read_baseline
from govstack_conform.assessment.compliance import Compliance, assess
from govstack_conform.assessment.gate import GateDecision, gate
from govstack_conform.config.file import CUSTOM_BB, Config, load_config
from govstack_conform.config.merge import merged, run_options
from govstack_conform.config.merge import selectors as config_selectors
from govstack_conform.config.request import RunRequest, Selection, Settings
from govstack_conform.contracts.catalog import load_catalog, parse_selector
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.shard import parse_shard
from govstack_conform.engine.results import BBResult, RunResults
from govstack_conform.engine.run.session import Progress, Target
from govstack_conform.errors import CatalogError, UsageError

if TYPE_CHECKING:
    from govstack_conform.app.declarations import Declared
    from govstack_conform.engine.plan.select import Criteria
    from govstack_conform.engine.testdata import TestData

Warn = Callable[[str], None]


@dataclass(frozen=True)
class JobResult:
    results: RunResults
    compliance: Compliance  # every figure the terminal states, as the reports state them
    written: tuple[Path, ...]  # results.json first
    decision: GateDecision
    support: tuple[str, ...] = ()  # case ids sent though not selected: a selected negative case needs them


@dataclass(frozen=True)
class _Job:
    key: str  # BB key, or "custom" for --spec contracts
    selector: str | None
    settings: Settings
    options: RunOptions


def _target(contract: Contract, url: str, testdata: TestData, warn: Warn) -> Target:
    """A Target with the BB profile's headers, latency budget and platform id (none for custom contracts)."""
    for key in testdata.unknown_operations(contract):
        warn(f"test data names no operation of {contract.label}: {key}")
    try:
        bb = load_catalog().get(contract.bb)
        return Target(
            contract, url, bb.platform_id, tuple(bb.profile.headers.items()), bb.profile.latency_ms, testdata=testdata
        )
    except CatalogError:
        return Target(contract, url, testdata=testdata)


def _jobs(cli: Settings, sels: Sequence[str], spec: Sequence[str], config: Config | None) -> list[_Job]:
    jobs = []
    for sel in sels:
        key = load_catalog().get(parse_selector(sel)[0]).key  # unknown BB: CatalogError with "did you mean"
        settings = merged(cli, config, key)
        jobs.append(_Job(key, sel, settings, run_options(settings)))
    if spec:
        settings = merged(cli, config, CUSTOM_BB)
        jobs.append(_Job(CUSTOM_BB, None, settings, run_options(settings)))
    for job in jobs:
        if not job.settings.target.url:
            where = "" if config is None else f" (or `target` in [bb.{job.key}] of {config.path})"
            raise UsageError(f"no target URL for {job.selector or 'the --spec contract'}: give --target URL{where}")
        check_job(job.settings.target.url, job.options)
    return jobs


def plan_jobs(request: RunRequest, config: Config | None, warn: Warn) -> list[tuple[_Job, Target, Declared]]:
    """Every BB asked for, merged with the config, loaded, planned, sharded and split by its declarations.

    A bad selector, spec or fixtures file stops here, before anything is sent. `run` sends each Target's
    cases; the pytest plugin makes an item of each.
    """
    from govstack_conform.app.declarations import prepare
    from govstack_conform.contracts.load import load_contract, load_spec_files
    from govstack_conform.engine.testdata import load_testdata

    cli, spec = request.settings, request.spec
    sels = config_selectors(list(request.selectors), config)
    if not sels and not spec:
        raise UsageError("name a building block (e.g. consent@main), give --spec FILE, or list BBs in a config file")
    jobs = _jobs(cli, sels, spec, config)
    criteria = criteria_of(request.selection)
    if request.selection.cases:  # a case asked for by id is shown whole: record its evidence even if it passes
        jobs = [dataclasses.replace(j, options=dataclasses.replace(j.options, record_passed_bodies=True)) for j in jobs]
    planned: list[tuple[_Job, Target, Declared]] = []
    for job in jobs:
        contract = (
            load_contract(job.selector, specs_option=request.specs_dir)
            if job.selector is not None
            else load_spec_files(spec)
        )
        testdata = load_testdata(list(job.settings.fixtures))
        target = _target(contract, str(job.settings.target.url), testdata, warn)
        mine = config.bb(job.key) if config is not None else None
        target, declared = prepare(
            target,
            job.options,
            shard_spec=request.shard,
            decl=mine.not_implemented if mine is not None else None,
            criteria=criteria,
        )
        planned.append((job, target, declared))
    check_selection(request.selection, [d for _, _, d in planned], [t.contract.label for _, t, _ in planned])
    return planned


def run_job(request: RunRequest, *, progress: Progress | None = None, warn: Warn = lambda _: None) -> JobResult:
    """Run every BB asked for (on the command line or in the config) and write the outputs.

    Each finished case goes to <out>/.run-journal.ndjson at once; `resume` (an interrupted run's out folder)
    sends only the cases its journal lacks, provided the plan is the same.
    """
    from govstack_conform.app.declarations import apply_config_waivers, apply_declared
    from govstack_conform.app.outputs import write_outputs
    from govstack_conform.engine.run.journal import open_journal
    from govstack_conform.engine.run.session import journal_target, not_run, run
    from govstack_conform.report.formats.base import get_formats

    cli, shard = request.settings, request.shard
    evidence, sign, resume = cli.outputs.evidence, cli.outputs.sign_key, request.resume
    config = load_config(request.config_file, request.cwd or Path.cwd())
    if shard:
        parse_shard(shard)
    overall = merged(cli, config, None)
    out_dir = _out_dir(overall.outputs.out_dir, resume)
    check_outputs(out_dir, evidence, sign)  # everything below is said before anything is sent or written
    formats = list(overall.outputs.formats) or ["json"]
    get_formats(formats)
    gates = overall.gates
    baseline = read_baseline(gates)
    planned = plan_jobs(request, config, warn)
    check_baseline_bbs(baseline, gates.baseline, (t.contract.bb for _, t, _ in planned))
    if any(job.options.insecure for job, _, _ in planned):
        warn("TLS certificates are not verified (--insecure)")

    # BBs whose options are equal run together (one pool of connections); results keep the asked order.
    by_options: dict[RunOptions, list[int]] = {}
    for i, (job, _, _) in enumerate(planned):
        by_options.setdefault(job.options, []).append(i)
    slots: list[BBResult | None] = [None] * len(planned)
    runs: list[RunResults] = []
    journal = open_journal(
        out_dir, [journal_target(t, job.options) for job, t, _ in planned], resume=resume is not None
    )
    try:
        for options, indexes in by_options.items():
            targets = [planned[i][1] for i in indexes]
            stopped = bool(runs) and not runs[-1].complete  # Ctrl-C / SIGTERM: the rest is not sent
            part = not_run(targets, options) if stopped else run(targets, options, progress=progress, journal=journal)
            runs.append(part)
            for i, bb in zip(indexes, part.results, strict=False):
                slots[i] = apply_declared(bb, planned[i][2])
    finally:
        journal.close(complete=len(runs) == len(by_options) and all(r.complete for r in runs))
    first = runs[0]
    results = dataclasses.replace(
        first,
        results=tuple(bb for bb in slots if bb is not None),
        complete=all(r.complete for r in runs),
        finished=max(r.finished for r in runs),
        product=config.product.to_dict() if config is not None else {},
    )
    if config is not None:
        results = apply_config_waivers(results, config, date.today())

    secrets = [s for job, _, _ in planned for s in job.options.secrets()]
    written = write_outputs(
        results,
        out_dir,
        formats=formats,
        secrets=secrets,
        contracts=[t.contract for _, t, _ in planned],
        evidence_dir=evidence,
        sign_key=sign,
    )
    compliance = assess(results)
    decision = gate(
        compliance,
        fail_under=gates.fail_under,
        fail_on=gates.fail_on or "required",
        baseline=assess(baseline) if baseline is not None else None,
        allow_incomplete=bool(gates.allow_incomplete),
    )
    support = tuple(c.case_id for _, _, d in planned for c in d.support)
    return JobResult(results, compliance, tuple(written), decision, support)


def criteria_of(selection: Selection) -> Criteria:
    """The engine's criteria for the command line's selection; UsageError for an unknown kind."""
    from govstack_conform.engine.cases import CaseKind
    from govstack_conform.engine.plan.select import Criteria

    known = {k.value: k for k in CaseKind}
    bad = [k for k in selection.kinds if k not in known]
    if bad:
        raise UsageError(f"--kind {bad[0]}: unknown case kind; kinds: {', '.join(known)}")
    for pattern in selection.operations:
        method, _, path = pattern.strip().partition(" ")
        if not (path or method).startswith("/"):
            raise UsageError(f"--operation {pattern!r} must be 'METHOD /path' (the path may hold * and ?)")
    return Criteria(
        tuple(selection.operations), tuple(known[k] for k in selection.kinds), selection.cases, selection.tags
    )


def check_selection(selection: Selection, declared: Sequence[Declared], labels: Sequence[str]) -> None:
    """Every value of the selection must match a case of the plan: a typo is said before anything is sent."""
    matched = frozenset().union(*(d.matched for d in declared)) if declared else frozenset()
    where = ", ".join(labels)
    for name, values in (
        ("operation", selection.operations),
        ("case", selection.cases),
        ("tag", selection.tags),
        ("kind", selection.kinds),
    ):
        for value in values:
            if f"{name}:{value}" not in matched:
                raise UsageError(f"--{name} {value!r} matches no planned case of {where} (see `govstack-conform plan`)")
    if selection.given and not any(d.kept or d.skipped for d in declared):
        raise UsageError("the selection leaves nothing to run")


def _out_dir(configured: Path | None, resume: Path | None) -> Path:
    """--out (or the config's), or the folder of the run being resumed: they must agree when both are given."""
    if resume is None:
        return configured or Path("govstack-reports")
    if configured and Path(configured).resolve() != resume.resolve():
        raise UsageError(f"--resume {resume} writes into that folder: leave out --out {configured} or give the same")
    return resume
