"""The words of the findings, kept in one place so they read the same everywhere."""

from __future__ import annotations

from collections.abc import Iterable

from govstack_conform.interface_diff.findings import Finding, schema_location
from govstack_conform.interface_diff.schema_compat import SchemaDifference


def schema_finding(
    code: str, d: SchemaDifference, prefix: str, operation: str, bb_fallback: str | None, cand_fallback: str | None
) -> Finding:
    """A schema difference as a finding: the schema locations when known, else the enclosing element's."""
    return Finding(
        code,
        d.impact,
        prefix + d.message,
        schema_location(d.bb) or bb_fallback,
        schema_location(d.candidate) or cand_fallback,
        operation,
    )


def param_missing(what: str) -> str:
    return f"the candidate does not declare the BB's {what}"


def param_added(what: str) -> str:
    return f"the candidate adds {what}, which the BB does not define"


def param_required(what: str) -> str:
    return f"the candidate makes the BB's optional {what} required (BB clients may leave it out)"


def param_style(what: str, bb: tuple[str, bool], cand: tuple[str, bool]) -> str:
    return (
        f"{what} is serialized differently: BB style={bb[0]} explode={str(bb[1]).lower()}, "
        f"candidate style={cand[0]} explode={str(cand[1]).lower()}"
    )


def _alts(families: Iterable[frozenset[str]]) -> str:
    return " or ".join(" + ".join(sorted(f)) for f in sorted(families, key=sorted))


def security_removed(bb: Iterable[frozenset[str]]) -> str:
    return f"the BB requires authentication ({_alts(bb)}); the candidate declares the operation open to anyone"


def security_added(cand: Iterable[frozenset[str]]) -> str:
    return f"the candidate requires authentication ({_alts(cand)}) where the BB declares none"


def security_changed(bb: Iterable[frozenset[str]], cand: Iterable[frozenset[str]]) -> str:
    return f"different credentials: BB {_alts(bb)}; candidate {_alts(cand)}"
