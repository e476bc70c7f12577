"""HTTP/1.1 on one asyncio connection, as the engine sends it: one request at a time, the answer's head
bounded, its body handed out in pieces, nothing read beyond what the caller asks for.

The I/O is ours and the reading of answers is llhttp's (Node's parser, through httptools, uvicorn's C
binding). Why not httpcore: over anyio it spent most of a request's CPU in cancel scopes, locks,
checkpoints and model objects; here a request is one write, the socket is an asyncio Protocol filling a
buffer, and back-pressure stops reading while the buffer holds more than _HIGH bytes (a 200 MB body never
sits in memory). Why a parser library: the syntax and framing of an answer (status line, headers,
Content-Length, chunked bodies with extensions and trailers) is what an untrusted product gets wrong in
the most ways, and llhttp has been fuzzed and read against the RFCs behind every Node server for years.
h11 did it before, in pure Python, at about 47 us CPU per answer and 30 per request written; here an
answer takes about 5 us and a request 5 (outside the I/O), and the engine's sending and checking went
from 0.30 to 0.19 ms CPU per case (bench/engine.py consent@23Q4.1 --cases 3000).

What is ours: we find where a head ends (its first empty line, within MAX_HEAD bytes, a head after an
interim 1xx counted alone) and give llhttp that head alone, bare-LF line ends made CRLF and folded lines
joined by a space (RFC 9112 2.2, 5.2); so no head is read beyond its bound, a HEAD or CONNECT answer
(whose body llhttp cannot know is absent) ends at its head, and 1xx answers are skipped exactly. llhttp
stays strict about the rest, and an answer errs where it is not HTTP/1.1: a chunk line not ended by
CRLF, Content-Length twice (even equal) or beside Transfer-Encoding, a 101 nobody asked for; a
Transfer-Encoding other than chunked errs too (llhttp would read it to the close, still coded). As with
h11, a header value may hold control characters but NUL (llhttp's lenient headers for that answer alone;
Content-Length, Transfer-Encoding and Connection stay clean) and an HTTP/1.0 answer ends its connection.
A body delimited by the close ends at EOF (httptools has no finish()); bytes beyond an answer are
noticed (`left_over`: the transport then drops the connection). Requests are written here with h11's
rules: the method and header names are tokens, values hold no NUL, CR or LF and no surrounding
whitespace, one Host, a Content-Length that is the body's, no Transfer-Encoding. Every error is raised as
the classes below; the transport (runner.py) turns each into a Reply with `error` set.
"""

from __future__ import annotations

import asyncio
import base64
import re
import ssl
from collections.abc import AsyncIterator

import httptools

MAX_HEAD = 100 * 1024  # status line and headers of one answer
_HIGH = 256 * 1024  # stop reading the socket while this much is buffered
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+").fullmatch
_VALUE = re.compile(rb"(?:[^\x00\s]+(?:[ \t]+[^\x00\s]+)*)?").fullmatch
_TARGET = re.compile(rb"[\x21-\x7e]+").fullmatch
_FOLD = re.compile(rb"\r\n[ \t]+")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]").search  # in a head: llhttp's leniency needed
_FRAMING = (b"content-length", b"transfer-encoding", b"connection")


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
        self.drained()
        self._waiter = asyncio.get_running_loop().create_future()
        await self._waiter

    def drained(self) -> None:
        """Bytes were taken from the buffer: read the socket again once little waits."""
        if self._paused and len(self.buf) <= _HIGH // 2 and self.transport is not None:
            self._paused = False
            self.transport.resume_reading()

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
    """A request validated and written out, ready to be sent on any connection (a retry sends it again)."""

    __slots__ = ("data", "method")

    def __init__(self, method: bytes, data: bytes) -> None:
        self.method = method
        self.data = data


def request(method: str, target: bytes, headers: list[tuple[bytes, bytes]], content: bytes | None) -> Request:
    """The request to send; LocalProtocolError for what HTTP/1.1 cannot carry."""
    verb = method.encode("ascii")
    if not _TOKEN(verb):
        raise LocalProtocolError(f"Illegal method characters in {verb!r}")
    if not _TARGET(target):
        raise LocalProtocolError(f"Illegal target characters in {target!r}")
    parts = [verb, b" ", target, b" HTTP/1.1\r\n"]
    hosts = 0
    lengths: set[bytes] = set()
    for name, value in headers:
        if not _TOKEN(name):
            raise LocalProtocolError(f"Illegal header name {name!r}")
        if not _VALUE(value):
            raise LocalProtocolError(f"Illegal header value {value!r}")
        low = name.lower()
        if low == b"host":
            hosts += 1
        elif low == b"content-length":
            lengths.add(value)
        elif low == b"transfer-encoding":
            raise LocalProtocolError("Transfer-Encoding is not sent: a body goes with its Content-Length")
        parts += (name, b": ", value, b"\r\n")
    if hosts != 1:
        raise LocalProtocolError("Missing mandatory Host: header" if not hosts else "Found multiple Host: headers")
    size = str(len(content or b"")).encode("ascii")
    if lengths - {size} or (content and not lengths):
        raise LocalProtocolError(f"Content-Length {b', '.join(sorted(lengths))!r} for a body of {size.decode()} bytes")
    parts.append(b"\r\n")
    if content:
        parts.append(content)
    return Request(verb, b"".join(parts))


