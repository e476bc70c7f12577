"""Strings and numbers that meet a schema's scalar constraints, kept short and ordinary-looking."""

from __future__ import annotations

import math
import random
from typing import Any

from govstack_conform.contracts.javadates import real_instant
from govstack_conform.datagen.facts import Facts, GenerationError
from govstack_conform.datagen.formats import CHECKED, sample
from govstack_conform.datagen.regex import matches, string_for_pattern

_WORD = "abcdefghijklmnopqrstuvwxyz0123456789"


def multiple_ok(value: float, m: float) -> bool:
    """jsonschema's own multipleOf test, so our numbers pass it exactly."""
    if isinstance(m, float) or isinstance(value, float):
        try:
            q = value / m
            return bool(int(q) == q)
        except (OverflowError, ZeroDivisionError):
            return False
    return value % m == 0


def string(f: Facts, rng: random.Random) -> str:
    """Pattern first (the strictest constraint), then a sample of the format, else a short word."""
    lo, hi = f.min_length, f.max_length
    if hi is not None and hi < lo:
        raise GenerationError(f"maxLength {hi} is below minLength {lo}")
    made = real_instant(f.patterns[0], rng) if f.patterns else None
    if (
        made is not None
        and lo <= len(made)
        and (hi is None or len(made) <= hi)
        and all(matches(p, made) for p in f.patterns)
    ):
        return made  # a pattern spelled from a Java date format: a real instant, never month 13
    if f.patterns:
        for _ in range(4):
            s = string_for_pattern(f.patterns[0], rng, lo, hi)
            if all(matches(p, s) for p in f.patterns[1:]):
                return s
        raise GenerationError(f"no string found matching all of the patterns {f.patterns}")
    if f.formats:
        made = sample(f.formats[0], rng)
        if made is not None and lo <= len(made) and (hi is None or len(made) <= hi):
            return made
        if f.formats[0] in CHECKED:
            raise GenerationError(f"no {f.formats[0]} string has a length in {lo}..{hi}")
    n = max(lo, rng.randint(4, 10))
    if hi is not None:
        n = min(n, hi)
    return _word(rng, n)


def _word(rng: random.Random, n: int) -> str:
    """n characters of _WORD, a letter first: the draws rng.choice makes (getrandbits of the index's bit
    length, drawn again while out of range), made here directly, as this is most of generating a body."""
    if not n:
        return ""
    bits = rng.getrandbits
    r = bits(5)
    while r >= 26:
        r = bits(5)
    out = [_WORD[r]]
    for _ in range(n - 1):
        r = bits(6)
        while r >= 36:
            r = bits(6)
        out.append(_WORD[r])
    return "".join(out)


def number(f: Facts, rng: random.Random, integer: bool) -> int | float:
    """Inside the bounds, near 1..100 when they allow, an exact multiple where multipleOf asks."""
    lo, hi = f.minimum, f.maximum
    for fmt, bits in (("int32", 31), ("int64", 63)):
        if fmt in f.formats:
            lo = max(lo, -(2**bits) + 1) if lo is not None else -(2**bits) + 1
            hi = min(hi, 2**bits - 1) if hi is not None else 2**bits - 1
    if integer or any(isinstance(m, int) for m in f.multiple_of):
        a = None if lo is None else math.ceil(lo) + (1 if f.min_excl and math.ceil(lo) == lo else 0)
        b = None if hi is None else math.floor(hi) - (1 if f.max_excl and math.floor(hi) == hi else 0)
        a, b = _window(a, b)
        if a > b:
            raise GenerationError(f"no integer lies between {lo} and {hi}")
        if not f.multiple_of:
            return rng.randint(a, b)
        m = f.multiple_of[0]
        ks = list(range(math.ceil(a / m), math.floor(b / m) + 1))[:50]
        rng.shuffle(ks)
        for k in ks:
            v = k * m
            v = int(v) if isinstance(v, float) and v.is_integer() and integer else v
            if a <= v <= b and all(multiple_ok(v, x) for x in f.multiple_of):
                return v
        raise GenerationError(f"no multiple of {f.multiple_of} lies between {lo} and {hi}")
    fa, fb = _window(lo, hi)
    for _ in range(8):
        v = round(rng.uniform(fa, fb), 2)
        if in_range(f, v, lo, hi):
            return v
    mid: float = (fa + fb) / 2
    if in_range(f, mid, lo, hi) and fa <= fb:
        return mid
    raise GenerationError(f"no number found between {lo} and {hi}")


def in_range(f: Facts, v: float, lo: float | None, hi: float | None) -> bool:
    if lo is not None and (v < lo or (f.min_excl and v == lo)):
        return False
    if hi is not None and (v > hi or (f.max_excl and v == hi)):
        return False
    return all(multiple_ok(v, m) for m in f.multiple_of)


def _window(a: Any, b: Any) -> tuple[Any, Any]:
    """A small range inside [a, b] near 1..100, so numbers look ordinary."""
    if a is None and b is None:
        return 1, 100
    if a is None:
        return (max(min(1, b), b - 100), b) if b >= 1 else (b - 100, b)
    if b is None:
        return (a, a + 100) if a >= 1 else (a, max(a + 1, 100))
    if b - a > 1000:
        if a <= 1 <= b:
            return 1, min(b, 100)
        return (a, a + 100) if a > 1 else (b - 100, b)
    return a, b
