"""The transport's HTTP/1.1 (engine/run/wire.py: llhttp over our asyncio I/O) against a byte-level server on
127.0.0.1: the framings a product may use (chunked with extensions and trailers, interim 1xx answers, HEAD,
204, folded headers, bare LF lines, Connection: close) are read right and keep the connection when they
may; what breaks HTTP (conflicting lengths, an endless head, a request that cannot be written) is an error
for that request alone, and the next request on the same worker is answered on a fresh connection.

tests/test_hostile_engine.py drives the same transport through whole runs; these look at one exchange.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from hostile_servers import serve_streams

from govstack_conform.engine.exchange import Reply
from govstack_conform.engine.options import PathMap, RunOptions
from govstack_conform.engine.run.runner import Transport, UrlBuilder
from govstack_conform.engine.run.wire import LocalProtocolError, request

SPLIT = {"/chunked-slow": (52, 58)}  # where the server pauses its writing
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
ANSWERS: dict[str, bytes] = {
    "/ok": OK,
    "/chunked": (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'4;name=value\r\n{"a"\r\n4\r\n: 1}\r\n0\r\nX-Trailer: t\r\n\r\n'
    ),
    "/chunked-slow": (  # written in three parts (see SPLIT): read chunk by chunk as it arrives
        b'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\n{"a"\r\n4\r\n: 1}\r\n0\r\n\r\n'
    ),
    "/hex-prefix": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\n{}\r\n0\r\n\r\n",
    "/interim": (
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </style.css>\r\n\r\n"
        b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}"
    ),
    "/head": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n",
    "/no-content": b"HTTP/1.1 204 No Content\r\n\r\n",
    "/folded": b"HTTP/1.1 200 OK\r\nX-Folded: one\r\n   two\r\nContent-Length: 2\r\n\r\n{}",
    "/bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 2\n\n{}",
    "/close": b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}",
    "/conflict": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}x",
    "/big-head": b"HTTP/1.1 200 OK\r\nX-Big: " + b"x" * (200 * 1024) + b"\r\nContent-Length: 2\r\n\r\n{}",
    "/interim-big-head": (  # the bound is per head: what the interim answer left unread counts towards the next
        b"HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nX-Big: "
        + b"x" * (150 * 1024)
        + b"\r\nContent-Length: 2\r\n\r\n{}"
    ),
    "/not-http": b"SSH-2.0-OpenSSH_9.6\r\n\r\n",
    # what llhttp reads differently from h11 before it, each decided (engine/run/wire.py's docstring)
    "/close-delimited": b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"a": 1}',
    "/head-no-length": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n",
    "/no-content-length": b"HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n",
    "/leading-crlf": b"\r\n" + OK,
    "/http10": b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n{}",
    "/surplus": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}xyz",
    "/two-answers": OK + OK,
    "/short-body": b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n{}",
    "/chunk-size-lf": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\n{}\r\n0\r\n\r\n",
    "/chunk-data-lf": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\n0\r\n\r\n",
    "/te-gzip": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n{}",
    "/te-gzip-chunked": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "/te-and-length": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 7\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "/same-length-twice": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
    "/switching": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n",
    "/status-99": b"HTTP/1.1 099 Odd\r\nContent-Length: 2\r\n\r\n{}",
    "/control-char": b"HTTP/1.1 200 OK\r\nX-Odd: \x1b[31ma\x01b\r\nContent-Length: 2\r\n\r\n{}",
    "/nul-header": b"HTTP/1.1 200 OK\r\nX-Odd: \x1b[31m\r\nX-Bad: a\x00b\r\nContent-Length: 2\r\n\r\n{}",
    "/control-in-framing": b"HTTP/1.1 200 OK\r\nX-Odd: \x1b\r\nConnection: close\x01\r\nContent-Length: 2\r\n\r\n{}",
}
CLOSING = {"/close", "/close-delimited", "/short-body", "/te-gzip"}  # the server closes after these


class Seen:
    """What the server received: (connection number, method, path) per request."""

    def __init__(self) -> None:
        self.requests: list[tuple[int, str, str]] = []
        self.connections = 0


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, Seen]]:
    seen = Seen()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        seen.connections += 1
        me = seen.connections
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                method, target = head.split(b" ", 2)[:2]
                path = target.decode()
                seen.requests.append((me, method.decode(), path))
                answer = ANSWERS.get(path, OK)
                last = 0
                for cut in (*SPLIT.get(path, ()), len(answer)):
                    writer.write(answer[last:cut])
                    await writer.drain()
                    await asyncio.sleep(0.02 if cut < len(answer) else 0)
                    last = cut
                if path in CLOSING:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    with serve_streams(handle, name="wire-server") as url:
        yield url, seen


def exchange(url: str, requests: list[tuple[str, str, list[tuple[str, str]]]]) -> list[Reply]:
    """Send `requests` (method, path, headers) one after the other on one worker; their replies."""

    async def go() -> list[Reply]:
        transport = Transport(RunOptions(timeout_s=5))
        worker = transport.pool()
        dest = UrlBuilder(url, PathMap()).dest
        try:
            return [(await transport.send(worker, dest, m, url + p, h, None))[1] for m, p, h in requests]
        finally:
            await transport.aclose()

    return asyncio.run(go())


def connections_of(seen: Seen, since: int) -> list[int]:
    return [c for c, _, _ in seen.requests[since:]]


@pytest.mark.parametrize(
    ("method", "path", "status", "body"),
    [
        ("GET", "/chunked", 200, b'{"a": 1}'),
        ("GET", "/chunked-slow", 200, b'{"a": 1}'),
        ("GET", "/interim", 201, b"{}"),
        ("HEAD", "/head", 200, b""),
        ("GET", "/no-content", 204, b""),
        ("GET", "/bare-lf", 200, b"{}"),
        ("HEAD", "/head-no-length", 200, b""),
        ("GET", "/no-content-length", 204, b""),
        ("GET", "/leading-crlf", 200, b"{}"),
        ("GET", "/control-char", 200, b"{}"),  # kept, as h11 kept it (llhttp alone would refuse it)
    ],
)
def test_each_framing_is_read_whole_and_the_connection_kept(
    server: tuple[str, Seen], method: str, path: str, status: int, body: bytes
) -> None:
    url, seen = server
    before = len(seen.requests)
    first, then = exchange(url, [(method, path, []), ("GET", "/ok", [])])
    assert first.error is None, first.error
    assert (first.status, first.body) == (status, body)
    assert then.error is None and (then.status, then.body) == (200, b"{}")
    one, two = connections_of(seen, before)
    assert one == two  # the answer was read exactly to its end: the next request went on the same connection


def test_a_folded_header_is_joined_and_trailers_are_not_headers(server: tuple[str, Seen]) -> None:
    url, _ = server
    folded, chunked = exchange(url, [("GET", "/folded", []), ("GET", "/chunked", [])])
    assert ("X-Folded", "one two") in folded.headers
    assert "X-Trailer" not in dict(chunked.headers)


def test_connection_close_is_honoured(server: tuple[str, Seen]) -> None:
    url, seen = server
    before = len(seen.requests)
    closing, then = exchange(url, [("GET", "/close", []), ("GET", "/ok", [])])
    assert closing.error is None and closing.body == b"{}" and then.error is None
    one, two = connections_of(seen, before)
    assert one != two


@pytest.mark.parametrize(
    ("path", "words"),
    [
        ("/conflict", "Duplicate Content-Length"),
        ("/big-head", "head is longer than 100 KiB"),
        ("/interim-big-head", "head is longer than 100 KiB"),
        ("/not-http", "Expected HTTP/"),
        ("/hex-prefix", "Invalid character in chunk size"),
        ("/short-body", "peer closed connection without sending the rest of the answer"),
        ("/chunk-size-lf", "Missing expected CR after chunk size"),  # a chunk line ends with CRLF (smuggling)
        ("/chunk-data-lf", "Missing expected CR after chunk data"),
        ("/te-gzip", "Transfer-Encoding 'gzip' (only chunked is read)"),  # never a coded body read as plain
        ("/te-gzip-chunked", "Transfer-Encoding 'gzip, chunked' (only chunked is read)"),
        ("/te-and-length", "Content-Length can't be present with Transfer-Encoding"),  # h11 took the chunks
        ("/same-length-twice", "Duplicate Content-Length"),  # h11 took equal lengths as one
        ("/switching", "a 101 Switching Protocols nobody asked for"),
        ("/status-99", "status 99"),
        ("/nul-header", "a forbidden control character in the X-Bad header"),
        ("/control-in-framing", "a forbidden control character in the Connection header"),
    ],
)
def test_broken_http_errs_that_request_alone(server: tuple[str, Seen], path: str, words: str) -> None:
    url, seen = server
    before = len(seen.requests)
    broken, then = exchange(url, [("GET", path, []), ("GET", "/ok", [])])
    assert broken.status == 0 and broken.error is not None and words in broken.error
    assert then.error is None and then.status == 200
    one, two = connections_of(seen, before)
    assert one != two  # never reused after an answer it could not read


def test_a_body_delimited_by_the_close_is_read_to_the_end_and_the_connection_not_reused(
    server: tuple[str, Seen],
) -> None:
    url, seen = server
    before = len(seen.requests)
    closed, then = exchange(url, [("GET", "/close-delimited", []), ("GET", "/ok", [])])
    assert closed.error is None and (closed.status, closed.body) == (200, b'{"a": 1}')
    assert then.error is None and then.status == 200
    one, two = connections_of(seen, before)
    assert one != two


@pytest.mark.parametrize("path", ["/surplus", "/two-answers", "/http10"])
def test_an_answer_is_read_but_its_connection_not_reused_after_surplus_bytes_or_http10(
    server: tuple[str, Seen], path: str
) -> None:
    url, seen = server
    before = len(seen.requests)
    first, then = exchange(url, [("GET", path, []), ("GET", "/ok", [])])
    assert first.error is None and (first.status, first.body) == (200, b"{}")
    assert then.error is None and (then.status, then.body) == (200, b"{}")
    one, two = connections_of(seen, before)
    assert one != two


@pytest.mark.parametrize(
    "header", [("X-Bad", "a\r\nInjected: 1"), ("X-Bad", "nul\x00byte"), ("Bad Name", "v"), ("X-Bad", " lead")]
)
def test_a_request_http_cannot_carry_is_never_sent(server: tuple[str, Seen], header: tuple[str, str]) -> None:
    url, seen = server
    before = len(seen.requests)
    (reply,) = exchange(url, [("GET", "/ok", [header])])
    assert reply.error is not None and reply.error.startswith("request could not be built: Illegal header")
    assert seen.requests[before:] == []


def test_a_request_is_written_as_sent_with_its_framing_checked() -> None:
    headers = [(b"Host", b"h:1"), (b"X-A", b"a\tb"), (b"Content-Length", b"2")]
    assert request("POST", b"/p?q=1", headers, b"{}").data == (
        b"POST /p?q=1 HTTP/1.1\r\nHost: h:1\r\nX-A: a\tb\r\nContent-Length: 2\r\n\r\n{}"
    )
    assert request("GET", b"/", [(b"Host", b"h")], None).data == b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"


@pytest.mark.parametrize(
    ("method", "target", "headers", "body", "words"),
    [
        ("GET", b"/", [], None, "Missing mandatory Host"),
        ("GET", b"/", [(b"Host", b"a"), (b"host", b"b")], None, "multiple Host"),
        ("POST", b"/", [(b"Host", b"a"), (b"Content-Length", b"3")], b"{}", "for a body of 2 bytes"),
        ("POST", b"/", [(b"Host", b"a")], b"{}", "for a body of 2 bytes"),
        ("POST", b"/", [(b"Host", b"a"), (b"Transfer-Encoding", b"chunked")], b"{}", "Transfer-Encoding"),
        ("GE T", b"/", [(b"Host", b"a")], None, "Illegal method"),
        ("GET", b"/a b", [(b"Host", b"a")], None, "Illegal target"),
        ("GET", b"/", [(b"Host", b"a"), (b"X-A", b"trailing ")], None, "Illegal header value"),
    ],
)
def test_a_request_http_cannot_frame_is_refused_before_a_byte_is_written(
    method: str, target: bytes, headers: list[tuple[bytes, bytes]], body: bytes | None, words: str
) -> None:
    with pytest.raises(LocalProtocolError, match=words):
        request(method, target, headers, body)
