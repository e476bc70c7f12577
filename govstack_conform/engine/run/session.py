"""A run: contracts -> planned cases -> requests on a pool of workers -> checks -> RunResults.

Cases run concurrently (one keep-alive connection per worker; case_run.BBRun sends and judges one case).
Results keep the plan's order, so two runs against the same product give the same file but for timings.
Each finished case goes to the journal as it finishes, and then only the offset of its line is kept: the
results' cases are read back from the journal as needed (engine/caselog.py), so a run's memory does not
grow with what it found. Ctrl-C and SIGTERM end the run with what finished (complete=False), and a
resumed run takes from the journal what it already holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, cast

from govstack_conform import __version__
from govstack_conform.engine.caselog import Spooled
from govstack_conform.engine.cases import Auth, Case
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.packed import PackedCases
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    RunResults,
    Verdict,
)
from govstack_conform.engine.run.auth import OAuth2Token
from govstack_conform.engine.run.case_run import BBRun, Target, known_valid, utc_now
from govstack_conform.engine.run.journal import Journal, PlannedTarget, planned_target, target_key
from govstack_conform.engine.run.runner import Transport, UrlBuilder, preflight
from govstack_conform.errors import SpecError
from govstack_conform.redact import Redactor

Progress = Callable[[int, int, str], None]  # (cases done, cases in total, label of the BB running)


def plan_target(target: Target, options: RunOptions) -> Sequence[Case]:
    """The target's cases: given, or planned from its contract with the run's seed."""
    if target.cases is not None:
        return target.cases
    if not target.contract.operations:
        raise SpecError(f"{target.contract.label}: the contract has no operation to test")
    from govstack_conform.engine.plan.planner import plan_contract

    planned = plan_contract(
        target.contract, seed=options.seed, testdata=target.testdata, read_only=options.read_only,
        allow_destructive=options.allow_destructive, query_style=options.query_style,
        max_depth=options.max_depth,
    )  # fmt: skip
    return planned if isinstance(planned, PackedCases) else tuple(planned)


def journal_target(target: Target, options: RunOptions) -> PlannedTarget:
    """What the journal's plan fingerprint covers of a target (planned here unless already planned)."""
    c = target.contract
    files = [(d.key, d.sha256) for d in c.documents.values()]
    cases = plan_target(target, options)
    return planned_target(
        c.bb, c.ref, _redacted_url(target.url, options), files, cases, options.seed, options.read_only
    )


def _redacted_url(url: str, options: RunOptions) -> str:
    return Redactor(options.secrets(), options.secret_headers).url(url)


async def run_async(
    targets: Sequence[Target],
    options: RunOptions,
    *,
    progress: Progress | None = None,
    check_target: bool = True,
    journal: Journal | None = None,
) -> RunResults:
    """Run every target's suite; returns partial results (complete=False) when cancelled (Ctrl-C, SIGTERM).

    With a journal, each finished case is appended to it, and cases it already holds (a resumed run)
    are taken from it instead of being sent again.
    """
    started = utc_now()
    for t in targets:
        UrlBuilder(t.url, options.path_map)  # a malformed target is a usage error, before anything is sent
    planned = [(t, plan_target(t, options)) for t in targets]
    transport = Transport(options)
    if check_target:
        for url in dict.fromkeys(t.url for t in targets):
            tls = transport.ssl if url.lower().startswith("https:") else None
            await preflight(url, min(options.timeout_s, 10.0), tls, options.proxy.route(url))
    total = sum(len(cases) for _, cases in planned)
    redactor = Redactor(options.secrets(), options.secret_headers)
    token_client = transport.client() if options.credentials.oauth2_token_url else None
    oauth = (
        OAuth2Token(options.credentials, token_client, redactor, body_cap=options.body_cap, timeout_s=options.timeout_s)
        if token_client is not None
        else None
    )
    pools = [transport.pool() for _ in range(options.concurrency)]
    done = 0
    complete = True
    bbs: list[BBResult] = []
    stop_on_sigterm = _on_sigterm(asyncio.current_task())
    unfilter_logs = _redact_http_logs(redactor)
    try:
        if oauth is not None:
            await oauth.get()  # a refused or broken token endpoint is said before the first case is sent
        for target, cases in planned:
            bb = BBRun(target, options, transport, redactor, oauth)
            t0, bb_started = time.perf_counter(), utc_now()
            key = target_key(target.contract.bb, target.contract.ref, redactor.url(target.url))
            prior = journal.done(key) if journal is not None else {}
            # A large plan is decoded case by case: only a resumed run needs every id before sending.
            slots: list[CaseResult | int | None] = [None] * len(cases)
            if prior:
                slots = [prior.get(c.case_id) for c in cases]
            counter = [done + sum(s is not None for s in slots)]
            record = (lambda r, k=key: journal.record(k, r)) if journal is not None else None
            try:
                await _run_cases(bb, cases, slots, pools, counter, total, progress, record)
            except asyncio.CancelledError:
                complete = False
                task = asyncio.current_task()
                if task is not None:
                    task.uncancel()  # handled here: later timeouts (closing connections) must work normally
            done = counter[0]
            layout = [s if s is not None else _interrupted(c) for s, c in zip(slots, cases, strict=True)]
            finished = Spooled(journal.path, layout) if journal is not None else cast(list[CaseResult], layout)
            bbs.append(bb.bb_result(target, finished, bb_started, t0, cases))
            if not complete:
                for rest, rest_cases in planned[len(bbs) :]:
                    rb = BBRun(rest, options, transport, redactor, oauth)
                    bbs.append(
                        rb.bb_result(rest, [_interrupted(c) for c in rest_cases], utc_now(), time.perf_counter())
                    )
                break
    finally:
        stop_on_sigterm()
        unfilter_logs()
        # Closing must never replace the error that ended the run (that one carries the user's message).
        with contextlib.suppress(Exception):
            await transport.aclose()
        if token_client is not None:
            with contextlib.suppress(Exception):
                await token_client.aclose()
        if journal is not None:
            journal.sync()
    return RunResults(
        tool_version=__version__,
        started=started,
        finished=utc_now(),
        seed=options.seed,
        options=options.record(),
        results=tuple(bbs),
        complete=complete,
    )


