"""The value generator: walks merged `Facts` and builds the smallest sensible valid value.

Values are small on purpose (one array item, short strings, optional properties only near the
top) because every generated case costs CPU in the engine and bytes on the wire.
"""

from __future__ import annotations

import random
from typing import Any

from govstack_conform.contracts.memo import Bounded
from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.contracts.schemas import SchemaUnusable
from govstack_conform.datagen import scalars
from govstack_conform.datagen.check import memo
from govstack_conform.datagen.facts import (
    Choice,
    Facts,
    GenerationError,
    absorb,
    facts_for,
    holds,
    json_key,
    type_allows,
)
from govstack_conform.datagen.regex import matches

REF_REPEATS = 2  # how often the same $ref target may be open on one path (recursion limit)
# Absolute nesting limit, whatever the refs: the default of `run`/`plan --max-depth` (config `max_depth`).
# Deeper schemas are untestable with a message naming it; DEEPEST bounds the setting (Python's stack).
MAX_DEPTH = 32
DEEPEST = 128
OPTIONAL_DEPTH = 2  # objects nested deeper than this get only their required properties


_NONE = object()
_ODD: tuple[Any, ...] = (12345, "x", True, [], {})


class TooDeep(Exception):
    """A nesting limit hit; an optional property or empty array absorbs it, else GenerationError.

    `limit` is the depth limit when that was hit; None when a $ref recurred REF_REPEATS times on one path.
    """

    def __init__(self, limit: int | None = None) -> None:
        super().__init__(limit)
        self.limit = limit


def copy_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: copy_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [copy_json(v) for v in value]
    return value


def merge_json(base: Any, over: Any) -> Any:
    """`over` laid over `base`: objects merged key by key, anything else replaced (neither is changed)."""
    if isinstance(base, dict) and isinstance(over, dict):
        out = dict(base)
        for k, v in over.items():
            out[k] = merge_json(base.get(k), v)
        return out
    return over


def json_at(value: Any, pointer: str, missing: Any = None) -> Any:
    """What the JSON pointer `pointer` (RFC 6901) points at in `value`, or `missing` when nothing is there."""
    node = value
    for raw in pointer.lstrip("/").split("/") if pointer else ():
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return missing
    return node


