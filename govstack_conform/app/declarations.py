"""Operations a product declares it leaves out by design, and per-BB waivers from the config.

A declared operation's cases are not sent; they are reported SKIPPED with the declared reason, and
so is every other case whose steps touch a declared operation (a create-read-delete sequence cannot
pass without its delete). Nothing is ever failed or passed on a declaration: the compliance model
counts a skipped operation as NA that prevents API Level 2, so a declaration cannot buy a better
verdict, only an honest "not offered" instead of a misleading failure.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from govstack_conform.assessment.compliance import DECLARED
from govstack_conform.assessment.waivers import apply_waivers
from govstack_conform.config.file import Config, NotImplementedDecl
from govstack_conform.config.schema import suggest
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.caselog import rearranged
from govstack_conform.engine.cases import Case
from govstack_conform.engine.packed import kept_like
from govstack_conform.engine.results import BBResult, CaseResult, RunResults, Verdict
from govstack_conform.errors import ConfigError

if TYPE_CHECKING:
    from govstack_conform.engine.options import RunOptions
    from govstack_conform.engine.plan.select import Criteria
    from govstack_conform.engine.run.session import Target

PREFIX = DECLARED


@dataclass(frozen=True)
class Declared:
    """The split of a BB's planned cases by a declaration (and by the run's selection, if any)."""

    kept: Sequence[Case]  # to run (packed if the plan is: engine/packed.py)
    skipped: Sequence[Case]  # not sent: they need a declared operation
    operations: frozenset[str]  # keys of the declared operations
    reason: str
    order: tuple[str, ...]  # case ids in plan order, to put results back in that order; () when it is kept's
    unselected: Sequence[Case] = ()  # not sent: left out by --operation/--kind/--case/--tag
    selection: str = ""  # why they were left out ("not selected: --kind negative")
    support: tuple[Case, ...] = ()  # sent though not selected: a selected negative case needs them
    matched: frozenset[str] = frozenset()  # the selection's values that matched a case of this BB

    def plan_order(self) -> tuple[str, ...]:
        """Case ids in plan order (worked out only when asked: a large plan is decoded to know them)."""
        return self.order or tuple(c.case_id for c in self.kept)


def declared_operations(contract: Contract, decl: NotImplementedDecl) -> frozenset[str]:
    """Keys of the operations `decl` names; ConfigError for a name or tag the contract does not have."""
    keys: set[str] = set()
    names = [op.key for op in contract.operations] + [op.operation_id for op in contract.operations if op.operation_id]
    for name in decl.operations:
        norm = _op_key(name)
        op = contract.operation(norm)
        if op is None:
            raise ConfigError(f"not_implemented: {contract.label} has no operation {name!r}{suggest(norm, names)}")
        keys.add(op.key)
    tags = sorted({t for op in contract.operations for t in op.tags})
    lowered = {t.lower(): t for t in tags}
    for tag in decl.tags:
        if tag.lower() not in lowered:
            raise ConfigError(f"not_implemented: {contract.label} has no tag {tag!r}{suggest(tag, tags)}")
        keys.update(op.key for op in contract.operations if any(t.lower() == tag.lower() for t in op.tags))
    return frozenset(keys)


def _op_key(name: str) -> str:
    parts = name.split(None, 1)
    if len(parts) == 2 and parts[1].startswith("/"):
        return f"{parts[0].upper()} {parts[1].strip()}"
    return name.strip()


def split_declared(contract: Contract, cases: Sequence[Case], decl: NotImplementedDecl | None) -> Declared:
    """Which cases to run and which to report as skipped because they need a declared operation."""
    if decl is None:
        return Declared(cases, (), frozenset(), "", ())
    order = tuple(c.case_id for c in cases)
    ops = declared_operations(contract, decl)
    skipped = kept_like(cases, (c for c in cases if c.operation in ops or any(s.operation in ops for s in c.steps)))
    gone = {c.case_id for c in skipped}
    return Declared(kept_like(cases, (c for c in cases if c.case_id not in gone)), skipped, ops, decl.reason, order)


def skipped_reason(case: Case, declared: Declared) -> str:
    """Why a case set aside by a declaration is not sent (its operation, or one its steps need, is declared)."""
    if case.operation in declared.operations:
        return f"{PREFIX}: {declared.reason}"
    needs = sorted({s.operation for s in case.steps if s.operation in declared.operations})
    return f"{PREFIX} ({', '.join(needs)}), which this case needs: {declared.reason}"


def apply_declared(bb: BBResult, declared: Declared) -> BBResult:
    """Put the skipped cases back (in plan order) and mark the declared operations SKIPPED with the reason;
    cases the selection left out come back SKIPPED as not selected, and so do operations none of whose
    cases was selected."""
    if not declared.operations and not declared.unselected:
        return bb
    reason = f"{PREFIX}: {declared.reason}"
    # Each case sent by its place in bb.cases (read from the journal, they are not all held), each one set
    # aside as its SKIPPED result.
    results: dict[str, int | CaseResult] = {c.case_id: i for i, c in enumerate(bb.cases)}
    for c in declared.unselected:
        results[c.case_id] = CaseResult(
            c.case_id, c.operation, c.kind, c.name, c.description, Verdict.SKIPPED, reason=declared.selection
        )
    sent = {c.operation for c in declared.kept}
    unselected = {c.operation for c in declared.unselected} - sent - declared.operations
    for c in declared.skipped:
        results[c.case_id] = CaseResult(
            c.case_id, c.operation, c.kind, c.name, c.description, Verdict.SKIPPED, reason=skipped_reason(c, declared)
        )
    rank = {cid: i for i, cid in enumerate(declared.plan_order())}
    cases = rearranged(bb.cases, [r for _, r in sorted(results.items(), key=lambda kv: rank.get(kv[0], len(rank)))])
    ops = []
    for o in bb.operations:
        if o.key in declared.operations:
            o = dataclasses.replace(o, verdict=Verdict.SKIPPED, reason=reason)
        elif o.key in unselected and o.verdict is Verdict.SKIPPED:
            o = dataclasses.replace(o, reason=declared.selection)
        elif o.verdict is Verdict.SKIPPED and any(c.operation == o.key for c in declared.skipped):
            o = dataclasses.replace(o, reason=f"every case of it needs a declared operation: {reason}")
        ops.append(o)
    return dataclasses.replace(bb, cases=cases, operations=tuple(ops))


def apply_config_waivers(results: RunResults, config: Config, today: date) -> RunResults:
    """Apply [[waivers]] to every BB and [[bb.<key>.waivers]] to that BB only; one combined listing."""
    bbs = []
    listed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for bb in results.results:
        mine = config.waivers_for(bb.bb)
        part = apply_waivers(dataclasses.replace(results, results=(bb,)), mine, today)
        bbs.append(part.results[0])
        scoped = set(config.waivers)
        for w, entry in zip(mine, part.options["waivers"], strict=True):
            scope = "*" if w in scoped else bb.bb
            key = (scope, *sorted(w.to_dict().items()))
            if key in listed:
                listed[key]["matched"] += entry["matched"]
            else:
                listed[key] = {**entry, "bb": scope}
    if not listed:
        return results
    options = {**dict(results.options), "waivers": list(listed.values()), "waivers_evaluated_on": today.isoformat()}
    return dataclasses.replace(results, results=tuple(bbs), options=options)


def prepare(
    target: Target,
    options: RunOptions,
    *,
    shard_spec: str | None,
    decl: NotImplementedDecl | None,
    criteria: Criteria | None = None,
) -> tuple[Target, Declared]:
    """Plan a target's cases once, keep this shard's and the selection's, set aside the declared ones: what
    `run` sends.

    Run the returned Target, then `apply_declared(bb_result, declared)` puts the skipped cases back.
    Sharding comes first, so a declared case is reported by the shard that owns its operation only; the
    selection applies to the whole plan of the shard, so a selected case is the one a full run sends.
    """
    from govstack_conform.engine.plan.select import select
    from govstack_conform.engine.plan.shard import shard
    from govstack_conform.engine.run.session import plan_target

    cases = plan_target(target, options)
    if shard_spec:
        cases = kept_like(cases, shard(cases, shard_spec))
    picked = select(cases, criteria) if criteria is not None else None
    declared = split_declared(target.contract, picked.kept if picked else cases, decl)
    if picked is not None and picked.reason:
        declared = dataclasses.replace(
            declared,
            order=tuple(c.case_id for c in cases),
            unselected=picked.left_out,
            selection=picked.reason,
            support=picked.support,
            matched=picked.matched,
        )
    return dataclasses.replace(target, cases=declared.kept), declared
