"""Running the engine against a real app for the verdict tests (refusals, operation verdicts, timeouts...).

A small contract is written to a temp dir, the app served on 127.0.0.1 (servers.serve, or raw_server
for a plain handler), and the results read back by case, operation and check.
"""

from __future__ import annotations

import http.server
from collections.abc import Callable
from pathlib import Path
from typing import Any

from servers import raw_server, serve

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.cases import Level
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import BBResult, CaseResult, CheckResult, Outcome
from govstack_conform.engine.run.session import Target, run
from govstack_conform.engine.testdata import load_testdata


def run_app(
    tmp_path: Path,
    spec: str,
    app: Any,
    *,
    fixtures: dict[str, Any] | None = None,
    raw: Callable[[http.server.BaseHTTPRequestHandler], None] | None = None,
    defects: bool = False,
    **options: Any,
) -> BBResult:
    """The BB result of a whole run of `spec` against `app` (an ASGI app) or `raw` (an http.server handler);
    the spec has no error defect unless `defects`."""
    path = tmp_path / "contract.yaml"
    path.write_text(spec)
    contract = load_spec_files([str(path)])
    assert defects or not [d for d in contract.defects if d.severity.value == "error"], contract.defects
    testdata = None
    if fixtures is not None:
        import json

        data = tmp_path / "fixtures.json"
        data.write_text(json.dumps(fixtures))
        testdata = load_testdata([data])
    opts = RunOptions(concurrency=2, **options)
    with raw_server(raw) if raw is not None else serve(app) as url:
        return run([Target(contract, url, testdata=testdata)], opts).results[0]


def required_failures(bb: BBResult) -> list[tuple[CaseResult, CheckResult]]:
    return [
        (c, k)
        for c in bb.cases
        for k in c.checks
        if k.outcome is Outcome.FAILED and k.level is Level.REQUIRED and not k.waived
    ]


def failed_names(bb: BBResult, level: Level = Level.REQUIRED) -> set[str]:
    return {k.check for c in bb.cases for k in c.checks if k.outcome is Outcome.FAILED and k.level is level}


def checks_named(bb: BBResult, name: str) -> list[tuple[CaseResult, CheckResult]]:
    return [(c, k) for c in bb.cases for k in c.checks if k.check == name]


def op_verdict(bb: BBResult, key: str) -> tuple[str, str | None]:
    found = next(o for o in bb.operations if o.key == key)
    return found.verdict.value, found.reason
