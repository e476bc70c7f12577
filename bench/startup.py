"""Start-up CPU of the command line: user+system seconds of a fresh `govstack-conform` process per command.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/startup.py [--runs N]

Each command runs N times in its own process (this Python, `-m govstack_conform`); the figure is the median
of the child's CPU (resource.RUSAGE_CHILDREN deltas), min and max beside it, as the machine is noisy.
tests/test_startup.py guards what the commands import; this script measures what that costs.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys

COMMANDS = (("--help",), ("run", "--help"), ("specs", "list"), ("plan", "consent", "--json"))
TARGETS = {("--help",): 0.10, ("specs", "list"): 0.20}


def cpu_of(args: tuple[str, ...]) -> float:
    """CPU seconds (user + system) of one `python -m govstack_conform ARGS` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, "-m", "govstack_conform", *args], stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    cpu_of(("--help",))  # compiled bytecode in place before anything is measured
    print(f"{'command':<32} {'median':>8} {'min':>7} {'max':>7}  target")
    for command in COMMANDS:
        runs = [cpu_of(command) for _ in range(args.runs)]
        target = TARGETS.get(command)
        print(
            f"{' '.join(command):<32} {statistics.median(runs):>7.3f}s {min(runs):>6.3f}s {max(runs):>6.3f}s"
            + (f"  <= {target:.2f} s" if target else "")
        )


if __name__ == "__main__":
    main()
