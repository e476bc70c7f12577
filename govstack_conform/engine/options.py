"""Run options: everything that changes how cases are sent and judged, as one frozen value.

The CLI (and later the config file) builds a RunOptions; the engine never reads the command line.
`record()` is what goes into results.json, so a report can say e.g. that TLS was not verified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govstack_conform.engine.credentials import Credentials
from govstack_conform.errors import ConfigError

DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT_S = 30.0
DEFAULT_BODY_CAP = 10 * 1024 * 1024
DEFAULT_LATENCY_MS = 15000.0
# How much of a body is kept in results.json for evidence (the check itself sees up to the body cap).
DEFAULT_RECORD_CAP = 64 * 1024
# How deep generated values may nest (--max-depth): datagen's MAX_DEPTH and DEEPEST, repeated here so that
# reading options does not load the validators (tests/test_startup.py holds them equal).
DEFAULT_MAX_DEPTH = 32
MAX_MAX_DEPTH = 128


@dataclass(frozen=True)
class PathMap:
    """Maps BB path templates onto a product's own paths: exact templates first, then longest prefix."""

    rules: tuple[tuple[str, str], ...] = ()

    def apply(self, template: str) -> str:
        for src, dst in self.rules:
            if src == template:
                return dst
        best: tuple[str, str] | None = None
        for src, dst in self.rules:
            base = src.rstrip("/")
            if (
                base
                and (template == base or template.startswith(base + "/"))
                and (best is None or len(base) > len(best[0]))
            ):
                best = (base, dst.rstrip("/"))
        if best is None:
            return template
        return best[1] + template[len(best[0]) :]


def parse_path_maps(values: list[str] | tuple[str, ...]) -> PathMap:
    """`FROM=TO` rules, or the name of a file holding such lines (or a YAML/JSON mapping)."""
    rules: list[tuple[str, str]] = []
    for value in values:
        if "=" in value and not Path(value).is_file():
            rules.append(_rule(value, "--path-map"))
            continue
        path = Path(value)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--path-map {value!r}: neither FROM=TO nor a readable file ({exc.strerror})") from None
        except UnicodeDecodeError:
            raise ConfigError(f"--path-map {value!r}: the file is not UTF-8 text") from None
        rules.extend(_rules_from_text(text, str(path)))
    return PathMap(tuple(rules))


def _rule(text: str, where: str) -> tuple[str, str]:
    src, _, dst = text.partition("=")
    src, dst = src.strip(), dst.strip()
    if not src.startswith("/") or not dst.startswith("/"):
        raise ConfigError(f"{where}: {text!r} must be FROM=TO with both paths starting with '/'")
    return src, dst


def _rules_from_text(text: str, where: str) -> list[tuple[str, str]]:
    import yaml

    stripped = text.strip()
    if stripped.startswith("{") or (stripped and ":" in stripped.splitlines()[0] and "=" not in stripped):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ConfigError(f"path map file {where} is not valid YAML/JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"path map file {where} must map BB paths to product paths")
        return [_rule(f"{k}={v}", where) for k, v in data.items()]
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(_rule(line, f"{where}:{n}"))
    return out


def parse_header(text: str) -> tuple[str, str]:
    """'Name: value' -> (name, value); ConfigError when malformed."""
    name, sep, value = text.partition(":")
    name = name.strip()
    if not sep or not name or any(c in name for c in ' \t\r\n()<>@,;\\"/[]?={}'):
        raise ConfigError(f"--header {text!r} must look like 'Name: value'")
    if "\n" in value or "\r" in value:
        raise ConfigError(f"--header {name}: the value must be on one line")
    return name, value.strip()


@dataclass(frozen=True)
class RunOptions:
    """How to send and judge. Secrets live only in `credentials` and are never recorded."""

    concurrency: int = DEFAULT_CONCURRENCY
    timeout_s: float = DEFAULT_TIMEOUT_S
    rate_limit: float | None = None  # requests per second over the whole run
    retries: int = 0  # extra attempts on connection errors only
    body_cap: int = DEFAULT_BODY_CAP
    record_cap: int = DEFAULT_RECORD_CAP
    record_passed_bodies: bool = False  # full evidence (headers, bodies) for passed cases too (big)
    latency_budget_ms: float | None = None  # None: the BB profile's, else DEFAULT_LATENCY_MS
    headers: tuple[tuple[str, str], ...] = ()  # --header, applied after the profile's
    profile_headers: bool = True
    path_map: PathMap = field(default_factory=PathMap)
    credentials: Credentials = field(default_factory=Credentials)
    ca_bundle: str | None = None
    insecure: bool = False
    read_only: bool = False
    # Send cases that change or delete records the run did not create (fixtures not marked disposable,
    # generated identifiers); without it they are skipped (docs/data-safety.md).
    allow_destructive: bool = False
    seed: int = 0
    max_depth: int = DEFAULT_MAX_DEPTH  # generated values nest at most this deep; deeper schemas are untestable
    user_agent: str = "govstack-conform"

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ConfigError("--concurrency must be at least 1")
        if self.timeout_s <= 0:
            raise ConfigError("--timeout must be positive")
        if self.rate_limit is not None and self.rate_limit <= 0:
            raise ConfigError("--rate-limit must be positive")
        if self.retries < 0:
            raise ConfigError("--retries must not be negative")
        if self.latency_budget_ms is not None and self.latency_budget_ms <= 0:
            raise ConfigError("--latency-budget must be positive")
        if self.body_cap < 1024:
            raise ConfigError("the response size cap must be at least 1 KiB")
        if not 1 <= self.max_depth <= MAX_MAX_DEPTH:
            raise ConfigError(f"--max-depth must be between 1 and {MAX_MAX_DEPTH}, got {self.max_depth}")

    def record(self) -> dict[str, Any]:
        """What goes into results.json `options`: no secret, only what changes results."""
        from govstack_conform.redact import REDACTED, is_secret_name

        return {
            "concurrency": self.concurrency,
            "timeout_s": self.timeout_s,
            "rate_limit": self.rate_limit,
            "retries": self.retries,
            "body_cap": self.body_cap,
            "latency_budget_ms": self.latency_budget_ms,
            "headers": [[n, REDACTED if is_secret_name(n) else v] for n, v in self.headers],
            "profile_headers": self.profile_headers,
            "path_map": [list(r) for r in self.path_map.rules],
            "auth": self.credentials.describe(),
            "ca_bundle": self.ca_bundle,
            "insecure": self.insecure,
            "tls_verified": not self.insecure,
            "read_only": self.read_only,
            "allow_destructive": self.allow_destructive,
            "seed": self.seed,
            "max_depth": self.max_depth,
        }
