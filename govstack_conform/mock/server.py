"""Running the mock under uvicorn: in a thread for tests and in-process use, or in the foreground.

uvicorn's own access log is off: a URL can carry an apiKey in its query. The mock logs method,
path and status only (logger `govstack_conform.mock.access`).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import uvicorn

from govstack_conform.contracts.model import Contract
from govstack_conform.errors import ConformError
from govstack_conform.mock.app import MockApp, build_app
from govstack_conform.mock.options import Credentials, Journal, MockOptions


class MockError(ConformError):
    """The mock server could not start (port taken, bad host)."""


@dataclass(frozen=True)
class MockServer:
    """A running mock: where it listens and what it accepts."""

    host: str
    port: int
    app: MockApp

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def credentials(self) -> Credentials:
        return self.app.credentials

    @property
    def journal(self) -> Journal:
        return self.app.journal


class _Server(uvicorn.Server):
    """uvicorn.Server that says when it is listening, with the port it really got."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[int], None] | None = None) -> None:
        super().__init__(config)
        self.on_started = on_started
        self.bound_port: int | None = None

    async def startup(self, sockets: Any = None) -> None:
        await super().startup(sockets=sockets)
        if self.started and self.servers:
            self.bound_port = self.servers[0].sockets[0].getsockname()[1]
            if self.on_started is not None:
                self.on_started(self.bound_port)


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket, bound here so that a busy port or bad host is one clear error."""
    try:
        family, kind, proto, _, _ = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
        # proto must say TCP: asyncio only sets TCP_NODELAY on accepted sockets that do (else +40 ms a request)
        sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    except (OSError, IndexError) as exc:
        raise MockError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise MockError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


def _config(app: Any, host: str, port: int, log_level: str | None) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level=log_level,
        log_config=None,  # leave logging to the host program; never install handlers of our own
        access_log=False,
        lifespan="off",
        server_header=False,
        timeout_graceful_shutdown=2,
    )


@contextmanager
def serve_in_thread(
    contract: Contract,
    options: MockOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    log_level: str | None = None,
    timeout: float = 10.0,
) -> Iterator[MockServer]:
    """Serve the contract in a background thread until the block ends; port 0 picks a free port."""
    app = build_app(contract, options)
    sock = _bind(host, port)
    server = _Server(_config(app, host, port, log_level))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name=f"mock-{contract.label}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout
    try:
        while server.bound_port is None:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise MockError(f"mock of {contract.label} did not start on {host}:{port}")
            time.sleep(0.005)
        yield MockServer(host, server.bound_port, app.state.mock)
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()


def serve_forever(
    contract: Contract,
    options: MockOptions | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    log_level: str | None = None,
    on_started: Callable[[MockServer], None] | None = None,
) -> None:
    """Serve in the foreground until Ctrl-C / SIGTERM; uvicorn then re-raises the signal (KeyboardInterrupt)."""
    app = build_app(contract, options)
    mock: MockApp = app.state.mock

    def started(bound: int) -> None:
        if on_started is not None:
            on_started(MockServer(host, bound, mock))

    sock = _bind(host, port)
    try:
        server = _Server(_config(app, host, port, log_level), started)
        server.run(sockets=[sock])
    finally:
        sock.close()
