"""In-memory resources: what a create stores, a read returns, an update changes and a delete removes.

Roles come from the paths alone. `/config/policy/{policyId}/` is an item path of the collection
`/config/policy`; POST (or PUT) on the collection creates and GET lists, GET/PUT/PATCH/DELETE on the
item path read, replace, update and delete. Resources are keyed by the id parameter's name when it is specific
(`policyId`), so `/service/policy/{policyId}/` reads what `/config/policy/` created.

Registry-style calls name the record in the body instead (digital registries): `POST <collection>/create`
stores `{write: {content}}`, `POST .../read` and `.../exists` and `PUT .../update` select records by the fields
of `{query: {content}}`, and the collection's `DELETE <collection>/{id}/delete` removes one (content_answer).

Bodies served from state must still meet the operation's response schema: stored values are laid
over a valid (example or generated) body only where the result stays valid.
"""

from __future__ import annotations

import copy
import hashlib
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from govstack_conform.contracts.model import Operation

_PARAM = re.compile(r"^\{([^{}/]+)\}$")
_TEMPLATE_PARAM = re.compile(r"\{([^{}/]+)\}")
_GENERIC = frozenset({"id", "uuid", "key", "name", "code", "identifier"})
# The last path segment of a registry-style call below a collection, and what it does to the record in its body.
_BY_CONTENT = {"create": "create", "read": "read", "exists": "exists", "update": "update"}
Path = tuple[str, ...]


@dataclass(frozen=True)
class Role:
    """What an operation does to stored resources."""

    kind: str  # create | read | update | replace | delete | list | exists
    resource: str  # store key shared by every operation on the same resource
    id_param: str | None  # the path (or query) parameter carrying the id; the record's field for id_in body
    id_in: str  # path | query | none | body (the record and the selector are in the body: content_answer)
    hint: str  # resource name ("policy"), to find the id inside bodies
    item_path: str | None = None  # create: the template reading one resource (for the Location header)

    def location(self, path_params: Mapping[str, str], rid: str) -> str | None:
        """The path of the created resource, when every parameter of the item template is known."""
        if self.item_path is None or self.id_param is None:
            return None
        values = {**path_params, self.id_param: rid}
        out = _TEMPLATE_PARAM.sub(lambda m: quote(str(values.get(m.group(1), "\0")), safe=""), self.item_path)
        return None if "%00" in out else out


def _norm(name: str) -> str:
    return name.replace("_", "").replace("-", "").lower()


def _hint(param: str, prefix: str) -> str:
    for suffix in ("Id", "_id", "ID", "Uuid", "_uuid", "UUID"):
        if param.endswith(suffix) and len(param) > len(suffix):
            return param[: -len(suffix)]
    last = [s for s in prefix.split("/") if s and not s.startswith("{")]
    return last[-1] if last else param


def _segments(path: str) -> list[str]:
    return [s for s in path.partition("?")[0].strip("/").split("/") if s]


def _item(path: str, method: str) -> tuple[str, str] | None:
    """(collection prefix, id parameter) when `path` addresses one resource by a path parameter."""
    segs = _segments(path)
    if segs and (m := _PARAM.match(segs[-1])):
        return "/" + "/".join(segs[:-1]), m.group(1)
    if method == "DELETE" and len(segs) >= 2 and (m := _PARAM.match(segs[-2])) and not segs[-1].startswith("{"):
        return "/" + "/".join(segs[:-2]), m.group(1)  # /things/{id}/delete
    return None


def _registry_style(op: Operation) -> bool:
    """Whether the request body's schema declares the registry's `write` or `query` part (content_answer)."""
    media = op.request_body.content if op.request_body else ()
    nodes = [m.schema.node for m in media if m.schema is not None and isinstance(m.schema.node, dict)]
    return any(isinstance(n.get("properties"), dict) and {"write", "query"} & set(n["properties"]) for n in nodes)


