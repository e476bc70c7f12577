"""Defence in depth against secrets in reports: the runner already redacts, this re-scans whole results.

The rule and the marker are the one redactor's (govstack_conform.redact): header values of
credential-bearing headers and credential-looking query parameters go by name, and any known secret
value (from the configuration) goes wherever it appears.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from typing import TypeVar

from govstack_conform.engine.caselog import settled
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    CheckResult,
    Exchange,
    OperationResult,
    RecordedRequest,
    RecordedResponse,
    RunResults,
)
from govstack_conform.redact import Redactor

T = TypeVar("T")


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in dataclasses.fields(cls))
    return names


class ResultsRedactor:
    """Walks results and applies one Redactor to every string they hold."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self.redactor = Redactor(secrets)

    def _strings(self, obj: T) -> T:
        """Apply `text` to every str field of a flat dataclass (the same object when none held a secret)."""
        r = self.redactor
        changes = {}
        for name in _field_names(type(obj)):
            value = getattr(obj, name)
            if isinstance(value, str) and (safe := r.text(value)) is not value:
                changes[name] = safe
        return dataclasses.replace(obj, **changes) if changes else obj  # type: ignore[type-var]

    def exchange(self, x: Exchange) -> Exchange:
        r, req = self.redactor, x.request
        request = RecordedRequest(
            req.method, r.url(req.url), r.headers(req.headers), r.maybe(req.body), req.body_truncated
        )
        response = None
        if x.response is not None:
            p = x.response
            response = RecordedResponse(
                p.status, r.headers(p.headers), r.maybe(p.body), p.body_truncated, p.elapsed_ms, p.http_version
            )
        return Exchange(r.text(x.step), request, response, r.maybe(x.error))

    def case(self, c: CaseResult) -> CaseResult:
        checks: Sequence[CheckResult] = [self._strings(k) for k in c.checks]
        base = self._strings(c)
        return dataclasses.replace(base, checks=tuple(checks), exchanges=tuple(self.exchange(x) for x in c.exchanges))

    def bb(self, b: BBResult) -> BBResult:
        ops: Sequence[OperationResult] = [self._strings(o) for o in b.operations]
        return dataclasses.replace(
            b,
            target=self.redactor.url(b.target),
            operations=tuple(ops),
            cases=settled(b.cases, self.case),  # as they are read, when they come from the journal
            defects=tuple(self.redactor.value(dict(d)) for d in b.defects),
        )

    def results(self, r: RunResults) -> RunResults:
        return dataclasses.replace(
            r,
            options=self.redactor.value(dict(r.options)),
            product=self.redactor.value(dict(r.product)),
            results=tuple(self.bb(b) for b in r.results),
        )


def redact_results(results: RunResults, secrets: Iterable[str | None] = ()) -> RunResults:
    """`results` with credential headers, credential query values and every known secret replaced."""
    return ResultsRedactor(secrets).results(results)
