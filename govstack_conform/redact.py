"""The one redactor: which names carry secrets, and the one marker that replaces them, everywhere.

The engine redacts what it records, the planner what `plan --json` prints, the reports re-scan what
they write: all through this module, so a secret is recognised by the same rule and shows as the same
marker in every byte the tool writes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
_SECRET_WORDS = ("token", "key", "secret")
# Query parameters and config keys: the header words and the usual names of passwords and signatures.
_SECRET_KEY_WORDS = (*_SECRET_WORDS, "passw", "signature", "auth", "credential", "session")
# Keys that describe a credential without being one, kept readable under a secret-named parent.
DESCRIPTIVE = frozenset({"name", "in", "type", "scheme", "location", "param_name", "kind", "enabled", "header"})


def is_secret_name(name: str) -> bool:
    """A header whose value is a secret: Authorization, Cookie, or a name with token/key/secret in it."""
    low = name.lower()
    return low in _SECRET_HEADERS or any(w in low for w in _SECRET_WORDS)


def is_secret_query(name: str) -> bool:
    """A query parameter (or a config / options key) whose value is a secret."""
    low = name.lower()
    return low in _SECRET_HEADERS or any(w in low for w in _SECRET_KEY_WORDS)


def _secret_pair(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], str)
        and is_secret_query(value[0])
    )


class Redactor:
    """Replaces known secret values (longest first), secret headers and secret query parameters."""

    def __init__(self, secrets: Iterable[str | None] = ()) -> None:
        self._secrets: list[str] = []
        for s in secrets:
            self.add(s)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    def add(self, secret: str | None) -> None:
        if secret and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def text(self, value: str) -> str:
        for s in self._secrets:
            if s in value:
                value = value.replace(s, REDACTED)
        return value

    def maybe(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)

    def headers(self, items: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple((n, REDACTED if is_secret_name(n) else self.text(v)) for n, v in items)

    def url(self, url: str) -> str:
        """Secret query values by name, user:password@ and every known secret value."""
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc, query = parts.netloc, parts.query
        if "@" in netloc:
            netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
        if query:
            pairs = parse_qsl(query, keep_blank_values=True)
            if any(is_secret_query(k) for k, _ in pairs):
                query = urlencode([(k, REDACTED if is_secret_query(k) else v) for k, v in pairs], safe="[]")
        if (netloc, query) != (parts.netloc, parts.query):
            url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        return self.text(url)

    def value(self, value: Any, sensitive: bool = False) -> Any:
        """A JSON-like value: scalars under secret-named keys go, strings lose known secrets.

        A mapping under a secret-named key is walked, not dropped, so that descriptions such as
        `auth: {bearer: true, api_key: {name: X-Api-Key}}` stay readable while `token: ...` goes.
        """
        if isinstance(value, Mapping):
            return {
                k: self.value(v, is_secret_query(str(k)) or (sensitive and str(k).lower() not in DESCRIPTIVE))
                for k, v in value.items()
            }
        if _secret_pair(value):  # a (header name, value) pair
            return [value[0], REDACTED]
        if sensitive and isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
            return REDACTED
        if isinstance(value, (list, tuple)):
            return [self.value(v, sensitive) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
