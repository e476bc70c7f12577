"""HTTP/1.1 messages as bytes: the request written, the answer's head parsed, the framing of its body, chunked
bodies read in one pass when whole. No I/O here: wire.py moves the bytes.

What is refused is what HTTP/1.1 (RFC 9110/9112) and h11 before us refuse: a method, target or header that
is not a token or contains control characters, a status line that is not `HTTP/x.y NNN`, a header line
without a colon, conflicting Content-Lengths, a chunk size that is not hex, a transfer coding other than
chunked.
"""

from __future__ import annotations

import re

LINE = 4096  # a chunk-size or trailer line
_STATUS = re.compile(rb"HTTP/(\d)\.(\d) (\d{3})(?: (.*))?")
_TOKEN = re.compile(rb"[-!#$%&'*+.^_`|~0-9A-Za-z]+")
_VALUE = re.compile(rb"(?:[\x21-\x7e\x80-\xff]+(?:[ \t]+[\x21-\x7e\x80-\xff]+)*)?")
_TARGET = re.compile(rb"[\x21-\x7e]+")
_CHUNK_SIZE = re.compile(rb"[0-9A-Fa-f]{1,16}")
_GOOD_NAMES: set[bytes] = set()  # header names already found to be tokens (the same few, on every request)


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


class Head:
    """An answer's status line and headers (names as sent, values without surrounding whitespace)."""

    __slots__ = ("headers", "http_version", "reason", "status")

    def __init__(self, status: int, reason: bytes, headers: list[tuple[bytes, bytes]], http_version: str) -> None:
        self.status = status
        self.reason = reason
        self.headers = headers
        self.http_version = http_version


def request_bytes(method: str, target: bytes, headers: list[tuple[bytes, bytes]], content: bytes | None) -> bytes:
    """The request as written on the wire; LocalProtocolError for what HTTP/1.1 cannot carry."""
    verb = method.encode("ascii")
    if not _TOKEN.fullmatch(verb):
        raise LocalProtocolError(f"illegal method {verb!r}")
    if not _TARGET.fullmatch(target):
        raise LocalProtocolError(f"illegal request target {target[:200]!r}")
    lines = [b"%s %s HTTP/1.1\r\n" % (verb, target)]
    for name, value in headers:
        if name not in _GOOD_NAMES:
            if not _TOKEN.fullmatch(name):
                raise LocalProtocolError(f"illegal header name {name[:100]!r}")
            if len(_GOOD_NAMES) < 1024:
                _GOOD_NAMES.add(name)
        if not _VALUE.fullmatch(value):
            raise LocalProtocolError(f"illegal header value {value[:100]!r}")
        lines.append(b"%s: %s\r\n" % (name, value))
    lines.append(b"\r\n")
    if content:
        lines.append(content)
    return b"".join(lines)


def parse_head(raw: bytes) -> Head:
    """Status line and headers; RemoteProtocolError for what is not HTTP/1.x."""
    lines = raw.split(b"\n")
    status_line = lines[0].rstrip(b"\r")
    m = _STATUS.fullmatch(status_line)
    if m is None:
        raise RemoteProtocolError(f"illegal status line: {status_line[:200]!r}")
    headers: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        line = line.rstrip(b"\r")
        if not line:
            continue
        if line[0] in b" \t":  # an obsolete folded continuation (RFC 9112 §5.2): joined with one space
            if not headers:
                raise RemoteProtocolError("the answer's first header line is a continuation")
            name, value = headers[-1]
            headers[-1] = (name, (value + b" " + line.strip(b" \t")).strip(b" \t"))
            continue
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN.fullmatch(name):
            raise RemoteProtocolError(f"illegal header line: {line[:200]!r}")
        headers.append((name, value.strip(b" \t")))
    version = f"HTTP/{m.group(1).decode()}.{m.group(2).decode()}"
    return Head(int(m.group(3)), m.group(4) or b"", headers, version)


_FRAMING = frozenset({b"connection", b"transfer-encoding", b"content-length"})


def framing_values(head: Head) -> dict[bytes, list[bytes]]:
    """The comma-separated values of the headers that frame the body, lower-cased, by header name."""
    found: dict[bytes, list[bytes]] = {}
    for k, v in head.headers:
        name = k.lower()
        if name in _FRAMING:
            found.setdefault(name, []).extend(part.strip().lower() for part in v.split(b","))
    return found


def chunk_size(line: bytes) -> int:
    """The size a chunk-size line gives (its extensions ignored); RemoteProtocolError for anything else."""
    size_text = line.split(b";", 1)[0].strip(b" \t")
    if not _CHUNK_SIZE.fullmatch(size_text):
        raise RemoteProtocolError(f"illegal chunk size: {line[:40]!r}")
    return int(size_text, 16)


def whole_chunked(buf: bytearray) -> tuple[list[bytes], int] | None:
    """The chunks' data and where the chunked body ends, when all of it (trailers included) is in `buf` and
    well formed; None otherwise, and the chunk-by-chunk reading takes over (and words any error)."""
    pieces: list[bytes] = []
    pos = 0
    while True:
        nl = buf.find(b"\n", pos)
        if nl < 0 or nl - pos > LINE:
            return None
        try:
            size = chunk_size(bytes(buf[pos:nl]).rstrip(b"\r"))
        except RemoteProtocolError:
            return None
        pos = nl + 1
        if size == 0:
            break
        if pos + size + 1 > len(buf):
            return None
        pieces.append(bytes(buf[pos : pos + size]))
        pos += size
        if buf[pos : pos + 2] == b"\r\n":
            pos += 2
        elif buf[pos : pos + 1] == b"\n":
            pos += 1
        else:
            return None
    while True:  # trailers, up to the empty line
        nl = buf.find(b"\n", pos)
        if nl < 0 or nl - pos > LINE:
            return None
        line = buf[pos:nl]
        pos = nl + 1
        if not line.rstrip(b"\r"):
            return pieces, pos
