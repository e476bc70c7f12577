"""List operations: the items a collection answers, and what of the query (filters, paging) they honour.

A list of a resource the mock stores answers the stored resources: every id it lists is readable at
its item path, a created one is listed, a deleted one is gone. The first listing adopts the items of
the spec's example (or generated) list as resources that were already there, so the collection is
not empty and those ids are readable too. A list of something the mock cannot store (nothing in the
contract creates it) answers the generated items that meet the query: a filter by a value none of them
holds answers an empty list, as a product answers for a value no record holds.

Filters are the declared query parameters named like a field of the listed items (equality; several
values mean any of them). Paging follows the names the contract uses: offset/limit (skip, firstResult,
maxResult...) or page/size (pageNo, pageSize...), pages counted from the page parameter's minimum
or default when it says 0, else from 1.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Operation, Parameter, Schema
from govstack_conform.mock.state import (
    Judge,
    Path,
    Record,
    Role,
    find_id,
    get_at,
    id_candidates,
    overlay,
    typed,
    with_id,
)

_OFFSET = frozenset({"offset", "skip", "firstresult", "startindex", "first"})
_SIZE = frozenset({"limit", "maxresult", "maxresults", "max", "take", "top", "size", "pagesize", "perpage"})
_PAGE = frozenset({"page", "pageno", "pagenumber", "pageindex", "pagenum"})
_TOTAL = frozenset({"total", "totalcount", "count", "totalelements", "totalitems", "totalrecords", "totalresults"})


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def find_list(body: Any, id_param: str | None, hint: str) -> Path | None:
    """Where the listed items stand: the body itself when it is an array, else the first array of objects
    (two levels deep at most) whose items carry an id, or of bare ids (any objects when `id_param` is None)."""

    def listed(value: Any) -> bool:
        if not (isinstance(value, list) and value):
            return False
        if id_param is not None and is_bare_id(value[0]):
            return True
        return isinstance(value[0], dict) and (id_param is None or find_id(value[0], id_param, hint) is not None)

    if listed(body):
        return ()
    if not isinstance(body, dict):
        return None
    for k, v in body.items():
        if listed(v):
            return (k,)
    for k, v in body.items():
        if isinstance(v, dict):
            for k2, v2 in v.items():
                if listed(v2):
                    return (k, k2)
    return None


def is_bare_id(item: Any) -> bool:
    """A listed item that is the id itself (`["newBirth", ...]`)."""
    return isinstance(item, str | int) and not isinstance(item, bool)


def replaced(body: Any, at: Path, items: list[Any]) -> Any:
    """A copy of `body` with the list at `at` replaced by `items`."""
    if not at:
        return items
    out = copy.deepcopy(body)
    parent = get_at(out, at[:-1])
    if isinstance(parent, dict):
        parent[at[-1]] = items
    return out


@dataclass(frozen=True)
class Query:
    """What of a list request's query the mock honours."""

    filters: tuple[tuple[str, frozenset[str]], ...] = ()
    offset: int = 0
    limit: int | None = None

    def keep(self, item: Any) -> bool:
        return all(isinstance(item, dict) and _text(item.get(k)) & wanted for k, wanted in self.filters)

    def page(self, items: list[Any]) -> list[Any]:
        end = None if self.limit is None else self.offset + max(self.limit, 0)
        return items[self.offset : end]


def _text(value: Any) -> set[str]:
    """The texts a field value equals, as a query string would carry it."""
    if isinstance(value, bool):
        return {"true" if value else "false"}
    if isinstance(value, list):
        return set().union(*(_text(v) for v in value)) if value else set()
    if isinstance(value, int | float | str):
        return {str(value)}
    return set()


def _integer(raws: Sequence[str] | None) -> int | None:
    if not raws:
        return None
    raw = raws[-1].strip()
    try:
        return int(float(raw)) if raw else None
    except ValueError:
        return None


