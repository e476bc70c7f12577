"""Waivers: a named check on a named operation accepted as failed, with a reason and an expiry.

A waived failure stays in the results (outcome FAILED, `waived` set to the justification) so every
report still shows it; only the compliance verdicts treat it as met. Expired waivers stop counting
and are listed as expired, so a forgotten waiver cannot hide a failure for ever.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from govstack_conform.engine.caselog import settled
from govstack_conform.engine.results import CaseResult, CheckResult, Outcome, RunResults


@dataclass(frozen=True)
class Waiver:
    check: str  # check name, e.g. "status_code_documented"
    operation: str  # operation key "METHOD /path" or its operationId
    justification: str
    expires: date  # last day on which the waiver counts

    def active(self, today: date) -> bool:
        return today <= self.expires

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "operation": self.operation,
            "justification": self.justification,
            "expires": self.expires.isoformat(),
        }


def _covers(w: Waiver, check: CheckResult, case: CaseResult, op_ids: dict[str, str | None]) -> bool:
    if w.check != check.check:
        return False
    return w.operation == case.operation or (op_ids.get(case.operation) or None) == w.operation


def _marker(
    waivers: Sequence[Waiver], op_ids: dict[str, str | None], today: date
) -> Callable[[CaseResult], CaseResult]:
    """Marks a case's failed checks with the first active waiver covering them (and clears older marks)."""

    def mark(case: CaseResult) -> CaseResult:
        checks = []
        for check in case.checks:
            why = None
            if check.outcome is Outcome.FAILED:
                for w in waivers:
                    if _covers(w, check, case, op_ids) and w.active(today):
                        why = w.justification or "(no justification given)"
                        break
            checks.append(dataclasses.replace(check, waived=why))
        return dataclasses.replace(case, checks=tuple(checks))

    return mark


def apply_waivers(results: RunResults, waivers: Sequence[Waiver], today: date) -> RunResults:
    """Mark failed checks covered by an active waiver; record every waiver's status in `options`.

    Earlier waiver marks are cleared first, so applying a new set to old results is exact.
    `options["waivers"]` lists each waiver with `status` ("active" / "expired") and `matched`
    (how many failed checks it covers; an expired waiver's count says what it would have covered).
    """
    matched = [0] * len(waivers)
    bbs = []
    for bb in results.results:
        op_ids = {o.key: o.operation_id for o in bb.operations}
        for case in bb.cases:  # counted in one pass, marked as the cases are read (settled)
            for check in case.checks:
                if check.outcome is Outcome.FAILED:
                    for i, w in enumerate(waivers):
                        if _covers(w, check, case, op_ids):
                            matched[i] += 1
        bbs.append(dataclasses.replace(bb, cases=settled(bb.cases, _marker(waivers, op_ids, today))))
    listed = [
        {**w.to_dict(), "status": "active" if w.active(today) else "expired", "matched": matched[i]}
        for i, w in enumerate(waivers)
    ]
    options = {**dict(results.options), "waivers": listed, "waivers_evaluated_on": today.isoformat()}
    return dataclasses.replace(results, results=tuple(bbs), options=options)


def expired(results: RunResults) -> list[dict[str, Any]]:
    """The expired waivers recorded in `results` by `apply_waivers`."""
    listed = results.options.get("waivers") or []
    return [w for w in listed if isinstance(w, dict) and w.get("status") == "expired"]


def active(results: RunResults) -> list[dict[str, Any]]:
    listed = results.options.get("waivers") or []
    return [w for w in listed if isinstance(w, dict) and w.get("status") != "expired"]
