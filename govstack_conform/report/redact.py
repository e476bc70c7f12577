"""Defence in depth against secrets in reports: the runner already redacts, this re-scans.

Header values of credential-bearing headers and credential-looking query parameters are replaced
by name; any known secret value (from the configuration) is replaced wherever it appears.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
from govstack_conform.engine.run.auth import is_secret_name

REDACTED = "[REDACTED]"

SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "apikey",
        "x-auth-token",
        "x-access-token",
        "x-csrf-token",
    }
)
_SENSITIVE_WORDS = re.compile(r"(token|secret|passw|api[-_]?key|credential|session|auth)", re.IGNORECASE)

# Keys that describe a credential without being one, kept readable under a secret-named parent.
DESCRIPTIVE = frozenset({"name", "in", "type", "scheme", "location", "param_name", "kind", "enabled", "header"})

T = TypeVar("T")


def sensitive_name(name: str) -> bool:
    """Whether a header / query / config key name suggests it carries a credential."""
    return name.lower() in SENSITIVE_HEADERS or bool(_SENSITIVE_WORDS.search(name))


def _secret_header(name: str) -> bool:
    """The engine's rule (Authorization, Cookie, names with token/key/secret) plus a few well-known names."""
    return is_secret_name(name) or name.lower() in SENSITIVE_HEADERS


def _secret_pair(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], str)
        and sensitive_name(value[0])
    )


class Redactor:
    """Replaces known secret values (longest first) and credential-bearing fields."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self.secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def text(self, value: str | None) -> str | None:
        if value is None:
            return None
        for s in self.secrets:
            if s in value:
                value = value.replace(s, REDACTED)
        return value

    def url(self, url: str) -> str:
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url) or ""
        netloc = parts.netloc
        if "@" in netloc:  # user:password@host
            netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
        query = parts.query
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(sensitive_name(k) for k, _ in pairs):
                query = urlencode([(k, REDACTED if sensitive_name(k) else v) for k, v in pairs], safe="[]")
        return self.text(urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))) or ""

    def headers(self, headers: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple((k, REDACTED if _secret_header(k) else (self.text(v) or "")) for k, v in headers)

    def value(self, value: Any, sensitive: bool = False) -> Any:
        """Redact a JSON-like value: scalars under secret-named keys go, strings lose known secrets.

        A mapping under a secret-named key is walked, not dropped, so that descriptions such as
        `auth: {bearer: true, api_key: {name: X-Api-Key}}` stay readable while `token: ...` goes.
        """
        if isinstance(value, Mapping):
            return {
                k: self.value(v, sensitive_name(str(k)) or (sensitive and str(k).lower() not in DESCRIPTIVE))
                for k, v in value.items()
            }
        if _secret_pair(value):  # a (header name, value) pair
            return [value[0], REDACTED]
        if sensitive and isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
            return REDACTED
        if sensitive and isinstance(value, (list, tuple)):
            return [self.value(v, True) for v in value]
        if isinstance(value, (list, tuple)):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _strings(self, obj: T) -> T:
        """Apply `text` to every str field of a flat dataclass."""
        changes = {
            f.name: self.text(getattr(obj, f.name))
            for f in dataclasses.fields(obj)  # type: ignore[arg-type]
            if isinstance(getattr(obj, f.name), str)
        }
        return dataclasses.replace(obj, **changes)  # type: ignore[type-var]

    def exchange(self, x: Exchange) -> Exchange:
        req = x.request
        request = RecordedRequest(
            req.method, self.url(req.url), self.headers(req.headers), self.text(req.body), req.body_truncated
        )
        response = None
        if x.response is not None:
            r = x.response
            response = RecordedResponse(
                r.status, self.headers(r.headers), self.text(r.body), r.body_truncated, r.elapsed_ms, r.http_version
            )
        return Exchange(self.text(x.step) or "", request, response, self.text(x.error))

    def case(self, c: CaseResult) -> CaseResult:
        checks: Sequence[CheckResult] = [self._strings(k) for k in c.checks]
        base = self._strings(c)
        return dataclasses.replace(base, checks=tuple(checks), exchanges=tuple(self.exchange(x) for x in c.exchanges))

    def bb(self, b: BBResult) -> BBResult:
        ops: Sequence[OperationResult] = [self._strings(o) for o in b.operations]
        return dataclasses.replace(
            b,
            target=self.url(b.target),
            operations=tuple(ops),
            cases=tuple(self.case(c) for c in b.cases),
            defects=tuple(self.value(dict(d)) for d in b.defects),
        )

    def results(self, r: RunResults) -> RunResults:
        return dataclasses.replace(
            r,
            options=self.value(dict(r.options)),
            product=self.value(dict(r.product)),
            results=tuple(self.bb(b) for b in r.results),
        )


def redact_results(results: RunResults, secrets: Iterable[str] = ()) -> RunResults:
    """`results` with credential headers, credential query values and every known secret replaced."""
    return Redactor(secrets).results(results)
