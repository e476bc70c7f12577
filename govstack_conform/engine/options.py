"""Run options: everything that changes how cases are sent and judged, as one frozen value.

The CLI (and later the config file) builds a RunOptions; the engine never reads the command line.
`record()` is what goes into results.json, so a report can say e.g. that TLS was not verified.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govstack_conform.contracts.catalog import QUERY_STYLES
from govstack_conform.engine.credentials import Credentials, check_header_name, check_no_control
from govstack_conform.engine.proxy import Proxy
from govstack_conform.errors import ConfigError
from govstack_conform.redact import REDACTED, credential_parts, is_secret_name

DEFAULT_CONCURRENCY = 8
DEFAULT_TIMEOUT_S = 30.0
# The one rule for the limits, on the command line and in the config file (config/schema.py reads these).
MAX_CONCURRENCY = 256
MIN_TIMEOUT_S, MAX_TIMEOUT_S = 0.001, 86400.0  # a millisecond to a day
MIN_RATE_LIMIT = 0.001  # requests per second: one in about 17 minutes
MAX_RETRIES = 10
MIN_LATENCY_MS = 1.0
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
    from govstack_conform.contracts.bounded import CONFIG_LIMIT, Unreadable, read_text

    rules: list[tuple[str, str]] = []
    for value in values:
        if "=" in value and not Path(value).is_file():
            rules.append(_rule(value, "--path-map"))
            continue
        path = Path(value)
        try:
            text = read_text(path, CONFIG_LIMIT, "a path map file", "FROM=TO lines, YAML or JSON")
        except Unreadable as exc:
            raise ConfigError(f"--path-map {value!r}: neither FROM=TO nor a readable file ({exc})") from None
        rules.extend(_rules_from_text(text, str(path)))
    return PathMap(tuple(rules))


def _rule(text: str, where: str) -> tuple[str, str]:
    src, _, dst = text.partition("=")
    src, dst = src.strip(), dst.strip()
    if not src.startswith("/") or not dst.startswith("/"):
        raise ConfigError(f"{where}: {text!r} must be FROM=TO with both paths starting with '/'")
    return src, dst


def _rules_from_text(text: str, where: str) -> list[tuple[str, str]]:
    from govstack_conform.contracts.bounded import Unreadable, parse_text

    stripped = text.strip()
    if stripped.startswith("{") or (stripped and ":" in stripped.splitlines()[0] and "=" not in stripped):
        try:
            data = parse_text(text, "yaml")
        except Unreadable as exc:
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
    if not sep or not name:  # the text is not quoted: it may be a credential given without its name
        raise ConfigError("--header must look like 'Name: value' " + ("(no ':' in it)" if not sep else "(no name)"))
    check_header_name(name)
    if "\n" in value or "\r" in value:
        raise ConfigError(f"--header {name}: the value must be on one line")
    value = value.strip()
    check_header_value(name, value)
    return name, value


def check_header_value(name: str, value: str) -> None:
    """A header value as given (or read from env:VAR) holds no control character; the message never shows it."""
    check_no_control(value.replace("\t", " "), f"--header {name}")


def _between(value: float, low: float, high: float | None, what: str, unit: str) -> None:
    """ConfigError unless `value` is a finite number in [low, high] (nan and inf are no durations or rates)."""
    if not math.isfinite(value) or value < low or (high is not None and value > high):
        span = f"between {low:g} and {high:g}" if high is not None else f"at least {low:g}"
        raise ConfigError(f"{what} must be a number of {unit} {span}, got {value:g}")


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
    # Lower-case names of headers whose values are secret besides the name rule (govstack_conform.redact):
    # marked with --secret-header / `secret_headers`, or given as env:VAR.
    secret_headers: frozenset[str] = frozenset()
    ca_bundle: str | None = None
    insecure: bool = False
    proxy: Proxy = field(default_factory=Proxy)  # --proxy or HTTP(S)_PROXY / NO_PROXY (engine/proxy.py)
    read_only: bool = False
    # Send cases that change or delete records the run did not create (fixtures not marked disposable,
    # generated identifiers); without it they are skipped (docs/data-safety.md).
    allow_destructive: bool = False
    seed: int = 0
    max_depth: int = DEFAULT_MAX_DEPTH  # generated values nest at most this deep; deeper schemas are untestable
    user_agent: str = "govstack-conform"
    query_style: str | None = None  # nested query values (wire.QUERY_STYLES); None: the BB profile's

    def __post_init__(self) -> None:
        if not 1 <= self.concurrency <= MAX_CONCURRENCY:
            raise ConfigError(f"--concurrency must be between 1 and {MAX_CONCURRENCY}, got {self.concurrency}")
        _between(self.timeout_s, MIN_TIMEOUT_S, MAX_TIMEOUT_S, "--timeout", "seconds")
        if self.rate_limit is not None:
            _between(self.rate_limit, MIN_RATE_LIMIT, None, "--rate-limit", "requests per second")
        if not 0 <= self.retries <= MAX_RETRIES:
            raise ConfigError(f"--retries must be between 0 and {MAX_RETRIES}, got {self.retries}")
        if self.latency_budget_ms is not None:
            _between(self.latency_budget_ms, MIN_LATENCY_MS, None, "--latency-budget", "milliseconds")
        if self.body_cap < 1024:
            raise ConfigError("the response size cap must be at least 1 KiB")
        if self.query_style is not None and self.query_style not in QUERY_STYLES:
            raise ConfigError(f"--query-style must be one of {', '.join(QUERY_STYLES)}, not {self.query_style!r}")
        if not 1 <= self.max_depth <= MAX_MAX_DEPTH:
            raise ConfigError(f"--max-depth must be between 1 and {MAX_MAX_DEPTH}, got {self.max_depth}")

    def is_secret_header(self, name: str) -> bool:
        return is_secret_name(name) or name.lower() in self.secret_headers

    def secrets(self) -> list[str]:
        """Every secret value of the run: the credentials', the proxy's, and each secret header's value with
        the credential inside it ('Bearer X' -> X too), for the Redactor to replace in every form."""
        out = [*self.credentials.secrets(), *self.proxy.secrets()]
        for name, value in self.headers:
            if value and self.is_secret_header(name):
                out += [value, *credential_parts(value)]
        return out

    def record(self) -> dict[str, Any]:
        """What goes into results.json `options`: no secret, only what changes results."""
        return {
            "concurrency": self.concurrency,
            "timeout_s": self.timeout_s,
            "rate_limit": self.rate_limit,
            "retries": self.retries,
            "body_cap": self.body_cap,
            "latency_budget_ms": self.latency_budget_ms,
            "headers": [[n, REDACTED if self.is_secret_header(n) else v] for n, v in self.headers],
            "profile_headers": self.profile_headers,
            "path_map": [list(r) for r in self.path_map.rules],
            "auth": self.credentials.describe(),
            "ca_bundle": self.ca_bundle,
            "insecure": self.insecure,
            "tls_verified": not self.insecure,
            "proxy": self.proxy.describe(),
            "read_only": self.read_only,
            "allow_destructive": self.allow_destructive,
            "seed": self.seed,
            "query_style": self.query_style or "the BB profile's",
            "max_depth": self.max_depth,
        }
