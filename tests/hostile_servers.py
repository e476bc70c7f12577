"""A deliberately hostile HTTP server for the engine's robustness tests: asyncio on 127.0.0.1, byte level.

No framework would let a server misbehave like this, so requests are parsed by hand and every answer
is written as raw bytes. Each path of HOSTILE_SPEC is one misbehaviour (see BEHAVIOURS); `/control`
answers correctly, so a test can interleave it with the hostile ones on the same connection and show
that the other cases are unaffected. `tls` serves the same thing over TLS with a trustme certificate.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import ssl
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

CONTROL_BODY = b'{"ok": true}'
# The contract of the `/control` route (a GET answering CONTROL_BODY, 405 to other methods).
CONTROL_SPEC = """\
openapi: 3.0.3
info: {title: TLS control, version: "1"}
paths:
  /control:
    get:
      responses:
        '200':
          description: ok
          content:
            application/json:
              schema: {type: object}
        '405': {description: not allowed}
"""
XSS = "<script>alert('x')</script><a href=\"javascript:alert(1)\">click</a>"
ANSI = "\x1b[2J\x1b[31mRED\x1b[0m\x1b]0;title\x07"
EVIL_TEXT = f"{XSS} {ANSI}"
BIG_BYTES = 200 * 1024 * 1024
HUGE_STRING = 50 * 1024 * 1024
DEEP = 100_000

# Every operation answers 200 application/json {type: object}; what differs is how each one misbehaves.
BEHAVIOURS = {
    "/control": "a correct answer",
    "/big": "a 200 MB body (Content-Length), far over any cap",
    "/gzip-bomb": "Content-Encoding: gzip that inflates to 10 GB",
    "/endless": "a chunked body that never ends",
    "/drip": "one byte per second",
    "/silent": "accepts the request and never answers",
    "/reset": "a connection reset in the middle of the body",
    "/invalid-json": "a body that is not JSON",
    "/invalid-utf8": "a JSON body with bytes that are not UTF-8",
    "/deep": f"JSON nested {DEEP} levels deep",
    "/huge-string": "a 50 MB JSON string",
    "/dup-keys": "an object with the same key twice (the last value breaks the schema)",
    "/redirect-away": "a 302 to another origin",
    "/redirect-loop": "a 301 to itself",
    "/short-length": "Content-Length shorter than the body (the rest pollutes the connection)",
    "/long-length": "Content-Length longer than the body, then close",
    "/http10": "an HTTP/1.0 answer without Content-Length, closed to end the body",
    "/ctl-headers": "header values with control characters and ANSI escapes",
    "/many-headers": "1000 headers",
    "/evil": "a 500 whose body and headers carry <script>, javascript: links and ANSI escapes",
    "/bad-gzip": "Content-Encoding: gzip over bytes that are not gzip",
    "/evil-value": "a 200 whose schema-breaking value carries <script> and ANSI escapes (quoted in the finding)",
    "/evil-redirect": "a 302 whose Location carries <script>, javascript: and ANSI escapes",
}


def spec_for(paths: list[str] | dict[str, str]) -> str:
    """An OpenAPI contract with a GET for each of `paths` (each answers 200 application/json Thing); a dict
    gives each path's description, a list takes it from BEHAVIOURS."""
    said = paths if isinstance(paths, dict) else BEHAVIOURS
    ops = "".join(
        f"""\
  {path}:
    get:
      operationId: {path.strip("/").replace("-", "_")}
      responses:
        '200':
          description: {json.dumps(said[path])}
          content:
            application/json:
              schema: {{$ref: '#/components/schemas/Thing'}}
"""
        for path in paths
    )
    return f"""\
openapi: 3.0.3
info: {{title: Hostile, version: "1"}}
components:
  schemas:
    Thing:
      type: object
      properties:
        a: {{type: integer}}
paths:
{ops}"""


HOSTILE_SPEC = spec_for(BEHAVIOURS)


@dataclass
class Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]


Writer = asyncio.StreamWriter
Behaviour = Callable[[Request, Writer], Awaitable[bool]]  # returns whether to keep the connection


def head(status: int, headers: list[tuple[str, str]], reason: str = "OK", version: str = "HTTP/1.1") -> bytes:
    lines = [f"{version} {status} {reason}", *(f"{n}: {v}" for n, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def json_answer(body: bytes, status: int = 200, extra: list[tuple[str, str]] | None = None) -> bytes:
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(body))), *(extra or [])]
    return head(status, headers) + body


async def _stream(writer: Writer, total: int, block: bytes) -> None:
    """Write `total` bytes of `block` repeated, honouring back-pressure (never buffering more than a block)."""
    sent = 0
    while sent < total:
        piece = block[: total - sent]
        writer.write(piece)
        await writer.drain()
        sent += len(piece)


