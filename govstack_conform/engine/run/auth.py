"""How each case kind applies the credentials (engine/credentials.py), and OAuth2 tokens.

Secrets may be given as `env:VAR` so they never stand on a command line. `Auth.NONE` sends no
credential at all, `Auth.WRONG` a well-formed one of the same type that no product can accept.
Everything recorded (URLs, headers, bodies) passes through the Redactor (govstack_conform.redact) first.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import string
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from govstack_conform.contracts.model import Operation, SecurityScheme
from govstack_conform.engine.cases import Auth
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import DEFAULT_BODY_CAP, DEFAULT_TIMEOUT_S
from govstack_conform.engine.run.bodies import ACCEPT_ENCODING, BodyError, read_capped_stream
from govstack_conform.errors import ConfigError
from govstack_conform.redact import Redactor


def _wrong_like(real: str | None, rng: random.Random) -> str:
    """A well-formed credential of the same shape as `real` that cannot be valid."""
    alphabet = string.ascii_letters + string.digits
    if real and real.count(".") == 2 and all(real.split(".")):  # a JWT: keep its shape, break the signature
        head, body, sig = real.split(".")
        return f"{head}.{body}.{''.join(rng.choice(alphabet) for _ in range(max(len(sig), 16)))}"
    size = max(len(real) if real else 32, 16)
    return "wrong" + "".join(rng.choice(alphabet) for _ in range(size - 5))


@dataclass(frozen=True)
class Applied:
    """What one request gets: headers to set, query parameters to add, header names to remove."""

    headers: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    strip: frozenset[str] = frozenset()  # lower-case header names removed (NONE / WRONG)


class OAuth2Token:
    """Client-credentials token: fetched once, refreshed when it expires or the product answers 401.

    The token endpoint is as untrusted as the product: its answer gets the same body cap (decoded, so
    a gzip bomb is inflated only up to it) and the same deadline for the whole exchange as a case.
    """

    def __init__(
        self,
        creds: Credentials,
        client: Any,
        redactor: Redactor,
        *,
        body_cap: int = DEFAULT_BODY_CAP,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self._creds = creds
        self._client = client  # an httpx.AsyncClient
        self._redactor = redactor
        self._cap = body_cap
        self._timeout_s = timeout_s
        self._token: str | None = None
        self._expires = 0.0
        self._lock = asyncio.Lock()

    @property
    def current(self) -> str | None:
        return self._token if self._token and time.monotonic() < self._expires else None

    async def get(self, stale: str | None = None) -> str:
        async with self._lock:
            if self._token and self._token != stale and time.monotonic() < self._expires:
                return self._token
            self._token, self._expires = await self._fetch()
            self._redactor.add(self._token)
            return self._token

    async def _fetch(self) -> tuple[str, float]:
        import httpx

        c = self._creds
        url, t = c.oauth2_token_url, self._timeout_s
        data = {"grant_type": "client_credentials"}
        if c.oauth2_scope:
            data["scope"] = c.oauth2_scope
        try:
            async with asyncio.timeout(t):
                request = self._client.stream(
                    "POST", url, data=data, auth=(c.client_id or "", c.client_secret or ""),
                    headers={"Accept-Encoding": ACCEPT_ENCODING},
                )  # fmt: skip
                async with request as resp:
                    body, cut = await read_capped_stream(resp.headers.raw, resp.aiter_raw(), self._cap)
                    status = resp.status_code
        except TimeoutError:
            raise ConfigError(f"OAuth2 token request to {url}: no whole answer within {t:g} s (--timeout)") from None
        except httpx.HTTPError as exc:
            raise ConfigError(f"OAuth2 token request to {url} failed: {type(exc).__name__}") from None
        except BodyError as exc:
            raise ConfigError(f"OAuth2 token answer from {url} is unreadable: {exc}") from None
        if status != 200:
            raise ConfigError(f"OAuth2 token request to {url} was refused: HTTP {status}")
        if cut:
            raise ConfigError(f"OAuth2 token answer from {url} is larger than the {self._cap // 1024} KiB body cap")
        try:
            payload = json.loads(body)
            token = str(payload["access_token"])
            ttl = float(payload.get("expires_in") or 3600)
        except (ValueError, KeyError, TypeError, RecursionError):
            raise ConfigError(f"OAuth2 token response from {url} has no access_token") from None
        return token, time.monotonic() + max(ttl - 30, ttl / 2)


class Authenticator:
    """Decides, per operation and case kind, which credential headers and query parameters to send."""

    def __init__(
        self,
        creds: Credentials,
        schemes: Mapping[str, SecurityScheme],
        *,
        extra_secret_headers: Iterable[str] = (),
        seed: int = 0,
        oauth2: OAuth2Token | None = None,
    ) -> None:
        self.creds = creds
        self.schemes = schemes
        self.oauth2 = oauth2
        self._extra_secret = frozenset(n.lower() for n in extra_secret_headers)
        self._rng = random.Random(f"wrong-credentials-{seed}")
        self._wrong_bearer = _wrong_like(creds.bearer, self._rng)
        self._wrong_key = _wrong_like(creds.api_key, self._rng)
        self._wrong_password = _wrong_like(creds.basic_password, self._rng)
        self._cache: dict[tuple[str, Auth], Applied] = {}

    def _op_schemes(self, op: Operation | None) -> list[SecurityScheme]:
        found = []
        for alternative in op.security if op else ():
            for name, _scopes in alternative:
                s = self.schemes.get(name)
                if s is not None and s not in found:
                    found.append(s)
        return found

    def _api_key_place(self, op: Operation | None) -> tuple[str, str]:
        spec = [s for s in self._op_schemes(op) if s.type == "apiKey"]
        if not spec:  # the operation names none: the spec's apiKey scheme only if it has a single one
            every = [s for s in self.schemes.values() if s.type == "apiKey"]
            if len({(s.param_name, s.location) for s in every}) == 1:
                spec = every[:1]
        name = self.creds.api_key_name or (spec[0].param_name if spec and spec[0].param_name else "X-API-Key")
        where = self.creds.api_key_in or (spec[0].location if spec and spec[0].location in ("header", "query") else "")
        return name, where or "header"

    def _wants_basic(self, op: Operation | None) -> bool:
        kinds = self._op_schemes(op)
        if not self.creds.basic_user:
            return False
        if not (self.creds.bearer or self.creds.oauth2_token_url):
            return True
        return any(s.type == "http" and (s.scheme or "").lower() == "basic" for s in kinds)

    def _basic(self, user: str, password: str) -> str:
        return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()

    def static(self, op: Operation | None, auth: Auth) -> Applied:
        """The credential part that does not depend on a fetched token (cached per operation)."""
        key = (op.key if op else "", auth)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._build(op, auth)
        return found

    def _build(self, op: Operation | None, auth: Auth) -> Applied:
        c = self.creds
        name, where = self._api_key_place(op)
        strip = {"authorization", "cookie", *self._extra_secret}
        if where == "header":
            strip.add(name.lower())
        headers: list[tuple[str, str]] = []
        query: list[tuple[str, str]] = []
        if auth is Auth.NONE:
            return Applied(strip=frozenset(strip))
        if auth is Auth.WRONG:
            if c.configured:
                if self._wants_basic(op):
                    headers.append(("Authorization", self._basic(c.basic_user or "wrong", self._wrong_password)))
                elif c.bearer or c.oauth2_token_url:
                    headers.append(("Authorization", "Bearer " + self._wrong_bearer))
                if c.api_key:
                    (headers if where == "header" else query).append((name, self._wrong_key))
            else:
                headers.extend(self._wrong_from_spec(op, query))
            for extra in sorted(self._extra_secret):
                if not any(h[0].lower() == extra for h in headers):
                    headers.append((extra, _wrong_like(None, random.Random(extra))))
            return Applied(tuple(headers), tuple(query), frozenset(strip))
        if self._wants_basic(op):
            headers.append(("Authorization", self._basic(c.basic_user or "", c.basic_password or "")))
        elif c.bearer:
            headers.append(("Authorization", "Bearer " + c.bearer))
        if c.api_key:
            (headers if where == "header" else query).append((name, c.api_key))
        return Applied(tuple(headers), tuple(query))

    def _wrong_from_spec(self, op: Operation | None, query: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """No credentials configured: wrong ones of the type the spec declares (Bearer by default)."""
        for s in self._op_schemes(op):
            if s.type == "apiKey" and s.param_name and s.location in ("header", "query"):
                if s.location == "query":
                    query.append((s.param_name, self._wrong_key))
                    return []
                return [(s.param_name, self._wrong_key)]
            if s.type == "http" and (s.scheme or "").lower() == "basic":
                return [("Authorization", self._basic("wrong-user", self._wrong_password))]
        return [("Authorization", "Bearer " + self._wrong_bearer)]

    def needs_token(self, op: Operation | None, auth: Auth) -> bool:
        return auth is Auth.VALID and self.oauth2 is not None and not self._wants_basic(op)
