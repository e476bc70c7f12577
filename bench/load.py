"""Load benchmark: every BB of the catalog against the built-in mock at concurrency 64.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/load.py [--concurrency 64] [--repeat 1]

Each BB's mock runs in its own child process (so this process' memory and CPU are the engine's own),
the suites run in one engine run as `run` would (journal included), and the figures printed are:
cases and cases/s, cases with an ERROR verdict (must be 0), and this process' peak RSS before and
after the run. `--repeat K` plans each suite K times over (distinct case ids) to show that memory
grows with the results kept, not faster. Exits 1 when any case errs.
"""

from __future__ import annotations

import argparse
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

from common import API_KEY, TOKEN, Mock

from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.run.journal import open_journal
from govstack_conform.engine.run.session import Target, journal_target, plan_target, run


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kilobytes on Linux


def _repeated(target: Target, options: RunOptions, times: int) -> Target:
    cases = plan_target(target, options)
    if times == 1:
        return dataclasses.replace(target, cases=cases)
    more = tuple(dataclasses.replace(c, case_id=f"{c.case_id}#{k}") if k else c for k in range(times) for c in cases)
    return dataclasses.replace(target, cases=more)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--repeat", type=int, default=1, help="plan each suite this many times over")
    args = parser.parse_args()

    options = RunOptions(concurrency=args.concurrency, credentials=Credentials(bearer=TOKEN, api_key=API_KEY))
    selectors = [f"{bb.key}@{bb.default_ref}" for bb in load_catalog().bbs]
    mocks: list[Mock] = []
    targets: list[Target] = []
    try:
        for sel in selectors:
            mocks.append(Mock([sel]))
            contract = load_contract(sel)
            bb = load_catalog().get(contract.bb)
            target = Target(contract, mocks[-1].url, bb.platform_id, tuple(bb.profile.headers.items()))
            targets.append(_repeated(target, options, args.repeat))
        total = sum(len(t.cases or ()) for t in targets)
        before = _rss_mb()
        with tempfile.TemporaryDirectory() as out:
            journal = open_journal(Path(out), [journal_target(t, options) for t in targets], resume=False)
            t0 = time.perf_counter()
            results = run(targets, options, journal=journal)
            took = time.perf_counter() - t0
            journal.close(complete=results.complete)
            journal_mb = (Path(out) / ".run-journal.ndjson").stat().st_size / 1e6
    finally:
        for mock in mocks:
            mock.stop()
    after = _rss_mb()
    errors = [(bb.bb, c.case_id, c.reason) for bb in results.results for c in bb.cases if c.verdict.value == "error"]
    verdicts: dict[str, int] = {}
    for bb in results.results:
        for c in bb.cases:
            verdicts[c.verdict.value] = verdicts.get(c.verdict.value, 0) + 1
    print(f"building blocks: {len(targets)}; cases: {total}; concurrency {args.concurrency}; repeat {args.repeat}")
    print(f"run: {took:.1f} s, {total / took:.0f} cases/s; journal {journal_mb:.1f} MB")
    print(f"verdicts: {', '.join(f'{k} {v}' for k, v in sorted(verdicts.items()))}")
    print(f"peak RSS: {before:.0f} MB before the run (contracts loaded, suites planned), {after:.0f} MB after")
    print(f"errors: {len(errors)}")
    for e in errors[:10]:
        print("  ", *e)
    return 1 if errors or not results.complete else 0


if __name__ == "__main__":
    sys.exit(main())
