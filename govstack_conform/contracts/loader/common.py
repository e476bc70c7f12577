"""Small shared pieces of the loader: JSON pointers and the defect collector."""

from __future__ import annotations

from typing import Any

from govstack_conform.contracts.model import Severity, SpecDefect


def esc(token: object) -> str:
    """One JSON-pointer reference token (RFC 6901 escaping)."""
    text = token if type(token) is str else str(token)
    if "~" not in text and "/" not in text:  # most tokens: nothing to escape
        return text
    return text.replace("~", "~0").replace("/", "~1")


def join(base: str, *tokens: object) -> str:
    """`base` extended by `tokens`, each escaped (the loader builds a pointer for every schema node)."""
    if len(tokens) == 1:
        return base + "/" + esc(tokens[0])
    return base + "".join("/" + esc(t) for t in tokens)


def unesc(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def short(value: Any, limit: int = 60) -> str:
    """A value quoted for a one-line message, cut to `limit` characters."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class Sink:
    """Collects defects, dropping exact repeats (the same ref can be met through many paths)."""

    def __init__(self) -> None:
        self.items: list[SpecDefect] = []
        self._seen: set[tuple[Any, ...]] = set()

    def add(
        self,
        file: str,
        pointer: str,
        message: str,
        code: str,
        severity: Severity = Severity.WARNING,
        operation: str | None = None,
        aspect: str | None = None,
    ) -> None:
        ident = (file, pointer, code, message, operation, aspect)
        if ident in self._seen:
            return
        self._seen.add(ident)
        self.items.append(SpecDefect(file, pointer, message, severity, code, operation, aspect))
