"""Data safety: a case that changes or deletes a record acts only on a record the run created itself.

Which operations change records (`changes_records`): every DELETE, PUT and PATCH; a POST when its
operationId, the last literal segment of its path or its fixed query (an operation variant's
`?command=cancel`) holds an updating word (UPDATE_WORDS: update, delete, cancel, redeem, block,
confirm...), or when its path ends in an id-like parameter
(``/bills/{billId}``) and neither names a create (CREATE_WORDS); never a POST whose operationId or
segment starts with a read word (``getCancellationReasons``). Other POSTs create, and may be sent.

What such an operation acts on (its WriteTarget): the record its innermost path parameter names; on a
path without parameters, the records its required query parameters name; else the operation itself
(the body, or the path alone, says what changes).

Each of its cases (positive, negative, security) is then sent only when:
- the record is one the case creates first: a setup step runs the collection's create (a POST that
  changes nothing) and the record's id fills the path parameter (`${id}`); or
- the identifier is disposable test data (docs/data-safety.md); or the operation is listed under
  `disposable.operations` (when nothing but the operation names what it changes); or
- the case is negative and the identifier itself is the invalid input (no record can have it); or
- the user opted in (`allow_destructive`).
Otherwise it is not sent: it is reported skipped with the reason. Kept fixtures and generated or
example values never qualify: a generated id such as 1 may name a real record.

An undeclared method (method cases) is sent without a body: an undeclared PUT or DELETE is guarded
like the above by the path's innermost parameter; an undeclared PATCH or POST without a body asks for
no change and is sent as planned.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import replace

from govstack_conform.contracts.model import Operation
from govstack_conform.engine.cases import SETUP_STEP, Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.plan.context import Binding, Ctx, Untestable, WriteTarget, shared, statuses
from govstack_conform.engine.plan.request import (
    BOUND_VAR,
    CREATED,
    DISPOSABLE,
    EXAMPLE,
    FIXTURE,
    GENERATED,
    build,
    relevant_params,
    valid_request,
)
from govstack_conform.engine.plan.stateful import (
    CREATE_VERBS,
    _id_fields,
    _id_like,
    _score,
    _success_json_schema,
)
from govstack_conform.engine.plan.wire import path_value

CHANGING_METHODS = frozenset({"DELETE", "PUT", "PATCH"})
UPDATE_WORDS = frozenset(
    {
        "update", "updates", "modify", "modification", "modifications", "edit", "patch", "replace",
        "change", "upsert", "delete", "remove", "purge", "clear", "cancel", "revoke", "withdraw", "void",
        "redeem", "redemption", "redeemption", "refund", "reversal", "reversals", "block",
        "unblock", "lock", "unlock", "suspend", "activate", "deactivate", "activation", "deactivation",
        "enable", "disable", "stop", "terminate", "complete", "confirm", "confirmation", "close",
        "archive", "approve", "reject", "assign", "unassign", "allocate", "deallocate", "unlink",
        "deregister", "unregister", "unsubscribe", "expire", "reset", "rename", "merge", "restore",
        "revert",
    }
)  # fmt: skip
CREATE_WORDS = CREATE_VERBS | {"insert", "generate"}
# An operationId or path segment that starts with one of these asks for data (`getCancellationReasons`).
READ_WORDS = frozenset({"get", "read", "list", "search", "find", "fetch", "query", "check", "lookup", "view", "show"})
OPT_IN = "--allow-destructive"
INVALID_ID = "invalid-id"
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
_ORIGIN = {
    FIXTURE: "is a fixture not marked disposable",
    EXAMPLE: "is the spec's example value, which may name a real record",
}


def changes_records(op: Operation) -> bool:
    """Whether `op` may change or delete records that exist (see the module docstring for the rule)."""
    if op.method in CHANGING_METHODS:
        return True
    if op.method != "POST":
        return False
    segs = [s for s in op.path.rstrip("/").split("/") if s]
    literal = next((s for s in reversed(segs) if not _TEMPLATE.fullmatch(s)), "")
    words: set[str] = set()
    # The fixed query that selects an operation variant says what it does too (`POST /vouchers?command=cancel`).
    for text in (op.operation_id or "", literal, *(value for _, value in op.fixed_query)):
        found = [w.lower() for w in _WORD.findall(text)]
        if found and found[0] in READ_WORDS:
            return False
        words.update(found)
    if words & UPDATE_WORDS:
        return True
    last = _TEMPLATE.fullmatch(segs[-1]) if segs else None
    return last is not None and _id_like(last.group(1)) and not words & CREATE_WORDS


class WriteTargets(Mapping[str, WriteTarget]):
    """The WriteTarget of every operation of the contract that changes records, by operation key.

    Each is worked out when first asked (as the operation's cases are planned), not all before planning:
    binding one builds its create's valid request, and a pass over every operation first would have the
    planner's bounded memos forget them all again before the operations' own turn."""

    def __init__(self, ctx: Ctx) -> None:
        self._ctx = ctx
        self._ops: dict[str, Operation] = {}
        for op in sorted(ctx.contract.operations, key=lambda o: (o.path, o.method)):
            if changes_records(op):
                self._ops[op.key] = op
        self._found: dict[str, WriteTarget] = {}

    def __getitem__(self, key: str) -> WriteTarget:
        found = self.get(key)
        if found is None:
            raise KeyError(key)  # the operation changes no record
        return found

    def get(self, key: str, default: WriteTarget | None = None) -> WriteTarget | None:  # type: ignore[override]
        found = self._found.get(key)
        if found is None:
            op = self._ops.get(key)
            if op is None:
                return default
            found = self._found[key] = _write_target(self._ctx, op)
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._ops

    def __iter__(self) -> Iterator[str]:
        return iter(self._ops)

    def __len__(self) -> int:
        return len(self._ops)


def _write_target(ctx: Ctx, op: Operation) -> WriteTarget:
    params = relevant_params(ctx, op)
    declared = {p.name for p in params if p.location == "path"}
    templates = [t for t in _TEMPLATE.findall(op.path) if t in declared]
    if templates:
        param = templates[-1]
        return WriteTarget("path", (param,), binding_for(ctx, op.path, param, op))
    fixed = {name for name, _ in op.fixed_query}  # `command=cancel` selects the operation, it names no record
    query = tuple(sorted(p.name for p in params if p.location == "query" and p.required and p.name not in fixed))
    return WriteTarget("query", query) if query else WriteTarget("operation", ())


def binding_for(ctx: Ctx, path: str, param: str, target: Operation | None) -> Binding | None:
    """A create whose new record `param` of `path` can name: a POST that changes nothing, on the collection
    just above the record (``/things`` or ``/things/create`` for ``/things/{id}`` and ``/things/{id}/verb``),
    whose answer holds the id (see id_pointer). None when there is none or it cannot be built."""
    segs = path.rstrip("/").split("/")
    at = max((i for i, s in enumerate(segs) if s == "{" + param + "}"), default=None)
    if at is None or len(segs) - at - 1 > 1:
        return None
    base = "/".join(segs[:at])
    for create in _creates(ctx).get(base, ()):
        pointer = id_pointer(ctx, create, param, target)
        if pointer is None:
            continue
        try:
            made = valid_request(ctx, create)
        except Untestable:
            continue
        sources = {name: source for loc, name, source, _ in made.param_sources if loc == "path"}
        common = tuple((k, v, sources.get(k, "")) for k, v in made.request.path_params)
        return Binding(create, made.request, pointer, param, common)
    return None


def _creates(ctx: Ctx) -> dict[str, list[Operation]]:
    """The POSTs that change no record, by the collection they add to, in (path, method) order: worked out
    once per contract, not once per changing operation (which made planning grow with its square)."""
    memo = shared(ctx, "creates")
    if "by_collection" not in memo:
        found: dict[str, list[Operation]] = {}
        for op in sorted(ctx.contract.operations, key=lambda o: (o.path, o.method)):
            base = collection_of(op) if op.method == "POST" and not changes_records(op) else None
            if base is not None:
                found.setdefault(base, []).append(op)
        memo["by_collection"] = found
    by_collection: dict[str, list[Operation]] = memo["by_collection"]
    return by_collection


def collection_of(create: Operation) -> str | None:
    """The collection path a create adds to (its path without a trailing create verb), or None when the
    operation is no create (not POST/PUT, or on an item path)."""
    segs = create.path.rstrip("/").split("/")
    if create.method not in ("POST", "PUT") or _TEMPLATE.fullmatch(segs[-1]):
        return None
    return "/".join(segs[:-1] if segs[-1].lower() in CREATE_VERBS else segs)


def id_pointer(ctx: Ctx, create: Operation, param: str, target: Operation | None) -> str | None:
    """Where the create's success answer holds the id that path parameter `param` (of `target`) takes:
    a create response link to `target` that says so, else the best-matching id-like field, scored as
    stateful chains are (stateful.find_chain)."""
    responses = sorted(create.responses, key=lambda r: r.status) if target is not None else []
    for r in responses:
        for _, link in sorted(r.links.items()) if r.status.startswith("2") else ():
            params = link.get("parameters") if isinstance(link, dict) else None
            expr = params.get(param) if isinstance(params, dict) else None
            linked = target is not None and link.get("operationId") == target.operation_id
            if linked and isinstance(expr, str) and expr.startswith("$response.body#"):
                return expr[len("$response.body#") :]
    schema = _success_json_schema(create)
    if schema is None:
        return None
    best: tuple[int, int, str] | None = None
    for ptr, name, parent in _id_fields(ctx, schema):
        s = _score(param, name, parent)
        if s and (best is None or (-s, len(ptr), ptr) < (-best[0], best[1], best[2])):
            best = (s, len(ptr), ptr)
    return best[2] if best else None


def guard(ctx: Ctx, case: Case, allow_destructive: bool) -> Case:
    """The case as it may be sent: with a setup step creating its record, unchanged, or skipped."""
    if case.untestable or case.skip:
        return case
    if case.kind is CaseKind.METHOD:
        return _guard_method(ctx, case, allow_destructive)
    target = ctx.writes.get(case.operation)
    op = ctx.contract.operation(case.operation)
    if target is None or op is None:
        return case
    step = case.steps[0] if case.kind is CaseKind.STATEFUL else case.steps[-1]
    why = _unsafe(ctx, op, target, case, step.request)
    if why == INVALID_ID:  # a 404 to it says nothing about the product, as for a generated id
        return replace(case, tags=tuple(sorted({*case.tags, "generated-id"})))
    if why is None:
        return case
    if why == CREATED and target.binding is not None:
        return _with_setup(ctx, case, target.binding)
    return case if allow_destructive else replace(case, skip=why)


def _unsafe(ctx: Ctx, op: Operation, target: WriteTarget, case: Case, req: RequestPlan) -> str | None:
    """None when `req` acts only on disposable data; CREATED when it acts on the record its setup step
    creates; INVALID_ID when its identifier is the invalid input; else the reason it is not sent."""
    try:
        base = valid_request(ctx, op)
    except Untestable:
        return f"not sent: {op.key} changes records and no valid request could be built"
    origin = {(loc, name): source for loc, name, source, _ in base.param_sources}
    if target.location == "path":
        param = target.names[0]
        value = dict(req.path_params).get(param)
        if value == "${" + BOUND_VAR + "}":
            return CREATED
        same = value == dict(base.request.path_params).get(param)
        if not same and case.kind is CaseKind.NEGATIVE:
            return INVALID_ID  # the identifier is the invalid input: no record of the product can have it
        if same and origin.get(("path", param)) == DISPOSABLE:
            return None
        source = _origin(origin, "path", param) if same else _ORIGIN[EXAMPLE]  # example cases may differ
        return _reason(op.method, f"a record the run did not create ({param} {source})")
    if target.location == "query":
        for name in target.names:
            if origin.get(("query", name)) != DISPOSABLE or _query(req, name) != _query(base.request, name):
                return _reason(
                    op.method,
                    f"records the run did not create (query parameter {name} {_origin(origin, 'query', name)})",
                )
        return None
    if ctx.testdata.disposable_entry(op) is not None:
        return None
    return (
        f"not sent: {op.key} changes existing data that no identifier names; list the operation "
        f"under disposable.operations in the fixtures or give {OPT_IN}"
    )


def _origin(origin: dict[tuple[str, str], str], location: str, name: str) -> str:
    return _ORIGIN.get(origin.get((location, name), ""), "is generated and may name a real record")


def _reason(method: str, what: str) -> str:
    return f"not sent: {method} on {what}; mark the fixture disposable or give {OPT_IN}"


def _query(req: RequestPlan, name: str) -> tuple[str, ...]:
    return tuple(v for k, v in req.query if k == name or k.startswith(name + "["))


def _with_setup(ctx: Ctx, case: Case, b: Binding) -> Case:
    setup = Step(
        SETUP_STEP, b.create.key, _setup_request(ctx, case, b), Expect.SUCCESS, statuses(b.create, "23"),
        capture=((BOUND_VAR, b.pointer),), setup=True,
    )  # fmt: skip
    return replace(
        case,
        steps=(setup, *case.steps),
        tags=tuple(sorted({*case.tags, CREATED})),
        description=f"{case.description} Sent to a record the case creates first ({b.create.key}).",
    )


def _setup_request(ctx: Ctx, case: Case, b: Binding) -> RequestPlan:
    """The create a case's setup step sends: the binding's, with a body generated for this case alone.

    A product may take the record's id from the body: one shared body would make every setup step (and
    the create's own cases) address one record, and cases running at once would change each other's."""
    try:
        made = build(ctx, b.create, purpose=f"setup {case.kind.value} {case.operation} {case.name}")
    except Untestable:
        return b.request
    if made.body_source != GENERATED or made.request.path_params != b.request.path_params:
        return b.request
    return made.request


def _guard_method(ctx: Ctx, case: Case, allow_destructive: bool) -> Case:
    """An undeclared PUT or DELETE: on the path's innermost parameter bound to a record the case creates,
    or a disposable one; otherwise skipped (PATCH and POST go without a body: they ask for no change)."""
    step = case.steps[-1]
    req = step.request
    first = ctx.contract.operation(case.operation)
    made = ctx.writes.get(case.operation)
    if made is not None and made.binding is not None and any(v == "${" + BOUND_VAR + "}" for _, v in req.path_params):
        return _with_setup(ctx, case, made.binding)  # built from the path's first operation, itself bound
    if req.method not in ("PUT", "DELETE"):
        return case
    templates = _TEMPLATE.findall(req.path)
    if not templates or first is None:
        why = (
            f"not sent: an undeclared {req.method} on {req.path} would change the data at that path if the "
            f"product wrongly accepted it; give {OPT_IN}"
        )
        return case if allow_destructive else replace(case, skip=why)
    param = templates[-1]
    binding = binding_for(ctx, req.path, param, None)
    if binding is not None:
        values = {name: wire for name, wire, _ in binding.shared}
        values[param] = "${" + BOUND_VAR + "}"
        params = tuple((k, values.get(k, v)) for k, v in req.path_params)
        moved = replace(case, steps=(replace(step, request=replace(req, path_params=params)),))
        return _with_setup(ctx, moved, binding)
    declared = next((p for p in first.parameters if p.location == "path" and p.name == param), None)
    disposable = ctx.testdata.lookup_disposable(first, param) if ctx.testdata else None
    if declared is not None and disposable is not None:
        params = tuple((k, path_value(declared, disposable) if k == param else v) for k, v in req.path_params)
        return replace(case, steps=(replace(step, request=replace(req, path_params=params)),))
    if allow_destructive:
        return case
    try:
        origin = {(loc, name): s for loc, name, s, _ in build(ctx, first, with_body=False).param_sources}
    except Untestable:
        origin = {}
    return replace(
        case,
        skip=_reason(f"an undeclared {req.method}", f"a record the run did not create ({param} "
                     f"{_origin(origin, 'path', param)})"),
    )  # fmt: skip
