"""Stateful sequences: create a resource, read it back, update it, delete it, and see it gone.

A chain needs a create operation (POST/PUT on a collection path, or on a ``.../create`` verb path)
whose success response has an identifier, and item operations that take that identifier in their
path. OpenAPI `links` on the create response say so explicitly; without them the identifier is the
create response's id-like field (``id``, ``uuid``, ``<name>Id``) matched by name to the path
parameter of item paths just below the collection. No chain is guessed beyond that: a wrong guess
would blame the candidate for our mistake.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from govstack_conform.contracts.model import Operation, Schema
from govstack_conform.contracts.schemas import SchemaUnusable, child, resolve
from govstack_conform.engine.cases import Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.plan.context import new_case, per_location
from govstack_conform.engine.plan.request import (
    Built,
    Ctx,
    Untestable,
    provenance_tags,
    resolved,
    shared,
    statuses,
    valid,
    valid_request,
)
from govstack_conform.engine.plan.wire import is_json_media

CREATE_VERBS = frozenset({"create", "add", "new", "register"})
ROLE_VERBS = {
    "read": frozenset({"read", "get", "view", "show"}),
    "update": frozenset({"update", "edit", "modify"}),
    "delete": frozenset({"delete", "remove"}),
}
_TEMPLATE = re.compile(r"\{([^{}]+)\}")
_SECRET = re.compile("password|secret|token", re.IGNORECASE)
_NO_ECHO_FORMATS = frozenset({"date-time", "date", "time", "binary", "byte", "password"})
MAX_ECHO = 20
# Fields a server commonly manages itself (bumps a version, stamps a time, moves a status): never
# demanded back as sent, since a conformant server may legitimately change them.
_SERVER_MANAGED_NAMES = re.compile(
    r"(version|revision|rev|etag|status|state|timestamp|(created|updated|modified|deleted|last(modified|updated|changed)).*)",
    re.IGNORECASE,
)
_SERVER_MANAGED_SUFFIX = re.compile(r"[a-z0-9](At|Date|Time|On|Timestamp|Count|Version|Revision|Status|State)$")


def _server_managed(name: str) -> bool:
    return bool(_SERVER_MANAGED_NAMES.fullmatch(name) or _SERVER_MANAGED_SUFFIX.search(name))


VAR = "id"


@dataclass(frozen=True)
class Chain:
    create: Operation
    roles: tuple[tuple[str, Operation, str], ...]  # (role, op, id path parameter), roles in CRUD order
    pointer: str  # JSON pointer of the identifier in the create response


def _props(ctx: Ctx, schema: Schema, depth: int = 0) -> dict[str, Schema]:
    """Properties of an object schema, allOf branches merged; {} when not an object schema.

    Memoized per schema location (the same few schemas are asked for in every plan). Do not mutate.
    """
    memo = per_location(ctx, "props")
    key = (schema.doc, schema.pointer, depth)
    hit = memo.get(key)
    if hit is not None and hit[0] is schema.node:
        found: dict[str, Schema] = hit[1]
        return found
    out = _merged_props(ctx, schema, depth)
    memo.put(key, (schema.node, out))
    return out


def _merged_props(ctx: Ctx, schema: Schema, depth: int) -> dict[str, Schema]:
    try:
        s = resolve(ctx.contract, schema)
    except SchemaUnusable:
        return {}
    node = s.node
    if not isinstance(node, dict) or depth > 6:
        return {}
    out: dict[str, Schema] = {}
    for i, branch in enumerate(node.get("allOf") or []):
        if isinstance(branch, dict):
            out.update(_props(ctx, child(s, "allOf", i), depth + 1))
    props = node.get("properties")
    if isinstance(props, dict):
        for name in props:
            out[str(name)] = child(s, "properties", name)
    return out


def _success_json_schema(op: Operation) -> Schema | None:
    for r in sorted(op.responses, key=lambda r: r.status):
        if r.status.startswith("2"):
            for m in r.content:
                if is_json_media(m.media_type) and m.schema is not None:
                    return m.schema
    return None


def _esc(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _id_fields(ctx: Ctx, schema: Schema) -> list[tuple[str, str, str]]:
    """(pointer, field name, parent name) of id-like fields at the top or one object level down."""
    out: list[tuple[str, str, str]] = []
    for name, sub in sorted(_props(ctx, schema).items()):
        if _id_like(name):
            out.append((f"/{_esc(name)}", name, ""))
        for inner, _ in sorted(_props(ctx, sub).items()):
            if _id_like(inner):
                out.append((f"/{_esc(name)}/{_esc(inner)}", inner, name))
    return out


def _id_like(name: str) -> bool:
    return name in ("id", "uuid", "ID", "Id") or name.endswith(("Id", "_id", "ID"))


def _score(param: str, field: str, parent: str) -> int:
    p, f = param.lower(), field.lower()
    if p == f:
        return 3
    if f in ("id", "uuid") and parent and p in (parent.lower() + "id", parent.lower() + "_id"):
        return 2
    if f in ("id", "uuid") and (p.endswith("id") or p == "uuid"):
        return 1
    return 0


def _item_ops(ctx: Ctx, create: Operation) -> list[tuple[str, Operation, str]]:
    """(role, op, id parameter) of the operations on items just below the create's collection."""
    segs = create.path.rstrip("/").split("/")
    if segs[-1].lower() in CREATE_VERBS:
        segs = segs[:-1]
    base = "/".join(segs)
    found: list[tuple[str, Operation, str]] = []
    memo = shared(ctx, "ordered")  # sorted once per contract, not once per create
    if "ops" not in memo:
        memo["ops"] = sorted(ctx.contract.operations, key=lambda o: (o.path, o.method))
    for op in memo["ops"]:
        path = op.path.rstrip("/")
        if not path.startswith(base + "/"):
            continue
        rest = path[len(base) + 1 :].split("/")
        m = _TEMPLATE.fullmatch(rest[0])
        if m is None or len(rest) > 2:
            continue
        verb = rest[1].lower() if len(rest) == 2 else None
        role = _role(op.method, verb)
        if role:
            found.append((role, op, m.group(1)))
    return found