class Generator:
    def __init__(
        self, contract: Contract, direction: str, rng: random.Random, prefer_examples: bool, max_depth: int = MAX_DEPTH
    ) -> None:
        self.contract = contract
        self.max_depth = max_depth
        self.direction = direction
        self.rng = rng
        self.prefer_examples = prefer_examples
        self.open: dict[tuple[str, str], int] = {}
        self.depth = 0
        self.objects = 0

    # -- entry points -------------------------------------------------------------------------
    def from_schemas(self, parts: tuple[Schema, ...]) -> Any:
        f = facts_for(self.contract, parts)
        return self._enter(f, parts[0] if len(parts) == 1 else None)

    def _enter(self, f: Facts, origin: Schema | None) -> Any:
        if self.depth >= self.max_depth:
            raise TooDeep(self.max_depth)
        refs = f.refs
        if not refs:  # most values: no $ref to count
            self.depth += 1
            try:
                return self._value(f, origin)
            finally:
                self.depth -= 1
        if any(self.open.get(r, 0) >= REF_REPEATS for r in refs):
            raise TooDeep()
        for r in refs:
            self.open[r] = self.open.get(r, 0) + 1
        self.depth += 1
        try:
            return self._value(f, origin)
        finally:
            self.depth -= 1
            for r in refs:
                self.open[r] -= 1

    def _value(self, f: Facts, origin: Schema | None) -> Any:
        if f.impossible:
            raise GenerationError(f.impossible)
        if self.prefer_examples and origin is not None and f.examples:
            for i, ex in enumerate(f.examples):
                if ex not in ("", {}, []) and self._example_ok(origin, i, ex):
                    return ex
        for _ in range(6):
            value = self._choose(f) if f.choices else self._plain(f)
            if not f.nots or not any(self._valid(n, value) for n in f.nots):
                return value
        raise GenerationError("every value tried is excluded by the schema's `not`")

    def _valid(self, schema: Schema, value: Any) -> bool:
        return holds(self.contract, schema, value, self.direction)

    def _example_ok(self, origin: Schema, index: int, example: Any) -> bool:
        cache: Bounded[tuple[str, str, str, int], bool] = memo(self.contract, "_datagen_examples")
        key = (origin.doc, origin.pointer, self.direction, index)
        ok = cache.get(key)
        if ok is None:
            try:
                ok = holds(self.contract, origin, example, self.direction)
            except SchemaUnusable:
                ok = False
            cache.put(key, ok)
        return ok

    # -- oneOf / anyOf ------------------------------------------------------------------------
    def _choose(self, f: Facts) -> Any:
        group, rest = f.choices[0], f.choices[1:]
        n = len(group.branches)
        start = self.rng.randrange(n)
        last: Exception | None = None
        deep = True
        for k in range(min(n, 8)):
            branch = group.branches[(start + k) % n]
            g = f.copy()
            g.choices = list(rest)
            before = len(g.refs)
            try:
                absorb(self.contract, g, branch)
                self._discriminate(group, branch, g)
                new_refs = g.refs[before:]
                g.refs = new_refs
                value = self._enter_branch(g)
            except TooDeep as exc:
                last = exc
                continue
            except (GenerationError, SchemaUnusable) as exc:
                last, deep = exc, False
                continue
            exclusive = group.kind == "oneOf" and n > 1 and "discriminator" not in group.owner.node
            if exclusive:
                value = self._separate(group, (start + k) % n, g, value)
                if value is _NONE:
                    where = group.owner.pointer or "/"
                    last = GenerationError(
                        f"oneOf at {where}: its branches overlap, every value tried matches more than one of them"
                    )
                    deep = False
                    continue
            return value
        if deep and isinstance(last, TooDeep):
            raise last
        if isinstance(last, GenerationError | SchemaUnusable):
            raise last
        raise GenerationError(f"no {group.kind} branch at {group.owner.pointer or '/'} can be generated")

    def _enter_branch(self, g: Facts) -> Any:
        if any(self.open.get(r, 0) >= REF_REPEATS for r in g.refs):
            raise TooDeep()
        for r in g.refs:
            self.open[r] = self.open.get(r, 0) + 1
        try:
            return self._choose(g) if g.choices else self._plain(g)
        finally:
            for r in g.refs:
                self.open[r] -= 1

    def _discriminate(self, group: Choice, branch: Schema, g: Facts) -> None:
        disc = group.owner.node.get("discriminator")
        if not isinstance(disc, dict) or not isinstance(disc.get("propertyName"), str):
            return
        ref = branch.node.get("$ref") if isinstance(branch.node, dict) else None
        if not isinstance(ref, str):
            return
        mapping = disc.get("mapping")
        mapping = mapping if isinstance(mapping, dict) else {}
        name = next((k for k, v in mapping.items() if v == ref), ref.rsplit("/", 1)[-1])
        g.forced[disc["propertyName"]] = name

    def _matching(self, group: Choice, value: Any) -> list[int]:
        return [i for i, b in enumerate(group.branches) if holds(self.contract, b, value, self.direction)]

    def _separate(self, group: Choice, chosen: int, g: Facts, value: Any) -> Any:
        """`value` made to match only the chosen oneOf branch, or _NONE.

        Overlapping branches (objects with only optional properties) all accept the same value; we
        then add, for each other branch that still matches, one property that branch declares with a
        type it forbids, where the chosen branch (and the schema around it) leaves that name free.
        """
        for _ in range(len(group.branches)):
            hits = self._matching(group, value)
            if hits == [chosen]:
                return value
            if chosen not in hits or not isinstance(value, dict) or g.closed or g.additional:
                return _NONE
            other = next(i for i in hits if i != chosen)
            theirs = facts_for(self.contract, (group.branches[other],))
            fixed = None
            for name, parts in theirs.properties.items():
                if name in g.properties or name in value:
                    continue
                types = facts_for(self.contract, tuple(parts)).types
                if not types:
                    continue
                bad = next((b for b in _ODD if not type_allows(types, b)), None)
                if bad is not None:
                    fixed = {**value, name: bad}
                    break
            if fixed is None:
                return _NONE
            value = fixed
        return _NONE

    # -- plain values -------------------------------------------------------------------------
    def _plain(self, f: Facts) -> Any:
        if f.enum is not None:
            options = [v for v in f.enum if type_allows(f.types, v) and self._fits(f, v)]
            if not options:
                raise GenerationError("no value of the enum satisfies the other constraints")
            return copy_json(self.rng.choice(options))
        t = self._type(f)
        if t == "object":
            return self._object(f)
        if t == "array":
            return self._array(f)
        if t == "string":
            return scalars.string(f, self.rng)
        if t in ("integer", "number"):
            return scalars.number(f, self.rng, t == "integer")
        if t == "boolean":
            return self.rng.random() < 0.5
        return None

    def _fits(self, f: Facts, v: Any) -> bool:
        if isinstance(v, str):
            return (
                f.min_length <= len(v)
                and (f.max_length is None or len(v) <= f.max_length)
                and all(matches(p, v) for p in f.patterns)
            )
        if isinstance(v, int | float) and not isinstance(v, bool):
            return scalars.in_range(f, v, f.minimum, f.maximum)
        return True

    def _type(self, f: Facts) -> str:
        if f.types is not None:
            if not f.types:
                raise GenerationError("the schema's types contradict each other")
            return next((t for t in f.types if t != "null"), "null")
        if f.properties or f.required or f.additional or f.closed or f.min_properties:
            return "object"
        if f.items or f.tuple_items or f.min_items or f.max_items is not None:
            return "array"
        if f.patterns or (f.formats and f.formats[0] not in ("int32", "int64", "float", "double")):
            return "string"
        if f.min_length or f.max_length is not None:
            return "string"
        if f.minimum is not None or f.maximum is not None or f.multiple_of or f.formats:
            return "integer" if set(f.formats) & {"int32", "int64"} else "number"
        return "string"

    def _array(self, f: Facts) -> list[Any]:
        lo, hi = f.min_items, f.max_items
        if hi is not None and hi < lo:
            raise GenerationError(f"maxItems {hi} is below minItems {lo}")
        n = max(lo, 1) if hi is None or hi >= 1 else 0
        out: list[Any] = []
        seen: set[str] = set()
        positional = f.tuple_items[0] if f.tuple_items else []
        for i in range(n):
            parts = (positional[i],) if i < len(positional) else tuple(f.items)
            for _ in range(8 if f.unique_items else 1):
                try:
                    v = self.from_schemas(parts) if parts else f"item{i + 1}"
                except TooDeep:
                    if i >= lo:
                        return out
                    raise
                if not f.unique_items or json_key(v) not in seen:
                    break
            else:
                if i >= lo:
                    return out
                raise GenerationError(f"cannot find {lo} distinct items for uniqueItems")
            seen.add(json_key(v))
            out.append(v)
        return out

    def _object(self, f: Facts) -> dict[str, Any]:
        out: dict[str, Any] = {}
        optional_ok = self.objects < OPTIONAL_DEPTH
        skipped: list[str] = []
        names = list(f.properties) + [r for r in f.required if r not in f.properties]
        self.objects += 1
        try:
            for name in names:
                required = name in f.required
                if name in f.forced:
                    out[name] = f.forced[name]
                    continue
                if not required and not (optional_ok and f.allows_name(name)):
                    if f.min_properties and f.allows_name(name):
                        skipped.append(name)
                    continue
                parts = tuple(f.properties.get(name, ())) or tuple(f.additional)
                try:
                    if not parts:
                        out[name] = "value"
                        continue
                    pf = facts_for(self.contract, parts)
                    if self._hidden(pf, required, f):
                        continue
                    out[name] = self._enter(pf, parts[0] if len(parts) == 1 else None)
                except (TooDeep, GenerationError, SchemaUnusable):
                    if required:
                        raise
            self._min_properties(f, out, skipped)
        finally:
            self.objects -= 1
        if f.max_properties is not None:
            for name in reversed(list(out)):
                if len(out) <= f.max_properties:
                    break
                if name not in f.required:
                    del out[name]
        return out

    def _hidden(self, pf: Facts, required: bool, f: Facts) -> bool:
        """readOnly properties stay out of requests, writeOnly ones out of responses.

        OAS 3.0 validators waive `required` for them; OAS 3.1 validators do not, so there a required
        readOnly property is still sent.
        """
        flagged = pf.read_only if self.direction == "request" else pf.write_only
        return flagged and (not required or f.is_30)

    def _min_properties(self, f: Facts, out: dict[str, Any], skipped: list[str]) -> None:
        for name in skipped:
            if len(out) >= f.min_properties:
                return
            try:
                pf = facts_for(self.contract, tuple(f.properties[name]))
                if not self._hidden(pf, False, f):
                    out[name] = self._enter(pf, f.properties[name][0] if len(f.properties[name]) == 1 else None)
            except (TooDeep, GenerationError, SchemaUnusable):
                continue
        i = 0
        while len(out) < f.min_properties and not f.closed and i < f.min_properties + 4:
            i += 1
            name = f"extraProperty{i}"
            if name in out:
                continue
            out[name] = self.from_schemas(tuple(f.additional)) if f.additional else f"value{i}"
