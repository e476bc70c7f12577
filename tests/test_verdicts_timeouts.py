"""A candidate that does not answer within --timeout fails; a broken connection stays an error.

The product is a plain threaded http.server on 127.0.0.1: /slow answers only after the deadline,
/reset closes the connection without answering, /quick answers at once.
"""

from __future__ import annotations

import http.server
import socket
import time
from pathlib import Path

from test_false_positives import answer
from verdict_helpers import failed_names, run_app

from govstack_conform.assessment.compliance import assess
from govstack_conform.assessment.gate import gate
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.checks.registry import ALL_CHECKS
from govstack_conform.engine.results import Outcome, RunResults, Verdict
from govstack_conform.exitcodes import ExitCode

SPEC = """\
openapi: 3.0.3
info: {title: Timeouts, version: "1"}
components:
  responses:
    Ok:
      description: ok
      content:
        application/json:
          schema: {type: object}
paths:
  /slow:
    get:
      responses:
        '200': {$ref: '#/components/responses/Ok'}
  /reset:
    get:
      responses:
        '200': {$ref: '#/components/responses/Ok'}
  /quick:
    get:
      responses:
        '200': {$ref: '#/components/responses/Ok'}
"""


def handler(h: http.server.BaseHTTPRequestHandler) -> None:
    path = h.path.split("?")[0]
    if path == "/reset" and h.command == "GET":
        h.close_connection = True
        h.connection.shutdown(socket.SHUT_RDWR)
        return
    if path == "/slow":
        time.sleep(2.5)  # past the run's 1 s deadline
    try:
        if h.command not in ("GET", "HEAD"):
            answer(h, 405, b"", None, (("Allow", "GET"),))
        else:
            answer(h, 200, b"{}")
    except (BrokenPipeError, ConnectionResetError):
        h.close_connection = True  # the run gave up on /slow before its late answer: expected


def test_no_answer_within_the_timeout_fails_the_candidate(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, None, raw=handler, timeout_s=1.0, retries=0)
    (slow,) = [c for c in bb.cases if c.operation == "GET /slow" and c.kind is CaseKind.POSITIVE]
    assert slow.verdict is Verdict.FAILED, (slow.verdict, slow.reason)
    (check,) = [k for k in slow.checks if k.check == "answered_within_timeout"]
    assert (check.level, check.outcome) == (Level.REQUIRED, Outcome.FAILED)
    assert "no answer within 1 s" in check.message
    (exchange,) = slow.exchanges  # the request is the evidence
    assert exchange.request.method == "GET" and exchange.request.url.endswith("/slow")
    assert exchange.response is None and exchange.error
    assert next(o for o in bb.operations if o.key == "GET /slow").verdict is Verdict.FAILED
    assert next(o for o in bb.operations if o.key == "GET /quick").verdict is Verdict.PASSED
    assert gate(assess(RunResults("0", "", "", 0, {}, (bb,)))).exit_code is ExitCode.NONCONFORMANT
    assert "answered_within_timeout" in ALL_CHECKS
    assert failed_names(bb) == {"answered_within_timeout"}  # the one defect, and nothing else blamed


def test_a_connection_reset_is_an_error_not_the_candidates_failure(tmp_path: Path) -> None:
    bb = run_app(tmp_path, SPEC, None, raw=handler, timeout_s=1.0, retries=0)
    (reset,) = [c for c in bb.cases if c.operation == "GET /reset" and c.kind is CaseKind.POSITIVE]
    assert reset.verdict is Verdict.ERROR, (reset.verdict, reset.reason)
    assert not [k for k in reset.checks if k.outcome is Outcome.FAILED]
