"""Sending requests: httpx transports under asyncio, bodies streamed and capped, errors as data.

Each worker owns one keep-alive connection (an httpx transport with a pool of one): pools shared by
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
import contextlib
import ssl
import time
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from govstack_conform.engine.exchange import Reply, Sent
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.proxy import ProxyRoute
from govstack_conform.engine.run.bodies import ACCEPT_ENCODING, BodyError, read_capped
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


_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_IDLE_CHECK_S = 1.0
_CONNECT_ERRORS = (httpcore.ConnectError, httpcore.ConnectTimeout)
_OTHER_ERRORS = (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol, ssl.SSLError, OSError)
# What a kept-alive connection the server closed (or polluted) looks like before any answer arrives.
_STALE_ERRORS = (httpcore.RemoteProtocolError, httpcore.ReadError, httpcore.WriteError, ConnectionError)


def _encode(value: str) -> bytes:
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


class Transport:
    """Sends requests with the run's timeout, rate limit, retries and body cap.

    Each worker holds its own httpcore connection (httpx's transport layer): a pool shared by many
    workers spends more CPU assigning connections than sending, and a sequence stays on one connection.
    """

    def __init__(self, options: RunOptions, ctx: ssl.SSLContext | None = None) -> None:
        self.options = options
        self._ssl = ctx
        t = options.timeout_s
        self._ext = {"timeout": {"connect": t, "read": t, "write": t, "pool": t}}
        self._interval = 1.0 / options.rate_limit if options.rate_limit else 0.0
        self._next_slot = 0.0
        self._workers: list[Worker] = []
        self._ua = options.user_agent
        self._routes: dict[tuple[bytes, bytes, int], ProxyRoute | None] = {}
        self._proxies: dict[tuple[ProxyRoute, bool], httpcore.AsyncHTTPProxy] = {}

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

    def _new_connection(self, dest: Dest) -> Any:
        ctx = self.ssl if dest.tls else None
        route = self.route(dest)
        if route is None:
            return httpcore.AsyncHTTPConnection(dest.origin, ssl_context=ctx, keepalive_expiry=30.0)
        proxy = self._proxies.get((route, dest.tls))
        if proxy is None:  # only its connection factory is used: each worker keeps its own connection
            proxy = self._proxies[(route, dest.tls)] = httpcore.AsyncHTTPProxy(
                route.url, proxy_auth=route.auth, ssl_context=ctx, keepalive_expiry=30.0
            )
        return proxy.create_connection(dest.origin)

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

    def _connection(self, worker: Worker, dest: Dest) -> tuple[Any, bool]:
        """The worker's connection to `dest` (a new one when the old is gone) and whether it served before."""
        key = dest.key
        held = worker.conns.get(key)
        now = time.monotonic()
        if held is not None:
            conn, last, uses = held
            if conn.is_available() and (now - last < _IDLE_CHECK_S or not conn.has_expired()):
                held[1], held[2] = now, uses + 1
                return conn, True
            worker.conns.pop(key, None)
        conn = self._new_connection(dest)
        worker.conns[key] = [conn, now, 1]
        return conn, False

    async def _drop(self, worker: Worker, dest: Dest, conn: Any) -> None:
        held = worker.conns.get(dest.key)
        if held is not None and held[0] is conn:
            worker.conns.pop(dest.key, None)
        await _close(conn)

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
        host = dest.hostname
        if route is not None and not dest.tls and b":" in host:
            host = b"[" + host + b"]"  # the absolute form a forwarding proxy gets names an IPv6 host in brackets
        try:
            request = httpcore.Request(
                method.encode("ascii"),
                httpcore.URL(scheme=dest.scheme, host=host, port=dest.port, target=_encode(url[dest.cut :])),
                headers=[(n.encode("ascii"), _encode(v)) for n, v in hdrs],
                content=content,
                extensions=self._ext,
            )
        except (UnicodeEncodeError, TypeError, ValueError) as exc:
            return sent, Reply(error=f"request could not be built: {exc}")
        attempt = 0
        stale_retried = False
        while True:
            if self._interval:
                await self._throttle()
            start = time.perf_counter()
            conn, reused = self._connection(worker, dest)
            response: Any = None
            try:
                async with asyncio.timeout(self.options.timeout_s):
                    response = await conn.handle_async_request(request)
                    try:
                        body, truncated = await read_capped(response, self.options.body_cap)
                    finally:
                        await response.aclose()
            except _CONNECT_ERRORS as exc:
                await self._drop(worker, dest, conn)
                if attempt < self.options.retries:
                    attempt += 1
                    await asyncio.sleep(min(0.1 * 2**attempt, 2.0))
                    continue
                via = f" (through the proxy {route.url})" if route is not None else ""
                return sent, Reply(error=f"connection failed{via}: {_why(exc)}", elapsed_ms=_ms(start))
            except httpcore.ProxyError as exc:
                await self._drop(worker, dest, conn)
                why = f"the proxy {route.url if route else ''} did not open a tunnel to {dest.host}: {_why(exc)}"
                return sent, Reply(error=why, elapsed_ms=_ms(start))
            except (TimeoutError, httpcore.TimeoutException):
                connected = _connected(conn)
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
            if truncated or _left_over(conn):
                await self._drop(worker, dest, conn)  # never reuse a connection with an unread or surplus body
            if route is not None and response.status == 407:  # the proxy's own answer, not the product's
                why = f"the proxy {route.url} wants credentials (407): give them as http://USER:PASSWORD@HOST:PORT"
                return sent, Reply(error=why, elapsed_ms=_ms(start))
            version = response.extensions.get("http_version", b"HTTP/1.1")
            return sent, Reply(
                response.status,
                [(k.decode("latin-1"), v.decode("latin-1")) for k, v in response.headers],
                body,
                truncated=truncated,
                elapsed_ms=_ms(start),
                http_version=version.decode("ascii", "replace") if isinstance(version, bytes) else str(version),
            )


def _http11(conn: Any) -> Any:
    """httpcore's HTTP/1.1 connection inside ours (direct, or through a proxy's forwarding or tunnel one)."""
    for _ in range(3):
        conn = getattr(conn, "_connection", None)
        if conn is None or hasattr(conn, "_h11_state"):
            return conn
    return None


def _connected(conn: Any) -> bool:
    """Whether the connection was made (and TLS done), so that a timeout means the answer did not come."""
    if hasattr(conn, "_connected"):  # a CONNECT tunnel: made once the proxy opened it and TLS is done
        return bool(conn._connected)
    return _http11(conn) is not None


def _left_over(conn: Any) -> bool:
    """Whether the server sent bytes beyond the answer (a short Content-Length): then the connection is spoilt."""
    h11_conn = getattr(_http11(conn), "_h11_state", None)
    if h11_conn is None:
        return False
    try:
        data, _closed = h11_conn.trailing_data
    except Exception:  # pragma: no cover - another httpcore layout
        return False
    return bool(data)


async def _close(conn: Any) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(2.0):
            await conn.aclose()


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
