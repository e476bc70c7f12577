"""The interface-compliance part of the GovStack compliance form, per BB, ready to paste or submit.

Shaped like the form's `bbDetails[<bb>].interfaceCompliance`: `level` (-1 none, 1, 2),
`testHarnessResult` (what was run, in words) and `requirements` with the form's integer codes
(fulfillment MET=1 / NOT_MET=0 / NA=-1; status REQUIRED=0 / RECOMMENDED=1 / OPTIONAL=2).
"""

from __future__ import annotations

from typing import Any

from govstack_conform.assessment.compliance import BBCompliance, Compliance
from govstack_conform.engine.results import RunResults
from govstack_conform.report.facts import run_facts
from govstack_conform.report.formats.json import dumps
from govstack_conform.text import clean, one_line, pct


def _harness(bbc: BBCompliance, results: RunResults) -> str:
    f = run_facts(results)
    bb = bbc.result
    n = bbc.case_counts
    specs = ", ".join(f"{s.path} (sha256 {s.sha256})" for s in bb.spec_files)
    options = "; ".join(f.option_lines()) or "none"
    return clean(
        f"govstack-conform {f.tool_version} tested {bb.title} {bb.ref} against {bb.target} on {bb.started or f.started}"
        f" (seed {f.seed}, {bb.duration_s:.1f} s). Cases: {n['passed']} passed, {n['failed']} failed, "
        f"{n['not-implemented']} not implemented, {n['error']} errors, {n['untestable']} untestable, "
        f"{n['skipped']} skipped ({bbc.waived_cases} passed through waivers). Compliance over REQUIRED checks: "
        f"{pct(bbc.compliance_pct)}. Verdict: {bbc.verdict_text}. {bbc.level_reason}.{_unchecked(bbc)} "
        f"Specs: {specs}. Options: {options}."
    )


def _unchecked(bbc: BBCompliance) -> str:
    if not bbc.coverage.unchecked:
        return ""
    listed = "; ".join(f"{u.operation} ({u.verdict.value}: {one_line(u.reason, 200)})" for u in bbc.coverage.unchecked)
    return f" Not checked: {listed}."


def form(results: RunResults, compliance: Compliance) -> dict[str, Any]:
    f = run_facts(results)
    details: dict[str, Any] = {}
    for bbc in compliance.bbs:
        bb = bbc.result
        key = bb.platform_id if bb.platform_id not in details else f"{bb.platform_id}@{bb.ref} {bb.target}"
        details[key] = {
            "bbSpecification": bb.bb,
            "bbVersion": bb.ref,
            "interfaceCompliance": {
                "level": int(bbc.level),
                "levelText": bbc.level_text,
                "operationsChecked": {"checked": bbc.coverage.checked, "of": bbc.coverage.total},
                "testHarnessResult": _harness(bbc, results),
                "requirements": [r.to_form() for r in bbc.requirements],
            },
        }
    return {
        "generator": {"name": "govstack-conform", "version": f.tool_version},
        "date": f.started,
        "levelRule": compliance.level_rule,
        "codes": {
            "fulfillment": {"MET": 1, "NOT_MET": 0, "NA": -1},
            "status": {"REQUIRED": 0, "RECOMMENDED": 1, "OPTIONAL": 2},
            "level": {"NA": -1, "LEVEL_1": 1, "LEVEL_2": 2},
        },
        "bbDetails": details,
    }


class ComplianceFormFormat:
    name = "form"
    filename = "compliance-form.json"
    extension = "json"

    def render(self, results: RunResults, compliance: Compliance) -> bytes:
        return dumps(form(results, compliance))
