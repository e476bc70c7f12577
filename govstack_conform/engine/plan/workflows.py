"""BB workflows as stateful cases: the named scenarios of the BB profile, one case each.

The generic chain finder (stateful.py) finds create -> read -> update -> delete only where the paths say
so; RPC-style contracts (`/data/{registry}/{version}/create`, `/vouchers/voucher_preactivation`) need
the BB's own account of which calls belong together, which the profile gives (contracts/workflows.py).
Each step is the operation's one valid request (as every other kind sends it) with what the workflow sets
laid over it; path parameters of the same name keep the first step's value, so every step addresses what
the first created. A workflow that does not fit the contract (an operation it names is missing, a value it
sets breaks the schema) is planned untestable with the reason, never silently dropped or sent broken.
"""

from __future__ import annotations

import json
import re
import string
from dataclasses import replace
from typing import Any

from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.contracts.workflows import UNIQUE, Workflow, WorkflowStep
from govstack_conform.datagen import merge_json
from govstack_conform.engine.cases import Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.plan.request import Ctx, Untestable, statuses, sub_seed, valid, valid_request
from govstack_conform.engine.plan.safety import changes_records
from govstack_conform.errors import CatalogError

TAG = "workflow"
_EXPECT = {
    "success": Expect.SUCCESS,
    "client-error": Expect.CLIENT_ERROR,
    "gone": Expect.GONE,
    "auth-refused": Expect.AUTH_REFUSED,
}
_ALPHABET = string.ascii_lowercase + string.digits
UNIQUE_VALUE = re.compile(r"\bgc[a-z0-9]{10}\b")  # what unique_token makes: a value only this run's workflow holds


def profile_workflows(contract: Contract) -> tuple[Workflow, ...]:
    """The workflows the BB profile writes for this contract's release (none for a contract not in the catalog)."""
    try:
        bb = load_catalog().get(contract.bb)
    except CatalogError:
        return ()
    if not any(r.ref == contract.ref for r in bb.releases):
        return ()
    return tuple(w for w in bb.profile.workflows if w.applies_to(contract.ref))


def resolve(contract: Contract, ref: str, params: dict[str, str]) -> Operation:
    """The operation a step names: its key or operationId; `METHOD /path` also finds the variants of that
    path that carry a fixed query (`POST /vouchers?command=redeem`), told apart by the step's parameters."""
    found = contract.operation(ref)
    if found is not None:
        return found
    method, _, path = ref.partition(" ")
    variants = [o for o in contract.operations if o.method == method and o.path.partition("?")[0] == path]
    if len(variants) > 1:
        variants = [o for o in variants if _fixed_query(o) <= set(params.items())]
    if len(variants) == 1:
        return variants[0]
    if variants:
        raise Untestable(f"{ref} names {len(variants)} operations of {contract.label}; the step must set their query")
    raise Untestable(f"the workflow calls {ref}, which {contract.label} does not define")


def _fixed_query(op: Operation) -> set[tuple[str, str]]:
    query = op.path.partition("?")[2]
    return {(k, v) for k, _, v in (pair.partition("=") for pair in query.split("&") if pair)}


def unique_token(ctx: Ctx, workflow: Workflow) -> str:
    """One value per planned workflow and seed: what it creates is named apart from earlier runs' leftovers."""
    n = sub_seed(ctx.seed, ctx.contract.bb, ctx.contract.ref, "workflow", workflow.name)
    chars = []
    for _ in range(10):
        n, r = divmod(n, len(_ALPHABET))
        chars.append(_ALPHABET[r])
    return "gc" + "".join(chars)


def _fill(value: Any, token: str) -> Any:
    if isinstance(value, str):
        return value.replace(UNIQUE, token)
    if isinstance(value, dict):
        return {k: _fill(v, token) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, token) for v in value]
    return value


def _at(doc: Any, pointer: str) -> Any:
    for raw in pointer.split("/")[1:] if pointer else []:
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(doc, dict) and part in doc:
            doc = doc[part]
        elif isinstance(doc, list) and part.isdigit() and int(part) < len(doc):
            doc = doc[int(part)]
        else:
            raise KeyError(pointer)
    return doc


def _with_params(op: Operation, req: RequestPlan, values: dict[str, str], shared: dict[str, str]) -> RequestPlan:
    """The request with the step's parameter values, and the path parameters earlier steps used."""
    where = {p.name: p.location for p in op.parameters}
    for name in values:
        if name not in where:
            raise Untestable(f"the workflow sets parameter {name!r}, which {op.key} does not declare")
    path = tuple((k, values.get(k, shared.get(k, v))) for k, v in req.path_params)
    query = [(k, v) for k, v in req.query if k not in values]
    headers = [(k, v) for k, v in req.headers if k not in values]
    for name, value in values.items():
        if where[name] == "query":
            query.append((name, value))
        elif where[name] == "header":
            headers.append((name, value))
        elif where[name] != "path":
            raise Untestable(f"the workflow sets {where[name]} parameter {name!r}, which it cannot send")
    return replace(req, path_params=path, query=tuple(query), headers=tuple(headers))


