"""Parsed YAML kept on disk between runs, keyed by the file's content: parsing is most of loading a contract.

Every command that loads contracts parses the same few dozen YAML files again (about 80 ms of `specs
list`'s 0.35 s CPU); unmarshalling what an earlier process parsed takes a tenth of that. An entry holds
exactly what parse_yaml returned (the data, shared nodes shared, and the duplicate keys), so a hit
changes nothing downstream.

The cache is an optimisation only: any entry that is missing, unreadable, corrupt (a checksum guards every
byte) or of another format is ignored and the file parsed again, and any failure to write is silent.
Entries are written to a temporary file and renamed into place, so concurrent processes never see a
half-written one. It lives in the user cache (`<cache>/parsed/<format>/`, see store.cache_root), never in
the spec store, and is bounded: beyond MAX_ENTRIES or MAX_BYTES the oldest entries go.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

MAX_ENTRIES = 512
MAX_BYTES = 128 * 1024 * 1024
_MAGIC = b"gcparse1"
_DIGEST = 32
# Anything that could change what is stored or how it reads back names the folder: our format, marshal's,
# the Python that wrote it, PyYAML and whether its C parser was used.
_FORMAT = (
    f"v1-py{sys.version_info[0]}{sys.version_info[1]}-m{marshal.version}-yaml{yaml.__version__}"
    f"-{'c' if hasattr(yaml, 'CSafeLoader') else 'py'}"
)

Entry = tuple[Any, list[tuple[str, str, int]]]


def folder() -> Path | None:
    """Where entries of this format live, or None when no cache directory can be named."""
    from govstack_conform.contracts.store import cache_root

    try:
        return cache_root() / "parsed" / _FORMAT
    except Exception:  # no home directory, say: no cache
        return None


def get(sha256: str) -> Entry | None:
    """What parse_yaml returned for the file of this content, if an intact entry holds it."""
    where = folder()
    if where is None:
        return None
    try:
        blob = (where / sha256).read_bytes()
    except OSError:
        return None
    if len(blob) < len(_MAGIC) + _DIGEST or not blob.startswith(_MAGIC):
        return None
    digest, payload = blob[len(_MAGIC) : len(_MAGIC) + _DIGEST], blob[len(_MAGIC) + _DIGEST :]
    if hashlib.sha256(payload).digest() != digest:
        return None
    try:
        entry = marshal.loads(payload)
    except (ValueError, EOFError, TypeError):
        return None
    if not (isinstance(entry, tuple) and len(entry) == 3 and entry[0] == sha256 and isinstance(entry[2], list)):
        return None
    return entry[1], entry[2]


def put(sha256: str, data: Any, duplicates: list[tuple[str, str, int]]) -> None:
    """Keep what parse_yaml returned for this content; values marshal cannot hold (a !!timestamp) are not kept."""
    where = folder()
    if where is None:
        return
    try:
        payload = marshal.dumps((sha256, data, duplicates), 4)
    except (ValueError, RecursionError):
        return
    blob = _MAGIC + hashlib.sha256(payload).digest() + payload
    try:
        where.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(blob)
            os.replace(tmp, where / sha256)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        _bound(where)
    except OSError:
        return


def _bound(where: Path) -> None:
    """Remove the oldest entries (and stale temporary files) while there are too many or they are too big."""
    entries: list[tuple[int, int, Path]] = []
    with os.scandir(where) as it:
        for e in it:
            with contextlib.suppress(OSError):
                st = e.stat()
                entries.append((st.st_mtime_ns, st.st_size, Path(e.path)))
    total = sum(size for _, size, _ in entries)
    if len(entries) <= MAX_ENTRIES and total <= MAX_BYTES:
        return
    entries.sort()
    while entries and (len(entries) > MAX_ENTRIES or total > MAX_BYTES):
        _, size, path = entries.pop(0)
        with contextlib.suppress(OSError):
            path.unlink()
        total -= size