def _role(method: str, verb: str | None) -> str | None:
    if verb is None:
        return {"GET": "read", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(method)
    if method == "GET" and verb in ROLE_VERBS["read"]:
        return "read"
    if method in ("PUT", "PATCH", "POST") and verb in ROLE_VERBS["update"]:
        return "update"
    if method in ("DELETE", "POST") and verb in ROLE_VERBS["delete"]:
        return "delete"
    return None


def _from_links(ctx: Ctx, create: Operation) -> Chain | None:
    """A chain stated by the create response's OpenAPI links (operationId + $response.body#/ptr)."""
    roles: list[tuple[str, Operation, str]] = []
    pointer = None
    for r in sorted(create.responses, key=lambda r: r.status):
        if not r.status.startswith("2"):
            continue
        for _, link in sorted(r.links.items()):
            if not isinstance(link, dict) or not isinstance(link.get("parameters"), dict):
                continue
            target = ctx.contract.operation(str(link.get("operationId", "")))
            if target is None:
                continue
            role = _role(target.method, None)
            for param, expr in sorted(link["parameters"].items()):
                if isinstance(expr, str) and expr.startswith("$response.body#") and role:
                    ptr = expr[len("$response.body#") :]
                    if pointer in (None, ptr) and any(
                        p.name == param and p.location == "path" for p in target.parameters
                    ):
                        pointer = ptr
                        roles.append((role, target, str(param)))
    if pointer is None or not roles:
        return None
    return Chain(create, _ordered(roles), pointer)


def _ordered(roles: list[tuple[str, Operation, str]]) -> tuple[tuple[str, Operation, str], ...]:
    """The first op for each role, preferring PUT over PATCH and plain paths over verb paths."""
    best: dict[str, tuple[str, Operation, str]] = {}
    for role, op, param in sorted(roles, key=lambda r: (len(r[1].path), r[1].method != "PUT", r[1].path)):
        best.setdefault(role, (role, op, param))
    return tuple(best[r] for r in ("read", "update", "delete") if r in best)


def find_chain(ctx: Ctx, create: Operation) -> Chain | None:
    if create.method not in ("POST", "PUT") or _TEMPLATE.fullmatch(create.path.rstrip("/").split("/")[-1]):
        return None
    linked = _from_links(ctx, create)
    if linked is not None:
        return linked
    schema = _success_json_schema(create)
    items = _item_ops(ctx, create)
    if schema is None or not items:
        return None
    fields = _id_fields(ctx, schema)
    best: tuple[int, int, str] | None = None
    for ptr, name, parent in fields:
        for _, _, param in items:
            s = _score(param, name, parent)
            if s and (best is None or (-s, len(ptr), ptr) < (-best[0], best[1], best[2])):
                best = (s, len(ptr), ptr)
    if best is None:
        return None
    ptr = best[2]
    _, name, parent = next(f for f in fields if f[0] == ptr)
    roles = [(role, op, param) for role, op, param in items if _score(param, name, parent)]
    return Chain(create, _ordered(roles), ptr) if roles else None


def _schema_at(ctx: Ctx, schema: Schema, parts: list[str]) -> Schema | None:
    current = schema
    for part in parts:
        found = _props(ctx, current).get(part)
        if found is None:
            return None
        current = found
    return current


def _echoable(ctx: Ctx, read_schema: Schema, parts: list[str]) -> bool:
    """The read response documents `parts` as a plain value it returns as stored (memoized)."""
    memo = per_location(ctx, "echoable")
    key = (read_schema.doc, read_schema.pointer, tuple(parts))
    hit = memo.get(key)
    if hit is not None and hit[0] is read_schema.node:
        ok: bool = hit[1]
        return ok
    target = _schema_at(ctx, read_schema, parts)
    node = resolved(ctx, target) if target is not None else {}
    ok = bool(node) and not node.get("writeOnly") and node.get("format") not in _NO_ECHO_FORMATS
    memo.put(key, (read_schema.node, ok))
    return ok


def _echo(ctx: Ctx, sent: Any, read_schema: Schema | None, skip: str) -> tuple[tuple[str, Any], ...]:
    """Scalars we sent that the read response documents at the same place and should return as sent."""
    if read_schema is None or not isinstance(sent, dict):
        return ()
    out: list[tuple[str, Any]] = []

    def walk(value: Any, parts: list[str]) -> None:
        if len(out) >= MAX_ECHO:
            return
        if isinstance(value, dict):
            for k in sorted(value):
                walk(value[k], [*parts, str(k)])
            return
        if not parts or _id_like(parts[-1]) or _SECRET.search(parts[-1]):
            return
        if _server_managed(parts[-1]):
            return
        if isinstance(value, (bool, int)) or (isinstance(value, str) and value and value == value.strip()):
            pointer = "".join("/" + _esc(p) for p in parts)
            if pointer == skip:
                return
            if _echoable(ctx, read_schema, parts):
                out.append((pointer, value))

    walk(sent, [])
    return tuple(out)


def _with_id(built: Built, param: str, shared: dict[str, str]) -> RequestPlan:
    req = built.request
    params = tuple((k, "${" + VAR + "}" if k == param else shared.get(k, v)) for k, v in req.path_params)
    return replace(req, path_params=params)


def _update_body(ctx: Ctx, built: Built, pointer: str) -> RequestPlan:
    """Puts the captured id into the update body where the create response had it (if still valid)."""
    req = built.request
    if not isinstance(req.body, dict) or built.media is None:
        return req
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]]
    body = _set(req.body, parts, "${" + VAR + "}")
    if body is None or not valid(ctx, built.media.schema, body):
        return req
    return replace(req, body=body)


