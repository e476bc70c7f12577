"""What the bench scripts share: a mock in its own process that counts the requests it answers, and the
wall time, CPU and peak memory of a command run as a child process.

The mock runs in a child (spawned, so it shares nothing with the measuring process): the CPU a script
measures is the tool's, never the server's. Imported by the scripts beside it (`python bench/x.py` puts
this folder on sys.path).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TOKEN = "bench-token-5c1"
API_KEY = "bench-key-77d"


def cpu_of(pid: int | None) -> float:
    """CPU seconds used so far by another process (Linux /proc), 0 where unknown."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return 0.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(port: int, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"the mock on port {port} did not start")


def _serve(source: tuple[str, ...], port: int, auth: bool, counter: Any) -> None:
    """Child process: the mock of `source` (a BB selector, or spec files after "--spec") on 127.0.0.1:port,
    adding one to `counter` for every HTTP request it receives."""
    import logging

    import uvicorn

    from govstack_conform.contracts.load import load_contract, load_spec_files
    from govstack_conform.mock import MockOptions
    from govstack_conform.mock.app import build_app

    logging.getLogger("govstack_conform.mock").setLevel(logging.ERROR)  # its notes on spec defects
    contract = load_spec_files(list(source[1:])) if source[0] == "--spec" else load_contract(source[0])
    app = build_app(contract, MockOptions(token=TOKEN, api_key=API_KEY, enforce_auth=auth))

    async def counted(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            counter.value += 1
        await app(scope, receive, send)

    config = uvicorn.Config(counted, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="off")
    uvicorn.Server(config).run()


class Mock:
    """The mock of a BB release (`consent@23Q4`) or of spec files, in its own process."""

    def __init__(self, source: Sequence[str], *, auth: bool = True) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.port = free_port()
        self._counter = ctx.RawValue("q", 0)  # one writer (the mock's event loop thread): no lock needed
        self._child = ctx.Process(target=_serve, args=(tuple(source), self.port, auth, self._counter), daemon=True)
        self._child.start()
        wait_for(self.port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def requests(self) -> int:
        return int(self._counter.value)

    def stop(self) -> None:
        self._child.terminate()
        self._child.join(10)

    def __enter__(self) -> Mock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass(frozen=True)
class Measured:
    """One child process: how long it took, the CPU it used (user + system), its peak RSS and exit code."""

    wall_s: float
    cpu_s: float
    peak_mb: float
    code: int | None  # None: killed at the time limit
    stdout: str


def measure(cmd: Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
            timeout: float | None = None) -> Measured:  # fmt: skip
    """Run `cmd` to its end (killed after `timeout` seconds) and read its own resource usage (wait4)."""
    with tempfile.TemporaryFile("w+") as output:
        t0 = time.perf_counter()
        proc = subprocess.Popen(
            list(cmd), stdout=output, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}, cwd=cwd
        )
        deadline = None if timeout is None else t0 + timeout
        killed = False
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if deadline is not None and time.perf_counter() > deadline and not killed:
                proc.kill()
                killed = True
            time.sleep(0.02)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        output.seek(0)
        text = output.read()
    code = None if killed else proc.returncode
    return Measured(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, code, text)
