"""Every YAML, JSON and TOML file the tool reads, read the way a spec is: bounded.

Config files, fixtures, path maps, results files given to `report` or as `--baseline`: each is read
up to a size limit (a FIFO or /dev/zero cannot make the tool read forever), decoded as UTF-8, and
parsed with the spec loader's guards (contracts/loader/parse.py): YAML aliases expanding to more
than a million nodes are refused before they are built (a 512-byte alias bomb would otherwise grow
without end), and nesting too deep for the parser is an error, not a crash. Every failure is one
`Unreadable` with a one-line reason; the caller adds the file's name and its own error type.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from govstack_conform.contracts.loader.parse import Unreadable, decode_text, parse_yaml, read_bytes

Kind = Literal["yaml", "json", "toml"]

MiB = 1024 * 1024
CONFIG_LIMIT = 1 * MiB  # a config, a path map: hand-written text
DATA_LIMIT = 10 * MiB  # fixtures
RESULTS_LIMIT = 256 * MiB  # results.json (bodies are capped at 64 KiB each when recorded)

__all__ = ["CONFIG_LIMIT", "DATA_LIMIT", "RESULTS_LIMIT", "Unreadable", "load_data", "parse_text", "read_text"]


def read_text(path: Path, limit: int, what: str, formats: str = "YAML or JSON") -> str:
    """The file's text, read up to `limit` bytes; Unreadable (one line) for anything else."""
    raw, _stamp = read_bytes(path, limit, what)
    return decode_text(raw, what, formats)


def parse_text(text: str, kind: Kind) -> Any:
    """JSON, TOML or YAML text as plain data, with the spec loader's guards (alias bombs, deep nesting)."""
    try:
        if kind == "json":
            try:
                return json.loads(text)
            except json.JSONDecodeError as e:
                raise Unreadable(f"invalid JSON at line {e.lineno} column {e.colno}: {e.msg}") from None
        if kind == "toml":
            try:
                return tomllib.loads(text)
            except tomllib.TOMLDecodeError as e:
                raise Unreadable(f"invalid TOML: {e}") from None
        data, _duplicates = parse_yaml(text, empty_ok=True, invalid="invalid YAML")
        return data
    except RecursionError:
        raise Unreadable("nested too deeply to load") from None
    except MemoryError:
        raise Unreadable("too large to load into memory") from None


def load_data(path: Path, kind: Kind, limit: int, what: str) -> Any:
    """Read and parse one file, bounded; `what` names it in messages ("a config file", "a results file")."""
    formats = {"json": "JSON", "toml": "TOML", "yaml": "YAML or JSON"}[kind]
    return parse_text(read_text(path, limit, what, formats), kind)
