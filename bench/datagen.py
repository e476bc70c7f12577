"""Benchmark: datagen on every body schema of every catalog release; prints CPU ms per value.

    python bench/datagen.py [--seeds N]

Three figures per release, all CPU time: `cold` is the first generate of each schema on a fresh
contract (validators compiled, facts merged, final self-check); `seed` is a new seed on a warm
contract (what each extra case with its own seed costs); `cached` is the same seed again (what the
mock pays per response). `mutate` is mutations() per request body.
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

from govstack_conform import datagen  # noqa: E402
from govstack_conform.contracts.catalog import load_catalog  # noqa: E402
from govstack_conform.contracts.load import load_contract  # noqa: E402
from govstack_conform.contracts.model import Contract, Schema  # noqa: E402
from govstack_conform.contracts.schemas import SchemaUnusable  # noqa: E402


def bodies(contract: Contract) -> list[tuple[str, Schema]]:
    out = []
    for op in contract.operations:
        if op.request_body is not None:
            out += [("request", m.schema) for m in op.request_body.content if m.schema is not None]
        for r in op.responses:
            out += [("response", m.schema) for m in r.content if m.schema is not None]
    return out


def timed(contract: Contract, targets: list[tuple[str, Schema]], seed: str) -> tuple[float, int]:
    start = time.process_time()
    ok = 0
    for direction, schema in targets:
        try:
            datagen.generate(contract, schema, seed=seed, direction=direction)
            ok += 1
        except (datagen.GenerationError, SchemaUnusable):
            pass
    return time.process_time() - start, ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=5)
    args = parser.parse_args()
    os.environ.setdefault("GOVSTACK_CONFORM_SPECS", str(REPO.parent / "shared" / "govspecs"))
    print(f"{'release':32} {'bodies':>6} {'ok':>5} {'cold ms':>8} {'seed ms':>8} {'cached':>8} {'mutate':>8}")
    totals = [0.0, 0.0, 0.0, 0.0]
    count = mut_count = 0
    for bb in load_catalog().bbs:
        for release in bb.releases:
            contract = dataclasses.replace(load_contract(f"{bb.key}@{release.ref}"))
            targets = bodies(contract)
            if not targets:
                continue
            cold, ok = timed(contract, targets, "s0")
            seed = sum(timed(contract, targets, f"s{i}")[0] for i in range(1, args.seeds + 1)) / args.seeds
            cached = timed(contract, targets, "s1")[0]
            start = time.process_time()
            muts = 0
            for direction, schema in targets:
                if direction == "request":
                    try:
                        value = datagen.generate(contract, schema, seed="s0")
                    except (datagen.GenerationError, SchemaUnusable):
                        continue
                    datagen.mutations(contract, schema, value, seed="s0")
                    muts += 1
            mutate = time.process_time() - start
            n = len(targets)
            label = f"{bb.key}@{release.ref}"
            per_mut = mutate / muts * 1000 if muts else 0.0
            print(
                f"{label:32} {n:6d} {ok:5d} {cold / n * 1000:8.3f} {seed / n * 1000:8.3f} "
                f"{cached / n * 1000:8.4f} {per_mut:8.3f}"
            )
            for i, v in enumerate((cold, seed, cached, mutate)):
                totals[i] += v
            count += n
            mut_count += muts
    cold, seed, cached, mutate = totals
    print(
        f"mean CPU per body schema: cold {cold / count * 1000:.3f} ms, new seed {seed / count * 1000:.3f} ms, "
        f"cached {cached / count * 1000:.4f} ms; mutations {mutate / max(mut_count, 1) * 1000:.3f} ms per request body"
    )


if __name__ == "__main__":
    main()
