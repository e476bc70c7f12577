"""The tool's own memory stays flat as the number of cases grows (tracemalloc, not timing).

The product runs in a separate process so that only the engine's allocations are counted. Results
stream to the journal; what stays in memory per passed case is small and the same for N and 4N cases,
and what a run needs on top of its results (buffers, connections, the report's structures) does not
grow with the number of cases.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_servers import spec_for

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import Verdict
from govstack_conform.engine.run.journal import JOURNAL_NAME, open_journal, read_journal
from govstack_conform.engine.run.session import Target, journal_target, run

N = 400
KB = 1024


@pytest.fixture(scope="module")
def product() -> Iterator[str]:
    here = Path(__file__).parent
    proc = subprocess.Popen(
        [sys.executable, str(here / "hostile_servers.py")], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url
    proc.stdin.close()
    proc.wait(10)
    proc.stdout.close()


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("mem") / "control.yaml"
    path.write_text(spec_for(["/control"]))
    return load_spec_files([str(path)])


def cases(n: int) -> tuple[Case, ...]:
    out = []
    for i in range(n):
        req = RequestPlan("GET", "/control", query=(("n", str(i)),), auth=Auth.VALID)
        step = Step("request", "GET /control", req, Expect.SUCCESS)
        out.append(Case(f"mem::GET /control::{i}", "custom", "local", "GET /control", None, CaseKind.POSITIVE,
                        f"get-{i}", "a read", (step,), tags=("fixture",)))  # fmt: skip
    return tuple(out)


def measure(contract: Contract, url: str, n: int, folder: Path) -> tuple[float, int]:
    """(bytes kept per case once the run is over, bytes needed on top of them at the peak)."""
    target = Target(contract, url, cases=cases(n))
    options = RunOptions(concurrency=16)
    journal = open_journal(folder, [journal_target(target, options)], resume=False)
    gc.collect()
    tracemalloc.start()
    try:
        results = run([target], options, journal=journal)
        journal.close(complete=results.complete)
        gc.collect()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [c.verdict for c in results.results[0].cases] == [Verdict.PASSED] * n
    assert sum(len(d) for d in read_journal(folder / JOURNAL_NAME).done.values()) == n
    return kept / n, peak - kept


def test_memory_per_case_is_small_and_flat(contract: Contract, product: str, tmp_path: Path) -> None:
    run([Target(contract, product, cases=cases(20))], RunOptions())  # warm caches and imports
    small_per_case, small_extra = measure(contract, product, N, tmp_path / "small")
    big_per_case, big_extra = measure(contract, product, 4 * N, tmp_path / "big")
    assert big_per_case < 2 * KB, f"{big_per_case:.0f} bytes kept per passed case"
    assert big_per_case <= small_per_case * 1.1, (small_per_case, big_per_case)  # no per-case growth
    assert big_extra <= 2 * small_extra + 256 * KB, (small_extra, big_extra)  # the overhead does not scale