async def control(req: Request, w: Writer) -> bool:
    if req.method not in ("GET", "HEAD"):
        w.write(head(405, [("Allow", "GET, HEAD"), ("Content-Length", "0")], reason="Method Not Allowed"))
    else:
        w.write(json_answer(CONTROL_BODY))
    return True


async def big(req: Request, w: Writer) -> bool:
    w.write(head(200, [("Content-Type", "application/json"), ("Content-Length", str(BIG_BYTES))]))
    w.write(b'{"a": "')
    await _stream(w, BIG_BYTES - 7, b"x" * 65536)
    return False


async def gzip_bomb(req: Request, w: Writer) -> bool:
    w.write(head(200, [("Content-Type", "application/json"), ("Content-Encoding", "gzip"), ("Connection", "close")]))
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = b"0" * (1024 * 1024)
    w.write(z.compress(b'{"a": "'))
    for _ in range(10 * 1024):  # 10 GB once inflated; a few MB on the wire
        w.write(z.compress(zeros))
        await w.drain()
    w.write(z.compress(b'"}') + z.flush())
    return False


async def endless(req: Request, w: Writer) -> bool:
    w.write(head(200, [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")]))
    chunk = b"%x\r\n%s\r\n" % (16384, b"[" * 16384)
    while True:
        w.write(chunk)
        await w.drain()


async def drip(req: Request, w: Writer) -> bool:
    body = b'{"a": 1}' + b" " * 92
    w.write(head(200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]))
    for i in range(len(body)):
        w.write(body[i : i + 1])
        await w.drain()
        await asyncio.sleep(1.0)
    return True


async def silent(req: Request, w: Writer) -> bool:
    await asyncio.sleep(3600)
    return False


async def reset(req: Request, w: Writer) -> bool:
    w.write(head(200, [("Content-Type", "application/json"), ("Content-Length", "10000")]) + b'{"a": "' + b"x" * 100)
    await w.drain()
    await asyncio.sleep(0.05)
    sock = w.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    w.transport.abort()
    return False


def fixed(body: bytes, status: int = 200, extra: list[tuple[str, str]] | None = None) -> Behaviour:
    async def answer(req: Request, w: Writer) -> bool:
        w.write(json_answer(body, status, extra))
        return True

    return answer


async def huge_string(req: Request, w: Writer) -> bool:
    total = len(b'{"s": "') + HUGE_STRING + 2
    w.write(head(200, [("Content-Type", "application/json"), ("Content-Length", str(total))]) + b'{"s": "')
    await _stream(w, HUGE_STRING, b"y" * 65536)
    w.write(b'"}')
    return True


def redirect(location: Callable[[Request], str], status: int) -> Behaviour:
    async def answer(req: Request, w: Writer) -> bool:
        w.write(head(status, [("Location", location(req)), ("Content-Length", "0")], reason="Moved"))
        return True

    return answer


async def short_length(req: Request, w: Writer) -> bool:
    w.write(json_answer(b"{}")[:-2] + b"{}HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforged garbage")
    return True


async def long_length(req: Request, w: Writer) -> bool:
    w.write(head(200, [("Content-Type", "application/json"), ("Content-Length", "1000")]) + b"{}")
    await w.drain()
    return False


async def http10(req: Request, w: Writer) -> bool:
    w.write(head(200, [("Content-Type", "application/json")], version="HTTP/1.0") + b'{"a": 10}')
    return False


async def ctl_headers(req: Request, w: Writer) -> bool:
    extra = [("X-Ansi", f"before{ANSI}after".replace("\x07", "")), ("X-Tab", "a\tb"), ("X-Script", XSS)]
    w.write(json_answer(b'{"a": 1}', extra=extra))
    return True


async def many_headers(req: Request, w: Writer) -> bool:
    w.write(json_answer(b'{"a": 2}', extra=[(f"X-H-{i}", f"value-{i}") for i in range(1000)]))
    return True


async def evil(req: Request, w: Writer) -> bool:
    # raw control characters inside a JSON string: not even valid JSON, but text a report must show safely
    body = f'{{"message": "{EVIL_TEXT} you sent {req.target}"}}'.encode()
    w.write(json_answer(body, 500, extra=[("X-Evil", XSS)]))
    return True


@dataclass
class HostileServer:
    url: str
    other_url: str  # another origin, for the redirect: it must never be contacted
    other_hits: list[Request] = field(default_factory=list)
    seen: list[Request] = field(default_factory=list)


def behaviours(other_origin: str) -> dict[str, Behaviour]:
    return {
        "/control": control,
        "/big": big,
        "/gzip-bomb": gzip_bomb,
        "/endless": endless,
        "/drip": drip,
        "/silent": silent,
        "/reset": reset,
        "/invalid-json": fixed(b'{"a": 1,, oops'),
        "/invalid-utf8": fixed(b'{"a": 1, "b": "\xff\xfe\xc3("}'),
        "/deep": fixed(b"[" * DEEP + b"]" * DEEP),
        "/huge-string": huge_string,
        "/dup-keys": fixed(b'{"a": 1, "a": "not an integer"}'),
        "/redirect-away": redirect(lambda r: f"{other_origin}/steal?from=hostile", 302),
        "/redirect-loop": redirect(lambda r: r.target, 301),
        "/short-length": short_length,
        "/long-length": long_length,
        "/http10": http10,
        "/ctl-headers": ctl_headers,
        "/many-headers": many_headers,
        "/evil": evil,
        "/bad-gzip": fixed(b"this is not gzip at all", extra=[("Content-Encoding", "gzip")]),
        "/evil-value": fixed(json.dumps({"a": EVIL_TEXT}).encode()),
        "/evil-redirect": redirect(lambda r: f"javascript:alert(1)//{XSS}{ANSI.replace(chr(7), '')}", 302),
    }


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
        return None
    lines = raw.decode("latin-1").split("\r\n")
    method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
    headers = [(n.strip(), v.strip()) for n, _, v in (line.partition(":") for line in lines[1:] if line)]
    length = next((int(v) for n, v in headers if n.lower() == "content-length"), 0)
    body = await reader.readexactly(length) if length else b""
    return Request(method, target, headers, body)


def _handler(routes: dict[str, Behaviour], log: list[Request] | None) -> Callable[..., Awaitable[None]]:
    async def handle(reader: asyncio.StreamReader, writer: Writer) -> None:
        try:
            while True:
                req = await _read_request(reader)
                if req is None:
                    break
                if log is not None:
                    log.append(req)
                behaviour = routes.get(req.path) or fixed(b'{"message": "no such path"}', 404)
                if not await behaviour(req, writer):
                    await writer.drain()
                    break
                await writer.drain()
        except (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client left, or the server is stopping
        finally:
            with contextlib.suppress(Exception):
                writer.close()

    return handle


@contextmanager
def serve_routes(
    routes: dict[str, Behaviour], log: list[Request] | None = None, ctx: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serve `routes` on 127.0.0.1:<free port> in a thread until the block ends; yields the base URL."""
    with serve_streams(_handler(routes, log), ctx) as url:
        yield url


StreamHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@contextmanager
def serve_streams(
    handler: StreamHandler, ctx: ssl.SSLContext | None = None, name: str = "hostile-server"
) -> Iterator[str]:
    """Serve an asyncio stream handler on 127.0.0.1:<free port> in its own thread and event loop until the
    block ends; yields the base URL."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    box: dict[str, object] = {}

    async def start() -> None:
        server = await asyncio.start_server(handler, "127.0.0.1", 0, ssl=ctx, limit=1 << 20)
        box["server"] = server
        box["port"] = server.sockets[0].getsockname()[1]
        ready.set()

    def main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(start())
            loop.run_forever()
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()  # its self-pipe sockets too: nothing left for the garbage collector to warn about

    thread = threading.Thread(target=main, name=name, daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError(f"{name} did not start")
    try:
        yield f"{'https' if ctx else 'http'}://127.0.0.1:{box['port']}"
    finally:

        async def stop() -> None:
            server = box["server"]
            server.close()  # type: ignore[attr-defined]
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


@contextmanager
def hostile_server(ctx: ssl.SSLContext | None = None) -> Iterator[HostileServer]:
    """The hostile product, plus a second origin that records anyone who follows its redirect."""
    other_hits: list[Request] = []
    with serve_routes({}, other_hits) as other:
        seen: list[Request] = []
        with serve_routes(behaviours(other), seen, ctx) as url:
            yield HostileServer(url, other, other_hits, seen)


@contextmanager
def tls_server(server_ctx: ssl.SSLContext) -> Iterator[str]:
    """Only `/control`, over TLS with the given server context."""
    with serve_routes({"/control": control}, [], server_ctx) as url:
        yield url


def main() -> None:
    """`python tests/hostile_servers.py`: serve the hostile routes until stdin closes; prints the base URL.

    A test that measures the tool's own memory runs the product in this separate process."""
    import sys

    with serve_routes(behaviours("http://127.0.0.1:1")) as url:
        print(url, flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
