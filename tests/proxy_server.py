"""A small, real forwarding HTTP proxy on 127.0.0.1 for the tests, in its own thread and event loop.

It does what a corporate proxy does: plain requests arrive in absolute form (`GET http://host:port/path`)
and are forwarded to that host in origin form; `CONNECT host:port` opens a tunnel and relays bytes both
ways (TLS stays end to end). It records what it received, so a test can see that a request went through
it. With `credentials` it answers 407 to requests without the right Proxy-Authorization; `leaky` passes
that header on to the product (a badly configured proxy), so a product that echoes headers shows it.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from hostile_servers import serve_streams

_HOP_BY_HOP = {"proxy-connection", "connection", "keep-alive", "proxy-authorization"}


@dataclass
class ProxyLog:
    """What the proxy received: (method, target) per request, CONNECT included, and refusals (407)."""

    requests: list[tuple[str, str]] = field(default_factory=list)
    refused: int = 0

    def targets(self, method: str | None = None) -> list[str]:
        return [t for m, t in self.requests if method is None or m == method]


class _Proxy:
    def __init__(self, log: ProxyLog, credentials: tuple[str, str] | None, leaky: bool) -> None:
        self.log = log
        self.want = None
        if credentials is not None:
            self.want = "Basic " + base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        self.leaky = leaky

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """One request; False when the client connection is done with."""
        head = await reader.readuntil(b"\r\n\r\n")
        line, *rest = head.decode("latin-1").split("\r\n")
        method, target, _version = line.split(" ", 2)
        headers = [tuple(h.split(":", 1)) for h in rest if ":" in h]
        auth = next((v.strip() for n, v in headers if n.strip().lower() == "proxy-authorization"), None)
        length = int(next((v for n, v in headers if n.strip().lower() == "content-length"), "0") or 0)
        body = await reader.readexactly(length) if length else b""
        if self.want is not None and auth != self.want:
            self.log.refused += 1
            writer.write(
                b'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="tests"\r\n'
                b"Content-Length: 0\r\n\r\n"
            )
            await writer.drain()
            return True
        self.log.requests.append((method, target))
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            up_reader, up_writer = await asyncio.open_connection(host.strip("[]"), int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
            return False
        parts = urlsplit(target)  # absolute form: the proxy connects to the host it names
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        keep = [(n, v) for n, v in headers if n.strip().lower() not in _HOP_BY_HOP]
        if self.leaky and auth is not None:
            keep.append(("Proxy-Authorization", " " + auth))
        up_reader, up_writer = await asyncio.open_connection(parts.hostname, parts.port or 80)
        out = f"{method} {path} HTTP/1.1\r\n" + "".join(f"{n}:{v}\r\n" for n, v in keep) + "Connection: close\r\n\r\n"
        up_writer.write(out.encode("latin-1") + body)
        await up_writer.drain()
        answer = await up_reader.read()  # the product closes after its answer (Connection: close)
        up_writer.close()
        status_head, _, rest_bytes = answer.partition(b"\r\n\r\n")
        kept = [h for h in status_head.split(b"\r\n") if not h.lower().startswith(b"connection:")]
        writer.write(b"\r\n".join([*kept, b"Connection: close"]) + b"\r\n\r\n" + rest_bytes)
        await writer.drain()
        return False


async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
    try:
        while data := await src.read(65536):
            dst.write(data)
            await dst.drain()
    except ConnectionError:
        pass
    finally:
        with contextlib.suppress(Exception):
            dst.close()


@contextlib.contextmanager
def forward_proxy(credentials: tuple[str, str] | None = None, *, leaky: bool = False) -> Iterator[tuple[str, ProxyLog]]:
    """Serve the proxy on 127.0.0.1:<free port> until the block ends; yields (its URL, its log)."""
    log = ProxyLog()
    with serve_streams(_Proxy(log, credentials, leaky).handle, name="forward-proxy") as url:
        yield url, log
