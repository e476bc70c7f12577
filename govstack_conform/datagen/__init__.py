"""Datagen layer: deterministic schema-valid test data, and invalid variants of it, for the engine and the mock.

May import contracts only. `generate` gives the same value for the same (contract, schema, seed, direction):
the random stream is seeded from a stable hash of those, never from global state. Every generated value is
checked once against the schema (and cached), so a case built from it never blames a candidate for our own
mistake; what cannot be satisfied raises GenerationError, which callers report as untestable.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any
from urllib.parse import quote

from govstack_conform.contracts.memo import Bounded
from govstack_conform.contracts.model import Contract, Parameter, Schema
from govstack_conform.contracts.schemas import SchemaUnusable
from govstack_conform.datagen.check import memo
from govstack_conform.datagen.facts import GenerationError, holds, violations
from govstack_conform.datagen.incremental import checked_request
from govstack_conform.datagen.mutate import KINDS, Mutation, mutations
from govstack_conform.datagen.values import (
    DEEPEST,
    MAX_DEPTH,
    REF_REPEATS,
    Generator,
    TooDeep,
    copy_json,
    json_at,
    merge_json,
)
from govstack_conform.errors import UsageError

__all__ = [
    "DEEPEST",
    "KINDS",
    "MAX_DEPTH",
    "GenerationError",
    "Mutation",
    "copy_json",
    "depth_limit",
    "generate",
    "generate_parameter",
    "json_at",
    "merge_json",
    "mutations",
]

_ATTEMPTS = 3
# The nesting limit of values generated in this context: the planner sets the run's --max-depth around a
# plan, so that every generate() under it (request bodies, parameters, fixtures) uses it.
_DEPTH: ContextVar[int] = ContextVar("govstack_conform_datagen_depth", default=MAX_DEPTH)


@contextmanager
def depth_limit(levels: int) -> Iterator[None]:
    """Generate values nested up to `levels` deep inside the block (1 to DEEPEST, else UsageError)."""
    if not 1 <= levels <= DEEPEST:
        raise UsageError(f"--max-depth must be between 1 and {DEEPEST}, got {levels}")
    token = _DEPTH.set(levels)
    try:
        yield
    finally:
        _DEPTH.reset(token)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.blake2b("|".join(repr(p) for p in parts).encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def generate(
    contract: Contract,
    schema: Schema,
    *,
    seed: int | str,
    direction: str = "request",
    prefer_examples: bool = True,
) -> Any:
    """A value valid against `schema` for `direction` ("request" or "response"); deterministic.

    Raises GenerationError when the schema cannot be satisfied (contradiction, recursion that never
    ends, a pattern we cannot meet) and SchemaUnusable when it cannot even be evaluated. The result
    is a fresh copy: callers may mutate it.
    """
    cache: Bounded[tuple[Any, ...], tuple[Any, Any, bool]] = memo(contract, "_datagen_values")
    depth = _DEPTH.get()
    key = (schema.doc, schema.pointer, direction, repr(seed), prefer_examples, depth)
    hit = cache.get(key)
    if hit is None or hit[0] is not schema.node:
        try:
            hit = (schema.node, _checked(contract, schema, seed, direction, prefer_examples, depth), True)
        except GenerationError as exc:
            hit = (schema.node, str(exc), False)
        cache.put(key, hit)
    if not hit[2]:
        raise GenerationError(hit[1])
    return copy_json(hit[1])


def _checked(
    contract: Contract, schema: Schema, seed: int | str, direction: str, prefer_examples: bool, depth: int
) -> Any:
    problem = "no value found"
    for attempt in range(_ATTEMPTS):
        examples = prefer_examples and attempt < _ATTEMPTS - 1
        gen = Generator(contract, direction, _rng(seed, schema.doc, schema.pointer, attempt), examples, depth)
        try:
            value = gen.from_schemas((schema,))
        except TooDeep as exc:
            where = schema.pointer or "/"
            if exc.limit is not None:
                raise GenerationError(
                    f"schema at {where} requires values nested deeper than the generation depth limit of "
                    f"{exc.limit} levels (raise it with --max-depth or the config's max_depth, up to {DEEPEST})"
                ) from None
            raise GenerationError(
                f"schema at {where} requires its own recursion deeper than we generate (one $ref open more "
                f"than {REF_REPEATS} times on a path)"
            ) from None
        except RecursionError:
            raise GenerationError(f"schema at {schema.pointer or '/'} is nested too deeply") from None
        if (
            checked_request(contract, schema, value)
            if direction == "request"
            else holds(contract, schema, value, direction)
        ):
            return value
        v = violations(contract, schema, value, direction)[0]
        problem = f"{v.message} (schema {v.schema_file}#{v.schema_pointer})"
    raise GenerationError(f"cannot generate a valid value for {schema.pointer or '/'}: {problem}")


def generate_parameter(contract: Contract, parameter: Parameter, *, seed: int | str) -> Any:
    """A valid value for `parameter`: its own examples first, then one generated from its schema.

    Path parameters are never empty and, where the schema allows, URL-safe (no encoding needed).
    A broken parameter schema raises GenerationError too (the parameter is untestable either way).
    """
    try:
        return _parameter(contract, parameter, seed)
    except SchemaUnusable as exc:
        raise GenerationError(f"{parameter.location} parameter {parameter.name!r}: {exc}") from None


def _parameter(contract: Contract, parameter: Parameter, seed: int | str) -> Any:
    candidates = [ex.value for ex in parameter.examples]
    for value in candidates:
        if _usable(parameter, value) and (parameter.schema is None or _valid(contract, parameter.schema, value)):
            return copy_json(value)
    if parameter.schema is None:
        return "test"
    first: Any = None
    error: GenerationError | None = None
    for attempt in range(6):
        try:
            value = generate(
                contract, parameter.schema, seed=f"{seed}|param|{attempt}" if attempt else seed, direction="request"
            )
        except GenerationError as exc:
            error = error or exc
            continue
        if _usable(parameter, value) and _url_safe(value):
            return value
        if first is None and _usable(parameter, value):
            first = value
    if first is not None:
        return first
    raise error or GenerationError(f"no usable value for {parameter.location} parameter {parameter.name!r}")


def _valid(contract: Contract, schema: Schema, value: Any) -> bool:
    try:
        return holds(contract, schema, value, "request")
    except SchemaUnusable:
        return False


def _usable(parameter: Parameter, value: Any) -> bool:
    if parameter.location != "path":
        return True
    return value is not None and value != "" and not isinstance(value, dict | list)


def _url_safe(value: Any) -> bool:
    return not isinstance(value, str) or quote(value, safe="-._~") == value
