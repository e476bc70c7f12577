"""Results writing against run CPU: what the journal, results.json and the JSON reports cost, per BB.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/writing.py [BB@REF ...] [--repeat K]

Each BB's mock runs in its own child process, so this process' CPU (time.process_time) is the tool's own.
The suite is planned and run as `run` does it (8 workers, the journal written as cases finish): that is
the run CPU (loading the contract is left out). Then, on the same results, each part of writing is timed
alone (the least of 3 tries): recording every case in a fresh journal (its header with the plan's digest
included), and writing results.json and compliance-form.json as `run` writes them (redaction,
assessment, the curl replays, encoding, the file). Writing's share is journal + outputs over run +
outputs (the journal is inside the run CPU already): the strict measure, start-up and loading left out.
`of run` is the same writing over the CPU of a whole `govstack-conform run` process against a fresh mock
(start-up, loading, planning, sending, writing). `--repeat K` plans each suite K times over (distinct case
ids), for a run of the size the issue quotes (7 000 cases); the whole-process run is skipped then. The
goal: writing at most 10 % of run CPU on every BB.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import API_KEY, TOKEN, Mock, measure

from govstack_conform.assessment.compliance import assess
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import RunResults, to_dict
from govstack_conform.engine.run.journal import open_journal
from govstack_conform.engine.run.session import Target, journal_target, plan_target, run
from govstack_conform.report.formats.json import dumps, results_document
from govstack_conform.report.redact import redact_results
from govstack_conform.report.render import render


def _cpu(fn: Callable[[], Any], times: int = 3) -> float:
    """The least CPU of `times` calls: one late garbage collection should not make a 5 ms figure 30."""
    best = float("inf")
    for _ in range(times):
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def _journal_cpu(targets: list[Target], options: RunOptions, results: RunResults, out: Path) -> float:
    """CPU to record every finished case in a fresh journal, as the session does while it runs."""
    pairs = [(f"{bb.bb}@{bb.ref} {bb.target}", c) for bb in results.results for c in bb.cases]

    def again() -> None:
        journal = open_journal(out, [journal_target(t, options) for t in targets], resume=False)
        for key, case in pairs:
            journal.record(key, case)
        journal.close(complete=True)

    return _cpu(again)


def _whole_run(selector: str) -> float:
    """CPU of a whole `govstack-conform run` process against a fresh mock of the BB."""
    with Mock([selector]) as mock, tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-m", "govstack_conform", "run", selector, "--target", mock.url, "--out", out]
        auth = ["--token", "env:BENCH_TOKEN", "--api-key", "env:BENCH_KEY", "--quiet"]
        return measure([*cmd, *auth], env={"BENCH_TOKEN": TOKEN, "BENCH_KEY": API_KEY}).cpu_s


def measure_bb(selector: str, repeat: int) -> dict[str, Any]:
    options = RunOptions(concurrency=8, credentials=Credentials(bearer=TOKEN, api_key=API_KEY))
    with Mock([selector]) as mock:
        contract = load_contract(selector)
        bb = load_catalog().get(contract.bb)
        target = Target(contract, mock.url, bb.platform_id, tuple(bb.profile.headers.items()))
        t0 = time.process_time()
        cases = plan_target(target, options)
        cases = tuple(
            dataclasses.replace(c, case_id=f"{c.case_id}#{k}") if k else c for k in range(repeat) for c in cases
        )
        target = dataclasses.replace(target, cases=cases)
        plan_cpu = time.process_time() - t0
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp)
            journal = open_journal(out / "run", [journal_target(target, options)], resume=False)
            t0 = time.process_time()
            results = run([target], options, journal=journal)
            journal.close(complete=results.complete)
            run_cpu = plan_cpu + time.process_time() - t0
            journal_bytes = (out / "run" / ".run-journal.ndjson").stat().st_size
            journal_cpu = _journal_cpu([target], options, results, out / "again")
            outputs_cpu = _cpu(lambda: render(results, ["json", "form"], out / "reports"))
            safe = redact_results(results, ())
            compliance = assess(safe)
            parts = {
                "redact": _cpu(lambda: redact_results(results, ())),
                "to_dict": _cpu(lambda: to_dict(safe)),
                "document": _cpu(lambda: results_document(safe, compliance)),
            }
            document = results_document(safe, compliance)
            parts["encode"] = _cpu(lambda: dumps(document))
            results_bytes = (out / "reports" / "results.json").stat().st_size
    whole = _whole_run(selector) if repeat == 1 else float("nan")
    writing = journal_cpu + outputs_cpu
    return {
        "bb": selector,
        "cases": len(cases),
        "run": run_cpu,
        "journal": journal_cpu,
        "outputs": outputs_cpu,
        "share": writing / (run_cpu + outputs_cpu),
        "of_run": writing / whole,
        "parts": parts,
        "results_mb": results_bytes / 1e6,
        "journal_mb": journal_bytes / 1e6,
    }


def _pct(share: float) -> str:
    return "-" if share != share else f"{share:.1%}"  # NaN: not measured (--repeat)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("selectors", nargs="*", help="BB@REF (default: every BB's default release)")
    parser.add_argument("--repeat", type=int, default=1, help="plan each suite this many times over")
    args = parser.parse_args()
    selectors = args.selectors or [f"{bb.key}@{bb.default_ref}" for bb in load_catalog().bbs]
    print(
        f"{'BB':<28} {'cases':>6} {'run CPU':>8} {'journal':>8} {'outputs':>8} {'share':>6} {'of run':>6}   "
        "(redact / to_dict / document / encode)   results.json  journal"
    )
    worst, worst_run = 0.0, 0.0
    for sel in selectors:
        m = measure_bb(sel, args.repeat)
        p = m["parts"]
        worst, worst_run = max(worst, m["share"]), max(worst_run, m["of_run"])
        print(
            f"{m['bb']:<28} {m['cases']:>6} {m['run']:>7.2f}s {m['journal']:>7.3f}s {m['outputs']:>7.3f}s "
            f"{m['share']:>6.1%} {_pct(m['of_run']):>6}   ({p['redact']:.3f} / {p['to_dict']:.3f} / "
            f"{p['document']:.3f} / {p['encode']:.3f} s)   {m['results_mb']:>6.1f} MB {m['journal_mb']:>6.1f} MB"
        )
    whole = _pct(worst_run) if worst_run else "-"
    print(f"worst share: {worst:.1%} of planning and sending, {whole} of a whole run (goal <= 10 %)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