class _Beyond(Exception):
    """Raised from a callback to stop llhttp at the start of a second message: bytes beyond the answer."""


class _Answer:
    """What llhttp reports of one answer (its callbacks); one parser and one _Answer per answer."""

    __slots__ = ("bad", "begun", "done", "extra", "got", "headed", "headers", "lenient", "pieces", "reason")

    def __init__(self) -> None:
        self.begun = self.headed = self.done = self.extra = self.lenient = False
        self.reason = b""
        self.bad = ""  # what the lenient reading found that HTTP still forbids
        self.got = 0  # body bytes read
        self.headers: list[tuple[bytes, bytes]] = []
        self.pieces: list[bytes] = []

    def on_message_begin(self) -> None:
        if self.begun:
            raise _Beyond
        self.begun = True

    def on_status(self, reason: bytes) -> None:
        self.reason = reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.headed:  # after the head: a chunked body's trailer, which is not a header
            return
        if self.lenient and (b"\x00" in value or (name.lower() in _FRAMING and _CONTROL(value))):
            self.bad = f"a forbidden control character in the {name.decode('latin-1')} header"
        self.headers.append((name, value.rstrip(b" \t")))  # llhttp leaves trailing whitespace in

    def on_headers_complete(self) -> None:
        self.headed = True

    def on_body(self, piece: bytes) -> None:
        self.got += len(piece)
        self.pieces.append(piece)

    def on_message_complete(self) -> None:
        self.done = True


def _end_of_head(buf: bytearray, start: int, limit: int) -> int:
    """Where the head in `buf` ends (after its empty line) if it does within `limit` bytes, else 0."""
    crlf = buf.find(b"\n\r\n", start, limit)
    lf = buf.find(b"\n\n", start, limit)
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf + 2
    return crlf + 3 if crlf >= 0 else 0


def _normal(head: bytes) -> bytes:
    """The head with bare-LF line ends as CRLF and folded lines joined by a space, as llhttp reads it."""
    if head.count(b"\n") != head.count(b"\r\n"):
        head = head.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if b"\n " in head or b"\n\t" in head:
        first = head.index(b"\n") + 1
        if head[first : first + 1] in (b" ", b"\t"):
            raise RemoteProtocolError("unreadable answer head: a folded line right after the status line")
        head = head[:first] + _FOLD.sub(b" ", head[first:])
    return head


