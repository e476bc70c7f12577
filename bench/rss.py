"""Resident memory of a `run`, stage by stage, native allocations included.

Run by hand: python bench/rss.py [--sizes 1000,5000] [--formats json]

bench/memory.py counts what Python allocates (tracemalloc); it cannot see native memory, and compiled
validators (jsonschema-rs, 20-40 KB each) were most of a large run's memory while tracemalloc showed
"no single owner". This script runs `app.job.run_job` in a fresh child process per size, against the
contract's mock in another one, and reads the child's resident set (Linux /proc) as it goes: when the
contract is loaded and planned, after sending and judging, after writing; and the peak, sampled every
20 ms. Contracts are bench/scaling.py's.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from common import TOKEN, Mock
from scaling import contract

_CHILD = """
import json, sys, threading, time
from pathlib import Path

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    return 0.0

peak = [0.0]
def sample():
    while True:
        peak[0] = max(peak[0], rss())
        time.sleep(0.02)
threading.Thread(target=sample, daemon=True).start()

import govstack_conform.app.job as job
import govstack_conform.app.outputs as outputs
from govstack_conform.config.request import AuthSettings, Outputs, RunRequest, Settings, TargetSettings

spec, url, token, out, formats = sys.argv[1:6]
marks = {"start": rss()}
plan_jobs, write = job.plan_jobs, outputs.write_outputs

def planned(*a, **k):
    result = plan_jobs(*a, **k)
    marks["loaded and planned"] = rss()
    return result

def written(*a, **k):
    marks["sent and judged"] = rss()
    result = write(*a, **k)
    marks["written"] = rss()
    return result

job.plan_jobs, outputs.write_outputs = planned, written
settings = Settings(target=TargetSettings(url=url), auth=AuthSettings(token=token),
                    outputs=Outputs(out_dir=Path(out), formats=tuple(formats.split(","))))
result = job.run_job(RunRequest(spec=(spec,), settings=settings, cwd=Path(out).parent))
marks["peak"] = max(peak[0], *marks.values())
marks["cases"] = sum(len(bb.cases) for bb in result.results.results)
print(json.dumps(marks))
"""


def one_size(operations: int, formats: str, root: Path) -> dict[str, float]:
    spec = root / f"scaling-{operations}.json"
    spec.write_text(json.dumps(contract(operations)), encoding="utf-8")
    with Mock(["--spec", str(spec)]) as mock:
        cmd = [sys.executable, "-c", _CHILD, str(spec), mock.url, TOKEN, str(root / f"out-{operations}"), formats]
        done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    marks: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return marks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,5000", help="operation counts, comma-separated")
    parser.add_argument("--formats", default="json", help="report formats written, comma-separated")
    args = parser.parse_args()
    stages = ("start", "loaded and planned", "sent and judged", "written", "peak")
    print(f"{'ops':>5} {'cases':>6} " + " ".join(f"{s:>18}" for s in stages) + "   (MB resident)")
    with tempfile.TemporaryDirectory() as tmp:
        for n in (int(s) for s in args.sizes.split(",")):
            m = one_size(n, args.formats, Path(tmp))
            print(f"{n:>5} {m['cases']:>6.0f} " + " ".join(f"{m[s]:>18.1f}" for s in stages), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
