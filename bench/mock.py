"""Benchmark the mock: start-up time per BB release, and requests per second under concurrent load.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/mock.py [BB@REF ...] [--seconds N]
Start-up is measured from a loaded contract to a listening server (contract loading is the loader's
bench). Load: every operation's valid request in turn, 32 concurrent keep-alive connections, sent from
a separate process so that the client does not share the server's GIL.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_mock_helpers import Req, valid_request

from govstack_conform.contracts import schemas
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.datagen import GenerationError
from govstack_conform.mock import serve_in_thread


def _wire(req: Req, host: str) -> bytes:
    """The request as bytes on the wire (HTTP/1.1, keep-alive)."""
    target = req.path + ("?" + urlencode(req.params) if req.params else "")
    lines = [f"{req.method} {target} HTTP/1.1", f"Host: {host}"]
    lines += [f"{k}: {v}" for k, v in req.headers.items()]
    body = req.content or b""
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _load(base_url: str, reqs: list[Req], seconds: float, concurrency: int) -> tuple[int, int, list[float]]:
    """A minimal keep-alive load generator on raw sockets: httpx's pool itself slows down under concurrency."""
    host, port = base_url.rsplit("/", 1)[1].rsplit(":", 1)
    wires = [_wire(r, host) for r in reqs]
    done = errors = 0
    latencies: list[float] = []
    stop = time.perf_counter() + seconds

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
            done += 1
            errors += status >= 500
            i += 1
        writer.close()

    await asyncio.gather(*(worker(n) for n in range(concurrency)))
    return done, errors, latencies


def _run(base_url: str, reqs: list[Req], seconds: float, concurrency: int) -> tuple[int, int, list[float]]:
    return asyncio.run(_load(base_url, reqs, seconds, concurrency))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("releases", nargs="*")
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()
    releases = args.releases or [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]
    print(f"{'release':32} {'ops':>4} {'start ms':>9} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'5xx':>4}")
    for release in releases:
        contract = load_contract(release)
        t = time.perf_counter()
        with serve_in_thread(contract) as server:
            started = (time.perf_counter() - t) * 1000
            reqs = []
            for op in contract.operations:
                try:
                    reqs.append(valid_request(contract, op, server.credentials))
                except (GenerationError, schemas.SchemaUnusable):
                    continue
            if not reqs or args.seconds <= 0:
                print(f"{release:32} {len(contract.operations):>4} {started:>9.1f}")
                continue
            with multiprocessing.get_context("spawn").Pool(1) as pool:
                pool.apply(_run, (server.base_url, reqs, 0.5, args.concurrency))  # warm the caches
                done, errors, lat = pool.apply(_run, (server.base_url, reqs, args.seconds, args.concurrency))
            lat.sort()
            p50 = statistics.median(lat) * 1000
            p99 = lat[int(len(lat) * 0.99) - 1] * 1000
            print(
                f"{release:32} {len(contract.operations):>4} {started:>9.1f} {done / args.seconds:>8.0f} "
                f"{p50:>7.1f} {p99:>7.1f} {errors:>4}"
            )


if __name__ == "__main__":
    main()
