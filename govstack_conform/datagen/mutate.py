"""Invalid variants of a valid value, one rule broken at a time, for the engine's negative cases.

Each candidate is checked with the request validator and dropped when it still validates, so a
candidate that accepts a mutation is never blamed for a mutation that was not really invalid.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.contracts.schemas import SchemaUnusable
from govstack_conform.datagen.facts import Facts, GenerationError, absorb, facts_for, holds, json_type_of
from govstack_conform.datagen.incremental import Variants
from govstack_conform.datagen.regex import matches
from govstack_conform.datagen.values import copy_json

KINDS = (
    "missing-required",
    "wrong-type",
    "enum-violation",
    "pattern-violation",
    "length-violation",
    "range-violation",
    "additional-property",
)
_WALK_DEPTH = 3
_WRONG = {
    "string": 12345,
    "integer": "not-a-number",
    "number": "not-a-number",
    "boolean": "not-a-boolean",
    "object": "not-an-object",
    "array": "not-an-array",
    "null": "not-null",
}


@dataclass(frozen=True)
class Mutation:
    """An invalid variant: `value` is the whole body, `pointer` where in it the rule is broken."""

    kind: str
    description: str
    value: Any
    pointer: str


def _ptr(path: tuple[str | int, ...]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


def _replace(root: Any, path: tuple[str | int, ...], new: Any, delete: bool = False) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    copy: Any = dict(root) if isinstance(root, dict) else list(root)
    if not rest and delete:
        del copy[head]
    else:
        copy[head] = _replace(root[head], rest, new, delete)
    return copy


class _Walker:
    def __init__(self, contract: Contract, root: Any) -> None:
        self.contract = contract
        self.root = root

    def facts(self, parts: tuple[Schema, ...], value: Any) -> Facts | None:
        try:
            f = facts_for(self.contract, parts)
            if not f.choices:
                return f
            g = f.copy()
            g.choices = []
            for group in f.choices:  # follow the branch the valid value actually takes
                for b in group.branches:
                    if holds(self.contract, b, value, "request"):
                        absorb(self.contract, g, b)
                        break
            return g
        except (SchemaUnusable, GenerationError):
            return None

    def walk(self, f: Facts, value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, str, Any, str]]:
        where = _ptr(path) or "the body"
        yield from self._type(f, value, path, where)
        if f.enum is not None:
            bad = self._outside_enum(f.enum, value)
            if bad is not None:
                yield "enum-violation", f"{where} set to {bad!r}, which is not in the enum", bad, where
        if isinstance(value, str):
            yield from self._string(f, value, where)
        if isinstance(value, int | float) and not isinstance(value, bool):
            yield from self._range(f, value, where)
        if isinstance(value, list):
            if f.min_items > 0:
                yield (
                    "length-violation",
                    f"{where} has {f.min_items - 1} items (minItems {f.min_items})",
                    value[: f.min_items - 1],
                    where,
                )
            if f.max_items is not None and value:
                bigger = (value * (f.max_items + 1))[: f.max_items + 1]
                yield "length-violation", f"{where} has {f.max_items + 1} items (maxItems {f.max_items})", bigger, where
            if value and len(path) < _WALK_DEPTH and f.items:
                sub = self.facts(tuple(f.items), value[0])
                if sub is not None:
                    yield from self._nested(sub, value[0], (*path, 0))
        if isinstance(value, dict):
            for name in f.required:
                if name in value:
                    yield (
                        "missing-required",
                        f"required property {name!r} removed from {where}",
                        _DELETE,
                        _ptr((*path, name)),
                    )
            if f.closed:
                extra = "unexpectedProperty"
                if extra not in value and not f.allows_name(extra):
                    yield (
                        "additional-property",
                        f"{where} gets an undeclared property {extra!r} (additionalProperties is false)",
                        {**value, extra: "x"},
                        where,
                    )
            if len(path) < _WALK_DEPTH:
                for name, v in value.items():
                    parts = tuple(f.properties.get(name, ()))
                    sub = self.facts(parts, v) if parts else None
                    if sub is not None:
                        yield from self._nested(sub, v, (*path, name))

    def _nested(self, f: Facts, value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[str, str, Any, str]]:
        for kind, desc, new, where in self.walk(f, value, path):
            yield kind, desc, new, where if where.startswith("/") else _ptr(path)

    def _type(self, f: Facts, value: Any, path: tuple[str | int, ...], where: str) -> Iterator[Any]:
        if not f.types:
            return
        allowed = set(f.types) | ({"integer"} if "number" in f.types else set())
        for candidate in (_WRONG.get(json_type_of(value)), 12345, "not-a-value", True, [], {}):
            if candidate is not None and json_type_of(candidate) not in allowed:
                expects = " or ".join(f.types)
                yield "wrong-type", f"{where} set to {candidate!r} (schema expects {expects})", candidate, where
                return

    @staticmethod
    def _outside_enum(enum: list[Any], value: Any) -> Any:
        if isinstance(value, str):
            for bad in ("NOT_A_VALID_VALUE", "invalid-" + value, value + "-invalid"):
                if bad not in enum:
                    return bad
        if isinstance(value, int | float) and not isinstance(value, bool):
            nums = [v for v in enum if isinstance(v, int | float) and not isinstance(v, bool)]
            return (max(nums) if nums else value) + 1
        return None

    def _string(self, f: Facts, value: str, where: str) -> Iterator[Any]:
        if f.patterns:
            lo, hi = f.min_length, f.max_length if f.max_length is not None else max(f.min_length, 8)
            n = max(lo, 1) if lo <= hi else lo
            for bad in ("!" * n, "~" * n, " " * n, value + "!", "!" + value, ""):
                if not all(matches(p, bad) for p in f.patterns):
                    yield (
                        "pattern-violation",
                        f"{where} set to {bad!r}, which does not match {f.patterns[0]!r}",
                        bad,
                        where,
                    )
                    break
        if f.min_length > 0:
            short = value[: f.min_length - 1]
            yield "length-violation", f"{where} set to {short!r} (minLength {f.min_length})", short, where
        if f.max_length is not None:
            long = (value or "x") * (f.max_length // max(len(value), 1) + 2)
            long = long[: f.max_length + 1]
            yield (
                "length-violation",
                f"{where} set to a {len(long)}-character string (maxLength {f.max_length})",
                long,
                where,
            )

    def _range(self, f: Facts, value: float, where: str) -> Iterator[Any]:
        whole = isinstance(value, int) or (f.types is not None and "integer" in f.types)
        if f.minimum is not None:
            low: float = f.minimum if f.min_excl else f.minimum - 1
            if whole:
                low = int(low) if float(low).is_integer() else int(low // 1)
            yield "range-violation", f"{where} set to {low} (minimum {f.minimum})", low, where
        if f.maximum is not None:
            high: float = f.maximum if f.max_excl else f.maximum + 1
            if whole:
                high = int(high) if float(high).is_integer() else int(high // 1) + 1
            yield "range-violation", f"{where} set to {high} (maximum {f.maximum})", high, where


_DELETE = object()


def _parse_ptr(pointer: str) -> tuple[str | int, ...]:
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:]) if pointer else ()


def mutations(
    contract: Contract, schema: Schema, valid_value: Any, *, seed: int | str, limit: int = 8
) -> list[Mutation]:
    """Up to `limit` invalid variants of `valid_value`, spread across kinds, each checked invalid.

    Returns [] when the schema cannot be evaluated: no variant of it could be trusted to be invalid.
    """
    valid_value = copy_json(valid_value)  # variants share structure with this copy, never with the caller's
    walker = _Walker(contract, valid_value)
    root = walker.facts((schema,), valid_value)
    if root is None:
        return []
    by_kind: dict[str, list[tuple[int, float, Mutation]]] = {k: [] for k in KINDS}
    h = hashlib.blake2b(f"{seed!r}|{schema.doc}|{schema.pointer}|mut".encode(), digest_size=8).digest()
    rng = random.Random(int.from_bytes(h, "big"))
    for kind, desc, new, where in walker.walk(root, valid_value, ()):
        if len(by_kind[kind]) >= 4 * limit:
            continue
        pointer = where if where.startswith("/") else ""
        path = _parse_ptr(pointer)
        try:
            path = tuple(int(p) if isinstance(_get(valid_value, path[:i]), list) else p for i, p in enumerate(path))
            value = (
                _replace(valid_value, path, None, delete=True)
                if new is _DELETE
                else _replace(valid_value, path, copy_json(new))
            )
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        by_kind[kind].append((pointer.count("/"), rng.random(), Mutation(kind, desc, value, pointer)))
    queues = [sorted(by_kind[k], key=lambda t: (t[0], t[1])) for k in KINDS]
    out: list[Mutation] = []
    seen: set[str] = set()
    variants = Variants(contract, schema, valid_value) if any(queues) else None
    while len(out) < limit and any(queues):
        for q in queues:
            while q and len(out) < limit:
                m = q.pop(0)[2]
                key = repr(m.value)
                if key in seen:
                    continue
                if variants is not None and _invalid(variants, m.value):
                    seen.add(key)
                    out.append(m)
                    break
    return out


def _invalid(variants: Variants, value: Any) -> bool:
    try:
        return not variants.holds(value)
    except SchemaUnusable:
        return False


def _get(root: Any, path: tuple[str | int, ...]) -> Any:
    for p in path:
        root = root[int(p)] if isinstance(root, list) else root[p]
    return root
