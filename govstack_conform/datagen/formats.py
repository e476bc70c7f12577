"""Sample strings for the `format`s GovStack specs use, valid for the validators' format checkers."""

from __future__ import annotations

import base64
import random
import uuid
from collections.abc import Callable

# Formats the validator actually checks: a sample that misses the length bounds cannot be swapped
# for an arbitrary word. Everything else (url, phone, ...) is an annotation only.
CHECKED = frozenset(
    {"date-time", "date", "time", "email", "idn-email", "uri", "uri-reference", "uuid", "ipv4", "ipv6", "byte", "regex"}
)


def _datetime(r: random.Random) -> str:
    return f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00Z"


def _b64(r: random.Random, alphabet: str = "std") -> str:
    raw = bytes(r.getrandbits(8) for _ in range(6))
    return (base64.urlsafe_b64encode(raw) if alphabet == "url" else base64.b64encode(raw)).decode()


_SAMPLES: dict[str, Callable[[random.Random], str]] = {
    "date-time": _datetime,
    "date": lambda r: f"2024-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
    "time": lambda r: f"{r.randint(0, 23):02d}:{r.randint(0, 59):02d}:00",  # what the checker accepts
    "email": lambda r: f"user{r.randint(1, 999)}@example.org",
    "idn-email": lambda r: f"user{r.randint(1, 999)}@example.org",
    "uri": lambda r: f"https://example.org/r/{r.randint(1, 999)}",
    "url": lambda r: f"https://example.org/r/{r.randint(1, 999)}",
    "uri-reference": lambda r: f"/r/{r.randint(1, 999)}",
    "uuid": lambda r: str(uuid.UUID(int=r.getrandbits(128), version=4)),
    "ipv4": lambda r: f"192.0.2.{r.randint(1, 254)}",
    "ipv6": lambda r: f"2001:db8::{r.randint(1, 0xFFFF):x}",
    "hostname": lambda r: f"host{r.randint(1, 999)}.example.org",
    "idn-hostname": lambda r: f"host{r.randint(1, 999)}.example.org",
    "byte": _b64,
    "base64": _b64,
    "base64url": lambda r: _b64(r, "url"),
    "base64urlencoded": lambda r: _b64(r, "url"),
    "binary": lambda r: f"binary{r.randint(1, 999)}",
    "password": lambda r: f"Secret{r.randint(100, 999)}!",
    "phone": lambda r: f"+1555010{r.randint(1000, 9999)}",
    "duration": lambda r: f"P{r.randint(1, 30)}D",
    "regex": lambda r: "^[a-z]+$",
    "jwt": lambda r: f"eyJhbGciOiJub25lIn0.{_b64(r, 'url').rstrip('=')}.",
}


def sample(fmt: str, rng: random.Random) -> str | None:
    """A string of format `fmt`, or None when we know no sample (the caller makes a plain word)."""
    make = _SAMPLES.get(fmt)
    return make(rng) if make is not None else None
