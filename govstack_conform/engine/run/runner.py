"""Sending requests: HTTP/1.1 under asyncio (wire.py), bodies streamed and capped, errors as data.

Each worker owns one keep-alive connection per origin: pools shared by
many workers spend their time scanning connections, and a case's sequence steps stay on one worker
anyway. Redirects are not followed and cookies are not kept: what the product answers is recorded.
A transport failure never raises out of `send`; it comes back as a Reply with `error` set.

The product is untrusted: one deadline covers the whole exchange (a one-byte-per-second drip cannot
stretch it), bodies are read up to the cap and never further (gzip/deflate are inflated up to the cap
too), a connection whose previous answer left bytes behind is dropped, and a reused connection that
breaks before any answer is retried once on a fresh one, so one bad answer cannot spoil the next case.

Through a proxy (`--proxy`, HTTP(S)_PROXY, see engine/proxy.py) a worker's connection is one to the
proxy: plain http:// requests go to it in absolute form, https:// ones through a CONNECT tunnel with the
same TLS verification of the product. What the proxy says itself (a refused tunnel, 407) is an error of
the run's network, never an answer of the product.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ssl
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from govstack_conform.engine.exchange import Reply, Sent
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.proxy import ProxyRoute
from govstack_conform.engine.run import wire
from govstack_conform.engine.run.bodies import ACCEPT_ENCODING, BodyError, read_capped_stream
from govstack_conform.engine.run.urls import Dest, UrlBuilder
from govstack_conform.errors import ConfigError, TargetError

_SSL_CACHE: dict[tuple[object, ...], ssl.SSLContext] = {}


def ssl_context(options: RunOptions) -> ssl.SSLContext:
    """Verified TLS by default (certifi's bundle or --ca-bundle); --insecure only when asked.

    Loading a CA bundle costs tens of milliseconds, so a context is built once per set of TLS options."""
    creds = options.credentials
    key = (options.insecure, options.ca_bundle, creds.client_cert, creds.client_key)
    found = _SSL_CACHE.get(key)
    if found is None:
        found = _SSL_CACHE[key] = _new_ssl_context(options)
    return found


def _new_ssl_context(options: RunOptions) -> ssl.SSLContext:
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


class Worker:
    """What one worker owns: a keep-alive connection per origin (a case's steps stay on it)."""

    __slots__ = ("conns",)

    def __init__(self) -> None:
        # origin -> [connection, last used, requests sent on it]
        self.conns: dict[tuple[bytes, bytes, int], list[Any]] = {}


Headers = list[tuple[str, str]]
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_KEEPALIVE_S = 30.0
_CONNECT_ERRORS = (wire.ConnectError,)
_OTHER_ERRORS = (wire.WireError, ssl.SSLError, OSError)
# What a kept-alive connection the server closed (or polluted) looks like before any answer arrives.
_STALE_ERRORS = (wire.RemoteProtocolError, wire.ReadError, wire.WriteError, ConnectionError)


def _encode(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class Transport:
    """Sends requests with the run's timeout, rate limit, retries and body cap.

    Each worker holds its own connection (engine/run/wire.py): a pool shared by many workers spends
    more CPU assigning connections than sending, and a sequence stays on one connection.
    """

    def __init__(self, options: RunOptions, ctx: ssl.SSLContext | None = None) -> None:
        self.options = options
        self._ssl = ctx
        self._interval = 1.0 / options.rate_limit if options.rate_limit else 0.0
        self._next_slot = 0.0
        self._workers: list[Worker] = []
        self._ua = options.user_agent
        self._routes: dict[tuple[bytes, bytes, int], ProxyRoute | None] = {}

    @property
    def ssl(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl_context(self.options)
        return self._ssl

    def pool(self) -> Worker:
        """The connections of one worker."""
        w = Worker()
        self._workers.append(w)
        return w

    def client(self) -> httpx.AsyncClient:
        """A full httpx client with the same TLS settings and the same proxy decision (token endpoints)."""
        route = self.options.proxy.route(self.options.credentials.oauth2_token_url or "")
        proxy = httpx.Proxy(route.url, auth=route.auth) if route is not None else None
        return httpx.AsyncClient(verify=self.ssl, timeout=self.options.timeout_s, trust_env=False, proxy=proxy)

    def route(self, dest: Dest) -> ProxyRoute | None:
        """The proxy requests to `dest` go through (None: direct), decided once per origin."""
        if dest.key not in self._routes:
            self._routes[dest.key] = self.options.proxy.route(f"{dest.scheme.decode()}://{dest.host}")
        return self._routes[dest.key]

    def _new_connection(self, dest: Dest) -> wire.Connection:
        ctx = self.ssl if dest.tls else None
        route = self.route(dest)
        host = dest.hostname.decode("ascii")
        if route is None:
            return wire.Connection(host, dest.port, ctx)
        return wire.Connection(host, dest.port, ctx, proxy=(route.host, route.port), proxy_auth=route.auth,
                               tunnel=dest.tls)  # fmt: skip

    async def aclose(self) -> None:
        for w in self._workers:
            for held in w.conns.values():
                await _close(held[0])
            w.conns.clear()
        self._workers.clear()

    async def _throttle(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        slot = max(now, self._next_slot)
        self._next_slot = slot + self._interval
        if slot > now:
            await asyncio.sleep(slot - now)

    def _connection(self, worker: Worker, dest: Dest) -> tuple[wire.Connection, bool]:
        """The worker's connection to `dest` (a new one when the old is gone) and whether it served before."""
        key = dest.key
        held = worker.conns.get(key)
        now = time.monotonic()
        if held is not None:
            conn, last, uses = held
            if conn.is_available() and now - last < _KEEPALIVE_S:
                held[1], held[2] = now, uses + 1
                return conn, uses > 0 and conn.connected
            worker.conns.pop(key, None)
            conn.close()
        conn = self._new_connection(dest)
        worker.conns[key] = [conn, now, 1]
        return conn, False

    async def _drop(self, worker: Worker, dest: Dest, conn: wire.Connection) -> None:
        held = worker.conns.get(dest.key)
        if held is not None and held[0] is conn:
            worker.conns.pop(dest.key, None)
        await _close(conn)

    @staticmethod
    def _wire(
        dest: Dest, route: ProxyRoute | None, method: str, url: str, hdrs: Headers, body: bytes | None
    ) -> wire.Request:
        target = _encode(url[dest.cut :] or "/")
        headers = [(n.encode("ascii"), _encode(v)) for n, v in hdrs]
        if route is not None and not dest.tls:  # a forwarding proxy gets the absolute form, and its credentials
            target = b"http://" + dest.host.encode("idna") + target
            if route.auth is not None:
                pair = base64.b64encode(f"{route.auth[0]}:{route.auth[1]}".encode()).decode("ascii")
                headers.append((b"Proxy-Authorization", b"Basic " + pair.encode("ascii")))
        return wire.request(method, target, headers, body)

    async def send(
        self,
        worker: Worker,
        dest: Dest,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        content: bytes | None,
    ) -> tuple[Sent, Reply]:
        names = {n.lower() for n, _ in headers}
        hdrs = list(headers) if "host" in names else [("Host", dest.host), *headers]
        if "user-agent" not in names:
            hdrs.append(("User-Agent", self._ua))
        if "accept-encoding" not in names:
            hdrs.append(("Accept-Encoding", ACCEPT_ENCODING))
        if content is not None:
            hdrs.append(("Content-Length", str(len(content))))
        elif method in _BODY_METHODS:
            hdrs.append(("Content-Length", "0"))
        sent = Sent(method, url, hdrs, content)
        route = self.route(dest)
        try:
            data = self._wire(dest, route, method, url, hdrs, content)
        except (UnicodeEncodeError, TypeError, ValueError, wire.LocalProtocolError) as exc:
            return sent, Reply(error=f"request could not be built: {exc}")
        attempt = 0
        stale_retried = False
        while True:
            if self._interval:
                await self._throttle()
            start = time.perf_counter()
            conn, reused = self._connection(worker, dest)
            response: wire.Head | None = None
            try:
                async with asyncio.timeout(self.options.timeout_s):
                    response = await conn.send(data)
                    whole = conn.body_now()
                    if whole is None or len(whole) > self.options.body_cap or _coded(response.headers):
                        stream = conn.body() if whole is None else _once(whole)
                        body, truncated = await read_capped_stream(response.headers, stream, self.options.body_cap)
                    else:
                        body, truncated = whole, False
            except _CONNECT_ERRORS as exc:
                await self._drop(worker, dest, conn)
                if attempt < self.options.retries:
                    attempt += 1
                    await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
                    continue
                via = f" (through the proxy {route.url})" if route is not None else ""
                return sent, Reply(error=f"connection failed{via}: {_why(exc)}", elapsed_ms=_ms(start))
            except wire.ProxyError as exc:
                await self._drop(worker, dest, conn)
                why = f"the proxy {route.url if route else ''} did not open a tunnel to {dest.host}: {_why(exc)}"
                return sent, Reply(error=why, elapsed_ms=_ms(start))
            except TimeoutError:
                connected = conn.connected
                await self._drop(worker, dest, conn)
                t = self.options.timeout_s
                if response is not None:
                    why = f"the {response.status} answer was still arriving after {t:g} s (the limit is for all of it)"
                elif connected:
                    why = f"no answer within {t:g} s"
                else:
                    why = f"no connection within {t:g} s"
                return sent, Reply(error=why, elapsed_ms=_ms(start), timed_out=connected or response is not None)
            except _STALE_ERRORS as exc:
                await self._drop(worker, dest, conn)
                if response is None and reused and not stale_retried:
                    stale_retried = True  # the server closed or polluted the kept-alive connection: once more, fresh
                    continue
                return sent, Reply(error=_failure(exc, response), elapsed_ms=_ms(start))
            except (*_OTHER_ERRORS, BodyError) as exc:
                await self._drop(worker, dest, conn)
                return sent, Reply(error=_failure(exc, response), elapsed_ms=_ms(start))
            except Exception as exc:  # whatever else a hostile answer provokes: this case errs, the run goes on
                await self._drop(worker, dest, conn)
                return sent, Reply(error=f"unreadable answer: {_failure(exc, response)}", elapsed_ms=_ms(start))
            if truncated or not conn.reusable or conn.left_over():
                await self._drop(worker, dest, conn)  # never reuse a connection with an unread or surplus body
            if route is not None and response.status == 407:  # the proxy's own answer, not the product's
                why = f"the proxy {route.url} wants credentials (407): give them as http://USER:PASSWORD@HOST:PORT"
                return sent, Reply(error=why, elapsed_ms=_ms(start))
            return sent, Reply(
                response.status,
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers],
                body,
                truncated=truncated,
                elapsed_ms=_ms(start),
                http_version=response.http_version,
            )


def _coded(headers: list[tuple[bytes, bytes]]) -> bool:
    """Whether the answer names a content coding (then bodies.py decodes it, or refuses it)."""
    return any(k.lower() == b"content-encoding" for k, _ in headers)


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _close(conn: wire.Connection) -> None:
    with contextlib.suppress(Exception):
        conn.close()


def _failure(exc: BaseException, response: Any) -> str:
    """One line on what broke, and whether the answer had begun (status known) or not."""
    if isinstance(exc, BodyError):
        return str(exc)
    what = type(exc).__name__
    text = str(exc).strip()
    detail = f"{what}: {_why(exc)}" if text and text != what else f"{what}, the connection broke"
    if response is None:
        return detail
    return f"in the middle of the {response.status} answer's body: {detail}"


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000.0, 3)


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return " ".join(text.split())[:300]


async def preflight(
    target: str, timeout_s: float = 10.0, ctx: ssl.SSLContext | None = None, proxy: ProxyRoute | None = None
) -> None:
    """Open (and close) a connection to the target, with the TLS handshake for https (`ctx`), through
    `proxy` when one is given; TargetError with one line when impossible, saying what to do about it."""
    from govstack_conform.engine.run.tunnel import open_through

    parts = urlsplit(target)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    tls = ctx if parts.scheme == "https" else None
    try:
        async with asyncio.timeout(timeout_s):
            if proxy is not None:
                writer = await open_through(proxy, host, port, tls)
            else:
                _reader, writer = await asyncio.open_connection(
                    host, port, ssl=tls, server_hostname=host if tls is not None else None
                )
    except TimeoutError:
        via = f" through the proxy {proxy.url}" if proxy is not None else ""
        raise TargetError(f"target {host}:{port} did not accept a connection{via} within {timeout_s:g} s") from None
    except ssl.SSLCertVerificationError as exc:
        why = " ".join((exc.verify_message or exc.reason or "verification failed").split())
        raise TargetError(
            f"target {host}:{port}: its TLS certificate is not trusted ({why}); pass --ca-bundle FILE with the "
            "CA certificate(s) that signed it (or --insecure to skip verification, recorded in the report)"
        ) from None
    except ssl.SSLError as exc:
        raise TargetError(
            f"target {host}:{port}: the TLS handshake failed ({_why(exc)}); is it really https://?"
        ) from None
    except ConnectionRefusedError:
        raise TargetError(f"target {host}:{port} refused the connection (is the product running?)") from None
    except OSError as exc:
        raise TargetError(f"target {host}:{port} cannot be reached: {exc.strerror or exc}") from None
    writer.close()
    with contextlib.suppress(OSError, ssl.SSLError):
        await writer.wait_closed()


__all__ = ["Dest", "Reply", "Sent", "Transport", "UrlBuilder", "Worker", "preflight", "ssl_context"]
