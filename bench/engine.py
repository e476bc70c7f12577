"""Benchmark the conformance engine: requests per second end to end, and the tool's CPU per case.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/engine.py [BB@REF ...|all] [--cases N]
[--profile [--top N]] [--baseline DIR]. `all` measures every BB's default release and ends with a table:
planning, cold sending+checking and their sum per case, against the 0.30 ms goal of issue 14.
`--baseline DIR` measures another checkout of the tool (the code before a change) beside this tree,
release by release, each in fresh processes, and prints both totals and their ratio.

The product is a replay server: the mock answers the suite once (setup, not measured), and a minimal
ASGI app under uvicorn in a separate process replays those exact answers, so the server costs almost
nothing and the figures are the engine's. CPU is time.process_time() of this process only: planning
(generation) is measured on its own with fresh seeds, sending + checking over repeated runs of the
suite. "cold" clears the engine's per-body validation memo before each repetition (every body is
validated); "warm" keeps it (identical bodies are validated once), as a long run against a real
product mostly is not, so the cold figure is the one to quote.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from common import cpu_of

from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Case
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.run.session import Target, run, run_async
from govstack_conform.mock import serve_in_thread

_KEEP = ("content-type", "allow", "location", "x-", "www-authenticate")
GOAL_MS = 0.30  # issue 14: CPU per case with generation, cold, on every catalog BB
Table = dict[str, tuple[int, list[tuple[bytes, bytes]], bytes]]


def record(contract: Contract, cases: tuple[Case, ...]) -> Table:
    """The mock's answer to every request of the suite, keyed by method, raw path+query and body."""
    options = RunOptions(record_passed_bodies=True, record_cap=10 * 1024 * 1024, concurrency=1)
    with serve_in_thread(contract) as mock:
        results = run([Target(contract, mock.base_url, cases=cases)], options)
    table: Table = {}
    for case in results.results[0].cases:
        for x in case.exchanges:
            if x.response is None:
                continue
            url = urlsplit(x.request.url)
            key = f"{x.request.method} {url.path}?{url.query}\n{x.request.body or ''}"
            headers = [(k.lower().encode(), v.encode()) for k, v in x.response.headers if k.lower().startswith(_KEEP)]
            table[key] = (x.response.status, headers, (x.response.body or "").encode())
    return table


