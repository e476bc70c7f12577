"""Cucumber Messages NDJSON, as the GovStack compliance platform ingests it.

One feature per operation, tagged `@method=VERB @endpoint=/path` (the platform groups by these), one
scenario per case, one step per named check that did not simply pass, and one step listing those that
did. The platform stores an upload as one document (16 MiB at most), so what holds for the whole run is
written once, in the first feature's description, and each BB's facts in its first feature's.
The platform counts a case as passed when none of its steps
FAILED, so steps are FAILED exactly when our compliance model counts the case as failed (FAILED,
NOT_IMPLEMENTED, ERROR); untestable and skipped cases are not sent, as they were never run. A waived
failure is a PASSED step whose message says it is waived; an advisory (non-REQUIRED) failure in a
passing case is UNKNOWN. IDs and timestamps derive from the results only, so output is reproducible.
"""

from __future__ import annotations

import io
import json
import platform
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import IO, Any

from govstack_conform.assessment.compliance import (
    NOT_RUN,
    PLATFORM_FAILED,
    BBCompliance,
    CaseView,
    Compliance,
    OperationCompliance,
)
from govstack_conform.engine.results import CheckResult, Outcome, RunResults
from govstack_conform.report.evidence.text import rule_line
from govstack_conform.report.facts import run_facts
from govstack_conform.text import one_line

PROTOCOL_VERSION = "27.0.0"


def _ts(iso: str, offset_ms: float = 0.0) -> dict[str, int]:
    try:
        base = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        base = datetime.fromtimestamp(0).astimezone()
    t = base + timedelta(milliseconds=offset_ms)
    whole = int(t.timestamp())
    return {"seconds": whole, "nanos": t.microsecond * 1000}


def _dur(ms: float) -> dict[str, int]:
    ns = max(0, round(ms * 1_000_000))
    return {"seconds": ns // 1_000_000_000, "nanos": ns % 1_000_000_000}


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("_") or "root"


def _tag(text: str) -> str:
    return re.sub(r"\s+", "_", one_line(text))


def _step_status(v: CaseView, c: CheckResult) -> tuple[str, str | None]:
    if c.outcome is Outcome.PASSED:
        return "PASSED", None
    if c.outcome is Outcome.FAILED:
        if c.waived:
            return "PASSED", "failed but waived: " + rule_line(c)
        if v.verdict in PLATFORM_FAILED:
            return "FAILED", rule_line(c)
        return "UNKNOWN", "advisory, not met: " + rule_line(c)
    return "SKIPPED", rule_line(c)


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self) -> str:
        self.n += 1
        return str(self.n)


_WORST = ("FAILED", "UNKNOWN", "SKIPPED", "PASSED")
MAX_MESSAGES = 3  # failures of one check on one step said in its message; the rest counted


def _steps(v: CaseView) -> list[tuple[str, str, str, str | None]]:
    """(keyword, text, status, message) per step of the scenario for one case.

    One step per named check and request step (a body breaking its schema at 20 places is one failed
    step, its message naming the first few), and the checks that simply passed as one step listing them:
    what the platform counts (a case passes when none of its steps FAILED) is unchanged, and an upload of
    a large BB with every case failing stays far below the platform's document size cap.
    """
    c = v.case
    first_status, first_msg = (
        ("FAILED", one_line(c.reason or "no response")) if v.verdict.value == "error" else ("PASSED", None)
    )
    out = [("When ", one_line(f"the {c.kind.value} case is sent: {c.description}", 300), first_status, first_msg)]
    groups: dict[tuple[str, str, str | None], list[tuple[str, str | None]]] = {}
    for k in c.checks:
        groups.setdefault((k.check, k.level.value, k.step), []).append(_step_status(v, k))
    passed: list[str] = []
    for (check, level, step), found in groups.items():
        where = f" on {step}" if step and step != "request" else ""  # "request": the step of one-step cases
        said = [m for _, m in found if m]
        if not said:
            passed.append(f"{check}{where}")
            continue
        status = next(s for s in _WORST if any(st == s for st, _ in found))
        message = "; ".join(said[:MAX_MESSAGES]) + (
            f"; and {len(said) - MAX_MESSAGES} more" if len(said) > MAX_MESSAGES else ""
        )
        out.append(
            (
                "Then " if len(out) == 1 else "And ",
                one_line(f"{check} ({level}){where}"),
                status,
                one_line(message, 2000),
            )
        )
    if passed:
        out.append(
            (
                "Then " if len(out) == 1 else "And ",
                one_line("these checks passed: " + ", ".join(passed)),
                "PASSED",
                None,
            )
        )
    if v.verdict in PLATFORM_FAILED and not any(s[2] == "FAILED" for s in out):
        out.append(("Then ", f"the case is {v.verdict.value}", "FAILED", one_line(c.reason or v.verdict.value)))
    return out


