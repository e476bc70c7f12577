"""What a static interface diff reports: findings with a severity and a place in both files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from govstack_conform.contracts.model import Schema


class Impact(StrEnum):
    """How much a difference costs the candidate's conformance.

    BREAKING: a client written against the BB can fail with the candidate (a request the BB allows
    is rejected, or a response the BB forbids may come back). NON_BREAKING: a real difference that a
    BB client survives. INFO: worth knowing (extra operations, comparisons that could not be made).
    """

    BREAKING = "breaking"
    NON_BREAKING = "non-breaking"
    INFO = "info"


IMPACT_RANK = {Impact.BREAKING: 0, Impact.NON_BREAKING: 1, Impact.INFO: 2}


def location(doc: str | None, pointer: str | None) -> str | None:
    """`file#pointer`, the form every finding uses for both sides."""
    if doc is None:
        return None
    return f"{doc}#{pointer or ''}"


def schema_location(schema: Schema | None) -> str | None:
    return None if schema is None else location(schema.doc, schema.pointer)


@dataclass(frozen=True)
class Finding:
    """One difference between the BB's contract and the candidate's own OpenAPI.

    `operation` is the BB's operation key ("GET /path"), or the candidate's for an extra operation.
    A location is None when the thing does not exist on that side (a missing operation has no
    candidate location).
    """

    code: str
    severity: Impact
    message: str
    bb_location: str | None
    candidate_location: str | None
    operation: str | None = None

    @property
    def breaking(self) -> bool:
        return self.severity is Impact.BREAKING

    def sort_key(self) -> tuple[Any, ...]:
        return (
            self.operation or "",
            IMPACT_RANK[self.severity],
            self.code,
            self.bb_location or "",
            self.candidate_location or "",
            self.message,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "operation": self.operation,
            "bb_location": self.bb_location,
            "candidate_location": self.candidate_location,
        }


@dataclass(frozen=True)
class DiffReport:
    """The whole comparison: what was compared and every finding, in a stable order."""

    bb: str  # "consent@23Q4"
    candidate: str  # the candidate spec file(s), as given
    operations_compared: int
    findings: tuple[Finding, ...] = field(default_factory=tuple)

    @staticmethod
    def build(bb: str, candidate: str, operations_compared: int, findings: Iterable[Finding]) -> DiffReport:
        unique = {
            (f.code, f.severity, f.message, f.bb_location, f.candidate_location, f.operation): f for f in findings
        }
        ordered = tuple(sorted(unique.values(), key=Finding.sort_key))
        return DiffReport(bb, candidate, operations_compared, ordered)

    @property
    def breaking(self) -> bool:
        return any(f.breaking for f in self.findings)

    def counts(self) -> dict[str, int]:
        return {i.value: sum(1 for f in self.findings if f.severity is i) for i in Impact}

    def to_dict(self) -> dict[str, Any]:
        return {
            "bb": self.bb,
            "candidate": self.candidate,
            "operations_compared": self.operations_compared,
            "breaking": self.breaking,
            "summary": self.counts(),
            "findings": [f.to_dict() for f in self.findings],
        }