def infer_roles(operations: Iterable[Operation]) -> dict[str, Role]:
    """Role of each operation (by key) that touches stored resources.

    Only resources something can create get roles: `GET /data/{registry}/{version}` looks like an
    item read but, with nothing creating versions, it is a search and is left alone.
    """
    ops = list(operations)
    collections: dict[str, str] = {}
    readers: dict[str, str] = {}  # collection prefix -> item path a GET reads
    for op in ops:
        if op.method in ("GET", "PUT", "PATCH", "DELETE") and (item := _item(op.path, op.method)):
            collections.setdefault(item[0], item[1])
            if op.method == "GET" and item[1] == collections[item[0]]:
                readers.setdefault(item[0], op.path.partition("?")[0])

    def key(prefix: str, param: str) -> str:
        return param if param.lower() not in _GENERIC and len(param) > 3 else f"{prefix}#{param}"

    roles: dict[str, Role] = {}
    kinds = {"GET": "read", "PUT": "replace", "PATCH": "update", "DELETE": "delete"}
    for op in ops:
        item = _item(op.path, op.method)
        if item and op.method in kinds:
            prefix, param = item
            roles[op.key] = Role(kinds[op.method], key(prefix, param), param, "path", _hint(param, prefix))
            continue
        segs = _segments(op.path)
        parent, verb = "/" + "/".join(segs[:-1]), (segs[-1] if segs else "").lower()
        if op.method in ("POST", "PUT") and verb in _BY_CONTENT and parent in collections and _registry_style(op):
            param = collections[parent]
            roles[op.key] = Role(_BY_CONTENT[verb], key(parent, param), param, "body", _hint(param, parent))
            continue
        prefix = "/" + "/".join(segs)
        if prefix not in collections:
            continue
        param = collections[prefix]
        if op.method in ("POST", "PUT"):
            roles[op.key] = Role("create", key(prefix, param), param, "none", _hint(param, prefix), readers.get(prefix))
        elif op.method == "GET":
            names = {p.name for p in op.parameters if p.location == "query"}
            by = param if param in names else ("id" if "id" in names else None)
            if by:
                roles[op.key] = Role("read", key(prefix, param), by, "query", _hint(param, prefix))
            else:
                roles[op.key] = Role("list", key(prefix, param), param, "none", _hint(param, prefix))
    creatable = {r.resource for r in roles.values() if r.kind in ("create", "replace")}
    return {k: r for k, r in roles.items() if r.resource in creatable}


def find_id(body: Any, id_param: str | None, hint: str) -> Path | None:
    """Where the resource's id sits in a body: the id parameter's name, `id`, `uuid`, `<hint>Id`...

    Searched at the top level, then in the object named after the resource, then in any object.
    """
    if not isinstance(body, dict):
        return None
    names = [_norm(n) for n in (id_param or "", "id", "uuid", hint + "id", "identifier") if n]

    def direct(obj: dict[str, Any]) -> str | None:
        normed = {_norm(k): k for k, v in obj.items() if isinstance(v, str | int) and not isinstance(v, bool)}
        return next((normed[n] for n in names if n in normed), None)

    if (k := direct(body)) is not None:
        return (k,)
    nested = sorted(
        ((k, v) for k, v in body.items() if isinstance(v, dict)), key=lambda kv: _norm(kv[0]) != _norm(hint)
    )
    for outer, obj in nested:
        if (k := direct(obj)) is not None:
            return (outer, k)
    return None


def get_at(body: Any, path: Path) -> Any:
    for p in path:
        if not isinstance(body, dict) or p not in body:
            return None
        body = body[p]
    return body


def set_at(body: Any, path: Path, value: Any) -> None:
    target = get_at(body, path[:-1])
    if isinstance(target, dict):
        target[path[-1]] = value


Judge = Callable[[Any], "bool | None"]  # True valid, False invalid, None cannot be judged


def with_id(body: Any, path: Path, candidates: Iterable[Any], judge: Judge) -> Any:
    """`body` with the first id candidate that keeps it valid (unchanged when none does)."""
    for value in candidates:
        trial = copy.deepcopy(body)
        set_at(trial, path, value)
        if judge(trial) is not False:
            return trial
    return body


