"""The config file's schema, and where a key stands in the file (tomllib gives no line numbers).

The schema is data: one `Field` per key with its type and a one-line description, so validation,
`init` and docs/config-reference.md all describe the same keys. Errors name the file, the line and
the dotted key, and suggest the closest known key for a typo.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govstack_conform.engine import options as O
from govstack_conform.errors import ConfigError

Path_ = tuple[str | int, ...]


@dataclass(frozen=True)
class Field:
    kind: str  # str | int | float | bool | date | strs (a string or a list of them) | map (str -> str)
    doc: str
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()


# Keys allowed both in [defaults] and in a [bb.<key>] table; the BB's value wins.
SHARED: dict[str, Field] = {
    "target": Field("str", "Base URL of the candidate product (http or https)."),
    "concurrency": Field("int", "Cases run in parallel.", minimum=1, maximum=O.MAX_CONCURRENCY),
    "timeout": Field("float", "Per request, seconds.", minimum=O.MIN_TIMEOUT_S, maximum=O.MAX_TIMEOUT_S),
    "rate_limit": Field("float", "Requests per second over the whole run.", minimum=O.MIN_RATE_LIMIT),
    "retries": Field("int", "Extra attempts on connection errors only.", minimum=0, maximum=O.MAX_RETRIES),
    "latency_budget": Field(
        "float", "Milliseconds an answer may take (default: the BB profile's).", minimum=O.MIN_LATENCY_MS
    ),
    "read_only": Field("bool", "Send only GET/HEAD/OPTIONS requests."),
    "allow_destructive": Field("bool", "Also send changes and deletes aimed at records the run did not create."),
    "passed_evidence": Field(
        "bool", "Record the headers and bodies of passed cases too (default: request line, status)."
    ),
    "profile_headers": Field("bool", "Send the BB profile's default headers (default true)."),
    "insecure": Field("bool", "Do not verify TLS certificates."),
    "ca_bundle": Field("str", "CA bundle file (PEM) to verify the target with, relative to this file."),
    "secret_headers": Field("strs", "Header names whose values are secret (redacted everywhere, env:VAR only)."),
    "proxy": Field("str", "HTTP proxy to the target, http://HOST:PORT or env:VAR (default: HTTPS_PROXY...)."),
    "max_depth": Field("int", "How deep generated values may nest (default 32).", minimum=1, maximum=O.MAX_MAX_DEPTH),
}

DEFAULTS_ONLY: dict[str, Field] = {
    "seed": Field("int", "Seed for generated data.", minimum=0),
    "report": Field("strs", "Report formats written next to results.json (json, junit, html, md, cucumber, form)."),
    "out": Field("str", "Folder for results.json and reports, relative to this file."),
    "fail_under": Field("float", "Fail when a BB's REQUIRED compliance % is below this.", minimum=0, maximum=100),
    "fail_on": Field("str", "Lowest failed check level that fails the run.", choices=("required", "recommended")),
    "allow_incomplete": Field("bool", "Do not fail (exit 4) when some cases could not be judged."),
    "baseline": Field("str", "results.json of known failures that do not fail the run, relative to this file."),
}

BB_ONLY: dict[str, Field] = {
    "release": Field("str", "BB release (catalog ref); default: the catalog's default release."),
    "headers": Field("map", "Extra headers, name = value; secret-looking names need env:VAR values."),
    "path_map": Field("map", "BB path template or prefix = the product's path."),
    "fixtures": Field("strs", "Test data file(s), relative to this file."),
}

AUTH: dict[str, Field] = {
    "token": Field("str", "Bearer token, as env:VAR."),
    "api_key": Field("str", "API key, as env:VAR."),
    "api_key_name": Field("str", "Header or query name of the API key (default: the spec's, else X-API-Key)."),
    "api_key_in": Field("str", "Where the API key goes.", choices=("header", "query")),
    "basic": Field("str", "Basic auth as USER:env:VAR."),
    "oauth2_token_url": Field("str", "OAuth2 client-credentials token endpoint."),
    "client_id": Field("str", "OAuth2 client id."),
    "client_secret": Field("str", "OAuth2 client secret, as env:VAR."),
    "oauth2_scope": Field("str", "OAuth2 scope(s)."),
    "client_cert": Field("str", "Client certificate (PEM) for mutual TLS, relative to this file."),
    "client_key": Field("str", "Client private key (PEM), relative to this file."),
}
SECRET_AUTH_KEYS = ("token", "api_key", "client_secret")

NOT_IMPLEMENTED: dict[str, Field] = {
    "operations": Field("strs", "Operation keys ('DELETE /path/{id}') or operationIds the product leaves out."),
    "tags": Field("strs", "Spec tags whose every operation the product leaves out."),
    "reason": Field("str", "Why (required): shown with every skipped case."),
}

WAIVER: dict[str, Field] = {
    "check": Field("str", "Check name, e.g. status_code_documented."),
    "operation": Field("str", "Operation key ('GET /path') or operationId."),
    "justification": Field("str", "Why the failure is accepted (required)."),
    "expires": Field("date", "Last day the waiver counts (YYYY-MM-DD, required)."),
}
WAIVER_REQUIRED = ("check", "operation", "justification", "expires")

PRODUCT: dict[str, Field] = {
    "name": Field("str", "Product name, shown in reports."),
    "version": Field("str", "Product version, shown in reports."),
}

TOP_TABLES = ("product", "defaults", "bb", "waivers")
BB_TABLES = ("auth", "not_implemented", "waivers")


# ---- where a key stands -------------------------------------------------------------------------------

_BARE = r"[A-Za-z0-9_-]+"
_KEY_PART = rf'(?:{_BARE}|"(?:[^"\\]|\\.)*"|\'[^\']*\')'
_DOTTED = re.compile(rf"\s*({_KEY_PART}(?:\s*\.\s*{_KEY_PART})*)\s*")
_INLINE_KEY = re.compile(rf"[{{,]\s*({_KEY_PART})\s*=")


def _split_dotted(text: str) -> list[str]:
    parts = re.findall(_KEY_PART, text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def key_lines(text: str) -> dict[Path_, int]:
    """Map each key path (array-of-tables entries indexed) to the 1-based line where it is first written.

    A light line scanner, not a TOML parser: enough to point at the right line in any config a person
    writes (tables, arrays of tables, dotted keys, one-line inline tables); multi-line strings are skipped.
    """
    lines: dict[Path_, int] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    table: Path_ = ()
    in_string: str | None = None
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if in_string:
            if in_string in line:
                in_string = None
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            names = _split_dotted(line[2 : line.find("]]")])
            # an array of tables resolves to its latest parent entries: index by occurrence
            base = (*_resolve(tuple(names[:-1]), counts), *names[-1:])
            index = counts.get(base, 0)
            counts[base] = index + 1
            table = (*base, index)
            lines.setdefault(base, n)
            lines.setdefault(table, n)
            continue
        if line.startswith("["):
            table = _resolve(tuple(_split_dotted(line[1 : line.find("]")])), counts)
            for i in range(1, len(table) + 1):
                lines.setdefault(table[:i], n)
            continue
        m = _DOTTED.match(line)
        if not m or line[m.end() : m.end() + 1] != "=":
            continue
        path = (*table, *_split_dotted(m.group(1)))
        for i in range(len(table) + 1, len(path) + 1):
            lines.setdefault(path[:i], n)
        value = line[m.end() + 1 :].strip()
        for quote in ('"""', "'''"):
            if value.startswith(quote) and value.count(quote) == 1:
                in_string = quote
        if value.startswith("{"):
            for k in _INLINE_KEY.findall(value):
                lines.setdefault((*path, *_split_dotted(k)), n)
    return lines


