"""Running a subset: `run --operation/--kind/--case/--tag` keeps part of a plan, after planning.

Selecting after the whole contract is planned keeps every case exactly as a full run plans it (same
data, same seed), so `--case ID` sends what the full run sent. What is left out is reported SKIPPED
with a reason starting NOT_SELECTED, never as passed; the coverage then says the check was partial.

A negative case's refusal proves something only when its operation accepted a valid request in the
same run (engine/run/judge.py), so a selected negative case brings the positive cases of its operation
along when none of them is selected: they are run and reported like any other case.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass

from govstack_conform.engine.cases import Case, CaseKind
from govstack_conform.engine.packed import kept_like

NOT_SELECTED = "not selected"


@dataclass(frozen=True)
class Criteria:
    """What to keep: a case is kept when it matches every criterion given (any of the values of each)."""

    operations: tuple[str, ...] = ()  # "METHOD /path", the path a glob ("GET /config/*"); "* /path" any method
    kinds: tuple[CaseKind, ...] = ()
    case_ids: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.operations or self.kinds or self.case_ids or self.tags)

    def words(self) -> str:
        """The selection as the command line states it, for the reason of what it left out."""
        parts = [f"--operation '{o}'" for o in self.operations]
        parts += [f"--kind {k.value}" for k in self.kinds]
        parts += [f"--case '{c}'" for c in self.case_ids]
        parts += [f"--tag {t}" for t in self.tags]
        return " ".join(parts)


@dataclass(frozen=True)
class Selected:
    kept: Sequence[Case]  # to run, in plan order (support cases included); packed if the plan is
    left_out: Sequence[Case]  # reported SKIPPED, `reason`
    support: tuple[Case, ...]  # kept only because a selected negative case needs them
    reason: str
    matched: frozenset[str]  # the criteria values that matched some case ("operation:GET /x", "case:ID", ...)


def operation_matches(pattern: str, key: str) -> bool:
    """'POST /config/*' against an operation key 'POST /config/data-agreement': method exact, path a glob."""
    method, _, path = pattern.strip().partition(" ")
    if not path:  # just a path: any method
        method, path = "*", method
    op_method, _, op_path = key.partition(" ")
    return (method == "*" or method.upper() == op_method.upper()) and fnmatch.fnmatchcase(op_path, path.strip())


def _matches(case: Case, criteria: Criteria, matched: set[str]) -> bool:
    ok = True
    for name, values, test in (
        ("operation", criteria.operations, lambda v: operation_matches(v, case.operation)),
        ("kind", tuple(k.value for k in criteria.kinds), lambda v: case.kind.value == v),
        ("case", criteria.case_ids, lambda v: case.case_id == v),
        ("tag", criteria.tags, lambda v: v in case.tags),
    ):
        if not values:
            continue
        hits = [v for v in values if test(v)]
        matched.update(f"{name}:{v}" for v in hits)
        ok = ok and bool(hits)
    return ok


def select(cases: Sequence[Case], criteria: Criteria) -> Selected:
    """The cases `criteria` keeps, the ones it leaves out, and the positive cases selected negatives need."""
    if not criteria.given:
        return Selected(cases, (), (), "", frozenset())
    matched: set[str] = set()
    chosen = {c.case_id for c in cases if _matches(c, criteria, matched)}
    negatives = {c.operation for c in cases if c.case_id in chosen and c.kind is CaseKind.NEGATIVE}
    covered = {c.operation for c in cases if c.case_id in chosen and c.kind is CaseKind.POSITIVE}
    support = tuple(
        c
        for c in cases
        if c.case_id not in chosen and c.kind is CaseKind.POSITIVE and c.operation in negatives - covered
    )
    keep = chosen | {c.case_id for c in support}
    return Selected(
        kept_like(cases, (c for c in cases if c.case_id in keep)),
        kept_like(cases, (c for c in cases if c.case_id not in keep)),
        support,
        f"{NOT_SELECTED}: {criteria.words()}",
        frozenset(matched),
    )
