"""Results set against results: merging (shards, runs, BBs) and diffing two runs."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from govstack_conform.assessment.compliance import NOT_RUN, BBCompliance, assess, case_view
from govstack_conform.engine.results import BBResult, CaseResult, OperationResult, RunResults, Verdict
from govstack_conform.engine.run.judge import NOT_PLANNED
from govstack_conform.errors import ReportError

# ---- merge -------------------------------------------------------------------------------------------

_OP_RANK = [Verdict.FAILED, Verdict.ERROR, Verdict.NOT_IMPLEMENTED, Verdict.PASSED, Verdict.UNTESTABLE, Verdict.SKIPPED]


def _merge_op(a: OperationResult, b: OperationResult) -> OperationResult:
    """Shards each judged part of an operation's cases: the worse verdict holds (SKIPPED = not in that shard,
    unless that shard held its cases and skipped them, e.g. for data safety: then its reason holds)."""
    if b.verdict is Verdict.SKIPPED and a.verdict is not Verdict.SKIPPED:
        return a
    if a.verdict is Verdict.SKIPPED:
        return a if b.verdict is Verdict.SKIPPED and b.reason == NOT_PLANNED else b
    worse = a if _OP_RANK.index(a.verdict) < _OP_RANK.index(b.verdict) else b
    return worse


@dataclass
class _Acc:
    first: BBResult
    ops: dict[str, OperationResult] = field(default_factory=dict)
    cases: dict[str, CaseResult] = field(default_factory=dict)
    specs: dict[str, Any] = field(default_factory=dict)
    defects: dict[str, dict[str, Any]] = field(default_factory=dict)
    started: list[str] = field(default_factory=list)
    finished: list[str] = field(default_factory=list)
    duration: float = 0.0


def merge(runs: Sequence[RunResults]) -> tuple[RunResults, list[str]]:
    """One results set from several (BBs, runs, CI shards); returns it and warnings.

    BB results with the same BB, release and target join. A case id seen twice keeps the later input's
    result (inputs are taken in the order given), with a warning naming it: re-running one shard and
    merging it last is how a flaky shard is replaced. Spec files with the same path but different
    sha256 are an error, as the inputs then did not test the same contract.
    """
    if not runs:
        raise ReportError("nothing to merge")
    warnings: list[str] = []
    accs: dict[tuple[str, str, str], _Acc] = {}
    for n, run in enumerate(runs, 1):
        for bb in run.results:
            key = (bb.bb, bb.ref, bb.target)
            acc = accs.setdefault(key, _Acc(bb))
            for s in bb.spec_files:
                old = acc.specs.setdefault(s.path, s)
                if old.sha256 != s.sha256:
                    raise ReportError(
                        f"cannot merge: {s.path} has sha256 {old.sha256[:12]}… in one input and "
                        f"{s.sha256[:12]}… in input {n}: they tested different specs"
                    )
            for o in bb.operations:
                acc.ops[o.key] = _merge_op(acc.ops[o.key], o) if o.key in acc.ops else o
            for c in bb.cases:
                if c.case_id in acc.cases and acc.cases[c.case_id] != c:
                    warnings.append(f"{bb.bb}@{bb.ref}: case {c.case_id} appears more than once; input {n} wins")
                acc.cases[c.case_id] = c
            for d in bb.defects:
                acc.defects.setdefault(repr(sorted(d.items())), dict(d))
            if bb.started:
                acc.started.append(bb.started)
            if bb.finished:
                acc.finished.append(bb.finished)
            acc.duration += bb.duration_s
    versions = sorted({r.tool_version for r in runs})
    if len(versions) > 1:
        warnings.append(f"inputs come from different tool versions: {', '.join(versions)}")
    bbs = tuple(
        dataclasses.replace(
            a.first,
            spec_files=tuple(a.specs.values()),
            operations=tuple(a.ops.values()),
            cases=tuple(a.cases.values()),
            defects=tuple(a.defects.values()),
            started=min(a.started, default=""),
            finished=max(a.finished, default=""),
            duration_s=round(a.duration, 3),
        )
        for a in accs.values()
    )
    options: dict[str, Any] = {}
    for r in runs:
        for k, v in r.options.items():
            if k in options and options[k] != v:
                warnings.append(f"option {k} differs between inputs; the later value is kept")
            options[k] = v
    seeds = sorted({r.seed for r in runs})
    options["merged_from"] = [
        {
            "started": r.started,
            "finished": r.finished,
            "seed": r.seed,
            "tool_version": r.tool_version,
            "complete": r.complete,
            "building_blocks": [f"{b.bb}@{b.ref}" for b in r.results],
        }
        for r in runs
    ]
    if len(seeds) > 1:
        warnings.append(f"inputs used different seeds ({', '.join(map(str, seeds))}); the first is recorded")
    product = next((dict(r.product) for r in reversed(runs) if r.product), {})
    merged = RunResults(
        tool_version=runs[-1].tool_version,
        started=min(r.started for r in runs),
        finished=max(r.finished for r in runs),
        seed=runs[0].seed,
        options=options,
        results=bbs,
        complete=all(r.complete for r in runs),
        product=product,
    )
    return merged, warnings


# ---- diff --------------------------------------------------------------------------------------------

_GOOD = {Verdict.PASSED}


def _rank(v: Verdict | None) -> int | None:
    """2 passed, 0 failing; None when there is nothing to compare (not run, absent)."""
    if v is None or v in NOT_RUN:
        return None
    return 2 if v in _GOOD else 0


@dataclass(frozen=True)
class Change:
    bb: str  # "consent@23Q4.1"
    target: str
    item: str  # case id, or "operation GET /x", or "compliance"
    old: str
    new: str
    kind: str  # regression | improvement | change | added | removed

    def to_dict(self) -> dict[str, str]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class Diff:
    changes: tuple[Change, ...]

    @property
    def regressions(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind == "regression")

    @property
    def improvements(self) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.kind == "improvement")

    def to_dict(self) -> dict[str, Any]:
        return {
            "regressions": len(self.regressions),
            "improvements": len(self.improvements),
            "changes": [c.to_dict() for c in self.changes],
        }


_KIND_ORDER = {"regression": 0, "removed": 1, "change": 2, "improvement": 3, "added": 4}


def _classify(old: Verdict | None, new: Verdict | None) -> str:
    if old is None:
        return "added"
    if new is None:  # a passing case or operation no longer there is a lost guarantee
        return "regression" if _rank(old) == 2 else "removed"
    a, b = _rank(old), _rank(new)
    if a is not None and b is not None and a != b:
        return "regression" if b < a else "improvement"
    if a is not None and b is None:
        return "regression" if a == 2 else "change"  # a passing case no longer run is a lost guarantee
    return "change"


def _pairs(
    old: Sequence[BBCompliance], new: Sequence[BBCompliance]
) -> list[tuple[str, BBCompliance | None, BBCompliance | None]]:
    """(label, old, new) per BB release, matched on BB@release, never on the target URL.

    Two candidates, or one product whose CI URL moved, are the same BB release at another address. Only
    when one side holds the same release twice (merged results of several targets) does the target
    tell its results apart; what then finds no partner is absent on the other side.
    """
    by_old: dict[tuple[str, str], list[BBCompliance]] = {}
    by_new: dict[tuple[str, str], list[BBCompliance]] = {}
    for side, into in ((old, by_old), (new, by_new)):
        for bbc in side:
            into.setdefault((bbc.result.bb, bbc.result.ref), []).append(bbc)
    out: list[tuple[str, BBCompliance | None, BBCompliance | None]] = []
    for key in list(by_old) + [k for k in by_new if k not in by_old]:
        label = f"{key[0]}@{key[1]}"
        olds, news = by_old.get(key, []), by_new.get(key, [])
        if len(olds) <= 1 and len(news) <= 1:
            out.append((label, olds[0] if olds else None, news[0] if news else None))
            continue
        targets = [x.result.target for x in olds + news]
        for t in sorted(set(targets), key=targets.index):
            x = next((x for x in olds if x.result.target == t), None)
            y = next((y for y in news if y.result.target == t), None)
            out.append((label, x, y))
    return out


def diff(old: RunResults, new: RunResults) -> Diff:
    """What got better or worse between two runs, regressions first.

    Compared per BB release (whatever the target URL): every case (by id, verdicts after waivers), every
    operation, and the API-compliance level and compliance % of the BB. A BB release present in `old` and
    missing from `new` is a regression: what was checked before is no longer shown.
    """
    changes: list[Change] = []
    for label, a, b in _pairs(assess(old).bbs, assess(new).bbs):
        if a is None and b is not None:
            changes.append(Change(label, b.result.target, "building block", "absent", "present", "added"))
            continue
        if b is None and a is not None:
            changes.append(Change(label, a.result.target, "building block", "present", "absent", "regression"))
            continue
        if a is None or b is None:
            continue
        target = b.result.target
        if a.result.target != target:
            changes.append(Change(label, target, "target", a.result.target, target, "change"))
        if a.level != b.level:
            kind = "regression" if int(b.level) < int(a.level) else "improvement"
            changes.append(Change(label, target, "api level", str(int(a.level)), str(int(b.level)), kind))
        if a.compliance_pct != b.compliance_pct and a.compliance_pct is not None and b.compliance_pct is not None:
            kind = "regression" if b.compliance_pct < a.compliance_pct else "improvement"
            changes.append(
                Change(label, target, "compliance %", f"{a.compliance_pct:.1f}", f"{b.compliance_pct:.1f}", kind)
            )
        ops_a = {o.key: o.verdict for o in a.operations}
        ops_b = {o.key: o.verdict for o in b.operations}
        for k in list(ops_a) + [k for k in ops_b if k not in ops_a]:
            va, vb = ops_a.get(k), ops_b.get(k)
            if va != vb:
                changes.append(
                    Change(
                        label,
                        target,
                        f"operation {k}",
                        va.value if va else "absent",
                        vb.value if vb else "absent",
                        _classify(va, vb),
                    )
                )
        cases_a = {c.case_id: case_view(c) for c in a.result.cases}
        cases_b = {c.case_id: case_view(c) for c in b.result.cases}
        for k in list(cases_a) + [k for k in cases_b if k not in cases_a]:
            x, y = cases_a.get(k), cases_b.get(k)
            va, vb = (x.verdict if x else None), (y.verdict if y else None)
            wa, wb = bool(x and x.waived), bool(y and y.waived)
            if va != vb or wa != wb:
                sa = "absent" if va is None else va.value + (" (waived)" if wa else "")
                sb = "absent" if vb is None else vb.value + (" (waived)" if wb else "")
                kind = _classify(va, vb)
                if kind == "change" and va is Verdict.PASSED and vb is Verdict.PASSED:
                    kind = "regression" if wb and not wa else "improvement"  # now passing only by waiver
                changes.append(Change(label, target, k, sa, sb, kind))
    changes.sort(key=lambda c: _KIND_ORDER[c.kind])
    return Diff(tuple(changes))
