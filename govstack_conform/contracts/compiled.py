"""Validity first, through a compiled validator (jsonschema-rs), with exactly the verdict of `schemas.validate`.

Most instances are valid, and "valid" needs no error in words. `verdict` answers valid or not from a
jsonschema-rs validator compiled once per schema location, or None where only `schemas.validate` can
answer exactly; that function keeps the detailed errors, for failures only.

The schema is not handed to jsonschema-rs as it stands: OpenAPI's dialects are not JSON Schema's, so
`translate.py` writes each reachable node as a plain JSON Schema with the same verdict (nullable, the
integer rule of responses, readOnly/writeOnly by direction, the two readings of 3.0 `$ref` siblings,
ambiguous `oneOf`s, which `validate` forgives at the top). Formats and patterns are judged by the very
Python functions `schemas` uses. Whatever the translation cannot state exactly (ids moving $ref bases,
`multipleOf`, a malformed keyword that makes jsonschema raise, a $ref cycle that consumes nothing...)
leaves that schema to `schemas.validate`, always, never a different verdict.

An instance is judged here only when it is plain JSON (dict with str keys, list, str, int, finite
float, bool, None) and shallow enough that jsonschema itself could not run out of stack on it.
"""

from __future__ import annotations

import math
import re
import threading
from dataclasses import dataclass
from typing import Any

from govstack_conform.contracts.memo import bounded_on
from govstack_conform.contracts.model import Contract, Schema

_FRAMES = 400  # Python stack frames jsonschema may use for one instance (of the default 1000) before we defer to it
_MAX_DEPTH = 32
KEEP = 512  # compiled validators kept per contract (see compiled_for)
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class Compiled:
    """A schema location's compiled readings: one, or OpenAPI 3.0's two readings of `$ref` siblings."""

    readings: tuple[Any, ...]
    either: bool  # responses pass under either reading, requests must pass under all
    max_depth: int  # deeper instances go to schemas.validate (its RecursionError is part of its verdict)
    ascii: bool = False  # a format reached raises on other strings, wherever jsonschema meets them

    def verdict(self, instance: Any) -> bool | None:
        if not _plain(instance, self.max_depth, self.ascii):
            return None
        state = _STATE
        state.undecided = False
        try:
            results = (v.is_valid(instance) for v in self.readings)
            ok = any(results) if self.either else all(results)
        except Exception:  # an instance jsonschema-rs cannot take: the full validator decides
            return None
        return None if state.undecided else ok


class _State(threading.local):
    undecided = False  # a format function raised: jsonschema's own exception is the answer, not ours


_STATE = _State()


def undecided() -> None:
    """Called by a translated keyword when the Python rule it runs raised (see translate.Format)."""
    _STATE.undecided = True


_LOCK = threading.Lock()  # the mock's thread and the engine's may compile from one contract at once


def compiled_for(contract: Contract, schema: Schema, direction: str) -> Compiled | None:
    """The compiled validator of `schema` in `direction`, or None when it cannot be exact.

    Kept per location, the `KEEP` newest: a compiled validator takes 20-40 KB of native memory and
    compiles in well under 0.1 ms, so thousands of operations are judged in flat memory while a BB's (at most
    309 in the catalog) all stay compiled."""
    cache = bounded_on(contract, "_compiled", KEEP)
    key = (schema.doc, schema.pointer, direction)
    found = cache.get(key)
    if found is not None or key in cache:
        return found
    with _LOCK:
        found = cache.get(key)
        if found is None and key not in cache:
            found = _compile(contract, schema, direction)
            cache.put(key, found)
    return found


def _compile(contract: Contract, schema: Schema, direction: str) -> Compiled | None:
    from govstack_conform.contracts import schemas, translate

    oas31 = not schemas.is_30(contract, schema)
    try:
        first = translate.translator(contract, direction, oas31, False)
        readings = [_reading(first, schema)]
        if readings[0] is None:
            return None
        if readings[0][2]:  # a `$ref` sibling acts: OpenAPI 3.0's other reading too
            readings.append(_reading(translate.translator(contract, direction, oas31, True), schema))
            if readings[1] is None:
                return None
    except (translate.Unsupported, RecursionError, KeyError, IndexError, ValueError, Warning):
        return None
    worst = max(r[1] for r in readings if r is not None)
    return Compiled(
        tuple(r[0] for r in readings if r is not None),
        either=direction == "response",
        max_depth=min(_MAX_DEPTH, _FRAMES // (3 * (worst + 1))),
        ascii=any(r[3] for r in readings if r is not None),
    )


def _reading(t: Any, schema: Schema) -> tuple[Any, int, bool, bool] | None:
    """(the validator, the deepest nesting met without descending, whether a `$ref` sibling acts, whether a
    format that raises on non-ASCII text is reached) or None."""
    try:
        import jsonschema_rs
    except ImportError:  # pragma: no cover - a dependency; without it jsonschema judges everything
        return None

    from govstack_conform.contracts import translate

    root = t.root(schema)
    names = t.reachable(root)
    if any(n in t.broken for n in names):
        return None
    worst = max(t.worst_chain(n) for n in names)
    if t.registered < len(t.defs):
        container = "$defs" if t.oas31 else "definitions"
        draft = jsonschema_rs.Draft202012 if t.oas31 else jsonschema_rs.Draft4
        t.registry = jsonschema_rs.Registry([(_BUNDLE, {container: dict(t.defs)})], draft=draft)
        t.registered = len(t.defs)
    cls = jsonschema_rs.Draft202012Validator if t.oas31 else jsonschema_rs.Draft4Validator
    keywords: dict[str, Any] = {
        "x-gc-pattern": translate.Pattern,
        "x-gc-format": translate.Format31 if t.oas31 else translate.Format,
    }
    validator = cls({"$ref": _BUNDLE + t.pointer(root)}, registry=t.registry, validate_formats=False, keywords=keywords)
    return validator, worst, any(n in t.siblings for n in names), any(n in t.ascii for n in names)


_BUNDLE = "urn:govstack-conform:translated"


ENABLED = True  # False: every verdict comes from schemas.validate's jsonschema pass (bench/compare_validation.py)


def verdict(contract: Contract, schema: Schema, instance: Any, direction: str) -> bool | None:
    """`not schemas.validate(...)` where the compiled validator is exact for this schema and instance, else None."""
    if not ENABLED:
        return None
    found = compiled_for(contract, schema, direction)
    return None if found is None else found.verdict(instance)


def _plain(value: Any, depth: int, ascii: bool = False) -> bool:
    """Plain JSON, nested at most `depth` containers deep (what jsonschema-rs reads as jsonschema does): no
    NaN or infinity, no tuple, no lone surrogate (which jsonschema-rs cannot always take); with `ascii`,
    no other character than ASCII in any string."""
    t = type(value)
    if t is str:
        return value.isascii() or (not ascii and _SURROGATE.search(value) is None)
    if t is int or t is bool or value is None:
        return True
    if t is float:
        return math.isfinite(value)
    if depth <= 0:
        return False
    if t is dict:
        for k in value:  # keys inline, as values are: most are ASCII
            if type(k) is not str or not (k.isascii() or _plain(k, 0, ascii)):
                return False
        return _all_plain(value.values(), depth, ascii)
    if t is list:
        return _all_plain(value, depth, ascii)
    return False


def _all_plain(values: Any, depth: int, ascii: bool) -> bool:
    for v in values:
        t = type(v)  # the common scalars inline: this runs on every answer
        if not (t is int or t is bool or v is None or (t is str and v.isascii())) and not _plain(v, depth - 1, ascii):
            return False
    return True
