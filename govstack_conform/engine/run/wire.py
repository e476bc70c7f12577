"""HTTP/1.1 on one asyncio connection, as the engine sends it: one request at a time, the answer's head
read whole (bounded), its body handed out in pieces, nothing read beyond what the caller asks for.

Why not httpcore: over anyio it spent most of a request's CPU in cancel scopes, locks, checkpoints and
model objects (bench/engine.py --profile: about 60 % of the sending phase); here a request is one write
and a few looks into a buffer. What an untrusted product may send is handled explicitly: a head of at
most MAX_HEAD bytes, Content-Length, chunked and close-delimited bodies, no body for HEAD, 1xx, 204 and
304, interim 1xx answers skipped, bytes beyond an answer noticed (`left_over`: the transport then drops
the connection), and back-pressure while a body is read (the socket stops being read while the buffer
holds more than _HIGH bytes, so a 200 MB body never sits in memory). The bytes of a request and of an
answer's head are http11.py's, as are the errors raised; the transport (runner.py) turns each into a
Reply with `error` set.
"""

from __future__ import annotations

import asyncio
import base64
import re
import ssl
from collections.abc import AsyncIterator

from govstack_conform.engine.run.http11 import (
    LINE,
    ConnectError,
    Head,
    LocalProtocolError,
    ProxyError,
    ReadError,
    RemoteProtocolError,
    WireError,
    WriteError,
    chunk_size,
    framing_values,
    parse_head,
    request_bytes,
    whole_chunked,
)

