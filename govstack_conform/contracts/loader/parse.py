"""Read a spec file's bytes into plain JSON-like data, safely.

Every way a file can be unusable (missing, a directory, binary, too big, not YAML/JSON, a YAML alias
bomb, nested absurdly deep) becomes one `Unreadable` with a one-line reason; nothing else escapes.
YAML is parsed with libyaml when present (speed), keeps dates as strings and mapping keys as strings
(JSON semantics, so `200:` and `"200":` agree), and remembers duplicate keys, which YAML silently
collapses (the later one wins) and which hide real content in the corpus.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import yaml

from govstack_conform.contracts.loader import diskcache
from govstack_conform.contracts.loader.common import join

MAX_BYTES = 20 * 1024 * 1024
MAX_EXPANDED_NODES = 1_000_000  # nodes after alias expansion; the biggest real spec has ~60k
_CACHE_LIMIT = 1024

_BaseLoader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class Unreadable(Exception):
    """The file cannot be used at all; `str()` is the one-line reason."""


@dataclass(frozen=True)
class Parsed:
    data: Any
    sha256: str
    fmt: str  # "json" | "yaml"
    duplicate_keys: tuple[tuple[str, str, int], ...]  # (pointer of the mapping, key, line)


def _yaml_key(key: Any) -> Any:
    if isinstance(key, str):
        return key
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, int | float):
        return str(key)
    return key  # unhashable/odd keys are caught by construct_mapping


class _Loader(_BaseLoader):  # type: ignore[misc]  # the C loader when PyYAML has it, typed Any
    """Safe loader with string keys, string dates and duplicate-key bookkeeping."""

    yaml_implicit_resolvers: ClassVar[dict[Any, Any]] = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        self.duplicates: list[tuple[int, str, int]] = []

    def construct_yaml_map(self, node: Any) -> Any:
        data: dict[Any, Any] = {}
        yield data
        self.construct_mapping(node, into=data)

    def construct_mapping(self, node: Any, deep: bool = False, into: dict[Any, Any] | None = None) -> dict[Any, Any]:
        if not isinstance(node, yaml.MappingNode):
            raise yaml.constructor.ConstructorError(None, None, "expected a mapping", node.start_mark)
        self.flatten_mapping(node)
        mapping: dict[Any, Any] = {} if into is None else into
        for key_node, value_node in node.value:
            key = _yaml_key(self.construct_object(key_node, deep=deep))
            if not isinstance(key, str):
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, "found a non-scalar key", key_node.start_mark
                )
            if key in mapping:
                self.duplicates.append((id(mapping), key, key_node.start_mark.line + 1))
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_yaml_map)


def _pointer_of(data: Any, targets: set[int]) -> dict[int, str]:
    """Pointers of the containers whose id() is in `targets` (first place each is found)."""
    found: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(data, "")]
    seen: set[int] = set()
    while stack and len(found) < len(targets):
        node, ptr = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in targets and id(node) not in found:
            found[id(node)] = ptr
        if isinstance(node, dict):
            stack.extend((v, join(ptr, k)) for k, v in node.items() if isinstance(v, dict | list))
        elif isinstance(node, list):
            stack.extend((v, join(ptr, i)) for i, v in enumerate(node) if isinstance(v, dict | list))
    return found


_ALIAS_HINT = re.compile(r"(?:^|[\s\[{,])\*[^\s,\[\]{}]")


def _expanded_size(root: Any) -> int:
    """Node count of the composed YAML graph with every alias expanded; raises on recursion."""
    memo: dict[int, int] = {}
    active: set[int] = set()

    def size(node: Any) -> int:
        ident = id(node)
        if ident in memo:
            return memo[ident]
        if ident in active:
            raise Unreadable("YAML alias refers to itself (recursive structure)")
        active.add(ident)
        total = 1
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                total += size(k) + size(v)
        elif isinstance(node, yaml.SequenceNode):
            for v in node.value:
                total += size(v)
        active.discard(ident)
        memo[ident] = total
        if total > MAX_EXPANDED_NODES:
            raise Unreadable(
                f"YAML aliases expand to more than {MAX_EXPANDED_NODES:,} nodes (an alias bomb?); refusing to load"
            )
        return total

    return size(root)


def _mark(err: yaml.YAMLError) -> str:
    mark = getattr(err, "problem_mark", None)
    problem = getattr(err, "problem", None) or str(err).splitlines()[0]
    if mark is not None:
        return f"{problem} at line {mark.line + 1}, column {mark.column + 1}"
    return str(problem)


def parse_yaml(
    text: str, *, empty_ok: bool = False, invalid: str = "not valid YAML or JSON"
) -> tuple[Any, list[tuple[str, str, int]]]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            if empty_ok:
                return None, []
            raise Unreadable("the file is empty")
        if _ALIAS_HINT.search(text):
            _expanded_size(node)
        data = loader.construct_document(node)
        dups = loader.duplicates
    except yaml.YAMLError as e:
        raise Unreadable(f"{invalid}: {_mark(e)}") from None
    finally:
        loader.dispose()
    where: dict[int, str] = _pointer_of(data, {d[0] for d in dups}) if dups else {}
    return data, [(where.get(ident, ""), key, line) for ident, key, line in dups]


def decode_text(raw: bytes, what: str = "a spec file", formats: str = "YAML or JSON") -> str:
    """UTF-8 text (a BOM allowed); Unreadable for binary or undecodable bytes."""
    if b"\x00" in raw[:8192]:
        raise Unreadable(f"binary file, not UTF-8 {formats} text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise Unreadable(f"not UTF-8 text (bad byte at offset {e.start}); {what} must be {formats}") from None


def _mb(n: int) -> str:
    return f"{n // (1024 * 1024)} MB"


def read_bytes(path: Path, limit: int = MAX_BYTES, what: str = "a spec file") -> tuple[bytes, tuple[int, int]]:
    """The file's bytes and (size, mtime_ns), checked by stat before anything is read and never read past
    `limit` (a FIFO or a file still growing cannot make the tool read forever)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise Unreadable("no such file") from None
    except OSError as e:
        raise Unreadable(f"cannot access the file: {e.strerror or e}") from None
    if path.is_dir():
        raise Unreadable(f"is a directory, not {what}")
    if not path.is_file():
        raise Unreadable("not a regular file")
    if st.st_size > limit:
        shown = f"{st.st_size / 1e6:.0f} MB" if st.st_size >= 10**6 else f"{st.st_size} bytes"
        raise Unreadable(f"file is {shown}, over the {_mb(limit)} limit for {what}")
    try:
        with path.open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as e:
        raise Unreadable(f"cannot read the file: {e.strerror or e}") from None
    if len(raw) > limit:
        raise Unreadable(f"file grew over the {_mb(limit)} limit while being read")
    return raw, (st.st_size, st.st_mtime_ns)