def overlay(base: Any, id_path: Path | None, source: Any, judge: Judge) -> Any:
    """`base` with the stored `source` fields laid over the resource object, as far as it stays valid."""
    if not isinstance(base, dict) or not isinstance(source, dict):
        return base
    target_path = id_path[:-1] if id_path else ()
    inner = get_at(source, target_path)
    if isinstance(inner, dict) and target_path:
        source = inner
    elif len(source) == 1 and isinstance(next(iter(source.values())), dict) and not target_path:
        source = next(iter(source.values()))  # {"policy": {...}} laid over a flat body
    target = get_at(base, target_path)
    if not isinstance(target, dict):
        return base
    keys = [k for k in source if not (id_path and k == id_path[-1])]
    trial = copy.deepcopy(base)
    get_at(trial, target_path).update({k: source[k] for k in keys})
    if judge(trial) is not False:
        return trial
    body = copy.deepcopy(base)
    for k in keys:  # greedy: keep each stored field that does not break the schema
        trial = copy.deepcopy(body)
        get_at(trial, target_path)[k] = source[k]
        if judge(trial) is True:
            body = trial
    return body


def id_candidates(template: Any, raw: str | None, seed: int, n: int) -> list[Any]:
    """Values to try for an id: the given one (in the template's type), else fresh ones."""
    if raw is not None:
        out: list[Any] = [raw]
        if isinstance(template, int) and raw.lstrip("-").isdigit():
            out.insert(0, int(raw))
        return out
    digest = hashlib.sha256(f"govstack-conform-mock:{seed}:{n}".encode()).digest()
    fresh = str(uuid.UUID(bytes=digest[:16], version=4))
    if isinstance(template, int):
        return [1000 + n, fresh]
    return [fresh, f"{template}-{n}" if template else str(1000 + n), str(1000 + n)]


def typed(template: Any, raw: str) -> list[Any]:
    """`raw` (a path or query string) as the values it may stand for where `template` stands, likeliest first."""
    if isinstance(template, bool):
        return [raw.lower() == "true"] if raw.lower() in ("true", "false") else [raw]
    return id_candidates(template, raw, 0, 0)


def echo(body: Any, params: Mapping[str, str], judge: Judge) -> Any:
    """`body`, changed in place, with each path parameter's value where a field has its name (top level, one
    object down, or in the items of a list there), as far as it stays valid: what the client named comes back."""
    if not params or not isinstance(body, dict | list):
        return body
    wanted = {_norm(k): v for k, v in params.items()}
    spots: list[dict[str, Any]] = []
    for obj in [body] if isinstance(body, dict) else []:
        spots.append(obj)
        for v in obj.values():
            if isinstance(v, dict):
                spots.append(v)
            elif isinstance(v, list):
                spots.extend(i for i in v if isinstance(i, dict))
    if isinstance(body, list):
        spots.extend(i for i in body if isinstance(i, dict))
    out = body
    for spot in spots:
        for key, value in list(spot.items()):
            raw = wanted.get(_norm(key))
            if raw is None or _text(value) == raw:
                continue
            for candidate in typed(value, raw):
                previous = spot[key]
                spot[key] = candidate
                if judge(out) is not False:
                    break
                spot[key] = previous
    return out


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int | float | str) else None


@dataclass
class Record:
    source: Any  # the resource as the client last sent it
    served: dict[str, Any] = field(default_factory=dict)  # op key -> body last served for it
    scope: Mapping[str, str] = field(default_factory=dict)  # path parameters of its collection (the parent ids)

    def within(self, scope: Mapping[str, str]) -> bool:
        """Whether the record belongs to the collection addressed with these path parameters."""
        return all(self.scope.get(k, v) == v for k, v in scope.items())


