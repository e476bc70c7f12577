"""One BB's cases on a worker's connection: requests filled in, sent, judged and recorded as evidence.

The steps of a sequence run in order, later steps filled from what earlier ones captured. What is
recorded passes through the Redactor; a passed case keeps only its request line and status (unless
asked for more), so a large run holds little per passed case.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.engine.caselog import settled
from govstack_conform.engine.cases import Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.checks import registry as C
from govstack_conform.engine.checks.base import _excused_refusal
from govstack_conform.engine.checks.refusal import unknowns
from govstack_conform.engine.exchange import Reply, Sent
from govstack_conform.engine.options import DEFAULT_LATENCY_MS, RunOptions
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    CheckResult,
    Exchange,
    OperationResult,
    Outcome,
    RecordedRequest,
    RecordedResponse,
    SpecFileRef,
    Verdict,
)
from govstack_conform.engine.run.auth import Authenticator, OAuth2Token
from govstack_conform.engine.run.judge import (
    Attempt,
    attempts,
    blames,
    case_verdict,
    negatives_settler,
    operation_verdict,
    success_steps,
)
from govstack_conform.engine.run.runner import Transport, UrlBuilder
from govstack_conform.engine.testdata import TestData
from govstack_conform.redact import Redactor, is_secret_name

_VAR = C.PLACEHOLDER
READS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Target:
    """One BB to test: its contract, where the candidate is, and the BB profile's defaults."""

    contract: Contract
    url: str
    platform_id: str = ""
    headers: tuple[tuple[str, str], ...] = ()  # the BB profile's default headers
    latency_ms: float | None = None  # the BB profile's budget
    cases: Sequence[Case] | None = None  # already planned (a tuple, or packed: engine/packed.py); else planned here
    testdata: TestData | None = None  # handed to the planner
    # Operations seen accepting a valid request by an earlier run of the same session (the pytest plugin runs
    # case by case): a negative case of theirs is conclusive though its run holds no valid request.
    accepted: frozenset[str] = frozenset()


class _Missing(Exception):
    """A sequence step needs a value an earlier step did not capture."""


def utc_now() -> str:
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
    return not unknowns(case, step).any


class BBRun:
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
                reason=case.untestable, covers=case.covers,
            )  # fmt: skip
        if case.skip:
            return CaseResult(
                case.case_id, case.operation, case.kind, case.name, case.description, Verdict.SKIPPED, reason=case.skip
            )  # fmt: skip
        if self.options.read_only and not case.read_only:
            return CaseResult(
                case.case_id, case.operation, case.kind, case.name, case.description, Verdict.SKIPPED,
                reason="not a read (--read-only)", covers=case.covers,
            )  # fmt: skip
        start = time.perf_counter()
        values: dict[str, str] = {}
        results: list[CheckResult] = []
        answered: list[tuple[str, Sent, Reply]] = []
        stopped: str | None = None
        unjudged: str | None = None
        steps = case.steps
        ctx: C.StepContext | None = None
        for index, step in enumerate(steps):
            if answered:  # the step before is judged: of its body only what the record holds stays in memory
                answered[-1][2].body = answered[-1][2].body[: self.options.record_cap + 1]
                ctx = None  # and its parsed JSON goes
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
                if reply.timed_out:
                    results.append(C.answered_within_timeout(step.name, reply.error, self.options.timeout_s))
                break
            ctx = C.StepContext(
                self.contract, op, case, step, reply,
                has_credentials=self.has_credentials, latency_ms=self.latency,
                filled=values,
            )  # fmt: skip
            try:
                results.extend(C.run_checks(ctx) if not step.setup else ())
            except Exception as exc:  # a bug met on a hostile answer: this case errs, never the whole run
                unjudged = f"{step.name}: the answer could not be judged ({type(exc).__name__}: {exc})"[:300]
                break
            if index + 1 == len(steps):
                break
            if not _met(step.expect, reply.status):
                excuse = _excused_refusal(ctx) if step.setup else None  # e.g. no credentials for the create
                stopped = f"untestable: {step.name} answered {reply.status}, so the rest of the sequence was not sent"
                stopped = excuse if excuse and excuse.startswith("untestable") else stopped
                break
            for name, pointer in step.capture:
                got = C._at(ctx.json(), pointer) if ctx.json() is not C._INVALID else C._UNSET
                if got is C._UNSET or isinstance(got, (dict, list)) or got is None:
                    stopped = f"untestable: the {step.name} answer has no usable value at {pointer or '/'} for {name}"
                    break
                values[name] = str(got).lower() if isinstance(got, bool) else str(got)
            for cap in () if stopped else step.capture_headers:
                taken = cap.value_in(reply.headers)
                if taken is None:
                    stopped = f"untestable: the {step.name} answer has no usable {cap.header} header for {cap.var}"
                    break
                values[cap.var] = taken
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
            tuple(results), exchanges, round((time.perf_counter() - start) * 1000.0, 3), reason, case.covers,
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

    def bb_result(
        self, target: Target, cases: Sequence[CaseResult], started: str, t0: float, plan: Sequence[Case] = ()
    ) -> BBResult:
        """The BB's result; verdicts that need the whole run are settled here: a negative case counts only
        where its operation accepted a valid request (a positive case or any step of a sequence, whose
        operations `plan` tells), and an operation is judged by every valid request sent to it."""
        tried = attempts(cases, success_steps(plan))
        cases = settled(cases, negatives_settler(cases, tried, target.accepted))  # messages already redacted
        by_op: dict[str, list[CaseResult]] = {}
        for case in cases:  # what operation_verdict reads of a case: a journal's cases are never all held
            blamed = tuple(k for k in case.checks if blames(k))
            by_op.setdefault(case.operation, []).append(replace(case, checks=blamed, exchanges=()))
        tried_by_op: dict[str, list[Attempt]] = {}  # each operation looks only at its own (was ops x attempts)
        for a in tried:
            tried_by_op.setdefault(a.operation, []).append(a)
        operations = []
        for op in self.contract.operations:
            verdict, reason = operation_verdict(op, by_op.get(op.key, ()), tried_by_op.get(op.key, ()))
            if (
                verdict is Verdict.SKIPPED
                and not by_op.get(op.key)
                and self.options.read_only
                and op.method not in READS
            ):
                reason = f"not sent: --read-only sends only {', '.join(READS)} requests"
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
            cases=cases,
            defects=tuple(d.to_dict() for d in c.defects),
            started=started,
            finished=utc_now(),
            duration_s=round(time.perf_counter() - t0, 3),
        )