def parse_bytes(raw: bytes, name: str) -> Parsed:
    """Parse spec text: JSON with the JSON parser when it looks like JSON, else YAML."""
    text = decode_text(raw)
    if not text.strip():
        raise Unreadable("the file is empty")
    sha = hashlib.sha256(raw).hexdigest()
    looks_json = name.lower().endswith(".json") or text.lstrip()[:1] in ("{", "[")
    try:
        if looks_json:
            try:
                return Parsed(json.loads(text), sha, "json", ())
            except json.JSONDecodeError as e:
                if name.lower().endswith(".json"):
                    raise Unreadable(f"not valid JSON: {e.msg} at line {e.lineno}, column {e.colno}") from None
        cached = diskcache.get(sha)
        if cached is not None:
            return Parsed(cached[0], sha, "yaml", tuple(cached[1]))
        data, dups = parse_yaml(text)
        diskcache.put(sha, data, dups)
        return Parsed(data, sha, "yaml", tuple(dups))
    except RecursionError:
        raise Unreadable("nested too deeply to load") from None
    except MemoryError:
        raise Unreadable("too large to load into memory") from None


_cache: dict[tuple[str, int, int], Parsed] = {}


def read_document(path: Path) -> tuple[Parsed, tuple[int, int]]:
    """Parse `path`, memoized by (resolved path, size, mtime_ns); raises Unreadable."""
    try:
        st = path.stat()
        ident: tuple[str, int, int] | None = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    except OSError:
        ident = None
    if ident is not None and ident in _cache:
        return _cache[ident], ident[1:]
    raw, stamp = read_bytes(path)
    parsed = parse_bytes(raw, path.name)
    if ident is not None:
        if len(_cache) >= _CACHE_LIMIT:
            _cache.clear()
        _cache[(ident[0], *stamp)] = parsed
    return parsed, stamp


def clear_cache() -> None:
    _cache.clear()
