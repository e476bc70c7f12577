"""What the mock does, and the switches that turn one correct behaviour off at a time.

The behaviour switches exist for the engine's self-test and for users: with one of them off the mock
is a plausible but non-conformant product, and the suite must notice. `base_path` and `delay_ms`
change where and how fast it answers, not what.
"""

from __future__ import annotations

import logging
import secrets
import threading
from dataclasses import dataclass, field

from govstack_conform.errors import UsageError

log = logging.getLogger("govstack_conform.mock")


@dataclass(frozen=True)
class MockOptions:
    validate_requests: bool = True  # off: any input is accepted (malformed JSON is read as no body)
    enforce_auth: bool = True  # off: declared security is ignored
    keep_state: bool = True  # off: every read answers a generated body, deletes forget nothing
    send_required_headers: bool = True  # off: required response headers are left out
    method_not_allowed: bool = True  # off: an undeclared method is answered 2xx like a declared one
    token: str | None = None  # bearer / oauth2 / openIdConnect token, and the basic-auth password
    api_key: str | None = None  # value every apiKey scheme expects
    seed: int = 0  # seed of generated bodies and ids
    base_path: str = ""  # served under this prefix ("/api/v1"); see `base_path()` for the accepted forms
    delay_ms: int = 0  # every answer waits this long first: a slow product, for trying timeouts


MAX_DELAY_MS = 600_000
_PATH_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~/%")


def base_path(text: str | None) -> str:
    """The prefix to serve under, as "/a/b" ("" for none); raises UsageError for what is not a path prefix."""
    value = (text or "").strip()
    if value in ("", "/"):
        return ""
    if not value.startswith("/"):
        value = "/" + value
    value = value.rstrip("/")
    if "//" in value or not set(value) <= _PATH_CHARS or any(s in (".", "..") for s in value.split("/")):
        raise UsageError(f"--base-path {text!r} is not a URL path prefix (letters, digits, - . _ ~ and /)")
    return value


def delay(ms: int) -> int:
    """A delay in milliseconds, checked: 0 to 600 000."""
    if not 0 <= ms <= MAX_DELAY_MS:
        raise UsageError(f"--delay {ms} is out of range (0 to {MAX_DELAY_MS} ms)")
    return ms


@dataclass(frozen=True)
class Credentials:
    """The credentials the mock accepts; `generated` says which ones nobody chose (print those)."""

    token: str
    api_key: str
    generated: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: MockOptions) -> Credentials:
        generated = []
        token, api_key = options.token, options.api_key
        if not token:
            token = secrets.token_urlsafe(24)
            generated.append("token")
        if not api_key:
            api_key = secrets.token_urlsafe(24)
            generated.append("api_key")
        return cls(token=token, api_key=api_key, generated=tuple(generated))

    def __repr__(self) -> str:  # never let a secret reach a log line by accident
        return f"Credentials(token=***, api_key=***, generated={self.generated})"


@dataclass
class Journal:
    """What the mock could not honour (broken spec parts), each said once in the log."""

    notes: list[str] = field(default_factory=list)
    _seen: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def once(self, message: str) -> None:
        message = " ".join(message.split())
        if len(message) > 400:  # some library messages quote the whole document
            message = message[:400] + "…"
        with self._lock:
            if message in self._seen:
                return
            self._seen.add(message)
            self.notes.append(message)
        log.warning("%s", message)
