"""HTTP/1.1 on one asyncio connection, as the engine sends it: one request at a time, the answer's head
bounded, its body handed out in pieces, nothing read beyond what the caller asks for.

The I/O is ours and the HTTP is h11's. Why not httpcore: over anyio it spent most of a request's CPU in
cancel scopes, locks, checkpoints and model objects (bench/engine.py --profile: about 60 % of the sending
phase); here a request is one write, the socket is an asyncio Protocol filling a buffer, and back-pressure
stops reading while the buffer holds more than _HIGH bytes (a 200 MB body never sits in memory). Why h11:
the syntax and framing of HTTP/1.1 (request validation and serialization, status line and headers, folded
and bare-LF head lines, Content-Length, chunked and close-delimited bodies, no body for HEAD, 1xx, 204 and
304, interim 1xx answers, keep-alive) is what an untrusted product gets wrong in the most ways, and h11
(the sans-I/O parser under httpcore) has been read against the RFCs and real servers for years: written
again it would be its bugs written again. It is pure Python, about 60-80 us CPU per request (three events
read, two or three sent); one h11.Connection serves a keep-alive connection cycle after cycle. Where it
is strict, an answer errs: a chunk line not ended by CRLF, a Transfer-Encoding other than chunked, a 101
nobody asked for. What is ours: an answer's head may take at most MAX_HEAD bytes (h11 is fed no more
while it reads one), bytes beyond an answer are noticed (`left_over`: the transport then drops the
connection), and every error is raised as the classes below; the transport (runner.py) turns each into
a Reply with `error` set.
"""

from __future__ import annotations

import asyncio
import base64
import ssl
from collections.abc import AsyncIterator
from typing import cast

import h11

MAX_HEAD = 100 * 1024  # status line and headers of one answer
_HIGH = 256 * 1024  # stop reading the socket while this much is buffered
_ALL = 1 << 62
_VERSIONS = {b"1.1": "HTTP/1.1", b"1.0": "HTTP/1.0"}
_END = h11.EndOfMessage()


class WireError(Exception):
    """What went wrong on the wire; the class name is shown in the case's error."""


class ConnectError(WireError):
    """No connection (refused, unknown host, TLS handshake failed)."""


class ProxyError(WireError):
    """The proxy answered a CONNECT with something other than 2xx."""


class LocalProtocolError(WireError):
    """The request cannot be written as HTTP/1.1 (a control character in a header value, say)."""


class RemoteProtocolError(WireError):
    """The answer is not HTTP/1.1 as the RFCs write it, or the connection ended before it did."""


class ReadError(WireError):
    """The connection broke while reading (a reset)."""


class WriteError(WireError):
    """The connection was gone when the request was written."""


class _Buffered(asyncio.Protocol):
    """What the socket delivered, waiting to be read; the socket is paused while too much waits."""

    def __init__(self) -> None:
        self.buf = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.transport: asyncio.Transport | None = None
        self._paused = False
        self._waiter: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > _HIGH and not self._paused and self.transport is not None:
            self._paused = True
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False

    def connection_lost(self, exc: BaseException | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None:
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    async def more(self) -> None:
        """Until more bytes arrived or the connection ended (the caller checks which)."""
        if self._paused and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    def feed(self, h: h11.Connection, limit: int) -> int:
        """Hand at most `limit` buffered bytes to `h`; how many."""
        buf = self.buf
        n = len(buf)
        if n <= limit:
            h.receive_data(cast(bytes, buf))  # any bytes-like object (h11's docs): it appends a copy
            buf.clear()
        else:
            n = limit
            h.receive_data(bytes(buf[:n]))
            del buf[:n]
        if self._paused and len(buf) <= _HIGH // 2 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()
        return n

    def ended(self, what: str) -> WireError:
        """The error for a connection that ended while `what` was still expected."""
        if self.error is not None:
            return ReadError(str(self.error) or type(self.error).__name__)
        return RemoteProtocolError(f"peer closed connection without sending {what}")


class Head:
    """An answer's status line and headers (names as sent, values without surrounding whitespace)."""

    __slots__ = ("headers", "http_version", "reason", "status")

    def __init__(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], http_version: str) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.http_version = http_version