def _resolve(names: tuple[str, ...], counts: Mapping[tuple[str | int, ...], int]) -> Path_:
    """Insert the current index after each array-of-tables prefix ([[bb.x.waivers]] under [[...]])."""
    out: list[str | int] = []
    for name in names:
        out.append(name)
        key = tuple(out)
        if key in counts:
            out.append(counts[key] - 1)
    return tuple(out)


@dataclass(frozen=True)
class Where:
    """A position in the config file, for error messages."""

    file: Path
    lines: Mapping[Path_, int]
    prefix: Path_ = ()  # ("tool", "govstack-conform") in pyproject.toml

    def line(self, path: Path_) -> int | None:
        full = (*self.prefix, *path)
        while full:
            if full in self.lines:
                return self.lines[full]
            full = full[:-1]
        return None

    def error(self, path: Path_, message: str) -> ConfigError:
        line = self.line(path)
        dotted = dotted_key((*self.prefix, *path))
        at = f"{self.file}:{line}" if line else str(self.file)
        return ConfigError(f"{at}: {dotted}: {message}" if dotted else f"{at}: {message}")


def dotted_key(path: Path_) -> str:
    out = ""
    for p in path:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            part = p if re.fullmatch(_BARE, p) else f'"{p}"'
            out += f".{part}" if out else part
    return out


