"""Settling negative cases when no valid request was accepted: CPU against the number of operations.

Run by hand: python bench/settle.py [--operations 500,1000,2000,4000] [--baseline DIR]

A product that refuses every valid request (a wrong credential, a gateway answering 401) makes every
negative case inconclusive, and each gets the words of why its operation accepted nothing. Those words were
worked out anew for every negative case from every valid request of the run: CPU grew with the square of
the contract. Here, per size: 2 valid requests and 6 negative cases per operation, all refused with 401,
settled as a run settles them (judge.negatives_settler), timed in this process; with --baseline DIR, the
same in another checkout of the tool, in its own process, side by side.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

_MEASURE = """
import json, sys, time
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.results import (CaseResult, CheckResult, Exchange, Outcome, RecordedRequest,
                                             RecordedResponse, Verdict)
from govstack_conform.engine.run.judge import attempts, negatives_settler

def case(op, kind, i):
    ask = RecordedRequest("POST", f"http://x{op.split()[1]}", ())
    answer = Exchange("request", ask, RecordedResponse(401, ()))
    checks = (CheckResult("invalid_input_rejected", Level.REQUIRED, Outcome.PASSED, "refused", "request"),)
    if kind is CaseKind.POSITIVE:
        checks = (CheckResult("valid_request_accepted", Level.REQUIRED, Outcome.FAILED, "answered 401", "request"),)
    verdict = Verdict.PASSED if kind is CaseKind.NEGATIVE else Verdict.FAILED
    return CaseResult(f"{op}::{kind.value}-{i}", op, kind, f"{kind.value}-{i}", "", verdict, checks, (answer,))

out = {}
for n in map(int, sys.argv[1].split(",")):
    ops = [f"POST /items{i}" for i in range(n)]
    cases = [case(op, k, i) for op in ops for k, count in ((CaseKind.POSITIVE, 2), (CaseKind.NEGATIVE, 6))
             for i in range(count)]
    t0 = time.process_time()
    tried = attempts(cases, {})
    settle = negatives_settler(cases, tried)
    settled = [settle(c) for c in cases]
    out[n] = time.process_time() - t0
    assert sum(c.verdict is Verdict.UNTESTABLE for c in settled) == 6 * n
print(json.dumps(out))
"""


def _measure(tree: Path, sizes: str) -> dict[str, float]:
    # From an empty folder: `python -c` puts the working directory first on sys.path, before PYTHONPATH.
    with tempfile.TemporaryDirectory() as cwd:
        done = subprocess.run([sys.executable, "-c", _MEASURE, sizes], capture_output=True, text=True, check=True,
                              env={"PYTHONPATH": str(tree)}, cwd=cwd)  # fmt: skip
    figures: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--operations", default="500,1000,2000,4000", help="operation counts, comma-separated")
    parser.add_argument("--baseline", type=Path, help="another checkout of the tool, measured beside this one")
    args = parser.parse_args()
    here = _measure(Path(__file__).resolve().parent.parent, args.operations)
    before = _measure(args.baseline, args.operations) if args.baseline else {}
    print(f"{'ops':>6} {'cases':>7} {'this tree':>10}" + (f" {'baseline':>10} {'ratio':>6}" if before else ""))
    for n, cpu in here.items():
        line = f"{n:>6} {int(n) * 8:>7} {cpu:>9.3f}s"
        if before:
            line += f" {before[n]:>9.3f}s {before[n] / max(cpu, 1e-9):>6.1f}"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