def _set(doc: Any, parts: list[str], value: Any) -> Any:
    if not parts or not isinstance(doc, dict) or parts[0] not in doc:
        return None
    if len(parts) == 1:
        return {**doc, parts[0]: value} if isinstance(doc[parts[0]], str) else None
    inner = _set(doc[parts[0]], parts[1:], value)
    return None if inner is None else {**doc, parts[0]: inner}


def stateful_case(ctx: Ctx, chain: Chain) -> Case:
    c = chain.create
    names = ["create", *[r for r, _, _ in chain.roles]]
    try:
        case_steps, tags = _steps(ctx, chain)
        why = None
    except Untestable as e:
        case_steps, tags, why = (Step("create", c.key, RequestPlan(c.method, c.path), Expect.SUCCESS),), (), str(e)
    description = (
        f"Creates a resource, captures its id at {chain.pointer} and then "
        + ", ".join(f"{r}s it ({op.key})" for r, op, _ in chain.roles)
        + ("; after delete it must be gone." if any(r == "delete" for r, _, _ in chain.roles) else ".")
    )
    name = "stateful-" + "-".join(names)
    return new_case(ctx, c, CaseKind.STATEFUL, name, description, case_steps, untestable=why, tags=tags)


def _steps(ctx: Ctx, chain: Chain) -> tuple[tuple[Step, ...], tuple[str, ...]]:
    c = chain.create
    created = valid_request(ctx, c)
    shared = dict(created.request.path_params)
    steps = [Step("create", c.key, created.request, Expect.SUCCESS, statuses(c, "23"), capture=((VAR, chain.pointer),))]
    roles = {r: (op, param) for r, op, param in chain.roles}
    read = roles.get("read")
    read_built = valid_request(ctx, read[0]) if read else None

    def read_step(name: str, expect: Expect, echo: tuple[tuple[str, Any], ...] = ()) -> Step:
        assert read is not None and read_built is not None
        codes = statuses(read[0], "23") if expect is Expect.SUCCESS else ("404", "410")
        return Step(name, read[0].key, _with_id(read_built, read[1], shared), expect, codes, must_echo=echo)

    read_schema = _success_json_schema(read[0]) if read else None
    if read:
        steps.append(read_step("read", Expect.SUCCESS, _echo(ctx, created.schema_body, read_schema, chain.pointer)))
    if "update" in roles:
        op, param = roles["update"]
        upd = valid_request(ctx, op)
        req = replace(_update_body(ctx, upd, chain.pointer), path_params=_with_id(upd, param, shared).path_params)
        steps.append(Step("update", op.key, req, Expect.SUCCESS, statuses(op, "23")))
        if read:
            echo = _echo(ctx, req.body if req.has_body else None, read_schema, chain.pointer)
            steps.append(read_step("read-after-update", Expect.SUCCESS, echo))
    if "delete" in roles:
        op, param = roles["delete"]
        dele = valid_request(ctx, op)
        steps.append(Step("delete", op.key, _with_id(dele, param, shared), Expect.SUCCESS, statuses(op, "23")))
        if read:
            steps.append(read_step("read-after-delete", Expect.GONE))
    tags = tuple(t for t in provenance_tags(created) if t != "generated-id")
    return tuple(steps), tags


def stateful_chains(ctx: Ctx) -> list[Chain]:
    """Every create -> read/update/delete chain of the contract, by the create's (path, method)."""
    memo = shared(ctx, "chains")
    if "all" not in memo:  # which chains exist depends on the contract alone
        ops = sorted(ctx.contract.operations, key=lambda o: (o.path, o.method))
        memo["all"] = [chain for chain in (find_chain(ctx, op) for op in ops) if chain is not None]
    chains: list[Chain] = memo["all"]
    return chains
