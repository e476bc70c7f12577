"""Benchmark: test planning (`plan_contract`) on every catalog release; prints cases per second.

    python bench/plan.py [--repeat N] [--seed S] [--seeds K] [BB@REF ...]

Contracts are loaded once (not timed). Each timed run plans a fresh copy of the contract, so the
validator and generator caches that live on a contract start empty: the figure is a cold plan, as
the first `plan` or `run` of a process pays it. Prints per-release cases, CPU ms (best of N) and
cases/s, then the totals. `warm` is CPU ms per case over K more seeds on the same contract (what
bench/engine.py's "planning" figure measures: every seed new data, the contract's caches kept).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from govstack_conform.contracts.catalog import load_catalog  # noqa: E402
from govstack_conform.contracts.load import load_contract  # noqa: E402
from govstack_conform.engine.plan.planner import plan_contract, plan_to_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--seeds", type=int, default=5, help="seeds for the warm figure")
    parser.add_argument("releases", nargs="*", help="only these BB@REF")
    args = parser.parse_args()
    os.environ.setdefault("GOVSTACK_CONFORM_SPECS", str(REPO.parent / "shared" / "govspecs"))

    total_cases = 0
    total_cpu = 0.0
    total_json = 0.0
    warm_cases = 0
    warm_cpu = 0.0
    print(f"{'release':32} {'cases':>6} {'cpu ms':>8} {'cases/s':>8} {'json ms':>8} {'warm ms/case':>12}")
    for bb in load_catalog().bbs:
        for release in bb.releases:
            if args.releases and f"{bb.key}@{release.ref}" not in args.releases:
                continue
            contract = load_contract(f"{bb.key}@{release.ref}")
            best = float("inf")
            cases = []
            for _ in range(args.repeat):
                fresh = dataclasses.replace(contract)  # no cached validators or generated values
                start = time.process_time()
                cases = plan_contract(fresh, seed=args.seed)
                best = min(best, time.process_time() - start)
            start = time.process_time()
            plan_to_json(cases)
            json_s = time.process_time() - start
            start = time.process_time()
            planned = sum(len(plan_contract(fresh, seed=args.seed + s)) for s in range(1, args.seeds + 1))
            warm = time.process_time() - start
            warm_cases += planned
            warm_cpu += warm
            total_cases += len(cases)
            total_cpu += best
            total_json += json_s
            rate = len(cases) / best if best else float("inf")
            label = f"{bb.key}@{release.ref}"
            per_case = warm / planned * 1000 if planned else 0.0
            print(f"{label:32} {len(cases):6d} {best * 1000:8.1f} {rate:8.0f} {json_s * 1000:8.1f} {per_case:12.3f}")
    rate = total_cases / total_cpu if total_cpu else float("inf")
    warm_per_case = warm_cpu / warm_cases * 1000 if warm_cases else 0.0
    print(
        f"{'TOTAL':32} {total_cases:6d} {total_cpu * 1000:8.1f} {rate:8.0f} {total_json * 1000:8.1f} "
        f"{warm_per_case:12.3f}"
    )
    print(
        f"mean CPU per case: {total_cpu / total_cases * 1000:.3f} ms (planning, cold), "
        f"{warm_per_case:.3f} ms (planning, warm), {total_json / total_cases * 1000:.3f} ms (JSON)"
    )


if __name__ == "__main__":
    main()
