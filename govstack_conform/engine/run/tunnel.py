"""The pre-flight check through a proxy: reach the proxy, and for https:// open the CONNECT tunnel and make
the product's TLS handshake inside it, so a wrong proxy, a refused tunnel or an untrusted certificate stops
the run in one line before anything is sent."""

from __future__ import annotations

import asyncio
import base64
import ssl

from govstack_conform.engine.proxy import ProxyRoute
from govstack_conform.errors import TargetError

_HEAD_LIMIT = 64 * 1024


async def open_through(proxy: ProxyRoute, host: str, port: int, tls: ssl.SSLContext | None) -> asyncio.StreamWriter:
    """A connection to `host:port` through `proxy` (tunnelled and TLS-wrapped for https); TargetError when the
    proxy cannot be reached or refuses. TLS errors of the product propagate as ssl errors."""
    try:
        reader, writer = await asyncio.open_connection(proxy.host, proxy.port, limit=_HEAD_LIMIT)
    except ConnectionRefusedError:
        raise TargetError(
            f"the proxy {proxy.url} refused the connection (check --proxy, or HTTPS_PROXY / HTTP_PROXY)"
        ) from None
    except OSError as exc:
        raise TargetError(f"the proxy {proxy.url} cannot be reached: {exc.strerror or exc}") from None
    if tls is None:
        return writer  # a forwarding proxy: only a request would tell whether it reaches the product
    authority = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    head = f"CONNECT {authority} HTTP/1.1\r\nHost: {authority}\r\n"
    if proxy.auth is not None:
        pair = base64.b64encode(f"{proxy.auth[0]}:{proxy.auth[1]}".encode()).decode()
        head += f"Proxy-Authorization: Basic {pair}\r\n"
    writer.write((head + "\r\n").encode("latin-1"))
    try:
        answer = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
        writer.close()
        raise TargetError(f"the proxy {proxy.url} gave no answer to CONNECT {authority}") from None
    status = answer.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = status.split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit() or not 200 <= int(parts[1]) < 300:
        writer.close()
        hint = " (it wants credentials: http://USER:PASSWORD@HOST:PORT, e.g. as env:VAR)" if "407" in parts[1:2] else ""
        raise TargetError(f"the proxy {proxy.url} would not open a tunnel to {authority}: {status[:200]}{hint}")
    await writer.start_tls(tls, server_hostname=host)
    return writer
