"""Test planning: from a contract (plus optional test data) to a deterministic list of cases.

The same contract, test data and seed always give the same cases with the same ids in the same
order: every random choice is seeded from (seed, operation, purpose), never from hash() or time.

Kinds, per operation: positive (the spec's examples, then one schema-generated request), negative
(one invalid input each, see plan_negative), security (no / wrong credentials on secured
operations); per path: method (one undeclared method); per resource: stateful (see plan_stateful), and
the BB profile's workflows (see plan_workflows).
A spec defect never drops a case: the case is emitted with `untestable` saying which defect, where.
How far a positive case's success can be demanded is carried in its tags (see
plan_request.provenance_tags): "fixture" means the input names real records, "generated-id" means
a 404 is not the candidate's fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from govstack_conform import datagen
from govstack_conform.contracts import memo
from govstack_conform.contracts.catalog import QUERY_STYLES, profile_query_style
from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.engine.cases import Auth, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.packed import PackedCases, pack
from govstack_conform.engine.plan.context import new_case
from govstack_conform.engine.plan.filters import filter_cases
from govstack_conform.engine.plan.negative import negative_cases
from govstack_conform.engine.plan.request import (
    EXAMPLE,
    Built,
    Ctx,
    Untestable,
    body_examples,
    build,
    defect_text,
    param_examples,
    pick_media,
    provenance_tags,
    relevant_params,
    slug,
    statuses,
    valid_request,
)
from govstack_conform.engine.plan.safety import WriteTargets, guard
from govstack_conform.engine.plan.scenarios import with_covers
from govstack_conform.engine.plan.stateful import Chain, stateful_case, stateful_chains
from govstack_conform.engine.plan.workflows import workflow_cases
from govstack_conform.engine.testdata import TestData
from govstack_conform.errors import ConfigError
from govstack_conform.redact import REDACTED, is_secret_name, is_secret_query

PLAN_FORMAT = "govstack-conform-plan"
PLAN_VERSION = 1
MAX_EXAMPLE_CASES = 3
METHOD_CANDIDATES = ("PATCH", "PUT", "DELETE", "POST")
_KIND_ORDER = {k: i for i, k in enumerate(CaseKind)}


def _bare(op: Operation, method: str | None = None) -> RequestPlan:
    return RequestPlan(method=method or op.method, path=op.path)


def _op_untestable(op: Operation) -> str | None:
    d = op.blocked("operation")
    return defect_text(d) if d else None


def _example_count(ctx: Ctx, op: Operation) -> tuple[int, list[tuple[str, object]]]:
    """How many example cases `op` gets (distinct valid examples, capped), and its body examples."""
    media = pick_media(op)
    bodies = body_examples(ctx, media) if media is not None else []
    counts = [len(bodies)]
    for p in relevant_params(ctx, op):
        if ctx.testdata.lookup_param(op, p.name) is None:
            counts.append(len(param_examples(ctx, p)))
    return min(max(counts), MAX_EXAMPLE_CASES), bodies


def _request_key(req: RequestPlan) -> str:
    return json.dumps(req.to_dict(), sort_keys=True, default=str)


def positive_cases(ctx: Ctx, op: Operation) -> tuple[list[Case], Built | None, str | None]:
    """Example cases then the generated one; also returns the generated request for other kinds."""
    ok = statuses(op, "23")
    expects = f"expects a documented success ({', '.join(ok)})" if ok else "expects a 2xx"
    out: list[Case] = []
    why = _op_untestable(op)
    built: Built | None = None
    if why is None:
        try:
            built = valid_request(ctx, op)
        except Untestable as e:
            why = str(e)
    if why is None:
        try:
            n, bodies = _example_count(ctx, op)
            seen = {_request_key(built.request)} if built is not None else set()
            for i in range(n):
                # Without a body example the example case reuses the generated body: it differs only by examples.
                body = (EXAMPLE, bodies[i][1]) if i < len(bodies) else None
                ex = build(ctx, op, example_index=i, body=body, purpose="valid")
                if _request_key(ex.request) in seen:
                    continue  # datagen already used these examples in the generated request
                seen.add(_request_key(ex.request))
                label = bodies[i][0] if i < len(bodies) else f"{i + 1}"
                step = Step("request", op.key, ex.request, Expect.SUCCESS, ok)
                desc = f"Valid request from the spec's example {label!r}; {expects}."
                tags = tuple(sorted({*provenance_tags(ex), EXAMPLE}))
                name = f"positive-example-{slug(label)}"
                out.append(new_case(ctx, op, CaseKind.POSITIVE, name, desc, (step,), tags=tags))
        except Untestable:
            pass  # examples are a bonus; a broken one is simply not sent
    if built is None:
        step = Step("request", op.key, _bare(op), Expect.SUCCESS, ok)
        out.append(
            new_case(
                ctx, op, CaseKind.POSITIVE, "positive-valid", f"Valid request; {expects}.", (step,), untestable=why
            )
        )
        return out, None, why
    step = Step("request", op.key, built.request, Expect.SUCCESS, ok)
    desc = f"Valid request built from the schema and test data; {expects}."
    out.append(new_case(ctx, op, CaseKind.POSITIVE, "positive-valid", desc, (step,), tags=provenance_tags(built)))
    return out, built, None


def secured(op: Operation) -> bool:
    """Security declared, and no alternative that allows anonymous access."""
    return bool(op.security) and all(len(alt) > 0 for alt in op.security)


def security_cases(ctx: Ctx, op: Operation, built: Built | None, why: str | None) -> list[Case]:
    if not secured(op):
        return []
    out = []
    for auth, name, words in (
        (Auth.NONE, "no-credentials", "without credentials"),
        (Auth.WRONG, "wrong-credentials", "with wrong credentials"),
    ):
        req = replace(built.request if built else _bare(op), auth=auth)
        step = Step("request", op.key, req, Expect.AUTH_REFUSED, ("401", "403"))
        desc = f"Valid request sent {words}; a secured operation must refuse it with 401 or 403."
        out.append(
            new_case(
                ctx, op, CaseKind.SECURITY, f"security-{name}", desc, (step,), untestable=why if built is None else None
            )
        )
    return out


def _by_path(contract: Contract) -> dict[str, list[Operation]]:
    by_path: dict[str, list[Operation]] = {}
    for op in contract.operations:
        by_path.setdefault(op.path, []).append(op)
    return by_path


def method_case(ctx: Ctx, path: str, ops: list[Operation]) -> list[Case]:
    """The method case of `path` (whose operations, in contract order, are `ops`), if it has one: the first
    of PATCH, PUT, DELETE, POST the path does not declare, expecting 405 (or 404)."""
    declared = {o.method for o in ops}
    method = next((m for m in METHOD_CANDIDATES if m not in declared), None)
    if method is None:
        return []
    first = ops[0]
    why = _op_untestable(first)
    req = _bare(first, method)
    if why is None:
        try:
            built = build(ctx, first, with_body=False)
            req = RequestPlan(
                method=method, path=path, path_params=built.request.path_params, headers=built.request.headers
            )
        except Untestable as e:
            why = str(e)
    step = Step("request", first.key, req, Expect.METHOD_REFUSED)
    desc = f"{method} is not declared for {path}: expects 405 Method Not Allowed (404 tolerated), never 2xx or 5xx."
    return [new_case(ctx, first, CaseKind.METHOD, f"method-{method.lower()}-undeclared", desc, (step,), untestable=why)]


def dispatched(ctx: Ctx, op: Operation, cases: list[Case]) -> list[Case]:
    """Cases of an operation variant whose request lost the query that selects it (`command=cancel` left out
    or changed) are untestable: that request addresses another definition of the same METHOD and path."""
    siblings = [o.key for o in ctx.contract.variants(op.route) if o is not op]
    declared = {p.name for p in op.parameters if p.location == "query"}
    selecting = [(k, v) for k, v in op.fixed_query if k in declared]
    if not siblings or not selecting:
        return cases
    out = []
    for c in cases:
        lost = [f"{k}={v}" for k, v in selecting if c.untestable is None and (k, v) not in c.steps[0].request.query]
        if lost:
            why = (
                f"without {' and '.join(lost)} the request addresses another definition of {op.route} "
                f"({', '.join(siblings)}), so its answer says nothing of {op.key} ({op.source_file}#{op.pointer})"
            )
            c = replace(c, untestable=why)
        out.append(c)
    return out


def _named(c: Case, seen: set[str]) -> Case:
    """The case with its id; a clash gets -2, -3 ... in generation order (which is deterministic)."""
    base = f"{c.bb}::{c.operation}::{c.name}"
    cid, name, n = base, c.name, 1
    while cid in seen:
        n += 1
        cid, name = f"{base}-{n}", f"{c.name}-{n}"
    seen.add(cid)
    return replace(c, case_id=cid, name=name)


def _sort_key(c: Case) -> tuple[str, str, int, str]:
    method, _, path = c.operation.partition(" ")
    return (path, method, _KIND_ORDER[c.kind], c.name)


def plan_contract(
    contract: Contract,
    *,
    seed: int = 0,
    testdata: TestData | None = None,
    read_only: bool = False,
    kinds: frozenset[CaseKind] | None = None,
    allow_destructive: bool = False,
    query_style: str | None = None,
    max_depth: int = datagen.MAX_DEPTH,
) -> Sequence[Case]:
    """Every case for `contract`, sorted by operation path, method, kind and name.

    A case that would change or delete a record the run did not create is bound to a record it creates
    first, or else skipped, unless `allow_destructive` (see safety.py). `query_style` writes nested query
    values (None: the BB profile's; see wire.QUERY_STYLES). Generated values nest at most `max_depth`
    levels (`--max-depth`): a schema that needs more is untestable, the message naming the limit."""
    style = query_style or profile_query_style(contract.bb)
    if style not in QUERY_STYLES:
        raise ConfigError(f"--query-style must be one of {', '.join(QUERY_STYLES)}, not {style!r}")
    with datagen.depth_limit(max_depth):
        return _plan(contract, seed, testdata, read_only, kinds, allow_destructive, style)


def _plan(
    contract: Contract, seed: int, testdata: TestData | None, read_only: bool, kinds: frozenset[CaseKind] | None,
    allow_destructive: bool, style: str,
) -> Sequence[Case]:  # fmt: skip
    ctx = Ctx(contract=contract, seed=seed, testdata=testdata or TestData(), query_style=style)
    ctx.writes = WriteTargets(ctx)  # each worked out when its operation is planned
    want = kinds or frozenset(CaseKind)
    packing = memo.large(contract)  # a large contract's plan is kept packed (engine/packed.py)
    held: list[Case] = []
    made: list[tuple[tuple[str, str, int, str], bool, bytes]] = []  # packed: sort key, read-only, the case
    seen: set[str] = set()

    def add(cases: Iterable[Case]) -> None:
        for c in cases:
            # every case, workflows too, passes the data-safety guard: changes only on records the run created
            c = _named(guard(ctx, c, allow_destructive), seen)
            if packing:
                made.append((_sort_key(c), c.read_only, pack(c)))
            else:
                held.append(c)

    # Each path's method case and each resource's sequence are planned right after the last operation they
    # touch, while what was worked out for those operations is still remembered (contracts/memo.py): case ids
    # are kind-prefixed and the plan is sorted, so this order changes nothing in it.
    ops = sorted(contract.operations, key=lambda o: (o.path, o.method))
    by_path = _by_path(contract)
    place = {id(op): i for i, op in enumerate(ops)}
    due: dict[int, list[Chain]] = {}
    for chain in stateful_chains(ctx) if CaseKind.STATEFUL in want else []:
        last = max(place[id(o)] for o in (chain.create, *(op for _, op, _ in chain.roles)))
        due.setdefault(last, []).append(chain)
    for i, op in enumerate(ops):
        positives, built, why = positive_cases(ctx, op)
        if CaseKind.POSITIVE in want:
            add(positives)
            add(filter_cases(ctx, op, built))
        if CaseKind.NEGATIVE in want:
            add(dispatched(ctx, op, negative_cases(ctx, op, built, why)))
        if CaseKind.SECURITY in want:
            add(security_cases(ctx, op, built, why))
        if CaseKind.METHOD in want and (i + 1 == len(ops) or ops[i + 1].path != op.path):
            add(method_case(ctx, op.path, by_path[op.path]))
        add(stateful_case(ctx, chain) for chain in due.get(i, ()))
    if CaseKind.STATEFUL in want:
        add(workflow_cases(ctx))  # the BB profile's named scenarios
    if not packing:
        result = with_covers(contract, sorted(held, key=_sort_key))
        return [c for c in result if c.read_only] if read_only else result
    made.sort(key=lambda m: m[0])
    cases = PackedCases(m[2] for m in made)
    covered = with_covers(contract, cases)  # `cases` itself when no scenario is covered
    if covered is not cases:
        cases = PackedCases.of(covered)
    if not read_only:
        return cases
    return PackedCases(b for b, m in zip(cases.blobs, made, strict=True) if m[1])


def _redact(case: dict[str, Any]) -> dict[str, Any]:
    """Header and query values whose names look secret (as `run` treats them): test data may hold real ones."""
    for step in case["steps"]:
        req = step["request"]
        req["headers"] = {k: REDACTED if is_secret_name(k) else v for k, v in req["headers"].items()}
        req["query"] = [[k, REDACTED if is_secret_query(k) else v] for k, v in req["query"]]
    return case


def plan_to_json(cases: Iterable[Case], *, redact: bool = True) -> str:
    """The plan as stable JSON (sorted keys, fixed indent): byte-identical for identical plans.

    With `redact`, values of secret-looking headers and query parameters are replaced (never printed).
    """
    dicts = [_redact(c.to_dict()) if redact else c.to_dict() for c in cases]
    doc = {"format": PLAN_FORMAT, "version": PLAN_VERSION, "cases": dicts}
    return json.dumps(doc, sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False) + "\n"