class _SecretFilter(logging.Filter):
    """Redacts known secrets from HTTP libraries' log records (httpcore's debug log quotes response headers,
    where a product may echo the credential it received)."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # pragma: no cover - a malformed record: leave it to the handler
            return True
        safe = self.redactor.text(text)
        if safe != text:
            record.msg, record.args = safe, None
        return True


def _redact_http_logs(redactor: Redactor) -> Callable[[], None]:
    """Put a _SecretFilter on every httpx/httpcore logger for the run; returns the undo."""
    names = {"httpx", "httpcore"} | {
        n for n in logging.root.manager.loggerDict if n.split(".", 1)[0] in ("httpx", "httpcore")
    }
    loggers = [logging.getLogger(n) for n in sorted(names)]
    found = _SecretFilter(redactor)
    for lg in loggers:
        lg.addFilter(found)

    def undo() -> None:
        for lg in loggers:
            lg.removeFilter(found)

    return undo


def _on_sigterm(task: asyncio.Task[Any] | None) -> Callable[[], None]:
    """Make SIGTERM stop the run like Ctrl-C does (what finished is kept); returns the undo."""
    if task is None or threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
    except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - platforms without it
        return lambda: None

    def undo() -> None:
        loop.remove_signal_handler(signal.SIGTERM)

    return undo


async def _run_cases(
    bb: BBRun,
    cases: Sequence[Case],
    slots: list[CaseResult | int | None],
    pools: Sequence[Any],
    counter: list[int],
    total: int,
    progress: Progress | None,
    record: Callable[[CaseResult], int] | None = None,
) -> None:
    """Workers take the next case in plan order that has no result yet; results land in their plan slot,
    or, with a journal (`record`), the offset of the journal line that holds them: the result is not kept."""
    order = iter([i for i, s in enumerate(slots) if s is None])
    label = bb.contract.label
    if progress is not None and counter[0]:
        progress(counter[0], total, label)

    async def worker(pool: Any) -> None:
        for i in order:
            result = await bb.run_case(pool, cases[i])
            slots[i] = result if record is None else record(result)
            counter[0] += 1
            if progress is not None:
                progress(counter[0], total, label)

    missing = sum(s is None for s in slots)
    tasks = [asyncio.ensure_future(worker(p)) for p in pools[: max(1, min(len(pools), missing))]]
    try:
        await asyncio.gather(*tasks)
    finally:
        # One worker's error (a refused OAuth2 client, say) stops the others before anything is closed,
        # so the run ends with that error and not with a side effect of closing connections under them.
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def _interrupted(case: Case) -> CaseResult:
    return CaseResult(
        case.case_id, case.operation, case.kind, case.name, case.description, Verdict.SKIPPED, reason="interrupted"
    )


def not_run(targets: Sequence[Target], options: RunOptions) -> RunResults:
    """Results for targets a stopped run never reached: every case SKIPPED 'interrupted', complete=False."""
    transport = Transport(options)
    redactor = Redactor(options.secrets(), options.secret_headers)
    bbs = []
    for target in targets:
        rb = BBRun(target, options, transport, redactor, None)
        cases = plan_target(target, options)
        bbs.append(rb.bb_result(target, [_interrupted(c) for c in cases], utc_now(), time.perf_counter()))
    now = utc_now()
    return RunResults(__version__, now, now, options.seed, options.record(), tuple(bbs), complete=False)


def run(
    targets: Sequence[Target],
    options: RunOptions,
    *,
    progress: Progress | None = None,
    check_target: bool = True,
    journal: Journal | None = None,
) -> RunResults:
    """Synchronous entry point for the CLI.

    The results come back through a box, not as the task's result: on leaving, asyncio.run (3.11)
    formats a repr of its main task (signal.getsignal on its SIGINT handler), which would render every
    case result into one throw-away string, megabytes for a large run."""
    box: list[RunResults] = []

    async def main() -> None:
        box.append(await run_async(targets, options, progress=progress, check_target=check_target, journal=journal))

    asyncio.run(main())
    return box[0]


__all__ = [
    "Auth",
    "Progress",
    "Target",
    "journal_target",
    "known_valid",
    "not_run",
    "plan_target",
    "run",
    "run_async",
]
