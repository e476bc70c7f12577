"""What every part of the planner shares: the planning context, per-contract memos, seeds, and
the small checks (resolved schema nodes, "is this value valid") that all kinds of cases ask for; and,
for operations that change records (safety.py), which value a parameter takes: the record the case
creates first, or disposable test data."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.memo import Bounded, bounded_on
from govstack_conform.contracts.model import Contract, Operation, Parameter, Schema, SpecDefect
from govstack_conform.datagen.check import is_valid
from govstack_conform.engine.cases import Case, CaseKind, RequestPlan, Step
from govstack_conform.engine.testdata import TestData

# Where a value came from; a case's tags say it so the runner knows what a 4xx/404 means.
FIXTURE, EXAMPLE, GENERATED = "fixture", "example", "generated"
# Test data marked disposable (used only by operations that change records), and the id of a record
# the case's own setup step creates (the `${id}` placeholder, filled at run time).
DISPOSABLE, CREATED = "disposable", "created"
TEST_DATA = frozenset({FIXTURE, DISPOSABLE})
BOUND_VAR = "id"  # the variable a setup step captures the new record's id into


class Untestable(Exception):
    """A request cannot be built because of the spec; str() says what and where."""


@dataclass(frozen=True)
class Binding:
    """A record a case creates first (its setup step) so that its change or delete acts on it alone."""

    create: Operation  # the create operation (a POST that changes no existing record)
    request: RequestPlan  # its valid request
    pointer: str  # where its success answer holds the new record's id
    param: str  # the path parameter of the changing operation that names the record
    shared: tuple[tuple[str, str, str], ...]  # (name, wire value, source) of the create's path parameters


@dataclass(frozen=True)
class WriteTarget:
    """What an operation that changes or deletes records acts on (see safety.py).

    `location` "path": the innermost path parameter names the record; "query": the required query
    parameters do; "operation": nothing does (the body or the path alone says what changes)."""

    location: str
    names: tuple[str, ...]
    binding: Binding | None = None


@dataclass
class Ctx:
    contract: Contract
    seed: int
    testdata: TestData
    cache: dict[Any, Any] = field(default_factory=dict)
    query_style: str = "brackets"  # how nested query values are written (engine/plan/wire.py QUERY_STYLES)
    writes: Mapping[str, WriteTarget] = field(default_factory=dict)  # by operation key, for changing operations


def shared(ctx: Ctx, name: str) -> dict[Any, Any]:
    """A memo kept on the contract, for what depends on the contract alone (neither the seed nor
    the test data): every plan of the contract, whatever its seed, reuses it."""
    memo: dict[Any, Any] = ctx.contract.__dict__.setdefault("_plan_" + name, {})
    return memo


PER_LOCATION = 4096  # entries of a per-location memo kept (the newest); a catalog BB needs far fewer


def per_location(ctx: Ctx, name: str) -> Bounded[Any, Any]:
    """A `shared` memo whose entries are per schema location: bounded, so that a contract of thousands of
    operations does not keep every location's entry to the end of the run."""
    return bounded_on(ctx.contract, "_plan_" + name, PER_LOCATION)


def sub_seed(seed: int, *parts: str) -> int:
    """A per-purpose seed: stable across processes (no hash randomization)."""
    h = hashlib.sha256("\x1f".join((str(seed), *parts)).encode()).digest()
    return int.from_bytes(h[:6], "big")


def defect_text(d: SpecDefect) -> str:
    return f"{d.message} ({d.file}#{d.pointer})"


def jsonable(value: Any) -> Any:
    """Plain JSON: YAML dates become ISO strings, tuples lists, keys strings."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def statuses(op: Operation, classes: str) -> tuple[str, ...]:
    """Documented statuses whose first digit is in `classes` ("23" for success, "4" for client errors)."""
    return tuple(r.status.upper() for r in op.responses if r.status[:1] in classes)


def resolved(ctx: Ctx, schema: Schema | None) -> dict[str, Any]:
    """The resolved node of a schema, {} when absent or unusable (memoized per location; do not mutate)."""
    if schema is None:
        return {}
    memo = per_location(ctx, "resolved")
    hit = memo.get((schema.doc, schema.pointer))
    if hit is not None and hit[0] is schema.node:
        found: dict[str, Any] = hit[1]
        return found
    try:
        node = schemas.resolve(ctx.contract, schema).node
    except schemas.SchemaUnusable:
        node = {}
    result = node if isinstance(node, dict) else {}
    memo.put((schema.doc, schema.pointer), (schema.node, result))
    return result


def valid(ctx: Ctx, schema: Schema | None, value: Any) -> bool:
    """True when `value` satisfies `schema` (no schema: anything). Raises Untestable on a broken schema."""
    if schema is None:
        return True
    try:
        return is_valid(ctx.contract, schema, value, "request")
    except schemas.SchemaUnusable as e:
        raise Untestable(str(e)) from None


def disposable_value(ctx: Ctx, op: Operation, p: Parameter) -> Any | None:
    """A disposable value for a parameter of a changing operation: for the parameter that names the record
    it acts on, or for any parameter when the operation itself is listed under `disposable.operations`."""
    target = ctx.writes.get(op.key)
    if target is None or not ctx.testdata:
        return None
    names_record = p.location == target.location and p.name in target.names
    if names_record or ctx.testdata.disposable_entry(op) is not None:
        return ctx.testdata.lookup_disposable(op, p.name)
    return None


def fixture_body(ctx: Ctx, op: Operation) -> tuple[str, Any] | None:
    """(source, body) from test data: a changing operation's `disposable.operations` body first."""
    if op.key in ctx.writes:
        entry = ctx.testdata.disposable_entry(op)
        if entry is not None and entry.has_body:
            return DISPOSABLE, jsonable(entry.body)
    found, body = ctx.testdata.lookup_body(op)
    return (FIXTURE, jsonable(body)) if found else None


def bound_value(ctx: Ctx, op: Operation, p: Parameter) -> tuple[str, str] | None:
    """(wire value, source) of a path parameter bound to the record the case's setup step creates: the
    record's own id (`${id}`), or the create's value of a parameter both paths share (its parent)."""
    target = ctx.writes.get(op.key)
    if target is None or target.binding is None or p.location != "path":
        return None
    if p.name == target.binding.param:
        return "${" + BOUND_VAR + "}", CREATED
    for name, wire, source in target.binding.shared:
        if name == p.name:
            return wire, source
    return None


def new_case(
    ctx: Ctx, op: Operation, kind: CaseKind, name: str, description: str, steps: tuple[Step, ...], **kw: Any
) -> Case:
    """A case of `op` in this contract; its id is given when the plan is complete."""
    return Case(
        case_id="",
        bb=ctx.contract.bb,
        ref=ctx.contract.ref,
        operation=op.key,
        operation_id=op.operation_id,
        kind=kind,
        name=name,
        description=description,
        steps=steps,
        **kw,
    )
