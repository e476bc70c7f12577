"""Where a `run`'s memory goes, stage by stage, on the generated contracts of bench/scaling.py.

Run by hand: python bench/memory.py [--sizes 10,100,1000,5000] [--formats json,html,md,junit,cucumber,form]
             [--top 8]

In this process, against the contract's mock in another one, with tracemalloc on (it slows the run about
twice; the figures are bytes Python allocated, not RSS: bench/scaling.py gives the RSS). Per size: the
contract loaded and planned as `run` plans it (app.job.plan_jobs: what the plan keeps), then the whole
`run` as the CLI does it (app.job.run_job: send, journal, assess, write every format), its peak and what
its result still holds; per case, so that growth is shown, not assumed. With --top, the lines of code
whose allocations were live at the run's peak, biggest first.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import TOKEN, Mock
from scaling import contract

MB = 1e6


def _stage(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """Call fn: (its value, MB it left allocated, MB of its peak above what was allocated before it)."""
    gc.collect()
    before = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    value = fn()
    gc.collect()
    now, peak = tracemalloc.get_traced_memory()
    return value, (now - before) / MB, (peak - before) / MB


def one_size(operations: int, formats: list[str], root: Path, top: int) -> dict[str, float]:
    from govstack_conform.app.job import plan_jobs, run_job
    from govstack_conform.config.request import AuthSettings, Outputs, RunRequest, Settings, TargetSettings

    spec = root / f"scaling-{operations}.json"
    spec.write_text(json.dumps(contract(operations)), encoding="utf-8")
    with Mock(["--spec", str(spec)]) as mock:
        settings = Settings(
            target=TargetSettings(url=mock.url),
            auth=AuthSettings(token=TOKEN),
            outputs=Outputs(out_dir=root / f"out-{operations}", formats=tuple(formats)),
        )
        request = RunRequest(spec=(str(spec),), settings=settings, cwd=root)
        tracemalloc.start(1)
        planned, plan_kept, plan_peak = _stage(lambda: plan_jobs(request, None, lambda _: None))
        cases = sum(len(t.cases or ()) for _, t, _ in planned)
        del planned
        job, run_kept, run_peak = _stage(lambda: run_job(request))
        snapshot = tracemalloc.take_snapshot() if top else None
        tracemalloc.stop()
    print(f"\n{operations} operations, {cases} cases (MB allocated by Python)")
    extra = run_peak - plan_kept
    print(
        f"  plan as run plans it: kept {plan_kept:7.1f}  peak {plan_peak:7.1f}  ({plan_kept * MB / cases:,.0f} B/case)"
    )
    print(f"  the whole run:        kept {run_kept:7.1f}  peak {run_peak:7.1f}  ({run_peak * MB / cases:,.0f} B/case)")
    print(f"  of which above the plan at the peak: {extra:7.1f}  ({extra * MB / cases:,.0f} B/case)")
    print(f"  verdict: {job.compliance.verdict.value}; files written: {len(job.written)}")
    if snapshot is not None:
        print("  still allocated at the end of the run, by line:")
        for stat in snapshot.statistics("lineno")[:top]:
            frame = stat.traceback[0]
            print(f"    {stat.size / MB:7.1f} MB  {Path(frame.filename).name}:{frame.lineno}")
    return {"cases": cases, "plan_kept": plan_kept, "run_peak": run_peak, "run_kept": run_kept}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000", help="operation counts, comma-separated")
    parser.add_argument("--formats", default="json,html,md,junit,cucumber,form")
    parser.add_argument("--top", type=int, default=0, help="show the N lines holding most at the end")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            rows.append((n, one_size(n, args.formats.split(","), Path(tmp), args.top)))
    print(f"\n{'ops':>5} {'cases':>6} {'plan kept':>10} {'run peak':>9} {'peak-plan':>10} {'per case':>9}")
    for n, r in rows:
        extra = r["run_peak"] - r["plan_kept"]
        print(f"{n:>5} {r['cases']:>6.0f} {r['plan_kept']:>8.1f}MB {r['run_peak']:>7.1f}MB {extra:>8.1f}MB "
              f"{extra * MB / r['cases']:>7,.0f} B")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
