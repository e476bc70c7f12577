"""Filter cases: a list filtered by an identifier no record holds must come back empty.

The BBs' harnesses test it ("Retrieves any tasks because provided fileId was not found": 200 and an empty
array). A list operation (GET answering a JSON array of objects) that documents an optional identifier
filter (`fileId`, `assigneeId`: a query parameter named like an identifier and like a field of the items)
gets one case per filter: the valid request without its other optional query parameters, the filter set to
a value made for this run that no record can hold. The answer must be a success with an empty list; a
product returning records anyway ignored the filter (judged by `unmatched_filter_empty`, RECOMMENDED: the
contract names the filter, but rarely says in words that it selects by equality).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import replace

from govstack_conform.contracts.model import Operation, Parameter, Schema
from govstack_conform.engine.cases import Case, CaseKind, Expect, Step
from govstack_conform.engine.plan.context import Ctx, new_case, resolved, statuses, sub_seed, valid
from govstack_conform.engine.plan.request import Built, provenance_tags, relevant_params, slug

_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"
_ID_NAME = re.compile(r"(^id$|_id$|Id$|ID$|^uuid$|Uuid$|_uuid$)")  # fileId, assignee_id: selects by identifier
FILTER_TAG = "unmatched-filter"


def _norm(name: str) -> str:
    return re.sub(r"[_\-]", "", name).lower()


def _item_fields(ctx: Ctx, op: Operation) -> set[str]:
    """The (normalized) property names of the items, when every documented JSON success answer of a GET is
    an array of objects; empty otherwise (nothing says what a filter selects on)."""
    if op.method != "GET":
        return set()
    fields: set[str] | None = None
    for r in op.responses:
        if r.status[:1] != "2":
            continue
        for media in r.content:
            mt = media.media_type.split(";")[0].strip().lower()
            if mt not in ("application/json", "*/*", "application/*") and not mt.endswith("+json"):
                continue
            node = resolved(ctx, media.schema)
            items = node.get("items") if node.get("type") == "array" else None
            if media.schema is None or not isinstance(items, dict):
                return set()
            child = Schema(node=items, doc=media.schema.doc, pointer=f"{media.schema.pointer}/items")
            props = resolved(ctx, child).get("properties")
            names = {_norm(k) for k in props} if isinstance(props, dict) else set()
            fields = names if fields is None else fields & names
    return fields or set()


def _unmatched(ctx: Ctx, op: Operation, p: Parameter) -> str | None:
    """A value valid for the filter that no record holds: a run-made token, or a UUID where one is demanded."""
    n = sub_seed(ctx.seed, op.key, "unmatched", p.name)
    token = "gc" + "".join(_ALPHABET[(n >> (5 * i)) % len(_ALPHABET)] for i in range(10))
    for value in (token, str(uuid.UUID(int=n << 80 | n, version=4))):
        if valid(ctx, p.schema, value):
            return value
    return None


def _filters(ctx: Ctx, op: Operation) -> list[Parameter]:
    """Optional query parameters named like an identifier and like a field of the listed items."""
    fields = _item_fields(ctx, op)
    out = []
    for p in relevant_params(ctx, op):
        if p.location != "query" or p.required or p.schema is None or not _ID_NAME.search(p.name):
            continue
        if _norm(p.name) not in fields:
            continue
        node = resolved(ctx, p.schema)
        if node.get("type") in ("string", None) and "enum" not in node and "const" not in node:
            out.append(p)
    return out


def filter_cases(ctx: Ctx, op: Operation, built: Built | None) -> list[Case]:
    """One case per identifier filter of a list operation (none when no valid request could be built)."""
    if built is None or op.method != "GET":
        return []
    required = {p.name for p in op.parameters if p.location == "query" and p.required}
    base = [(k, v) for k, v in built.request.query if k in required or k.split("[", 1)[0] in required]
    ok = statuses(op, "2")
    out = []
    for p in _filters(ctx, op):
        value = _unmatched(ctx, op, p)
        if value is None:
            continue
        req = replace(built.request, query=(*base, (p.name, value)))
        step = Step("request", op.key, req, Expect.SUCCESS, ok, unmatched_filter=p.name)
        desc = (
            f'Filters the list by "{p.name}" with {value!r}, a value made for this run that no record holds; '
            "expects a documented success with an empty list."
        )
        tags = tuple(sorted({*provenance_tags(built), FILTER_TAG}))
        name = f"positive-filter-unmatched-{slug(p.name)}"
        out.append(new_case(ctx, op, CaseKind.POSITIVE, name, desc, (step,), tags=tags))
    return out
