"""Strings that match a `pattern`: walk the regex's parse tree and emit one choice per node.

We use the standard library's own regex parser (so every pattern Python accepts is understood)
and generate from its tree ourselves, preferring short, readable, URL-safe characters. Each result
is checked with `re.search` (the validator's semantics); when no attempt fits, GenerationError.
"""

from __future__ import annotations

import functools
import random
import re
from re import _constants as C  # type: ignore[attr-defined]
from re import _parser as P  # type: ignore[attr-defined]
from typing import Any

from govstack_conform.datagen.facts import GenerationError

_ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_FALLBACK = _ALNUM + "-_.~ +,:;!*()@=&$'/?#[]%\"<>\\^`{|}\t\n\r"
_CATEGORY_SAMPLES = {
    C.CATEGORY_DIGIT: "0123456789",
    C.CATEGORY_NOT_DIGIT: "abcxyzABC_-",
    C.CATEGORY_SPACE: " ",
    C.CATEGORY_NOT_SPACE: "abcxyz019",
    C.CATEGORY_WORD: "abcxyzABC019",
    C.CATEGORY_NOT_WORD: "-. ",
    C.CATEGORY_LINEBREAK: "\n",
    C.CATEGORY_NOT_LINEBREAK: "abc",
}


class _Unsupported(Exception):
    pass


@functools.lru_cache(maxsize=512)
def _compile(pattern: str) -> tuple[re.Pattern[str], Any, bool, bool]:
    try:
        compiled = re.compile(pattern)
        tree = P.parse(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        raise GenerationError(f"pattern {pattern!r} is not a valid regular expression: {exc}") from None
    items = list(tree)
    starts = bool(items) and items[0][0] is C.AT and items[0][1] in (C.AT_BEGINNING, C.AT_BEGINNING_STRING)
    ends = bool(items) and items[-1][0] is C.AT and items[-1][1] in (C.AT_END, C.AT_END_STRING)
    return compiled, tree, starts, ends


def _category_has(cat: Any, ch: str) -> bool:
    if cat is C.CATEGORY_DIGIT:
        return ch.isdigit()
    if cat is C.CATEGORY_NOT_DIGIT:
        return not ch.isdigit()
    if cat is C.CATEGORY_SPACE:
        return ch.isspace()
    if cat is C.CATEGORY_NOT_SPACE:
        return not ch.isspace()
    if cat is C.CATEGORY_WORD:
        return ch.isalnum() or ch == "_"
    if cat is C.CATEGORY_NOT_WORD:
        return not (ch.isalnum() or ch == "_")
    if cat is C.CATEGORY_LINEBREAK:
        return ch == "\n"
    return ch != "\n"


def _in_set(items: list[Any], ch: str) -> bool:
    code = ord(ch)
    for op, arg in items:
        if op is C.LITERAL and arg == code:
            return True
        if op is C.RANGE and arg[0] <= code <= arg[1]:
            return True
        if op is C.CATEGORY and _category_has(arg, ch):
            return True
    return False


def _set_candidates(items: list[Any]) -> list[str]:
    """Characters a positive set accepts, a few per member, readable ones first."""
    out: list[str] = []
    for op, arg in items:
        if op is C.LITERAL:
            out.append(chr(arg))
        elif op is C.RANGE:
            lo, hi = arg
            nice = [c for c in _ALNUM if lo <= ord(c) <= hi]
            out.extend(nice or [chr(c) for c in range(lo, min(hi, lo + 8) + 1)])
        elif op is C.CATEGORY:
            out.extend(_CATEGORY_SAMPLES.get(arg, "a"))
        else:
            raise _Unsupported(str(op))
    return out


class _Emitter:
    def __init__(self, rng: random.Random, grow: int) -> None:
        self.rng = rng
        self.grow = grow
        self.groups: dict[int, str] = {}

    def seq(self, tree: Any) -> str:
        return "".join(self.node(op, arg) for op, arg in tree)

    def pick(self, chars: list[str]) -> str:
        nice = [c for c in chars if c in _ALNUM]
        return self.rng.choice(nice or chars)

    def node(self, op: Any, arg: Any) -> str:
        if op is C.LITERAL:
            return chr(arg)
        if op is C.NOT_LITERAL:
            return self.pick([c for c in _ALNUM if ord(c) != arg])
        if op is C.ANY:
            return self.pick(list(_ALNUM))
        if op is C.IN:
            items = list(arg)
            if items and items[0][0] is C.NEGATE:
                rest = items[1:]
                allowed = [c for c in _FALLBACK if not _in_set(rest, c)]
                if not allowed:
                    raise _Unsupported("negated set excludes every character we use")
                return self.pick(allowed)
            return self.pick(_set_candidates(items))
        if op is C.CATEGORY:
            return self.pick(list(_CATEGORY_SAMPLES.get(arg, "a")))
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, getattr(C, "POSSESSIVE_REPEAT", C.MAX_REPEAT)):
            lo, hi, sub = arg
            top = lo + self.grow if hi is C.MAXREPEAT else min(hi, lo + self.grow)
            return "".join(self.seq(sub) for _ in range(self.rng.randint(lo, max(lo, top))))
        if op is C.SUBPATTERN:
            group, _add, _del, sub = arg
            text = self.seq(sub)
            if group is not None:
                self.groups[group] = text
            return text
        if op is C.BRANCH:
            return self.seq(self.rng.choice(arg[1]))
        if op is C.AT or op is C.ASSERT or op is C.ASSERT_NOT:
            return ""
        if op is C.GROUPREF:
            return self.groups.get(arg, "")
        if op is C.GROUPREF_EXISTS:
            group, yes, no = arg
            return self.seq(yes if group in self.groups else no or [])
        if op is getattr(C, "ATOMIC_GROUP", None):
            return self.seq(arg)
        raise _Unsupported(str(op))


def string_for_pattern(pattern: str, rng: random.Random, min_len: int = 0, max_len: int | None = None) -> str:
    """A string `re.search(pattern, s)` accepts, with min_len <= len(s) <= max_len."""
    compiled, tree, starts, ends = _compile(pattern)
    hi = max_len if max_len is not None else max(min_len, 64)

    def fits(s: str) -> bool:
        return min_len <= len(s) <= hi and compiled.search(s) is not None

    grow = 2
    for attempt in range(16):
        try:
            s = _Emitter(rng, grow).seq(tree)
        except _Unsupported as exc:
            raise GenerationError(f"pattern {pattern!r} uses a construct we cannot generate ({exc})") from None
        except RecursionError:
            raise GenerationError(f"pattern {pattern!r} is too deeply nested") from None
        if fits(s):
            return s
        if len(s) < min_len and compiled.search(s):
            pad = "a" * (min_len - len(s))
            for padded in ((s + pad) if not ends else None, (pad + s) if not starts else None):
                if padded is not None and fits(padded):
                    return padded
            grow = max(grow * 2, min_len)
        elif len(s) > hi:
            grow = 0 if attempt > 4 else 1
    raise GenerationError(
        f"no string found matching pattern {pattern!r} with length {min_len}..{'∞' if max_len is None else max_len}"
    )


def matches(pattern: str, value: str) -> bool:
    """The validator's semantics: `re.search`. An invalid pattern matches nothing."""
    try:
        return _compile(pattern)[0].search(value) is not None
    except GenerationError:
        return False