def _framing(answer: _Answer, method: bytes, status: int) -> tuple[bool, bool, bool]:
    """(no body, body delimited by the close, keep-alive) of an answer, from its head."""
    no_body = method == b"HEAD" or status in (204, 304) or (method == b"CONNECT" and 200 <= status < 300)
    codings: list[bytes] = []
    lengths = close = False
    for name, value in answer.headers:  # one pass: this runs for every answer
        low = name.lower()
        if low == b"content-length":
            lengths = True
        elif low == b"transfer-encoding":
            codings.append(value)
        elif low == b"connection":
            close = close or b"close" in [t.strip() for t in value.lower().split(b",")]
    if codings and not no_body and (len(codings) > 1 or codings[0].lower() != b"chunked"):
        shown = b", ".join(codings).decode("latin-1")[:100]
        raise RemoteProtocolError(f"unreadable answer: Transfer-Encoding {shown!r} (only chunked is read)")
    closing = not no_body and not codings and not lengths
    return no_body, closing, not (close or closing)


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
        self._a = _Answer()  # the answer being read
        self._parser = httptools.HttpResponseParser(self._a)
        self._closing = False  # its body ends with the connection
        self._keep = False  # the connection may serve again once it has been read

    def is_available(self) -> bool:
        """Whether another request may go on it: open, nothing unsolicited waiting, the last answer read whole."""
        p = self._p
        if not self.connected:
            return self.reusable
        return self.reusable and not p.eof and not p.buf and p.transport is not None and not p.transport.is_closing()

    def left_over(self) -> bool:
        """Whether bytes beyond the answer arrived (a too-short Content-Length): the connection is spoilt."""
        return bool(self._p.buf) or self._a.extra

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
        transport = self._p.transport
        if transport is None or transport.is_closing():
            raise WriteError("the connection was closed before the request was written")
        transport.write(req.data)
        while True:
            a = self._a = _Answer()
            parser = self._parser = httptools.HttpResponseParser(a)
            head = _normal(await self._head_bytes())
            if _CONTROL(head):  # as h11 did, control characters other than NUL are kept in header values
                a.lenient = True
                parser.set_dangerous_leniencies(lenient_headers=True)
            try:
                parser.feed_data(head)
            except httptools.HttpParserUpgrade:
                raise RemoteProtocolError("unreadable answer: a 101 Switching Protocols nobody asked for") from None
            except httptools.HttpParserError as exc:
                raise RemoteProtocolError(f"unreadable answer head: {exc}") from None
            if a.bad:
                raise RemoteProtocolError(f"unreadable answer head: {a.bad}")
            status = parser.get_status_code()
            if not a.headed or status < 100:  # llhttp reads "099" as a status
                raise RemoteProtocolError(f"unreadable answer head: status {status}")
            if status >= 200:
                break
            # an interim answer (100 Continue, 103 Early Hints) is not the answer; the next head is counted anew
        no_body, self._closing, keep = _framing(a, req.method, status)
        version = parser.get_http_version()
        self._keep = keep and version == "1.1"  # as h11 did: an HTTP/1.0 answer is the connection's last
        if no_body:
            a.done = True
        return Head(status, a.reason, a.headers, "HTTP/" + version)

    async def _head_bytes(self) -> bytes:
        """The next head, taken from the buffer, once it is there whole (never more than MAX_HEAD bytes)."""
        p = self._p
        room, scanned = MAX_HEAD, 0
        while True:
            buf = p.buf
            if not scanned and buf and buf[0] in b"\r\n":  # empty lines before a status line are skipped
                lead = len(buf) - len(buf.lstrip(b"\r\n"))
                del buf[:lead]
                room -= lead
            end = _end_of_head(buf, max(scanned - 2, 0), room) if room > 0 else 0
            if end:
                head = bytes(buf[:end])
                del buf[:end]
                p.drained()
                return head
            if len(buf) >= room:
                raise RemoteProtocolError(f"the answer's head is longer than {MAX_HEAD // 1024} KiB")
            scanned = len(buf)
            if p.eof:
                if p.error is not None:
                    raise p.ended("the rest of the answer")
                if buf:
                    raise p.ended("a complete answer head")
                raise RemoteProtocolError("Server disconnected without sending a response.")
            await p.more()

    def _feed(self) -> None:
        """Give llhttp all that is buffered of the body; bytes after its end are noted, not read."""
        a, buf = self._a, self._p.buf
        try:
            self._parser.feed_data(buf)
        except httptools.HttpParserError as exc:  # _Beyond arrives as HttpParserCallbackError
            if not a.done:
                raise RemoteProtocolError(f"unreadable answer body: {exc}") from None
            a.extra = True  # a second message, or data after Connection: close
        buf.clear()
        self._p.drained()

    def _ended(self) -> None:
        """The answer was read whole: the connection serves again when both sides may go on."""
        self.reusable = self._keep

    def _missing(self) -> str:
        """What of an unfinished body did not arrive, in words."""
        a = self._a
        length = next((v for n, v in a.headers if n.lower() == b"content-length"), None)
        if length is None:
            return f"an incomplete chunked body ({a.got} bytes read)"
        return f"received {a.got} bytes, expected {int(length)}"

    def body_now(self) -> bytes | None:
        """The whole body when it has already arrived (still content-coded), marking the connection reusable
        as `body()` would at its end; None when it has not, and `body()` reads it."""
        a = self._a
        if not a.done and self._p.buf:
            self._feed()
        if not a.done:
            return None
        pieces, a.pieces = a.pieces, []
        self._ended()
        return pieces[0] if len(pieces) == 1 else b"".join(pieces)

    async def body(self) -> AsyncIterator[bytes]:
        """The answer's body as it arrives (still content-coded); marks the connection reusable at its end."""
        a, p = self._a, self._p
        while True:
            if a.pieces:
                pieces, a.pieces = a.pieces, []
                for piece in pieces:
                    yield piece
            if a.done:
                self._ended()
                return
            if p.buf:
                self._feed()
            elif p.eof:
                if p.error is not None or not self._closing:
                    raise p.ended(f"the rest of the answer: {self._missing()}")
                a.done = True  # a body delimited by the close ends here
            else:
                await p.more()

    def close(self) -> None:
        transport = self._p.transport
        self.reusable = False
        if transport is None:
            return
        if self.tls is not None:
            transport.abort()  # at once, with the socket under it: a graceful TLS close could outlive the run's loop
        else:
            transport.close()
