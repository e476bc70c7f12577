"""A run: contracts -> planned cases -> requests on a pool of workers -> checks -> RunResults.

Cases run concurrently (one keep-alive connection per worker); the steps of a sequence run in order on
one worker, later steps filled from what earlier ones captured. Results keep the plan's order, so two
runs against the same product give the same file but for timings. Interrupted runs keep what finished.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import signal
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from govstack_conform import __version__
from govstack_conform.engine import checks as C
from govstack_conform.engine.auth import Authenticator, OAuth2Token, Redactor, is_secret_name
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.journal import Journal, PlannedTarget, planned_target, target_key
from govstack_conform.engine.judge import case_verdict, operation_verdict
from govstack_conform.engine.options import DEFAULT_LATENCY_MS, RunOptions
from govstack_conform.engine.runner import Reply, Sent, Transport, UrlBuilder, preflight
from govstack_conform.errors import SpecError
from govstack_conform.model import Contract, Operation
from govstack_conform.results import (
    BBResult,
    CaseResult,
    CheckResult,
    Exchange,
    OperationResult,
    Outcome,
    RecordedRequest,
    RecordedResponse,
    RunResults,
    SpecFileRef,
    Verdict,
)

Progress = Callable[[int, int, str], None]  # (cases done, cases in total, label of the BB running)
_VAR = re.compile(r"\$\{([^{}]+)\}")


@dataclass(frozen=True)
class Target:
    """One BB to test: its contract, where the candidate is, and the BB profile's defaults."""

    contract: Contract
    url: str
    platform_id: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # the BB profile's default headers
    latency_ms: float | None = None  # the BB profile's budget
    cases: tuple[Case, ...] | None = None  # already planned; else planned here
    testdata: Any = None  # handed to the planner


class _Missing(Exception):
    """A sequence step needs a value an earlier step did not capture."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fill(text: str, values: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        if m.group(1) not in values:
            raise _Missing(m.group(1))
        return values[m.group(1)]

    return _VAR.sub(one, text)


def _fill_value(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return _VAR.sub(lambda m: values.get(m.group(1), m.group(0)), value) if "${" in value else value
    if isinstance(value, dict):
        return {k: _fill_value(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill_value(v, values) for v in value]
    return value


def _met(expect: Expect, status: int) -> bool:
    if expect is Expect.SUCCESS:
        return 200 <= status < 400
    if expect is Expect.GONE:
        return status in (404, 410)
    if expect is Expect.AUTH_REFUSED:
        return status in (401, 403)
    return 400 <= status < 500


def known_valid(case: Case, step: Step) -> bool:
    """Whether the step's input is known to be valid for the product, so that a 4xx is its fault."""
    if "fixture" in case.tags:
        return True
    req = step.request
    if any("${" not in v for _, v in req.path_params):
        return False
    if any(C.mentions_id({k: v}) and "${" not in v for k, v in req.query):
        return False
    if req.has_body and C.mentions_id(req.body):
        return False
    return not ("generated-id" in case.tags and not req.path_params)