def serve_replay(table: Table, port: Any) -> None:
    """Child process: answer each recorded request with its recorded answer (404 for anything else)."""
    import uvicorn

    missing = (404, [(b"content-type", b"application/json")], b'{"message":"not recorded"}')

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        key = f"{scope['method']} {scope['raw_path'].decode()}?{scope['query_string'].decode()}\n"
        status, headers, content = table.get(key + body.decode("utf-8", "replace"), missing)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.ensure_future(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        port.value = server.servers[0].sockets[0].getsockname()[1]
        await task

    asyncio.run(main())


async def _repeat(targets: list[Target], options: RunOptions, times: int, cold: bool) -> tuple[int, int, float, float]:
    cases = requests = 0
    cpu = wall = 0.0
    for _ in range(times):
        if cold:
            targets[0].contract.__dict__.pop("_body_verdicts", None)
        c0, w0 = time.process_time(), time.perf_counter()
        results = await run_async(targets, options, check_target=False)
        cpu += time.process_time() - c0
        wall += time.perf_counter() - w0
        bb = results.results[0]
        cases += len(bb.cases)
        requests += sum(len(c.exchanges) for c in bb.cases)
    return cases, requests, cpu, wall


def measure(release: str, args: argparse.Namespace) -> tuple[int, float, float]:
    """(cases per suite, planning ms CPU per case, cold sending+checking ms CPU per case) of one release."""
    contract = load_contract(release)
    cases = tuple(plan_contract(contract, seed=0))
    seeds = max(1, args.cases // max(1, len(cases)))
    c0 = time.process_time()
    planned = sum(len(plan_contract(contract, seed=s)) for s in range(1, seeds + 1))
    plan_ms = (time.process_time() - c0) * 1000 / planned

    table = record(contract, cases)
    ctx = multiprocessing.get_context("spawn")
    port = ctx.Value("i", 0)
    server = ctx.Process(target=serve_replay, args=(table, port), daemon=True)
    server.start()
    figures: dict[str, float] = {}
    try:
        while port.value == 0:
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port.value}"
        targets = [Target(contract, url, cases=cases)]
        options = RunOptions(concurrency=args.concurrency)
        asyncio.run(_repeat(targets, options, 1, cold=True))  # warm up connections and caches
        print(f"{release}: {len(cases)} cases per suite, {len(table)} distinct answers, server pid {server.pid}")
        print(f"planning: {plan_ms:.3f} ms CPU per case ({planned} cases, seeds 1..{seeds})")
        for label, cold in (("cold", True), ("warm", False)):
            if args.profile and cold:
                import cProfile
                import pstats

                profiler = cProfile.Profile(time.process_time)
                profiler.enable()
            served = cpu_of(server.pid)
            n, reqs, cpu, wall = asyncio.run(_repeat(targets, options, seeds, cold))
            served = cpu_of(server.pid) - served
            if args.profile and cold:
                profiler.disable()
                stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative")
                stats.print_stats(args.top)
            run_ms = figures[label] = cpu * 1000 / n
            print(
                f"{label}: {n} cases, {reqs} requests in {wall:.2f} s = {reqs / max(wall, 1e-9):.0f} req/s; "
                f"CPU {run_ms:.3f} ms/case sending+checking, {run_ms + plan_ms:.3f} ms/case with generation "
                f"(server: {served * 1000 / max(reqs, 1):.3f} ms CPU per request)"
            )
    finally:
        server.terminate()
        server.join(5)
    return len(cases), plan_ms, figures["cold"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("releases", nargs="*", default=["consent@main"], help="BB@REF ...; all: every default")
    parser.add_argument("--cases", type=int, default=5000, help="about how many cases to send per figure")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--profile", action="store_true", help="profile the cold run (CPU time) with cProfile")
    parser.add_argument("--top", type=int, default=40, help="with --profile: how many functions to show")
    parser.add_argument(
        "--baseline",
        metavar="DIR",
        help="also measure the tool's code in DIR (a checkout: `git archive REV | tar -x -C DIR`), each release "
        "in its own processes, alternating with this tree's, and print both per case and their ratio",
    )
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # one line per release, for --baseline
    args = parser.parse_args()
    releases = args.releases
    if releases == ["all"]:
        releases = [f"{bb.key}@{bb.default_ref}" for bb in load_catalog().bbs]
    if args.baseline:
        compare(releases, args)
        return
    rows = [(release, *measure(release, args)) for release in releases]
    if args.json:
        for release, n, plan_ms, cold in rows:
            print(json.dumps({"release": release, "cases": n, "planning": plan_ms, "cold": cold}))
        return
    if len(rows) > 1:
        print(f"\n{'release':28} {'cases':>6} {'planning':>9} {'cold run':>9} {'total':>7}  ms CPU per case")
        for release, n, plan_ms, cold in rows:
            over = "" if plan_ms + cold <= GOAL_MS else f"  over {GOAL_MS:.2f}"
            print(f"{release:28} {n:6d} {plan_ms:9.3f} {cold:9.3f} {plan_ms + cold:7.3f}{over}")


def compare(releases: list[str], args: argparse.Namespace) -> None:
    """Each release measured by the baseline's code, then by this tree's, each in fresh processes."""
    here = str(Path(__file__).resolve().parent.parent)
    print("planning + cold sending and checking, ms CPU per case")
    print(f"{'release':28} {'baseline':>9} {'this tree':>9} {'ratio':>6}")
    for release in releases:
        got = {}
        for label, root in (("baseline", args.baseline), ("this", here)):
            env = {**os.environ, "PYTHONPATH": str(Path(root).resolve())}
            cmd = [sys.executable, __file__, release, "--cases", str(args.cases), "--json"]
            cmd += ["--concurrency", str(args.concurrency)]
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
            got[label] = json.loads(done.stdout.strip().splitlines()[-1])
        before = got["baseline"]["planning"] + got["baseline"]["cold"]
        after = got["this"]["planning"] + got["this"]["cold"]
        over = "" if after <= GOAL_MS else f"  over {GOAL_MS:.2f}"
        print(f"{release:28} {before:9.3f} {after:9.3f} {after / before:6.2f}{over}", flush=True)


if __name__ == "__main__":
    main()
