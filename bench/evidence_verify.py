"""Evidence verification benchmark: `evidence verify` on a manifest of a million lines.

Run by hand: python bench/evidence_verify.py [--lines 1000000]

A real bundle (a small run's files, hashed and listed) gets a manifest padded with `--lines` entries
naming files that are not there (what a tampered or truncated bundle looks like); `evidence verify`
then has to read every line, find every file missing and say so. Printed: seconds for the text and
for the `--json` form of the command, each in a fresh child process (imports included), and the
child's peak RSS. The issue's target: under 5 s for 10^6 lines.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def bundle(root: Path, lines: int) -> Path:
    folder = root / "bundle"
    folder.mkdir()
    real = {"results.json": b'{"results": []}\n', "config.json": b"{}\n"}
    for name, data in real.items():
        (folder / name).write_bytes(data)
    with (folder / "MANIFEST.sha256").open("w", encoding="utf-8") as fh:
        for name, data in sorted(real.items()):
            fh.write(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
        digest = "0" * 64
        for i in range(lines):
            fh.write(f"{digest}  exchanges/{i // 1000}/case-{i}.json\n")
    return folder


def timed(args: list[str]) -> tuple[float, int, int]:
    """(seconds, exit code, bytes printed) of one child process."""
    start = time.perf_counter()
    done = subprocess.run(args, capture_output=True, check=False)
    return time.perf_counter() - start, done.returncode, len(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1_000_000)
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = bundle(Path(tmp), opts.lines)
        cmd = [sys.executable, "-m", "govstack_conform", "evidence", "verify", str(folder)]
        for label, args in (("text", cmd), ("--json", [*cmd, "--json"])):
            seconds, code, size = timed(args)
            print(f"{opts.lines:,} lines, {label}: {seconds:.2f} s, exit {code}, {size / 1e6:.1f} MB printed")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak RSS of a child: {peak:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