def run_description(facts: Any) -> list[str]:
    """What holds for the whole run, written once: in the description of the upload's first feature."""
    return [
        f"govstack-conform {facts.tool_version}; seed {facts.seed}; date {facts.started}",
        "options that change results: " + ("; ".join(facts.option_lines()) or "none"),
    ]


def bb_description(bbc: BBCompliance) -> list[str]:
    """What holds for one BB release, written once: in the description of its first feature."""
    bb = bbc.result
    return [
        f"{bb.title} {bb.ref} ({bb.platform_id}) at {bb.target}",
        f"verdict: {bbc.verdict_text}; API level: {bbc.level_text}",
        *(f"spec {f.path} sha256 {f.sha256}" for f in bb.spec_files),
    ]


def _feature(
    bbc: BBCompliance, op: OperationCompliance, views: list[CaseView], ids: _Ids, description: list[str]
) -> tuple[list[dict[str, Any]], list[tuple[CaseView, str, tuple[str, ...]]]]:
    bb = bbc.result
    uri = f"features/{_slug(bb.bb)}/{_slug(bb.ref)}/{_slug(op.key)}.feature"
    tags = [f"@method={op.method}", f"@endpoint={_tag(op.path)}"]
    lines = [" ".join(tags), f"Feature: {one_line(op.key)}"] + ["  " + one_line(d) for d in description] + [""]
    feature_tags = [
        {"location": {"line": 1, "column": 1 + len(" ".join(tags[:i])) + (1 if i else 0)}, "name": t, "id": ids()}
        for i, t in enumerate(tags)
    ]
    children = []
    pickles: list[dict[str, Any]] = []
    runs: list[tuple[CaseView, str, tuple[str, ...]]] = []  # per case its pickle's id and its steps' ids
    for v in views:
        steps = _steps(v)
        sc_line = len(lines) + 2
        sc_tag = f"@{v.case.kind.value}"
        lines += [f"  {sc_tag}", f"  Scenario: {one_line(v.case.name)}"]
        g_steps = []
        for kw, text, _, _ in steps:
            lines.append(f"    {kw}{text}")
            g_steps.append(
                {
                    "location": {"line": len(lines), "column": 5},
                    "keyword": kw,
                    "keywordType": "Action" if kw == "When " else ("Outcome" if kw == "Then " else "Conjunction"),
                    "text": text,
                    "id": ids(),
                }
            )
        lines.append("")
        sc_tag_msg = {"location": {"line": sc_line - 1, "column": 3}, "name": sc_tag, "id": ids()}
        scenario = {
            "location": {"line": sc_line, "column": 3},
            "tags": [sc_tag_msg],
            "keyword": "Scenario",
            "name": one_line(v.case.name),
            "description": "",
            "steps": g_steps,
            "examples": [],
            "id": ids(),
        }
        children.append({"scenario": scenario})
        pickle_steps: list[dict[str, Any]] = [
            {
                "astNodeIds": [g["id"]],
                "id": ids(),
                "type": "Action" if g["keywordType"] == "Action" else "Outcome",
                "text": g["text"],
            }
            for g in g_steps
        ]
        pickle: dict[str, Any] = {
            "id": ids(),
            "uri": uri,
            "name": scenario["name"],
            "language": "en",
            "steps": pickle_steps,
            "tags": [{"name": t["name"], "astNodeId": t["id"]} for t in feature_tags]
            + [{"name": sc_tag, "astNodeId": sc_tag_msg["id"]}],
            "astNodeIds": [scenario["id"]],
        }
        pickles.append({"pickle": pickle})
        runs.append((v, pickle["id"], tuple(s["id"] for s in pickle_steps)))
    text = "\n".join(lines) + "\n"
    document = {
        "uri": uri,
        "feature": {
            "location": {"line": 2, "column": 1},
            "tags": feature_tags,
            "language": "en",
            "keyword": "Feature",
            "name": one_line(op.key),
            "description": "\n".join("  " + one_line(d) for d in description),
            "children": children,
        },
        "comments": [],
    }
    head: list[dict[str, Any]] = [
        {"source": {"uri": uri, "data": text, "mediaType": "text/x.cucumber.gherkin+plain"}},
        {"gherkinDocument": document},
    ]
    return head + pickles, runs