def suggest(word: str, known: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_keys(table: Mapping[str, Any], allowed: Sequence[str], where: Where, path: Path_) -> None:
    """Every key of `table` is known, else a ConfigError with a suggestion."""
    for key in table:
        if key not in allowed:
            raise where.error((*path, key), f"unknown key{suggest(key, allowed)}; known keys: {', '.join(allowed)}")


def check_value(value: Any, f: Field, where: Where, path: Path_) -> Any:
    """Check one value against its field; returns it normalised (strs -> tuple, date -> date)."""
    kind = f.kind
    if kind == "bool":
        ok = isinstance(value, bool)
    elif kind == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        if ok and not math.isfinite(value):  # TOML has inf and nan: no limit, duration or percentage is either
            raise where.error(path, f"expected a finite number, got {value}")
        value = float(value) if ok else value
    elif kind == "str":
        ok = isinstance(value, str) and bool(value.strip())
    elif kind == "strs":
        if isinstance(value, str):
            value = [value]
        ok = isinstance(value, list) and all(isinstance(v, str) and v.strip() for v in value)
        value = tuple(value) if ok else value
    elif kind == "map":
        ok = isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
    elif kind == "date":
        if isinstance(value, str):
            try:
                value = dt.date.fromisoformat(value)
            except ValueError:
                raise where.error(path, f"expected a date YYYY-MM-DD, got {value!r}") from None
        ok = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    else:  # pragma: no cover - schema typo
        raise AssertionError(kind)
    if not ok:
        raise where.error(path, f"expected {_KINDS[kind]}, got {_show(value)}")
    if f.minimum is not None and value < f.minimum:
        raise where.error(path, f"must be at least {f.minimum:g}, got {value}")
    if f.maximum is not None and value > f.maximum:
        raise where.error(path, f"must be at most {f.maximum:g}, got {value}")
    if f.choices and value not in f.choices:
        raise where.error(path, f"must be one of {', '.join(f.choices)}{suggest(value, f.choices)}, got {value!r}")
    return value


_KINDS = {
    "bool": "true or false",
    "int": "an integer",
    "float": "a number",
    "str": "a non-empty string",
    "strs": "a string or a list of strings",
    "map": "a table of strings",
    "date": "a date YYYY-MM-DD",
}


def _show(value: Any) -> str:
    """The type, and the value only when it cannot be a secret (numbers, booleans)."""
    kind = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list", dict: "a table"}
    name = kind.get(type(value), type(value).__name__)
    return f"{name} ({value!r})" if isinstance(value, int | float) else name
