"""Findings: failures grouped by root cause, so that 99 cases failing for one reason read as one finding.

A cause is the check, its level and either the schema rule broken (file and pointer: the same rule broken
by many answers is one cause) or the behaviour in words, the same for every case it groups ("answers 422
to invalid input where the contract documents 400"). What is specific to one case (its description, the
operation, an excerpt of the answer, a value) never enters the cause. Computed once here, from the results
alone, so results.json, the terminal and every report list the same findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govstack_conform.engine.cases import Level
from govstack_conform.engine.results import CaseResult, CheckResult, Outcome
from govstack_conform.text import one_line

_LEVEL_ORDER = {Level.REQUIRED: 0, Level.RECOMMENDED: 1, Level.OPTIONAL: 2}
_DOCUMENTED_4XX = re.compile(r"not among the documented 4xx answers \(([^()]*)\)")
_DOCUMENTED = re.compile(r"\(documented: ([^()]*)\)")
_BUDGET = re.compile(r"within ([0-9.]+) ms")
_QUOTED = re.compile(r" \(the answer says: .*?\)(?=: |; |, | \(|$)")
_REDIRECT = re.compile(r" \(a redirect (?:to .*?, not followed: the tool judges the answer it gets and sends nothing "
                       r"elsewhere|without Location)\)")  # fmt: skip
# schemas.py's words for a missing property, and jsonschema's (results written before it said it in words)
_REQUIRED = re.compile(r'the required property "([^"]*)" is missing|\'([^\']*)\' is a required property')
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class Finding:
    """One root cause and every case that shows it; `cases[0]` with `checks[0]` is the example."""

    bb: str  # "consent@main"
    check: str
    level: Level
    rule: str  # the cause in words, the same for every case
    location: str | None  # "file#pointer" of the schema rule broken, when the cause is one
    cases: tuple[CaseResult, ...]  # in plan order
    checks: tuple[CheckResult, ...]  # per case, its first failure of this cause

    @property
    def count(self) -> int:
        return len(self.cases)

    @property
    def case_ids(self) -> tuple[str, ...]:
        return tuple(c.case_id for c in self.cases)

    @property
    def operations(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.operation for c in self.cases))

    @property
    def label(self) -> str:
        """'check (level): rule', as every format states a finding."""
        return f"{self.check} ({self.level.value}): {self.rule}"

    def to_dict(self) -> dict[str, Any]:
        case, check = self.cases[0], self.checks[0]
        return {
            "bb": self.bb,
            "check": self.check,
            "level": self.level.value,
            "rule": self.rule,
            "location": self.location,
            "count": self.count,
            "operations": list(self.operations),
            "case_ids": list(self.case_ids),
            "example": {
                "case_id": case.case_id,
                "operation": case.operation,
                "step": check.step,
                "message": check.message,
                "instance_pointer": check.instance_pointer,
            },
        }


def _status(case: CaseResult, step: str | None) -> int | None:
    for x in case.exchanges:
        if x.step == step and x.response is not None:
            return x.response.status
    return None


def _plain(case: CaseResult, message: str) -> str:
    """The message without what is specific to the case: its description, operation, the answer's words."""
    text = message
    for part in (f" ({case.description})", case.description):
        if part.strip():
            text = text.replace(part, "")
    text = _QUOTED.sub("", text)
    text = _REDIRECT.sub("", text)
    text = text.replace(f" for {case.operation}", "").replace(case.operation, "the operation")
    return _SPACES.sub(" ", text).strip()


def _same_class(codes: str, status: int) -> str:
    """The documented codes of the answered status's class ("200, 201" of "200, 201, 400" for a 202)."""
    mine = [c.strip() for c in codes.split(",") if c.strip()[:1] == str(status)[:1]]
    return ", ".join(mine) or codes


def _behaviour(c: CheckResult, case: CaseResult) -> str:
    """The cause of a failure that is not a schema rule, in words."""
    s = _status(case, c.step)
    if c.check == "invalid_input_rejected" and s is not None:
        if 400 <= s < 500 and (m := _DOCUMENTED_4XX.search(c.message)):
            return f"answers {s} to invalid input where the contract documents {m.group(1)}"
        if s < 400:
            return f"accepts invalid input (answers {s})"
        return f"answers {s} to invalid input"
    if c.check == "no_server_error" and s is not None:
        return "answers 501 Not Implemented" if s == 501 else f"fails with a server error ({s})"
    if c.check == "status_code_documented" and s is not None and (m := _DOCUMENTED.search(c.message)):
        return f"answers {s} where the contract documents {_same_class(m.group(1), s)}"
    if c.check == "latency_within_budget" and (m := _BUDGET.search(c.message)):
        return f"answers more slowly than the {m.group(1)} ms budget"
    if c.check == "method_not_allowed" and s is not None:
        return f"answers {s} to a method the contract does not declare (405 recommended)"
    return _plain(case, c.message)


def _missing(c: CheckResult) -> str | None:
    """The property a `required` failure is about: named in the message, else the end of its pointer."""
    m = _REQUIRED.search(c.message)
    if m:
        return m.group(1) or m.group(2)
    return c.instance_pointer.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~") if c.instance_pointer else None


def _cause(c: CheckResult, case: CaseResult) -> tuple[str, str | None, str]:
    """(rule, schema location or None, grouping key) of one failure."""
    if c.schema_pointer and c.instance_pointer is not None:
        location = f"{c.schema_file or ''}#{c.schema_pointer}"
        keyword = c.schema_pointer.rsplit("/", 1)[-1]
        if keyword == "required" and (name := _missing(c)):
            return f'lacks the required property "{name}" of the schema at {location}', location, name
        return f"breaks the schema rule '{keyword}' at {location}", location, ""
    rule = _behaviour(c, case)
    return rule, None, rule


def findings(bb_label: str, cases: Iterable[CaseResult]) -> tuple[Finding, ...]:
    """The BB's findings from its cases: unwaived failures grouped by cause, REQUIRED first, then the most
    cases first; a case counts once per cause."""
    groups: dict[tuple[str, Level, str | None, str], tuple[str, list[CaseResult], list[CheckResult]]] = {}
    for case in cases:
        seen: set[tuple[str, Level, str | None, str]] = set()
        for c in case.checks:
            if c.outcome is not Outcome.FAILED or c.waived:
                continue
            rule, location, key = _cause(c, case)
            group = (c.check, c.level, location, key)
            if group in seen:
                continue
            seen.add(group)
            found = groups.setdefault(group, (rule, [], []))
            found[1].append(case)
            found[2].append(c)
    out = [
        Finding(bb_label, check, level, one_line(rule, 400), location, tuple(mine), tuple(checks))
        for (check, level, location, _), (rule, mine, checks) in groups.items()
    ]
    return tuple(sorted(out, key=lambda f: (_LEVEL_ORDER[f.level], -f.count, f.check, f.rule)))
