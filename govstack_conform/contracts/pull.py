"""`specs pull`: fetch catalog files into a spec store, all-or-nothing.

Files come from their upstream repositories at the pinned commit (GitHub raw URLs) or from a mirror laid out
like the GovSpecs corpus (`<mirror>/<bb>/<ref>/<file>`), given as a directory (air-gapped networks) or a base
URL. Every file is downloaded into memory and checked against the catalog's sha256 first; only when every
requested file has verified is anything written, each through a temporary file and `os.replace`. A mismatch,
a cut connection or an unreachable host therefore leaves the store exactly as it was.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx

from govstack_conform.contracts.catalog import Catalog, CatalogFile
from govstack_conform.contracts.store import sha256_file
from govstack_conform.errors import ConfigError, StoreError

# (store path, files done, files total); called once per file, including files already present.
ProgressFn = Callable[[str, int, int], None]

MAX_UNSIZED_BYTES = 64 * 1024 * 1024
# Both ways to work without GitHub: fill the cache from a copy, or read a copy in place (`run`, `demo`, `specs`).
MIRROR_HINT = (
    "to work offline, use a copy of the GovSpecs laid out <bb>/<ref>/<file>: pull from it with "
    "`govstack-conform specs pull --mirror DIR_OR_URL`, or read it in place with GOVSTACK_CONFORM_SPECS=DIR"
)


@dataclass(frozen=True)
class PullResult:
    dest: Path
    fetched: tuple[str, ...]  # store paths written by this pull
    present: tuple[str, ...]  # store paths already present with the right sha256


def select_files(catalog: Catalog, selectors: Sequence[str]) -> list[CatalogFile]:
    """Files for `BB[@REF]` selectors (a bare BB means its default release); none selects every release."""
    releases = (
        [r for bb in catalog.bbs for r in bb.releases] if not selectors else [catalog.select(s)[1] for s in selectors]
    )
    seen: dict[str, CatalogFile] = {}
    for release in releases:
        for f in release.files:
            seen.setdefault(f.store_path, f)
    return list(seen.values())


class _Fetcher:
    """Gets the bytes of a catalog file from upstream, a mirror directory or a mirror URL."""

    def __init__(self, mirror: str | None, timeout: float) -> None:
        self.mirror_dir: Path | None = None
        self.mirror_url: str | None = None
        self.client: httpx.Client | None = None
        if mirror:
            if mirror.startswith(("http://", "https://")):
                from govstack_conform.contracts.http_url import parse_http_url

                parse_http_url(mirror, "--mirror", path_only=True)
                self.mirror_url = mirror.rstrip("/")
            else:
                path = Path(mirror[len("file://") :] if mirror.startswith("file://") else mirror).expanduser()
                if not path.is_dir():
                    raise ConfigError(f"mirror directory {path} does not exist or is not a directory")
                self.mirror_dir = path
        if self.mirror_dir is None:
            self.client = httpx.Client(
                timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
                follow_redirects=True,
                headers={"User-Agent": "govstack-conform specs pull"},
            )

    def close(self) -> None:
        if self.client is not None:
            self.client.close()

    def url_for(self, f: CatalogFile) -> str:
        return f"{self.mirror_url}/{quote(f.store_path)}" if self.mirror_url else f.raw_url

    def fetch(self, f: CatalogFile) -> bytes:
        limit = f.size + 1 if f.size is not None else MAX_UNSIZED_BYTES
        if self.mirror_dir is not None:
            path = self.mirror_dir.joinpath(*f.store_path.split("/"))
            try:
                with path.open("rb") as fh:
                    return fh.read(limit)
            except FileNotFoundError:
                raise StoreError(f"mirror {self.mirror_dir} has no {f.store_path}") from None
            except OSError as e:
                raise StoreError(f"cannot read {path} from the mirror: {e.strerror or e}") from None
        return self._download(f, limit)

    def _download(self, f: CatalogFile, limit: int) -> bytes:
        assert self.client is not None
        url = self.url_for(f)
        host = urlsplit(url).netloc
        try:
            with self.client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise StoreError(
                        f"{f.store_path}: {url} answered HTTP {response.status_code}; the spec store was not changed"
                    )
                chunks: list[bytes] = []
                got = 0
                for chunk in response.iter_bytes():
                    chunks.append(chunk)
                    got += len(chunk)
                    if got >= limit:
                        break
                return b"".join(chunks)
        except (httpx.ConnectError, httpx.ConnectTimeout) as e:
            if self.mirror_url:
                raise StoreError(
                    f"cannot reach the mirror {self.mirror_url} ({_reason(e)}); check the URL, "
                    "or give a mirror directory: --mirror DIR"
                ) from None
            raise StoreError(f"cannot reach {host} ({_reason(e)}); {MIRROR_HINT}") from None
        except httpx.TimeoutException as e:
            raise StoreError(
                f"{f.store_path}: {host} timed out ({_reason(e)}); the spec store was not changed; {MIRROR_HINT}"
            ) from None
        except (httpx.TransportError, httpx.DecodingError) as e:
            raise StoreError(
                f"{f.store_path}: download from {host} was cut off ({_reason(e)}); the spec store was not changed"
            ) from None


def _reason(e: Exception) -> str:
    text = " ".join(str(e).split())
    return text or type(e).__name__


def pull(
    files: Iterable[CatalogFile],
    dest: Path,
    *,
    mirror: str | None = None,
    progress: ProgressFn | None = None,
    timeout: float = 30.0,
) -> PullResult:
    """Fetch, verify, then write every file into `dest`; on any failure nothing in `dest` changes."""
    files = list(files)
    for p in (dest, *dest.parents):  # a store that cannot be written is said before anything is fetched
        if p.exists():
            if not p.is_dir():
                raise ConfigError(f"--specs {dest}: {p} is a file, not a folder")
            break
    total = len(files)
    present: list[str] = []
    verified: list[tuple[CatalogFile, bytes]] = []
    by_hash: dict[str, bytes] = {}  # releases often share a file; fetch each content once
    fetcher = _Fetcher(mirror, timeout)
    try:
        for done, f in enumerate(files, start=1):
            target = dest.joinpath(*f.store_path.split("/"))
            if target.is_file() and _sha_ok(target, f.sha256):
                present.append(f.store_path)
            else:
                data = by_hash.get(f.sha256)
                if data is None:
                    data = fetcher.fetch(f)
                    actual = hashlib.sha256(data).hexdigest()
                    if actual != f.sha256:
                        source = fetcher.mirror_dir or fetcher.url_for(f)
                        raise StoreError(
                            f"{f.store_path}: sha256 mismatch from {source}: expected {f.sha256}, got "
                            f"{actual} ({len(data)} bytes); the spec store was not changed"
                        )
                    by_hash[f.sha256] = data
                verified.append((f, data))
            if progress is not None:
                progress(f.store_path, done, total)
    finally:
        fetcher.close()
    _write_all(dest, verified)
    return PullResult(dest=dest, fetched=tuple(f.store_path for f, _ in verified), present=tuple(present))


def _sha_ok(path: Path, sha: str) -> bool:
    try:
        return sha256_file(path) == sha
    except OSError:
        return False


def _write_all(dest: Path, items: Sequence[tuple[CatalogFile, bytes]]) -> None:
    """Write every verified file to a temporary sibling first, then move them all into place."""
    staged: list[tuple[str, Path]] = []
    try:
        for f, data in items:
            target = dest.joinpath(*f.store_path.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".pull-", suffix=".tmp", dir=target.parent)
            staged.append((tmp, target))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
        for tmp, target in staged:
            os.replace(tmp, target)
    except OSError as e:
        for tmp, _ in staged:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise StoreError(f"cannot write into the spec store {dest}: {e.strerror or e}") from None