def messages(results: RunResults, compliance: Compliance) -> Iterator[dict[str, Any]]:
    facts = run_facts(results)
    ids = _Ids()
    yield {
        "meta": {
            "protocolVersion": PROTOCOL_VERSION,
            "implementation": {"name": "govstack-conform", "version": facts.tool_version},
            "runtime": {"name": "python", "version": platform.python_version()},
            "os": {"name": platform.system().lower() or "unknown"},
            "cpu": {"name": platform.machine() or "unknown"},
        }
    }
    runs = []
    first_of_run = True
    for bbc in compliance.bbs:
        first_of_bb = True
        for op in bbc.operations:
            views = [v for v in op.cases if v.verdict not in NOT_RUN]
            if not views:
                continue
            description = (run_description(facts) if first_of_run else []) + (
                bb_description(bbc) if first_of_bb else []
            )
            first_of_run = first_of_bb = False
            head, op_runs = _feature(bbc, op, views, ids, description)
            yield from head
            runs += [(bbc, r) for r in op_runs]
    run_id = ids()
    yield {"testRunStarted": {"timestamp": _ts(results.started), "id": run_id}}
    cases = []  # per case (what runs keeps of it) its test case's id and its test steps' ids
    for _, (_v, pickle_id, step_ids) in runs:
        tc: dict[str, Any] = {
            "id": ids(),
            "pickleId": pickle_id,
            "testRunStartedId": run_id,
            "testSteps": [
                {"id": ids(), "pickleStepId": s, "stepDefinitionIds": [], "stepMatchArgumentsLists": []}
                for s in step_ids
            ],
        }
        cases.append((tc["id"], tuple(t["id"] for t in tc["testSteps"])))
        yield {"testCase": tc}
    clock = 0.0
    success = True
    for (bbc, (v, _pickle, _)), (tc_id, test_steps) in zip(runs, cases, strict=True):
        start = bbc.result.started or results.started
        started_id = ids()
        yield {"testCaseStarted": {"attempt": 0, "testCaseId": tc_id, "id": started_id, "timestamp": _ts(start, clock)}}
        steps = _steps(v)  # again, rather than kept for every case since its scenario was written
        share = v.case.duration_ms / max(1, len(steps))
        for (_, _, status, msg), ts in zip(steps, test_steps, strict=True):
            yield {
                "testStepStarted": {
                    "testCaseStartedId": started_id,
                    "testStepId": ts,
                    "timestamp": _ts(start, clock),
                }
            }
            clock += share
            result: dict[str, Any] = {"status": status, "duration": _dur(share)}
            if msg:
                result["message"] = msg
            success = success and status != "FAILED"
            yield {
                "testStepFinished": {
                    "testCaseStartedId": started_id,
                    "testStepId": ts,
                    "testStepResult": result,
                    "timestamp": _ts(start, clock),
                }
            }
        yield {
            "testCaseFinished": {
                "testCaseStartedId": started_id,
                "timestamp": _ts(start, clock),
                "willBeRetried": False,
            }
        }
    yield {"testRunFinished": {"success": success, "timestamp": _ts(results.finished), "testRunStartedId": run_id}}


class CucumberFormat:
    name = "cucumber"
    filename = "cucumber.ndjson"
    extension = "ndjson"

    def render(self, results: RunResults, compliance: Compliance) -> bytes:
        out = io.BytesIO()
        self.write(results, compliance, out)
        return out.getvalue()

    def write(self, results: RunResults, compliance: Compliance, out: IO[bytes]) -> None:
        """One message a line, written as it is made (a large run's messages held whole took ten times the
        file's size)."""
        for m in messages(results, compliance):
            line = json.dumps(m, ensure_ascii=False, separators=(",", ":"))
            try:
                data = line.encode("utf-8")
            except UnicodeEncodeError:
                data = json.dumps(m, ensure_ascii=True, separators=(",", ":")).encode("utf-8")
            out.write(data + b"\n")
