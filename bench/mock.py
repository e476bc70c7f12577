"""Benchmark the mock: start-up time per BB release, and requests per second under concurrent load.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/mock.py [BB@REF ...] [--seconds N]
    [--mix suite|valid]
Start-up is measured from a loaded contract to a listening server (contract loading is the loader's
bench). Load: 32 concurrent keep-alive connections sent from a separate process, so that the client
does not share the server's GIL, each going round the request list from its own offset. `--mix suite`
(the default) sends the suite's own requests: the engine runs the planned suite against the mock once
and every request it sent is kept as sent (valid and invalid input, missing credentials, unknown ids,
wrong methods, creates and deletes: the mix a conformance run is); `--mix valid` every operation's
valid request in turn. The mock keeps what is created, so a long run lists ever more resources.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_mock_helpers import Req, valid_request

from govstack_conform.contracts import schemas
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.datagen import GenerationError
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.run import runner
from govstack_conform.engine.run.session import Target, run
from govstack_conform.mock import MockServer, serve_in_thread


def _wire(req: Req, host: str) -> bytes:
    """The request as bytes on the wire (HTTP/1.1, keep-alive)."""
    target = req.path + ("?" + urlencode(req.params) if req.params else "")
    lines = [f"{req.method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in req.headers.items()]
    body = req.content or b""
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _load(
    base_url: str, reqs: list[Req], seconds: float, concurrency: int
) -> tuple[int, int, list[float], list[float]]:
    """A minimal keep-alive load generator on raw sockets: httpx's pool itself slows down under concurrency."""
    host, port = base_url.rsplit("/", 1)[1].rsplit(":", 1)
    wires = [_wire(r, host) for r in reqs]
    done = errors = 0
    latencies: list[float] = []
    finished: list[float] = []
    begin = time.perf_counter()
    stop = begin + seconds

    async def worker(offset: int) -> None:
        nonlocal done, errors
        reader, writer = await asyncio.open_connection(host, int(port))
        i = offset
        while time.perf_counter() < stop:
            t = time.perf_counter()
            writer.write(wires[i % len(wires)])
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            if length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - t)
            finished.append(time.perf_counter() - begin)
            done += 1
            errors += status >= 500
            i += 1
        writer.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done, errors, latencies, finished


def _run(base_url: str, reqs: list[Req], seconds: float, concurrency: int) -> tuple[int, int, list[float], list[float]]:
    return asyncio.run(_load(base_url, reqs, seconds, concurrency))


def suite_requests(contract: Contract, server: MockServer) -> list[Req]:
    """Every request the engine sends in one run of the planned suite, as sent (before any redaction)."""
    sent: list[Req] = []
    original = runner.Transport.send

    async def capture(self: Any, worker: Any, dest: Any, method: str, url: str, headers: Any, content: Any) -> Any:
        path = url[dest.cut :] or "/"
        kept = {k: v for k, v in headers if k.lower() not in ("host", "content-length")}
        sent.append(Req(method, path, [], kept, content))
        return await original(self, worker, dest, method, url, headers, content)

    creds = server.credentials
    options = RunOptions(credentials=Credentials(bearer=creds.token, api_key=creds.api_key), concurrency=1)
    profile = tuple(load_catalog().get(contract.bb).profile.headers.items())
    runner.Transport.send = capture  # type: ignore[method-assign]
    try:
        run([Target(contract, server.base_url, "", profile)], options)
    finally:
        runner.Transport.send = original  # type: ignore[method-assign]
    return sent


def valid_requests(contract: Contract, server: MockServer) -> list[Req]:
    reqs = []
    for op in contract.operations:
        try:
            reqs.append(valid_request(contract, op, server.credentials))
        except (GenerationError, schemas.SchemaUnusable):
            continue
    return reqs


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("releases", nargs="*")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--mix", choices=("suite", "valid"), default="suite")
    parser.add_argument("--slices", type=int, default=0, help="also req/s in this many equal parts of the run")
    args = parser.parse_args()
    releases = args.releases or [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]
    print(f"mix: {args.mix}, {args.concurrency} connections, {args.seconds:g} s per release")
    print(f"{'release':32} {'ops':>4} {'reqs':>5} {'start ms':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'5xx':>4}")
    for release in releases:
        contract = load_contract(release)
        t = time.perf_counter()
        with serve_in_thread(contract) as server:
            started = (time.perf_counter() - t) * 1000
            reqs = suite_requests(contract, server) if args.mix == "suite" else valid_requests(contract, server)
            if not reqs or args.seconds <= 0:
                print(f"{release:32} {len(contract.operations):>4} {len(reqs):>5} {started:>9.1f}")
                continue
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(_run, (server.base_url, reqs, 0.5, args.concurrency))  # warm the caches
                done, errors, lat, finished = pool.apply(_run, (server.base_url, reqs, args.seconds, args.concurrency))
            lat.sort()
            p50 = statistics.median(lat) * 1000
            p99 = lat[int(len(lat) * 0.99) - 1] * 1000
            print(
                f"{release:32} {len(contract.operations):>4} {len(reqs):>5} {started:>9.1f} "
                f"{done / args.seconds:>8.0f} {p50:>7.1f} {p99:>7.1f} {errors:>4}"
            )
            if args.slices:
                width = args.seconds / args.slices
                counts = [0] * args.slices
                for f in finished:
                    counts[min(args.slices - 1, int(f / width))] += 1
                print(f"{'':32} req/s by part of the run: {' '.join(f'{c / width:.0f}' for c in counts)}")


if __name__ == "__main__":
    main()
