"""Sending requests: httpx transports under asyncio, bodies streamed and capped, errors as data.

Each worker owns one keep-alive connection (an httpx transport with a pool of one): pools shared by
many workers spend their time scanning connections, and a case's sequence steps stay on one worker
anyway. Redirects are not followed and cookies are not kept: what the product answers is recorded.
A transport failure never raises out of `send`; it comes back as a Reply with `error` set.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import ssl
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import httpx

from govstack_conform.engine.options import PathMap, RunOptions
from govstack_conform.errors import ConfigError, TargetError

_PARAM = re.compile(r"\{([^{}]+)\}")


def ssl_context(options: RunOptions) -> ssl.SSLContext:
    """Verified TLS by default (certifi's bundle or --ca-bundle); --insecure only when asked."""
    try:
        if options.insecure:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        elif options.ca_bundle:
            ctx = ssl.create_default_context(cafile=options.ca_bundle)
        else:
            try:
                import certifi

                ctx = ssl.create_default_context(cafile=certifi.where())
            except ImportError:  # pragma: no cover - certifi comes with httpx
                ctx = ssl.create_default_context()
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"--ca-bundle {options.ca_bundle}: cannot load CA certificates ({exc})") from None
    creds = options.credentials
    if creds.client_cert:
        try:
            ctx.load_cert_chain(creds.client_cert, creds.client_key)
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(f"--client-cert {creds.client_cert}: cannot load certificate/key ({exc})") from None
    return ctx