class _BBRun:
    """Runs one BB's cases against its target."""

    def __init__(
        self, target: Target, options: RunOptions, transport: Transport, redactor: Redactor, oauth: OAuth2Token | None
    ) -> None:
        self.contract = target.contract
        self.options = options
        self.transport = transport
        self.redactor = redactor
        self.urls = UrlBuilder(target.url, options.path_map)
        self.ops: dict[str, Operation] = {op.key: op for op in self.contract.operations}
        env: dict[str, tuple[str, str]] = {}
        for name, value in (*(target.headers if options.profile_headers else ()), *options.headers):
            env[name.lower()] = (name, value)
        self.env_headers = tuple(env.values())
        self.auth = Authenticator(
            options.credentials,
            self.contract.security_schemes,
            extra_secret_headers=[n for n, _ in self.env_headers if is_secret_name(n)],
            seed=options.seed,
            oauth2=oauth,
        )
        self.oauth = oauth
        self._query_params = {
            op.key: frozenset(p.name for p in op.parameters if p.location == "query") for op in self.contract.operations
        }
        self.latency = options.latency_budget_ms or target.latency_ms or DEFAULT_LATENCY_MS
        self.has_credentials = options.credentials.configured or any(is_secret_name(n) for n, _ in self.env_headers)

    async def _prepare(
        self, case: Case, step: Step, op: Operation | None, values: dict[str, str]
    ) -> tuple[str, list[tuple[str, str]], bytes | None, str | None]:
        req: RequestPlan = step.request
        params = {k: (_fill(v, values) if "${" in v else v) for k, v in req.path_params}
        query = tuple((k, _fill(v, values) if "${" in v else v) for k, v in req.query)
        headers: dict[str, tuple[str, str]] = {}
        plan_headers = [(k, _fill(v, values) if "${" in v else v) for k, v in req.headers]
        if case.kind is CaseKind.NEGATIVE:
            # The planner may break a declared header on purpose: its value wins over the defaults.
            for name, value in self.env_headers:
                headers[name.lower()] = (name, value)
            for name, value in plan_headers:
                headers[name.lower()] = (name, value)
        else:
            for name, value in plan_headers:
                headers[name.lower()] = (name, value)
            for name, value in self.env_headers:
                headers[name.lower()] = (name, value)
        applied = self.auth.static(op, req.auth)
        for name in applied.strip:
            headers.pop(name, None)
        for name, value in applied.headers:
            headers[name.lower()] = (name, value)
        for name in req.omit_headers:  # the case tests this header's absence: nothing may add it back
            headers.pop(name.lower(), None)
        token = None
        if self.auth.needs_token(op, req.auth) and self.oauth is not None:
            token = await self.oauth.get()
            headers["authorization"] = ("Authorization", "Bearer " + token)
        if applied.query:
            query = (*query, *applied.query)
        content: bytes | None = None
        if req.raw_body is not None:
            content = req.raw_body
        elif req.has_body:
            body = _fill_value(req.body, values) if values else req.body
            content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        if content is not None and "content-type" not in headers:
            ctype = req.content_type or ("application/json" if req.raw_body is None else None)
            if ctype:
                headers["content-type"] = ("Content-Type", ctype)
        declared = self._query_params.get(step.operation, frozenset())
        return self.urls.url(req.path, params, query, declared), list(headers.values()), content, token

    async def run_case(self, pool: Any, case: Case) -> CaseResult:
        if case.untestable:
            return CaseResult(
                case.case_id, case.operation, case.kind, case.name, case.description, Verdict.UNTESTABLE,
                reason=case.untestable,
            )  # fmt: skip
        if self.options.read_only and not case.read_only:
            return CaseResult(
                case.case_id, case.operation, case.kind, case.name, case.description, Verdict.SKIPPED,
                reason="not a read (--read-only)",
            )  # fmt: skip
        start = time.perf_counter()
        values: dict[str, str] = {}
        results: list[CheckResult] = []
        answered: list[tuple[str, Sent, Reply]] = []
        stopped: str | None = None
        unjudged: str | None = None
        steps = case.steps
        for index, step in enumerate(steps):
            op = self.ops.get(step.operation)
            try:
                url, headers, content, token = await self._prepare(case, step, op, values)
            except _Missing as missing:
                stopped = f"untestable: {step.name} needs {missing} from an earlier step, which did not provide it"
                break
            method = step.request.method
            dest = self.urls.dest
            sent, reply = await self.transport.send(pool, dest, method, url, headers, content)
            if reply.status == 401 and token is not None and self.oauth is not None:
                fresh = await self.oauth.get(stale=token)
                headers = [h for h in headers if h[0].lower() != "authorization"] + [
                    ("Authorization", "Bearer " + fresh)
                ]
                sent, reply = await self.transport.send(pool, dest, method, url, headers, content)
            answered.append((step.name, sent, reply))
            if reply.error is not None:
                break
            ctx = C.StepContext(
                self.contract, op, case, step, reply,
                has_credentials=self.has_credentials, latency_ms=self.latency, known_valid=known_valid(case, step),
            )  # fmt: skip
            try:
                results.extend(C.run_checks(ctx))
            except Exception as exc:  # a bug met on a hostile answer: this case errs, never the whole run
                unjudged = f"{step.name}: the answer could not be judged ({type(exc).__name__}: {exc})"[:300]
                break
            if index + 1 == len(steps):
                break
            if not _met(step.expect, reply.status):
                stopped = f"untestable: {step.name} answered {reply.status}, so the rest of the sequence was not sent"
                break
            for name, pointer in step.capture:
                got = C._at(ctx.json(), pointer) if ctx.json() is not C._INVALID else C._UNSET
                if got is C._UNSET or isinstance(got, (dict, list)) or got is None:
                    stopped = f"untestable: the {step.name} answer has no usable value at {pointer or '/'} for {name}"
                    break
                values[name] = str(got).lower() if isinstance(got, bool) else str(got)
            if stopped:
                break
        exchanges_plain = [Exchange(n, RecordedRequest(s.method, "", ()), error=r.error) for n, s, r in answered]
        verdict, reason = case_verdict(results, exchanges_plain, stopped)
        if unjudged is not None and verdict is not Verdict.FAILED:
            verdict, reason = Verdict.ERROR, unjudged
        full = (
            verdict is not Verdict.PASSED
            or self.options.record_passed_bodies
            or any(c.outcome is not Outcome.PASSED for c in results)
        )
        exchanges = tuple(self._record(n, s, r, full) for n, s, r in answered)
        results = [self._redacted(c) for c in results]
        if reason:
            reason = self.redactor.text(reason)
        return CaseResult(
            case.case_id, case.operation, case.kind, case.name, case.description, verdict,
            tuple(results), exchanges, round((time.perf_counter() - start) * 1000.0, 3), reason,
        )  # fmt: skip

    def _redacted(self, c: CheckResult) -> CheckResult:
        if c.outcome is Outcome.PASSED:
            return c
        text = self.redactor.text(c.message)
        if text == c.message:
            return c
        return CheckResult(
            c.check, c.level, c.outcome, text, c.step, c.instance_pointer, c.schema_file, c.schema_pointer, c.waived
        )

    def _text(self, data: bytes | None) -> tuple[str | None, bool]:
        if data is None:
            return None, False
        cap = self.options.record_cap
        cut = len(data) > cap
        return self.redactor.text(data[:cap].decode("utf-8", "replace")), cut

    def _record(self, step: str, sent: Sent, reply: Reply, full: bool) -> Exchange:
        """Evidence of one exchange: everything (redacted) when `full`, else the request line and status."""
        r = self.redactor
        if not full:
            request = RecordedRequest(sent.method, r.url(sent.url), ())
            if reply.error is not None:
                return Exchange(step, request, None, r.text(reply.error))
            response = RecordedResponse(reply.status, (), None, False, reply.elapsed_ms, reply.http_version)
            return Exchange(step, request, response)
        body, cut = self._text(sent.body)
        request = RecordedRequest(sent.method, r.url(sent.url), r.headers(sent.headers), body, cut)
        if reply.error is not None:
            return Exchange(step, request, None, r.text(reply.error))
        rbody, rcut = self._text(reply.body)
        response = RecordedResponse(
            reply.status, r.headers(reply.headers), rbody, rcut or reply.truncated, reply.elapsed_ms,
            reply.http_version,
        )  # fmt: skip
        return Exchange(step, request, response)

    def bb_result(self, target: Target, cases: Sequence[CaseResult], started: str, t0: float) -> BBResult:
        by_op: dict[str, list[CaseResult]] = {}
        for case in cases:
            by_op.setdefault(case.operation, []).append(case)
        operations = []
        for op in self.contract.operations:
            verdict, reason = operation_verdict(op, by_op.get(op.key, ()))
            operations.append(
                OperationResult(op.key, op.method, op.path, op.operation_id, op.source_file, verdict, reason)
            )
        c = self.contract
        return BBResult(
            bb=c.bb,
            ref=c.ref,
            title=c.title,
            platform_id=target.platform_id or f"bb-{c.bb}",
            target=self.redactor.url(target.url),
            spec_files=tuple(SpecFileRef(d.key, d.sha256) for d in c.documents.values()),
            operations=tuple(operations),
            cases=tuple(cases),
            defects=tuple(d.to_dict() for d in c.defects),
            started=started,
            finished=_now(),
            duration_s=round(time.perf_counter() - t0, 3),
        )