class Request:
    """A request h11 has validated, ready to be written on any connection (a retry writes it again)."""

    __slots__ = ("body", "head")

    def __init__(self, head: h11.Request, body: bytes | None) -> None:
        self.head = head
        self.body = h11.Data(data=body) if body else None


def request(method: str, target: bytes, headers: list[tuple[bytes, bytes]], content: bytes | None) -> Request:
    """The request to send; LocalProtocolError for what HTTP/1.1 cannot carry (h11's words)."""
    try:
        return Request(h11.Request(method=method, target=target, headers=headers), content)
    except h11.LocalProtocolError as exc:
        raise LocalProtocolError(str(exc)) from None


def _head(event: h11.Response | h11.InformationalResponse) -> Head:
    version = _VERSIONS.get(event.http_version) or f"HTTP/{event.http_version.decode('ascii')}"
    return Head(event.status_code, event.reason, event.headers.raw_items(), version)


def _remote(exc: h11.ProtocolError) -> RemoteProtocolError:
    return RemoteProtocolError(str(exc) or type(exc).__name__)


class Connection:
    """One keep-alive connection: direct, to a forwarding proxy, or through a CONNECT tunnel."""

    def __init__(
        self,
        host: str,
        port: int,
        tls: ssl.SSLContext | None,
        *,
        proxy: tuple[str, int] | None = None,
        proxy_auth: tuple[str, str] | None = None,
        tunnel: bool = False,
    ) -> None:
        self.host, self.port, self.tls = host, port, tls
        self.proxy, self.proxy_auth, self.tunnel = proxy, proxy_auth, tunnel
        self.connected = False  # the connection is made (and TLS done): a timeout after it means no answer
        self.reusable = True
        self._p = _Buffered()
        self._h = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)
        self._room = MAX_HEAD  # how many more bytes h11 may be given before the head it reads is complete
        self._early: list[bytes] = []  # body pieces body_now() took from h11 without finding the end

    def is_available(self) -> bool:
        """Whether another request may go on it: open, nothing unsolicited waiting, the last answer read whole."""
        p = self._p
        if not self.connected:
            return self.reusable
        return self.reusable and not p.eof and not p.buf and p.transport is not None and not p.transport.is_closing()

    def left_over(self) -> bool:
        """Whether bytes beyond the answer arrived (a too-short Content-Length): the connection is spoilt."""
        return bool(self._p.buf) or bool(self._h.trailing_data[0])

    async def _open(self) -> None:
        loop = asyncio.get_running_loop()
        host, port = self.proxy or (self.host, self.port)
        direct_tls = self.tls if self.proxy is None else None
        try:
            await loop.create_connection(
                lambda: self._p, host, port, ssl=direct_tls, server_hostname=host if direct_tls else None
            )
        except OSError as exc:  # ssl.SSLError is one
            raise ConnectError(str(exc) or type(exc).__name__) from None
        if self.tunnel:
            await self._connect_tunnel(loop)
        self.connected = True

    async def _connect_tunnel(self, loop: asyncio.AbstractEventLoop) -> None:
        authority = (f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}").encode("ascii")
        answer = await self._exchange(request("CONNECT", authority, [(b"Host", authority), *self.proxy_headers], None))
        if not 200 <= answer.status < 300:
            raise ProxyError(f"{answer.status} {answer.reason.decode('latin-1')[:100]}".strip())
        if self.left_over():
            raise RemoteProtocolError("the proxy sent bytes after its answer to CONNECT")
        assert self._p.transport is not None and self.tls is not None
        try:
            wrapped = await loop.start_tls(self._p.transport, self._p, self.tls, server_hostname=self.host)
        except OSError as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from None
        self._p.transport = wrapped
        self._h = h11.Connection(h11.CLIENT, max_incomplete_event_size=MAX_HEAD)  # HTTP anew, inside the tunnel

    @property
    def proxy_headers(self) -> list[tuple[bytes, bytes]]:
        if self.proxy_auth is None:
            return []
        pair = base64.b64encode(f"{self.proxy_auth[0]}:{self.proxy_auth[1]}".encode()).decode("ascii")
        return [(b"Proxy-Authorization", b"Basic " + pair.encode("ascii"))]

    async def send(self, req: Request) -> Head:
        """Write one request and read its answer's head; the body is read by `body_now()` or `body()`."""
        if not self.connected:
            await self._open()
        self.reusable = False  # until its answer has been read whole
        return await self._exchange(req)

    async def _exchange(self, req: Request) -> Head:
        h = self._h
        try:
            data = h.send(req.head)
            if req.body is not None:
                data += h.send(req.body)
            data += h.send(_END)
        except h11.LocalProtocolError as exc:  # a request whose body does not match its Content-Length
            raise LocalProtocolError(str(exc)) from None
        transport = self._p.transport
        if transport is None or transport.is_closing():
            raise WriteError("the connection was closed before the request was written")
        transport.write(data)
        self._room = MAX_HEAD
        self._early = []
        p = self._p
        while not p.buf and not p.eof:  # h11 holds nothing yet: asking it before bytes arrive would be wasted
            await p.more()
        while True:
            event = await self._event(head=True)
            if type(event) is h11.Response:
                return _head(event)
            if type(event) is not h11.InformationalResponse:  # pragma: no cover - h11 gives nothing else here
                raise RemoteProtocolError(f"unexpected {type(event).__name__} before the answer")
            # an interim answer (100 Continue, 103 Early Hints) is not the answer; what h11 holds is the next head
            self._room = MAX_HEAD - len(h.trailing_data[0])

    async def _event(self, *, head: bool = False) -> object:
        """The next event h11 reads, feeding it what arrives; a head is never given more than MAX_HEAD bytes."""
        h, p = self._h, self._p
        while True:
            if p.buf and (not head or self._room > 0):
                if head:
                    self._room -= p.feed(h, self._room)
                else:
                    p.feed(h, _ALL)
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as exc:
                raise _remote(exc) from None
            if event is not h11.NEED_DATA:
                return event
            if head and self._room <= 0:
                raise RemoteProtocolError(f"the answer's head is longer than {MAX_HEAD // 1024} KiB")
            if p.buf:
                continue
            if p.eof:
                if p.error is not None:
                    raise p.ended("the rest of the answer")
                if head:
                    if h.trailing_data[0]:
                        raise p.ended("a complete answer head")
                    raise RemoteProtocolError("Server disconnected without sending a response.")
                h.receive_data(b"")  # the end of a close-delimited body, or h11 words what is missing
            else:
                await p.more()

    def _ended(self) -> None:
        """The answer was read whole: the connection serves again when both sides may go on."""
        h = self._h
        if h.our_state is h11.DONE and h.their_state is h11.DONE:
            h.start_next_cycle()
            self.reusable = True

    def body_now(self) -> bytes | None:
        """The whole body when it has already arrived (still content-coded), marking the connection reusable
        as `body()` would at its end; None when it has not, and `body()` reads it."""
        h, p = self._h, self._p
        pieces = self._early
        while True:
            try:
                event = h.next_event()
            except h11.RemoteProtocolError as exc:
                raise _remote(exc) from None
            if type(event) is h11.Data:
                pieces.append(bytes(event.data))
            elif type(event) is h11.EndOfMessage:
                self._early = []
                self._ended()
                return pieces[0] if len(pieces) == 1 else b"".join(pieces)
            elif event is h11.NEED_DATA and p.buf:
                p.feed(h, _ALL)
            else:
                return None

    async def body(self) -> AsyncIterator[bytes]:
        """The answer's body as it arrives (still content-coded); marks the connection reusable at its end."""
        early, self._early = self._early, []
        for piece in early:
            yield piece
        while True:
            event = await self._event()
            if type(event) is h11.Data:
                yield bytes(event.data)
            elif type(event) is h11.EndOfMessage:
                self._ended()
                return
            else:
                raise RemoteProtocolError(f"unexpected {type(event).__name__} in the answer's body")

    def close(self) -> None:
        transport = self._p.transport
        self.reusable = False
        if transport is None:
            return
        if self.tls is not None:
            transport.abort()  # at once, with the socket under it: a graceful TLS close could outlive the run's loop
        else:
            transport.close()