@dataclass
class Store:
    """Resources by store key and id (as text); remembers what was deleted."""

    seed: int = 0
    items: dict[str, dict[str, Record]] = field(default_factory=dict)
    deleted: dict[str, set[str]] = field(default_factory=dict)
    counter: int = 0
    adopted: set[str] = field(default_factory=set)  # resources whose listed examples were taken in

    def adopt_once(self, resource: str) -> bool:
        """True the first time a resource is listed: its listed items are to be taken in."""
        if resource in self.adopted:
            return False
        self.adopted.add(resource)
        return True

    def records(self, resource: str) -> list[tuple[str, Record]]:
        return list(self.items.get(resource, {}).items())

    def next_number(self) -> int:
        self.counter += 1
        return self.counter

    def get(self, resource: str, rid: str) -> Record | None:
        return self.items.get(resource, {}).get(rid)

    def was_deleted(self, resource: str, rid: str) -> bool:
        return rid in self.deleted.get(resource, set())

    def put(self, resource: str, rid: str, record: Record) -> None:
        self.items.setdefault(resource, {})[rid] = record
        self.deleted.get(resource, set()).discard(rid)

    def delete(self, resource: str, rid: str) -> bool:
        found = self.items.get(resource, {}).pop(rid, None)
        if found is not None:
            self.deleted.setdefault(resource, set()).add(rid)
        return found is not None


def _content(body: Any, part: str) -> dict[str, Any] | None:
    inner = body.get(part) if isinstance(body, dict) else None
    found = inner.get("content") if isinstance(inner, dict) else None
    return found if isinstance(found, dict) else None


def _holds(source: Any, selector: Any) -> bool:
    """Whether the stored record has every field of the selector, with the same value (objects compared alike)."""
    if isinstance(selector, dict):
        return isinstance(source, dict) and all(k in source and _holds(source[k], v) for k, v in selector.items())
    return bool(source == selector)


def _flag(base: Any, value: bool, judge: Judge) -> Any:
    """`base` with its one boolean field (top level or one object down: `answer.status`) set to `value`."""
    spots = [(base, k) for k, v in base.items() if isinstance(v, bool)] if isinstance(base, dict) else []
    for obj in base.values() if isinstance(base, dict) else ():
        spots += [(obj, k) for k, v in obj.items() if isinstance(v, bool)] if isinstance(obj, dict) else []
    if len(spots) != 1:
        return base
    trial = copy.deepcopy(base)
    obj, k = spots[0]
    path = (k,) if obj is base else (next(o for o, v in base.items() if v is obj), k)
    set_at(trial, path, value)
    return trial if judge(trial) is not False else base


@dataclass(frozen=True)
class ContentAnswer:
    """What a registry-style call answers: the body, or that no stored record matches the query."""

    body: Any
    found: bool = True


def content_answer(
    store: Store, role: Role, base: Any, body: Any, params: Mapping[str, str], judge: Judge
) -> ContentAnswer | None:
    """The answer to a registry-style call from what create stored; None when the body has not that shape."""
    field_name = role.id_param or "id"
    scope = {k: v for k, v in params.items() if k != role.id_param}
    write, query = _content(body, "write"), _content(body, "query")

    def view(source: dict[str, Any], rid: str) -> Any:
        if not isinstance(base, dict) or not isinstance(base.get("content", {}), dict):
            return base
        at = ("content", field_name)
        shown = overlay({**base, "content": base.get("content") or {}}, at, source, judge)
        return with_id(shown, at, id_candidates(source.get(field_name), rid, 0, 0), judge)

    if role.kind == "create":
        if write is None:
            return None
        raw = write.get(field_name)
        usable = isinstance(raw, str | int) and not isinstance(raw, bool)
        rid = str(raw) if usable else id_candidates("", None, store.seed, store.next_number())[0]
        store.put(role.resource, rid, Record(source={**write, field_name: raw if usable else rid}, scope=scope))
        return ContentAnswer(view(write, rid))
    if query is None:
        return None
    found = [(rid, r) for rid, r in store.records(role.resource) if r.within(scope) and _holds(r.source, query)]
    if role.kind == "exists":
        return ContentAnswer(_flag(base, bool(found), judge))
    if not found:
        return ContentAnswer(base, found=False)
    if role.kind == "update" and write is not None:
        for _, record in found:
            record.source = {**record.source, **write, field_name: record.source.get(field_name)}
    rid, record = found[0]
    return ContentAnswer(view(record.source, rid) if role.kind == "read" else base)