def _schema_number(p: Parameter, key: str) -> int | None:
    node = p.schema.node if p.schema is not None else None
    value = node.get(key) if isinstance(node, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def read_query(op: Operation, query: Mapping[str, list[str]], fields: set[str]) -> Query:
    """Filters and paging of a list request: declared query parameters only, as the contract names them."""
    declared = [p for p in op.parameters if p.location == "query"]
    offset_p = next((p for p in declared if _norm(p.name) in _OFFSET), None)
    size_p = next((p for p in declared if _norm(p.name) in _SIZE), None)
    page_p = next((p for p in declared if _norm(p.name) in _PAGE), None)
    paging = {p.name for p in (offset_p, size_p, page_p) if p is not None}
    filters = []
    for p in declared:
        raws = query.get(p.name)
        if p.name in paging or p.name not in fields or not raws:
            continue
        array = "array" in str(p.schema.node.get("type")) if p.schema and isinstance(p.schema.node, dict) else False
        values = frozenset(v for raw in raws for v in (raw.split(",") if array and len(raws) == 1 else [raw]))
        filters.append((p.name, values))
    size = None
    if size_p is not None:
        size = _integer(query.get(size_p.name))
        size = _schema_number(size_p, "default") if size is None else size
    offset = 0
    if offset_p is not None:
        offset = max(_integer(query.get(offset_p.name)) or 0, 0)
    elif page_p is not None and size is not None:
        first = 0 if 0 in (_schema_number(page_p, "minimum"), _schema_number(page_p, "default")) else 1
        number = _integer(query.get(page_p.name))
        offset = max((number if number is not None else first) - first, 0) * size
    return Query(tuple(filters), offset, size)


def with_total(body: Any, at: Path, total: int, judge: Judge) -> Any:
    """The list's container with a total/count field next to the list set to `total`, where it stays valid."""
    container = get_at(body, at[:-1]) if at else None
    if not isinstance(container, dict):
        return body
    for k, v in container.items():
        if _norm(k) in _TOTAL and isinstance(v, int) and not isinstance(v, bool) and v != total:
            trial = copy.deepcopy(body)
            get_at(trial, at[:-1])[k] = total
            if judge(trial) is not False:
                body = trial
    return body


_COUNT_RULES = frozenset(
    {"minItems", "maxItems", "uniqueItems", "contains", "minContains", "maxContains", "prefixItems"}
    | {"additionalItems", "unevaluatedItems", "allOf", "anyOf", "oneOf", "not", "if", "enum", "const"}
)


def count_free(contract: Contract, schema: Schema | None, at: Path) -> bool:
    """Whether the list at `at` of bodies under `schema` may hold any number of valid items, as far as
    can be told without doubt (plain properties down to a plain array); False whenever unsure."""
    if schema is None:
        return False
    try:
        current = schema
        for key in at:
            resolved = schemas.resolve(contract, current)
            node = resolved.node
            props = node.get("properties") if isinstance(node, dict) else None
            if not isinstance(props, dict) or key not in props or _COUNT_RULES & set(node):
                return False
            current = schemas.child(resolved, "properties", key)
        node = schemas.resolve(contract, current).node
    except (schemas.SchemaUnusable, KeyError, TypeError):
        return False
    return isinstance(node, dict) and isinstance(node.get("items"), dict) and not _COUNT_RULES & set(node)


def item_fields(items: Sequence[Any]) -> set[str]:
    return {k for item in items if isinstance(item, dict) for k in item}


@dataclass(frozen=True)
class Listing:
    """One list answer being built: the valid base body, where its items stand, and how to judge it."""

    base: Any
    at: Path
    role: Role
    judge: Judge
    free: bool = False  # the list's schema has no rule on its length or uniqueness (see `count_free`)

    @property
    def template(self) -> list[Any]:
        found = get_at(self.base, self.at) if self.at else self.base
        return found if isinstance(found, list) else []

    def judge_item(self, item: Any) -> bool | None:
        """Whether `item` may stand in the list: judged in the first slot of the base list."""
        return self.judge(replaced(self.base, self.at, [item, *self.template[1:]]))

    def view(self, op_key: str, rid: str, record: Record) -> Any | None:
        """How `record` appears in this list: its last listed view, another valid view, or the template's
        first item with the stored fields laid over it (None when nothing valid can be made)."""
        found = record.served.get(op_key)
        if found is not None:
            return found
        if self.template and is_bare_id(self.template[0]):
            found = next((v for v in typed(self.template[0], rid) if self.judge_item(v) is not False), None)
            if found is not None:
                record.served[op_key] = found
            return found
        found = next((v for v in record.served.values() if self.judge_item(v) is True), None)
        if found is None and self.template:
            first = self.template[0]
            id_path = find_id(first, self.role.id_param, self.role.hint)
            found = overlay(first, id_path, record.source, self.judge_item)
            if id_path:
                found = with_id(found, id_path, id_candidates(get_at(found, id_path), rid, 0, 0), self.judge_item)
            if self.judge_item(found) is False:
                return None
        if found is not None:
            record.served[op_key] = found
        return found

    def answer(self, items: list[Any], query: Query) -> Any | None:
        """The body listing `items` after filters and paging; None when the schema refuses it.

        Each item was judged valid in the list already: when the list's schema says nothing about its
        length or uniqueness (`free`), the whole body is not judged again (that would cost a validation
        of every stored item on every list request)."""
        kept = [i for i in items if query.keep(i)]
        body = replaced(with_total(self.base, self.at, len(kept), self.judge), self.at, query.page(kept))
        return body if self.free or self.judge(body) is not False else None