class UrlBuilder:
    """Base URL (its path is a prefix) + the product's path for a BB template + encoded parameters."""

    def __init__(self, target: str, path_map: PathMap) -> None:
        parts = urlsplit(target)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(f"--target {target!r} must be an http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ConfigError(f"--target {target!r} must not have a query or fragment")
        self.base = f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"
        self.path_map = path_map
        self._compiled: dict[str, tuple[list[str], tuple[tuple[str, str], ...]]] = {}

    def _parts(self, template: str) -> tuple[list[str], tuple[tuple[str, str], ...]]:
        """Path pieces split at {params}, and the literal query some specs write into a path key."""
        found = self._compiled.get(template)
        if found is None:
            path, _, literal = template.partition("?")
            pairs = tuple(parse_qsl(literal, keep_blank_values=True)) if literal else ()
            found = self._compiled[template] = (_PARAM.split(self.path_map.apply(path)), pairs)
        return found

    def url(
        self,
        template: str,
        params: dict[str, str],
        query: tuple[tuple[str, str], ...] = (),
        declared_query: frozenset[str] = frozenset(),
    ) -> str:
        """The URL; a literal query in the template is kept unless it names a declared query parameter
        (then the case's own value, or its deliberate absence, rules)."""
        parts, literal = self._parts(template)
        if len(parts) == 1:
            path = parts[0]
        else:
            out = []
            for i, piece in enumerate(parts):
                if i % 2 == 0:
                    out.append(piece)
                elif piece in params:
                    out.append(quote(params[piece], safe=""))
                else:
                    out.append(quote("{" + piece + "}", safe=""))
            path = "".join(out)
        if not path.startswith("/"):
            path = "/" + path
        url = self.base + path
        if literal:
            query = (*(kv for kv in literal if kv[0] not in declared_query), *query)
        if query:
            url += "?" + urlencode(query, quote_via=quote)
        return url


class Reply:
    """What came back for one request: a response, or a transport error."""

    __slots__ = ("body", "elapsed_ms", "error", "headers", "http_version", "status", "truncated")

    def __init__(
        self,
        status: int = 0,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        *,
        truncated: bool = False,
        elapsed_ms: float = 0.0,
        http_version: str = "HTTP/1.1",
        error: str | None = None,
    ) -> None:
        self.status = status
        self.headers = headers or []
        self.body = body
        self.truncated = truncated
        self.elapsed_ms = elapsed_ms
        self.http_version = http_version
        self.error = error

    def header(self, name: str) -> str | None:
        low = name.lower()
        for n, v in self.headers:
            if n.lower() == low:
                return v
        return None


@dataclass(frozen=True)
class Sent:
    """The request as it went on the wire (before redaction)."""

    method: str
    url: str
    headers: tuple[tuple[str, str], ...]
    body: bytes | None


class Transport:
    """Sends requests with the run's timeout, rate limit, retries and body cap."""

    def __init__(self, options: RunOptions, ctx: ssl.SSLContext | None = None) -> None:
        self.options = options
        self.ssl = ctx if ctx is not None else ssl_context(options)
        t = options.timeout_s
        self._ext = {"timeout": {"connect": t, "read": t, "write": t, "pool": t}}
        self._interval = 1.0 / options.rate_limit if options.rate_limit else 0.0
        self._next_slot = 0.0
        self._pools: list[httpx.AsyncHTTPTransport] = []
        self._ua = options.user_agent

    def pool(self) -> httpx.AsyncHTTPTransport:
        """A keep-alive connection for one worker."""
        p = httpx.AsyncHTTPTransport(
            verify=self.ssl, limits=httpx.Limits(max_connections=1, max_keepalive_connections=1), trust_env=False
        )
        self._pools.append(p)
        return p

    def client(self) -> httpx.AsyncClient:
        """A full client with the same TLS settings (token endpoints, pre-flight)."""
        return httpx.AsyncClient(verify=self.ssl, timeout=self.options.timeout_s, trust_env=False)

    async def aclose(self) -> None:
        for p in self._pools:
            await p.aclose()
        self._pools.clear()

    async def _throttle(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)

    async def send(
        self,
        pool: httpx.AsyncHTTPTransport,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
    ) -> tuple[Sent, Reply]:
        hdrs = [("User-Agent", self._ua), *headers]
        attempt = 0
        while True:
            if self._interval:
                await self._throttle()
            start = time.perf_counter()
            try:
                request = httpx.Request(method, url, headers=hdrs, content=content, extensions=self._ext)
            except (httpx.InvalidURL, ValueError, TypeError) as exc:
                sent = Sent(method, url, tuple(hdrs), content)
                return sent, Reply(error=f"request could not be built: {exc}")
            raw = request.headers.raw
            sent = Sent(method, url, tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in raw), content)
            try:
                async with asyncio.timeout(self.options.timeout_s):
                    response = await pool.handle_async_request(request)
                    try:
                        body, truncated = await self._read(response)
                    finally:
                        await response.aclose()
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                if attempt < self.options.retries:
                    attempt += 1
                    await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
                    continue
                return sent, Reply(error=f"connection failed: {_why(exc)}", elapsed_ms=_ms(start))
            except (TimeoutError, httpx.TimeoutException):
                why = f"no complete answer within {self.options.timeout_s:g} s"
                return sent, Reply(error=why, elapsed_ms=_ms(start))
            except (httpx.HTTPError, ssl.SSLError, OSError) as exc:
                return sent, Reply(error=f"{type(exc).__name__}: {_why(exc)}", elapsed_ms=_ms(start))
            version = response.extensions.get("http_version", b"HTTP/1.1")
            return sent, Reply(
                response.status_code,
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers.raw],
                body,
                truncated=truncated,
                elapsed_ms=_ms(start),
                http_version=version.decode("ascii", "replace") if isinstance(version, bytes) else str(version),
            )

    async def _read(self, response: httpx.Response) -> tuple[bytes, bool]:
        """The body up to the cap; beyond it we stop reading (never holding more than the cap)."""
        cap = self.options.body_cap
        chunks: list[bytes] = []
        size = 0
        stream: Any = response.aiter_bytes() if "content-encoding" in response.headers else response.aiter_raw()
        async for chunk in stream:
            size += len(chunk)
            if size > cap:
                chunks.append(chunk[: len(chunk) - (size - cap)])
                return b"".join(chunks), True
            chunks.append(chunk)
        return (chunks[0] if len(chunks) == 1 else b"".join(chunks)), False


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 3)


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:300]


async def preflight(target: str, timeout_s: float = 10.0) -> None:
    """Open (and close) a TCP connection to the target; TargetError with one line when impossible."""
    parts = urlsplit(target)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        async with asyncio.timeout(timeout_s):
            _reader, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        raise TargetError(f"target {host}:{port} did not accept a connection within {timeout_s:g} s") from None
    except ConnectionRefusedError:
        raise TargetError(f"target {host}:{port} refused the connection (is the product running?)") from None
    except OSError as exc:
        raise TargetError(f"target {host}:{port} cannot be reached: {exc.strerror or exc}") from None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
