"""A run does not keep its finished cases: they are read back from the journal, and the outputs stay the same.

Memory by tracemalloc (no timing): the whole pipeline of `run` after planning (send, journal, assess,
every report format) over N and 4N passed cases against a product in another process. What it needs at
its peak beyond the plan grows by well under what keeping each case (or each report's messages) took.
Outputs: a run against a product that fails checks, with waivers and declarations, writes the same bytes
as rendering the same results held in memory.
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
from servers import PETS_SPEC, TOKEN, pets_app, serve
from typer.testing import CliRunner

from govstack_conform.app.outputs import write_outputs
from govstack_conform.cli import app
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.caselog import Spooled
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import Outcome, Verdict, read_json
from govstack_conform.engine.run.journal import JOURNAL_NAME, open_journal, read_journal
from govstack_conform.engine.run.session import Target, journal_target, run
from govstack_conform.report.render import render

N = 300
KB = 1024
PATHS = [f"/control{i}" for i in range(30)]  # as many operations for N and 4N cases: what grows is the cases
FORMATS = ("json", "junit", "html", "md", "cucumber", "form")


# A product in its own process (its allocations are not counted): {"ok": true} to every GET, kept alive.
PRODUCT = """
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "12")
        self.end_headers()
        self.wfile.write(b'{"ok": true}')
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
server.daemon_threads = True
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
"""


@pytest.fixture(scope="module")
def product() -> Iterator[str]:
    proc = subprocess.Popen([sys.executable, "-c", PRODUCT], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    assert url.startswith("http://127.0.0.1:"), url
    yield url
    proc.terminate()
    proc.wait(10)
    proc.stdout.close()


@pytest.fixture(scope="module")
def contract(tmp_path_factory: pytest.TempPathFactory) -> Contract:
    path = tmp_path_factory.mktemp("spool") / "control.yaml"
    path.write_text(spec_for({p: "a correct answer" for p in PATHS}))
    return load_spec_files([str(path)])


def cases(n: int) -> tuple[Case, ...]:
    out = []
    for i in range(n):
        path = PATHS[i % len(PATHS)]
        req = RequestPlan("GET", path, query=(("n", str(i)),), auth=Auth.VALID)
        step = Step("request", f"GET {path}", req, Expect.SUCCESS)
        out.append(Case(f"spool::GET {path}::{i}", "custom", "local", f"GET {path}", None, CaseKind.POSITIVE,
                        f"get-{i}", f"read number {i}", (step,), tags=("fixture",)))  # fmt: skip
    return tuple(out)


def peak_beyond_plan(contract: Contract, url: str, n: int, folder: Path) -> int:
    """Bytes the run, its journal and every report need at their peak on top of the planned cases."""
    target = Target(contract, url, cases=cases(n))
    options = RunOptions(concurrency=8)
    gc.collect()
    tracemalloc.start()
    try:
        journal = open_journal(folder, [journal_target(target, options)], resume=False)
        results = run([target], options, journal=journal)
        journal.close(complete=results.complete)
        written = write_outputs(results, folder, formats=FORMATS)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(written) == len(FORMATS)
    assert [c.verdict for c in results.results[0].cases] == [Verdict.PASSED] * n
    return peak


def test_the_peak_of_a_run_and_its_reports_does_not_hold_every_case(
    contract: Contract, product: str, tmp_path: Path
) -> None:
    run([Target(contract, product, cases=cases(20))], RunOptions())  # warm caches and imports
    small = peak_beyond_plan(contract, product, N, tmp_path / "small")
    big = peak_beyond_plan(contract, product, 4 * N, tmp_path / "big")
    per_case = (big - small) / (3 * N)
    # Kept whole, each passed case cost about 1.4 KB in its results and 7 KB in cucumber's messages; now
    # what grows is a view of it, an offset and the ids of its Cucumber messages.
    assert per_case < 1.5 * KB, f"{per_case:.0f} bytes more at the peak per extra case ({small} -> {big})"


WAIVED_AND_DECLARED = """
[bb.custom]
[bb.custom.not_implemented]
operations = ["deletePet"]
reason = "records are archived, never deleted"
[[bb.custom.waivers]]
check = "status_code_documented"
operation = "createPet"
justification = "201 is being rolled out"
expires = 2999-01-01
"""


def test_a_run_writes_what_its_results_held_in_memory_render(tmp_path: Path) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(PETS_SPEC)
    config = tmp_path / "conform.toml"
    config.write_text(WAIVED_AND_DECLARED)
    out = tmp_path / "run"
    breaks = frozenset({"status_code_documented", "invalid_input_rejected", "required_headers_present"})
    with serve(pets_app(breaks)) as url:
        args = ["run", "--spec", str(spec), "--target", url, "--token", TOKEN, "--out", str(out), "--config",
                str(config), "--report", ",".join(FORMATS), "--quiet"]  # fmt: skip
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output  # failures the waiver does not cover
    results = read_json(out / "results.json")  # every case held in memory, as `report render` holds them
    cases = results.results[0].cases
    assert {c.verdict for c in cases} >= {Verdict.PASSED, Verdict.FAILED, Verdict.SKIPPED}
    assert any(k.waived for c in cases for k in c.checks)
    again = render(results, list(FORMATS), tmp_path / "again")
    assert len(again) == len(FORMATS)
    for path in again:
        assert (out / path.name).read_bytes() == path.read_bytes(), path.name
    assert (out / JOURNAL_NAME).is_file()  # the spool is the journal: kept for --resume, nothing else left
    assert sorted(p.name for p in out.iterdir()) == sorted([JOURNAL_NAME, *(p.name for p in again)])


@pytest.mark.parametrize("flag", [False, True])
def test_passed_cases_keep_the_request_line_and_status_unless_asked(tmp_path: Path, flag: bool) -> None:
    spec = tmp_path / "pets.yaml"
    spec.write_text(PETS_SPEC)
    out = tmp_path / "run"
    with serve(pets_app()) as url:
        args = ["run", "--spec", str(spec), "--target", url, "--token", TOKEN, "--out", str(out), "--quiet"]
        result = CliRunner().invoke(app, args + (["--passed-evidence"] if flag else []))
    assert result.exit_code == 0, result.output
    done = read_journal(out / JOURNAL_NAME).done
    journal = Spooled(out / JOURNAL_NAME, [offset for target in done.values() for offset in target.values()])
    for cases in (read_json(out / "results.json").results[0].cases, journal):
        clean = [c for c in cases if c.verdict is Verdict.PASSED and all(k.outcome is Outcome.PASSED for k in c.checks)]
        passed = [x for c in clean for x in c.exchanges]  # a case with any check not passed keeps everything
        assert passed and all(x.response is not None for x in passed)
        if flag:  # everything, as a failed case keeps it
            assert all(x.request.headers and x.response and x.response.headers for x in passed)
            assert any(x.response and x.response.body for x in passed)
        else:
            assert all(x.request.method and x.request.url and x.response and x.response.status for x in passed)
            assert not any(x.request.headers or x.request.body or (x.response and x.response.headers) for x in passed)
            assert not any(x.response and x.response.body for x in passed)
