"""The tool's sending phase against the limit: a minimal keep-alive client on the same mock, side by side.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/limit.py [BB@REF ...] [--rounds N]

The mock of the release runs in its own process (its own core and GIL). The suite is planned once; its
requests are captured as the engine sends them. Then, in alternating rounds on the same mock:

- tool: the engine runs the planned suite (sending, checking, recording: `run`, as the CLI calls it, with
  no planning; asyncio.run(run_async(...)) would add a repr of the whole results on leaving, see run);
- minimal: the same requests, in the same order, on as many raw keep-alive asyncio connections as the
  engine has workers, each request written and its answer read (status line, headers, Content-Length
  body), nothing else.

Prints requests per second of both per round, their medians and the ratio tool/minimal, plus CPU per
request of the engine, of the minimal client and of the mock (over both phases). The ratio is the figure:
how much of what the mock can serve the tool uses. Where the cores are shared (the mock, the tool and
whatever else runs), the ratio tends to (mock + minimal CPU) / (mock + tool CPU) per request.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from typing import Any

from common import cpu_of

from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.run import runner
from govstack_conform.engine.run.bodies import ACCEPT_ENCODING
from govstack_conform.engine.run.session import Target, run

TOKEN = "mock-token-7d1e"
API_KEY = "mock-key-93ab"


def serve(release: str, port: Any, stop: Any) -> None:
    """Child process: the mock of `release` until `stop` is set."""
    from govstack_conform.mock import MockOptions, serve_in_thread

    with serve_in_thread(load_contract(release), MockOptions(token=TOKEN, api_key=API_KEY)) as server:
        port.value = server.port
        stop.wait()


async def minimal(host: str, port: int, wires: list[list[bytes]]) -> float:
    """Send each connection's requests in order; the wall time of all of them."""

    async def connection(mine: list[bytes]) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        for wire in mine:
            writer.write(wire)
            head = await reader.readuntil(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
        writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(connection(w) for w in wires))
    return time.perf_counter() - start


def capture(targets: list[Target], options: RunOptions) -> list[Any]:
    """The requests the engine sends for the suite, per worker, in order (before any redaction)."""
    sent: dict[int, list[Any]] = {}
    original = runner.Transport.send

    async def recording(self: Any, worker: Any, dest: Any, method: str, url: str, headers: Any, content: Any) -> Any:
        sent.setdefault(id(worker), []).append((method, url[dest.cut :] or "/", headers, content))
        return await original(self, worker, dest, method, url, headers, content)

    runner.Transport.send = recording  # type: ignore[method-assign]
    try:
        run(targets, options, check_target=False)
    finally:
        runner.Transport.send = original  # type: ignore[method-assign]
    return list(sent.values())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("releases", nargs="*", default=["consent@main", "emarketplace@main"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=RunOptions().concurrency)
    args = parser.parse_args()
    print(f"{args.concurrency} workers / connections, {args.rounds} rounds, medians; CPU in ms per request")
    print(
        f"{'release':28} {'requests':>8} {'tool req/s':>10} {'minimal':>8} {'ratio':>6}"
        f" {'tool CPU':>8} {'minimal CPU':>11} {'mock CPU':>8}"
    )
    ctx = multiprocessing.get_context("spawn")
    for release in args.releases:
        port, stop = ctx.Value("i", 0), ctx.Event()
        child = ctx.Process(target=serve, args=(release, port, stop), daemon=True)
        child.start()
        try:
            while port.value == 0:
                time.sleep(0.05)
            contract = load_contract(release)
            profile = tuple(load_catalog().get(contract.bb).profile.headers.items())
            cases = tuple(plan_contract(contract, seed=0))
            url = f"http://127.0.0.1:{port.value}"
            targets = [Target(contract, url, "", profile, cases=cases)]
            options = RunOptions(credentials=Credentials(bearer=TOKEN, api_key=API_KEY), concurrency=args.concurrency)
            per_worker = capture(targets, options)  # also warms the engine's and the mock's caches
            host = f"127.0.0.1:{port.value}"
            wires = [[_wire_of(r, host) for r in mine] for mine in per_worker]
            total = sum(len(w) for w in wires)
            tool, least, cpu, least_cpu, mock_cpu = [], [], [], [], []
            for _ in range(args.rounds):
                c0, w0, m0 = time.process_time(), time.perf_counter(), cpu_of(child.pid)
                results = run(targets, options, check_target=False)
                wall = time.perf_counter() - w0
                sent = sum(len(c.exchanges) for c in results.results[0].cases)
                tool.append(sent / wall)
                cpu.append((time.process_time() - c0) * 1000 / sent)
                c1 = time.process_time()
                least.append(total / asyncio.run(minimal("127.0.0.1", port.value, wires)))
                least_cpu.append((time.process_time() - c1) * 1000 / total)
                mock_cpu.append((cpu_of(child.pid) - m0) * 1000 / (sent + total))
            t, m = statistics.median(tool), statistics.median(least)
            print(
                f"{release:28} {total:8d} {t:10.0f} {m:8.0f} {t / m:6.0%} {statistics.median(cpu):8.3f}"
                f" {statistics.median(least_cpu):11.3f} {statistics.median(mock_cpu):8.3f}"
            )
        finally:
            stop.set()
            child.join(10)


def _wire_of(request: Any, host: str) -> bytes:
    """The request as the engine's transport puts it on the wire (its own headers added the same way)."""
    method, target, headers, content = request
    names = {k.lower() for k, _ in headers}
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in headers if k.lower() not in ("host", "content-length")]
    lines += [] if "user-agent" in names else [f"User-Agent: {RunOptions().user_agent}"]
    lines += [] if "accept-encoding" in names else [f"Accept-Encoding: {ACCEPT_ENCODING}"]
    body = content or b""
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body


if __name__ == "__main__":
    main()
