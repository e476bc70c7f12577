"""Memory with big legal answers stays within the documented bound: at most one capped body per case.

The tool runs in a child process (its peak RSS is what is measured, not this process'), against a
product in this process that answers every request with a legal 9 MB JSON body (under the 10 MiB cap).
Each case is a sequence of several reads (as a stateful case is): a step's body, once judged, is kept
only as far as the record holds it (64 KiB), so a case holds one big body at a time whatever its length.
The figure compared is the growth over the same run with small answers; no time is measured.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hostile_servers import Request, Writer, head, serve_routes, spec_for

MB = 1024 * 1024
BODY = 9 * MB
STEPS = 6
CONCURRENCY = 4
CASES = 8

CHILD = r"""
import json, resource, sys
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.run.session import Target, run

spec, url, path, steps, cases, concurrency = sys.argv[1:]
contract = load_spec_files([spec])
made = []
for i in range(int(cases)):
    chain = tuple(
        Step(f"read {n}", f"GET {path}", RequestPlan("GET", path, auth=Auth.VALID), Expect.SUCCESS)
        for n in range(int(steps))
    )
    made.append(Case(f"mem::{i}", "custom", "local", f"GET {path}", None, CaseKind.STATEFUL, f"reads-{i}", "reads",
                     chain, tags=("fixture",)))
results = run([Target(contract, url, cases=tuple(made))], RunOptions(concurrency=int(concurrency)))
verdicts = [c.verdict.value for c in results.results[0].cases]
print(json.dumps({"rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "verdicts": verdicts}))
"""


def answer(size: int) -> object:
    body = b'{"a": 1, "pad": "' + b"x" * (size - 19) + b'"}'

    async def reply(req: Request, w: Writer) -> bool:
        w.write(head(200, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]) + body)
        await w.drain()
        return True

    return reply


@pytest.fixture(scope="module")
def product() -> Iterator[str]:
    with serve_routes({"/big-legal": answer(BODY), "/small": answer(64)}, None) as url:  # type: ignore[dict-item]
        yield url


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bigmem") / "big.yaml"
    path.write_text(spec_for({"/big-legal": "a 9 MB legal answer", "/small": "a small answer"}))
    return path


def peak_rss(spec: Path, url: str, path: str) -> float:
    args = [sys.executable, "-c", CHILD, str(spec), url, path, str(STEPS), str(CASES), str(CONCURRENCY)]
    done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["verdicts"] == ["passed"] * CASES, report["verdicts"]
    return float(report["rss_mb"])


def test_a_case_holds_one_big_body_at_a_time(spec: Path, product: str) -> None:
    small = peak_rss(spec, product, "/small")
    big = peak_rss(spec, product, "/big-legal")
    # The documented bound: per case in flight one capped body, its parsed JSON and one copy while the body
    # is joined; far below the STEPS bodies per case a sequence would otherwise hold.
    bound = CONCURRENCY * 3 * BODY / MB + 40
    held_otherwise = CONCURRENCY * STEPS * BODY / MB
    assert big - small < bound < held_otherwise, (small, big, bound)