MAX_HEAD = 100 * 1024  # status line and headers of one answer
_HIGH = 256 * 1024  # stop reading the socket while this much is buffered
_HEAD_END = re.compile(rb"\n\r?\n")
_NO_BODY = frozenset({204, 304})


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

    def take(self, n: int) -> bytes:
        piece = bytes(self.buf[:n])
        self.drop(n)
        return piece

    def drop(self, n: int) -> None:
        del self.buf[:n]
        if self._paused and len(self.buf) <= _HIGH // 2 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()

    def ended(self, what: str) -> WireError:
        """The error for a connection that ended while `what` was still expected."""
        if self.error is not None:
            return ReadError(str(self.error) or type(self.error).__name__)
        return RemoteProtocolError(f"peer closed connection without sending {what}")


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
        self._body: tuple[str, int] = ("none", 0)
        self._keep = False  # whether the answer being read leaves the connection open for the next request

    def is_available(self) -> bool:
        """Whether another request may go on it: open, nothing unsolicited waiting, the last answer read whole."""
        p = self._p
        if not self.connected:
            return self.reusable
        return self.reusable and not p.eof and not p.buf and p.transport is not None and not p.transport.is_closing()

    def left_over(self) -> bool:
        """Whether bytes beyond the answer arrived (a too-short Content-Length): the connection is spoilt."""
        return bool(self._p.buf)

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
        authority = f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"
        extra = self.proxy_headers
        head = [(b"Host", authority.encode("ascii")), *extra]
        self._write(request_bytes("CONNECT", authority.encode("ascii"), head, None))
        answer = await self._head("CONNECT")
        if not 200 <= answer.status < 300:
            raise ProxyError(f"{answer.status} {answer.reason.decode('latin-1')[:100]}".strip())
        if self._p.buf:
            raise RemoteProtocolError("the proxy sent bytes after its answer to CONNECT")
        assert self._p.transport is not None and self.tls is not None
        try:
            wrapped = await loop.start_tls(self._p.transport, self._p, self.tls, server_hostname=self.host)
        except OSError as exc:
            raise ConnectError(str(exc) or type(exc).__name__) from None
        self._p.transport = wrapped

    @property
    def proxy_headers(self) -> list[tuple[bytes, bytes]]:
        if self.proxy_auth is None:
            return []
        pair = base64.b64encode(f"{self.proxy_auth[0]}:{self.proxy_auth[1]}".encode()).decode("ascii")
        return [(b"Proxy-Authorization", b"Basic " + pair.encode("ascii"))]

    def _write(self, data: bytes) -> None:
        transport = self._p.transport
        if transport is None or transport.is_closing():
            raise WriteError("the connection was closed before the request was written")
        transport.write(data)

    async def send(self, method: str, data: bytes) -> Head:
        """Write one request (already as bytes) and read its answer's head; the body is read by `body()`."""
        if not self.connected:
            await self._open()
        self.reusable = False  # until its answer has been read whole
        self._write(data)
        while True:
            head = await self._head(method)
            if head.status >= 200 or head.status == 101:
                break  # interim answers (100 Continue, 103 Early Hints) are not the answer
        self._body = self._framing(method, head)
        return head

    async def _head(self, method: str) -> Head:
        p = self._p
        start = 0
        while True:
            m = _HEAD_END.search(p.buf, start)
            if m is not None and m.end() <= MAX_HEAD:
                raw = p.take(m.end())
                return parse_head(raw[: m.start()])
            if m is not None or len(p.buf) > MAX_HEAD:
                raise RemoteProtocolError(f"the answer's head is longer than {MAX_HEAD // 1024} KiB")
            if p.eof:
                if p.error is not None or p.buf:
                    raise p.ended("a complete answer head")
                raise RemoteProtocolError("Server disconnected without sending a response.")
            start = max(0, len(p.buf) - 3)
            await p.more()

    def _framing(self, method: str, head: Head) -> tuple[str, int]:
        """How the body ends: ("none", 0), ("length", n), ("chunked", 0) or ("close", 0)."""
        values = framing_values(head)
        keep = head.http_version == "HTTP/1.1" and b"close" not in values.get(b"connection", ())
        if method == "HEAD" or head.status < 200 or head.status in _NO_BODY or method == "CONNECT":
            self._keep = keep and head.status != 101  # after 101 the connection speaks another protocol
            return ("none", 0)
        codings = values.get(b"transfer-encoding")
        if codings:
            # We ask for no transfer coding (no TE header): chunked is the only one a server may send (RFC 9112
            # §6.1); another would be read as the body itself and then judged, so it is an error, as h11 had it.
            if codings != [b"chunked"]:
                shown = b", ".join(codings)[:100]
                raise RemoteProtocolError(f"Transfer-Encoding {shown!r} is not supported: only chunked")
            self._keep = keep
            return ("chunked", 0)
        lengths = set(values.get(b"content-length", ()))
        if lengths:
            if len(lengths) > 1 or not all(v.isdigit() for v in lengths):
                raise RemoteProtocolError(f"bad Content-Length: {b', '.join(sorted(lengths))[:100]!r}")
            self._keep = keep
            return ("length", int(lengths.pop()))
        self._keep = False
        return ("close", 0)

    def body_now(self) -> bytes | None:
        """The whole body when it has already arrived (still content-coded), marking the connection reusable
        as `body()` would at its end; None when it has not, and `body()` reads it."""
        kind, n = self._body
        p = self._p
        if kind == "length" and len(p.buf) >= n:
            piece = p.take(n)
        elif kind == "none":
            piece = b""
        elif kind == "chunked" and (whole := whole_chunked(p.buf)) is not None:
            p.drop(whole[1])
            piece = b"".join(whole[0])
        else:
            return None
        self.reusable = self._keep
        return piece

    async def body(self) -> AsyncIterator[bytes]:
        """The answer's body as it arrives (still content-coded); marks the connection reusable at its end."""
        kind, n = self._body
        p = self._p
        if kind == "length":
            async for piece in self._exactly(n, chunked=False):
                yield piece
        elif kind == "chunked":
            async for piece in self._chunks():
                yield piece
        elif kind == "close":
            while True:
                if p.buf:
                    yield p.take(len(p.buf))
                elif p.eof:
                    if p.error is not None:
                        raise p.ended("the rest of the body")
                    break
                else:
                    await p.more()
        self.reusable = self._keep

    async def _exactly(self, n: int, *, chunked: bool) -> AsyncIterator[bytes]:
        """`n` bytes as they arrive; the connection ending first is the error of a body cut short."""
        p = self._p
        left = n
        while left:
            if p.buf:
                piece = p.take(min(left, len(p.buf)))
                left -= len(piece)
                yield piece
            elif p.eof:
                what = "incomplete chunked read" if chunked else f"received {n - left} bytes, expected {n}"
                raise p.ended(f"complete message body: {what}")
            else:
                await p.more()

    async def _line(self) -> bytes:
        p = self._p
        while True:
            i = p.buf.find(b"\n")
            if i >= 0:
                return p.take(i + 1).rstrip(b"\r\n")
            if len(p.buf) > LINE:
                raise RemoteProtocolError("a chunk-size line is too long")
            if p.eof:
                raise p.ended("complete message body: incomplete chunked read")
            await p.more()

    async def _chunks(self) -> AsyncIterator[bytes]:
        p = self._p
        whole = whole_chunked(p.buf)
        if whole is not None:  # the usual small answer: all of it arrived, read in one pass
            pieces, end = whole
            p.drop(end)
            if pieces:
                yield b"".join(pieces)
            return
        while True:
            size = chunk_size(await self._line())
            if size == 0:
                while await self._line():  # trailers, up to the empty line
                    pass
                return
            async for piece in self._exactly(size, chunked=True):
                yield piece
            if await self._line():
                raise RemoteProtocolError("a chunk does not end with CRLF")

    def close(self) -> None:
        transport = self._p.transport
        self.reusable = False
        if transport is None:
            return
        if self.tls is not None:
            transport.abort()  # at once, with the socket under it: a graceful TLS close could outlive the run's loop
        else:
            transport.close()


__all__ = [
    "MAX_HEAD",
    "ConnectError",
    "Connection",
    "Head",
    "LocalProtocolError",
    "ProxyError",
    "ReadError",
    "RemoteProtocolError",
    "WireError",
    "WriteError",
    "request_bytes",
]
