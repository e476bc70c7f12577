"""What a verdict covers: how many operations were checked, which were not and why, and the verdict's words.

A BB is "conformant" only when every operation was checked and none failed. Where the run proved
nothing about some operations (a spec defect made them untestable, they were skipped or declared not
implemented) the verdict says "partially checked" with the figure; where cases could not be judged at
all (the connection broke mid-run) it says "incomplete"; a REQUIRED failure makes it "not conformant".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from govstack_conform.engine.results import Verdict

# An operation is checked when the run reached a verdict on the candidate for it.
CHECKED = frozenset({Verdict.PASSED, Verdict.FAILED, Verdict.NOT_IMPLEMENTED})


class BBVerdict(StrEnum):
    CONFORMANT = "conformant"  # every operation checked, no REQUIRED failure
    PARTIAL = "partially checked"  # no REQUIRED failure in what was checked, but not everything was
    INCOMPLETE = "incomplete"  # cases could not be judged (transport errors, interrupted): no verdict on them
    NOT_CONFORMANT = "not conformant"  # a REQUIRED failure, or an operation failed or not implemented


@dataclass(frozen=True)
class Unchecked:
    operation: str
    verdict: Verdict  # untestable, skipped or error
    reason: str


@dataclass(frozen=True)
class Coverage:
    checked: int
    total: int
    unchecked: tuple[Unchecked, ...]
    not_selected: int = 0  # cases a selection (run --operation/--kind/--case/--tag) left out

    @property
    def full(self) -> bool:
        return self.checked == self.total and not self.not_selected

    def text(self) -> str:
        """'checked 9 of 37 operations' (and how many cases were not selected), the figure every verdict states."""
        left_out = f"; {self.not_selected} cases not selected" if self.not_selected else ""
        return f"checked {self.checked} of {self.total} operations{left_out}"

    def to_dict(self) -> dict[str, object]:
        return {
            "checked": self.checked,
            "operations": self.total,
            "not_selected_cases": self.not_selected,
            "not_checked": [
                {"operation": u.operation, "verdict": u.verdict.value, "reason": u.reason} for u in self.unchecked
            ],
        }


def coverage(operations: Sequence[tuple[str, Verdict, str | None]], not_selected: int = 0) -> Coverage:
    """From (key, verdict after waivers, reason) of every operation, and the cases a selection left out."""
    unchecked = tuple(
        Unchecked(key, verdict, _reason(verdict, reason))
        for key, verdict, reason in operations
        if verdict not in CHECKED
    )
    return Coverage(len(operations) - len(unchecked), len(operations), unchecked, not_selected)


def _reason(verdict: Verdict, reason: str | None) -> str:
    """The reason without a leading repeat of the verdict ("untestable: untestable: ...")."""
    text = (reason or "no reason recorded").strip()
    while text.lower().startswith(f"{verdict.value}:"):
        text = text[len(verdict.value) + 1 :].strip()
    return text or "no reason recorded"


def bb_verdict(failed: bool, incomplete: bool, cover: Coverage) -> BBVerdict:
    if failed:
        return BBVerdict.NOT_CONFORMANT
    if incomplete:
        return BBVerdict.INCOMPLETE
    return BBVerdict.CONFORMANT if cover.full else BBVerdict.PARTIAL


def verdict_text(verdict: BBVerdict, cover: Coverage) -> str:
    """The verdict in words with its coverage: never a plain "conformant" over part of the BB."""
    return f"{verdict.value} ({cover.text()})"


def level_text(level: int, cover: Coverage) -> str:
    """'Level 2', or 'Level 2 (partial: checked 9 of 37 operations)'; 'none' when no level is reached."""
    name = {2: "Level 2", 1: "Level 1"}.get(level, "none")
    if level in (1, 2) and not cover.full:
        return f"{name} (partial: {cover.text()})"
    return name
