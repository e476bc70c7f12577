"""Benchmark: the static interface diff on every catalog release against itself and against its siblings.

    python bench/interface_diff.py [--repeat N]

Contracts are loaded once (not timed); each comparison builds its own schema cache, as `diff` does.
Prints per-BB seconds (best of N) and the total. Self-comparisons are the worst case for schema work:
nothing differs, so every schema pair is walked to the end.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from govstack_conform.contracts.catalog import load_catalog  # noqa: E402
from govstack_conform.contracts.load import load_contract  # noqa: E402
from govstack_conform.interface_diff import diff_contracts  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("GOVSTACK_CONFORM_SPECS", str(REPO.parent / "shared" / "govspecs"))
    total = 0.0
    for bb in load_catalog().bbs:
        contracts = {r.ref: load_contract(f"{bb.key}@{r.ref}") for r in bb.releases}
        pairs = [(a, a) for a in contracts] + list(itertools.permutations(contracts, 2))
        best = float("inf")
        findings = 0
        for _ in range(args.repeat):
            start = time.perf_counter()
            findings = sum(len(diff_contracts(contracts[a], contracts[b]).findings) for a, b in pairs)
            best = min(best, time.perf_counter() - start)
        ops = sum(len(c.operations) for c in contracts.values())
        total += best
        print(f"{bb.key:22} {len(pairs):2} comparisons  {ops:4} operations  {findings:4} findings  {best:7.3f} s")
    print(f"{'total':22} {total:7.3f} s (best of {args.repeat})")


if __name__ == "__main__":
    main()