def plan_target(target: Target, options: RunOptions) -> tuple[Case, ...]:
    """The target's cases: given, or planned from its contract with the run's seed."""
    if target.cases is not None:
        return target.cases
    if not target.contract.operations:
        raise SpecError(f"{target.contract.label}: the contract has no operation to test")
    from govstack_conform.engine.plan import plan_contract

    return tuple(
        plan_contract(target.contract, seed=options.seed, testdata=target.testdata, read_only=options.read_only)
    )


def journal_target(target: Target, options: RunOptions) -> PlannedTarget:
    """What the journal's plan fingerprint covers of a target (planned here unless already planned)."""
    c = target.contract
    files = [(d.key, d.sha256) for d in c.documents.values()]
    cases = plan_target(target, options)
    return planned_target(
        c.bb, c.ref, _redacted_url(target.url, options), files, cases, options.seed, options.read_only
    )


def _redacted_url(url: str, options: RunOptions) -> str:
    return Redactor(options.credentials.secrets()).url(url)


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
    started = _now()
    for t in targets:
        UrlBuilder(t.url, options.path_map)  # a malformed target is a usage error, before anything is sent
    planned = [(t, plan_target(t, options)) for t in targets]
    transport = Transport(options)
    if check_target:
        for url in dict.fromkeys(t.url for t in targets):
            tls = transport.ssl if url.lower().startswith("https:") else None
            await preflight(url, min(options.timeout_s, 10.0), tls)
    total = sum(len(cases) for _, cases in planned)
    redactor = Redactor(options.credentials.secrets())
    for name, value in options.headers:
        if is_secret_name(name):
            redactor.add(value)
    token_client = transport.client() if options.credentials.oauth2_token_url else None
    oauth = OAuth2Token(options.credentials, token_client, redactor) if token_client is not None else None
    pools = [transport.pool() for _ in range(options.concurrency)]
    done = 0
    complete = True
    bbs: list[BBResult] = []
    stop_on_sigterm = _on_sigterm(asyncio.current_task())
    unfilter_logs = _redact_http_logs(redactor)
    try:
        for target, cases in planned:
            bb = _BBRun(target, options, transport, redactor, oauth)
            t0, bb_started = time.perf_counter(), _now()
            key = target_key(target.contract.bb, target.contract.ref, redactor.url(target.url))
            prior = journal.done(key) if journal is not None else {}
            slots: list[CaseResult | None] = [prior.get(c.case_id) for c in cases]
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
            finished = [s if s is not None else _interrupted(c) for s, c in zip(slots, cases, strict=True)]
            bbs.append(bb.bb_result(target, finished, bb_started, t0))
            if not complete:
                for rest, rest_cases in planned[len(bbs) :]:
                    rb = _BBRun(rest, options, transport, redactor, oauth)
                    bbs.append(rb.bb_result(rest, [_interrupted(c) for c in rest_cases], _now(), time.perf_counter()))
                break
    finally:
        stop_on_sigterm()
        unfilter_logs()
        await transport.aclose()
        if token_client is not None:
            await token_client.aclose()
        if journal is not None:
            journal.sync()
    return RunResults(
        tool_version=__version__,
        started=started,
        finished=_now(),
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
    bb: _BBRun,
    cases: Sequence[Case],
    slots: list[CaseResult | None],
    pools: Sequence[Any],
    counter: list[int],
    total: int,
    progress: Progress | None,
    record: Callable[[CaseResult], None] | None = None,
) -> None:
    """Workers take the next case in plan order that has no result yet; results land in their plan slot."""
    order = iter([i for i, s in enumerate(slots) if s is None])
    label = bb.contract.label
    if progress is not None and counter[0]:
        progress(counter[0], total, label)

    async def worker(pool: Any) -> None:
        for i in order:
            result = slots[i] = await bb.run_case(pool, cases[i])
            if record is not None:
                record(result)
            counter[0] += 1
            if progress is not None:
                progress(counter[0], total, label)

    missing = sum(s is None for s in slots)
    await asyncio.gather(*(worker(p) for p in pools[: max(1, min(len(pools), missing))]))


def _interrupted(case: Case) -> CaseResult:
    return CaseResult(
        case.case_id, case.operation, case.kind, case.name, case.description, Verdict.SKIPPED, reason="interrupted"
    )


def not_run(targets: Sequence[Target], options: RunOptions) -> RunResults:
    """Results for targets a stopped run never reached: every case SKIPPED 'interrupted', complete=False."""
    transport = Transport(options)
    redactor = Redactor(options.credentials.secrets())
    bbs = []
    for target in targets:
        rb = _BBRun(target, options, transport, redactor, None)
        cases = plan_target(target, options)
        bbs.append(rb.bb_result(target, [_interrupted(c) for c in cases], _now(), time.perf_counter()))
    now = _now()
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