def _names_own(req: RequestPlan, token: str) -> bool:
    """Whether the request names what the workflow made: a value captured from an earlier answer, or $unique."""
    texts = [v for _, v in (*req.path_params, *req.query, *req.headers)]
    texts.append(json.dumps(req.body) if req.has_body else "")
    return any("${" in t or token in t for t in texts)


def _step(
    ctx: Ctx, wf: Workflow, step: WorkflowStep, token: str, shared: dict[str, str], bodies: dict[str, Any]
) -> Step:
    params = {k: _fill(v, token) for k, v in step.params}
    op = resolve(ctx.contract, step.operation, params)
    built = valid_request(ctx, op)
    req = _with_params(op, built.request, params, shared)
    if step.body is not None:
        if built.media is None or not req.has_body or req.raw_body is not None:
            raise Untestable(f"step {step.name} sets a body, but {op.key} takes no JSON body")
        body = merge_json(req.body, _fill(step.body, token))
        fits = valid(ctx, built.media.schema, body)
        where = f"{op.key} ({op.source_file}#{built.media.pointer})"
        if step.expect == "client-error" and (fits or "${" in json.dumps(body)):
            # a refusal is demanded only of input the schema itself rejects, known whole when planned
            why = "is valid" if fits else "holds a value known only at run time"
            raise Untestable(f"step {step.name} expects a refusal, but the body it sets {why} for {where}")
        if step.expect != "client-error" and not fits:
            raise Untestable(f"step {step.name}: the body the workflow sets is not valid for {where}")
        req = replace(req, body=body)
    if changes_records(op) and (not bodies or not _names_own(req, token)):
        raise Untestable(
            f"step {step.name} changes records ({op.key}) but names nothing an earlier step of the workflow "
            "created (a captured ${value} or $unique): it would act on a record the run did not create"
        )
    bodies[step.name] = req.body if req.has_body else None
    for k, v in req.path_params:
        shared.setdefault(k, v)
    echo = []
    for answer_at, source, at in step.echo:
        if not source:
            echo.append((answer_at, at))
            continue
        try:
            value = _at(bodies.get(source), at)
        except KeyError:
            raise Untestable(f"step {step.name} compares {answer_at} with {source}:{at}, which was not sent") from None
        if isinstance(value, str) and "${" in value:
            raise Untestable(f"step {step.name} compares {answer_at} with a value known only at run time")
        echo.append((answer_at, value))
    expect = _EXPECT[step.expect]
    codes = {
        Expect.SUCCESS: statuses(op, "23"),
        Expect.CLIENT_ERROR: statuses(op, "4"),
        Expect.GONE: ("404", "410"),
        Expect.AUTH_REFUSED: ("401", "403"),
    }[expect]
    return Step(
        step.name, op.key, req, expect, codes,
        capture=step.capture, capture_headers=step.capture_headers, must_echo=tuple(echo),
    )  # fmt: skip


def workflow_case(ctx: Ctx, wf: Workflow) -> Case:
    token = unique_token(ctx, wf)
    shared: dict[str, str] = {}
    bodies: dict[str, Any] = {}
    why = None
    try:
        steps = tuple(_step(ctx, wf, s, token, shared, bodies) for s in wf.steps)
        first = ctx.contract.operation(steps[0].operation)
    except Untestable as e:
        why, first = str(e), None
        steps = ()
    if first is None or why is not None:
        try:
            first = resolve(ctx.contract, wf.steps[0].operation, dict(wf.steps[0].params))
        except Untestable:
            first = None
        op_key = first.key if first else wf.steps[0].operation
        method, _, path = op_key.partition(" ")
        steps = (Step(wf.steps[0].name, op_key, RequestPlan(method, path), Expect.SUCCESS),)
    names = " → ".join(f"{s.name} ({s.operation})" for s in wf.steps)
    return Case(
        case_id="",
        bb=ctx.contract.bb,
        ref=ctx.contract.ref,
        operation=steps[0].operation,
        operation_id=first.operation_id if first else None,
        kind=CaseKind.STATEFUL,
        name=f"workflow-{wf.name}",
        description=f"{wf.description.rstrip('.')}. Steps: {names}.",
        steps=steps,
        untestable=why,
        tags=(TAG,),
    )


def workflow_cases(ctx: Ctx) -> list[Case]:
    """One stateful case per workflow of the BB profile that applies to the contract's release."""
    return [workflow_case(ctx, wf) for wf in profile_workflows(ctx.contract)]
