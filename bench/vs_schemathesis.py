"""govstack-conform and Schemathesis side by side: same target, same machine, one run each.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/vs_schemathesis.py [BB@REF] [--workers 8]

Schemathesis is never a dependency: it is installed on demand into its own venv (/tmp/st-venv, made with
`python -m venv /tmp/st-venv && /tmp/st-venv/bin/pip install schemathesis` when missing). The target is
the BB's reference mock in its own process, started afresh for each tool (its store of created records
grows with a run), with security not enforced so that neither tool spends requests on credentials it
lacks; the mock counts every request it receives, so "requests" is what reached the server. Each tool
runs as a child process with the same number of workers; wall time, CPU (user + system, its own, via
wait4) and peak RSS are the child's. Schemathesis runs with its defaults (every phase, 100 examples per
operation) and a fixed seed. Printed: each tool's figures, then the ratios Schemathesis / govstack-conform.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from common import Measured, Mock, measure

from govstack_conform.contracts.load import load_contract

ST_VENV = Path("/tmp/st-venv")


def schemathesis() -> Path:
    """The schemathesis command of its own venv, installed there first when missing."""
    exe = ST_VENV / "bin" / "schemathesis"
    if not exe.is_file():
        print(f"installing Schemathesis into {ST_VENV} (once) ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(ST_VENV)], check=True)
        subprocess.run([str(ST_VENV / "bin" / "pip"), "install", "-q", "schemathesis"], check=True)
    return exe


def spec_file(selector: str) -> Path:
    contract = load_contract(selector)
    keys = {op.source_file for op in contract.operations}
    roots = [Path(d.path) for d in contract.documents.values() if d.key in keys and d.path]
    if len(roots) != 1:
        raise SystemExit(f"{contract.label} has {len(roots)} API files; Schemathesis takes one: pick a single-file BB")
    return roots[0]


def run_ours(selector: str, url: str, workers: int, out: Path, timeout: float) -> Measured:
    cmd = [sys.executable, "-m", "govstack_conform", "run", selector, "--target", url, "--out", str(out)]
    return measure([*cmd, "--quiet", "--concurrency", str(workers), "--seed", "0"], timeout=timeout)


def run_theirs(spec: Path, url: str, workers: int, cwd: Path, timeout: float) -> Measured:
    cmd = [str(schemathesis()), "run", str(spec), "--url", url, "--workers", str(workers), "--seed", "0"]
    cmd += ["--no-color", "--generation-database", "none"]
    return measure(cmd, cwd=str(cwd), timeout=timeout)


def _line(name: str, m: Measured, requests: int) -> str:
    per = f"{m.cpu_s / requests * 1000:.2f} ms" if requests else "-"
    done = "finished" if m.code is not None else "killed at the time limit"
    return (
        f"{name:<18} wall {m.wall_s:7.1f} s   CPU {m.cpu_s:7.2f} s   requests {requests:>7}   "
        f"CPU per request {per:>9}   peak RSS {m.peak_mb:5.0f} MB   ({done}, exit {m.code})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("selector", nargs="?", default="consent")
    parser.add_argument("--workers", type=int, default=8, help="concurrency of both tools (default 8)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds before a tool is stopped")
    args = parser.parse_args()
    spec = spec_file(args.selector)
    st = schemathesis()
    version = subprocess.run([str(st), "--version"], capture_output=True, text=True).stdout.strip()
    print(f"{args.selector}: {spec.name}; {args.workers} workers each; {version}")
    with tempfile.TemporaryDirectory() as tmp:
        with Mock([args.selector], auth=False) as mock:
            ours = run_ours(args.selector, mock.url, args.workers, Path(tmp) / "ours", args.timeout)
            our_requests = mock.requests
        with Mock([args.selector], auth=False) as mock:
            theirs = run_theirs(spec, mock.url, args.workers, Path(tmp), args.timeout)
            their_requests = mock.requests
    print(_line("govstack-conform", ours, our_requests))
    print(_line("Schemathesis", theirs, their_requests))
    if not (our_requests and their_requests):
        return 1
    ours_per, theirs_per = ours.cpu_s / our_requests, theirs.cpu_s / their_requests
    print(
        f"Schemathesis / govstack-conform: wall time {theirs.wall_s / ours.wall_s:.1f}x, "
        f"CPU per request {theirs_per / ours_per:.1f}x, requests sent {their_requests / our_requests:.1f}x"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
