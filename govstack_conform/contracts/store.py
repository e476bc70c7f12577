"""The spec store: the directory contracts are read from, laid out `<bb>/<ref>/<file>` like the GovSpecs mirror.

Where it is, first match wins:
  1. the `--specs DIR` option;
  2. the GOVSTACK_CONFORM_SPECS environment variable;
  3. the user cache, filled by `govstack-conform specs pull`: `<cache>/specs`, where `<cache>` is
     GOVSTACK_CONFORM_CACHE if set, else platformdirs' user cache dir for "govstack-conform".

Integrity policy: the cache is ours, so a file whose sha256 differs from the catalog is an error (the cache
is corrupt; pull again). A store named with `--specs` or GOVSTACK_CONFORM_SPECS belongs to the user, who may
point it at a working copy with local edits on purpose: there a mismatch is a WARNING-level note that travels
with the contract, never a refusal.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from govstack_conform.contracts.catalog import CatalogFile
from govstack_conform.errors import ConfigError, StoreError

ENV_SPECS = "GOVSTACK_CONFORM_SPECS"
ENV_CACHE = "GOVSTACK_CONFORM_CACHE"
APP_NAME = "govstack-conform"

PULL_HINT = f"run `govstack-conform specs pull` (add --mirror DIR offline), or set {ENV_SPECS} or --specs DIR"


class StoreSource(StrEnum):
    OPTION = "--specs"
    ENV = ENV_SPECS
    CACHE = "cache"


@dataclass(frozen=True)
class Mismatch:
    """A store file whose content is not the catalog's pinned version."""

    file: CatalogFile
    actual: str

    @property
    def message(self) -> str:
        return (
            f"{self.file.store_path}: content differs from the catalog's pinned version "
            f"(sha256 {self.actual}, expected {self.file.sha256}); findings may not match the published spec"
        )


def cache_root() -> Path:
    """The user cache directory of the tool (GOVSTACK_CONFORM_CACHE overrides platformdirs)."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir

    return Path(user_cache_dir(APP_NAME))


def cache_specs_dir() -> Path:
    return cache_root() / "specs"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class SpecStore:
    root: Path
    source: StoreSource

    def describe(self) -> str:
        where = {StoreSource.OPTION: "--specs", StoreSource.ENV: ENV_SPECS, StoreSource.CACHE: "the user cache"}
        return f"{self.root} (from {where[self.source]})"

    def path_for(self, file: CatalogFile) -> Path:
        """The local path of a catalog file in this store (which may not exist yet)."""
        path = self.root.joinpath(*file.store_path.split("/"))
        if ".." in path.relative_to(self.root).parts:  # catalog validation forbids it; keep the guarantee local
            raise StoreError(f"{file.store_path}: store path leaves the spec store")
        return path

    def verify(self, file: CatalogFile) -> bool:
        """True when the file is present and its sha256 is the catalog's."""
        path = self.path_for(file)
        try:
            return path.is_file() and sha256_file(path) == file.sha256
        except OSError:
            return False

    def check(self, files: Iterable[CatalogFile]) -> list[Mismatch]:
        """Make sure every file is present; return mismatching ones (an error instead when this is the cache)."""
        files = list(files)
        missing = [f for f in files if not self.path_for(f).is_file()]
        if missing:
            more = f" and {len(missing) - 1} more" if len(missing) > 1 else ""
            raise StoreError(
                f"{missing[0].store_path}{more} not found in the spec store {self.describe()}: {PULL_HINT}"
            )
        mismatches = []
        for f in files:
            try:
                actual = sha256_file(self.path_for(f))
            except OSError as e:
                raise StoreError(
                    f"{f.store_path}: cannot read from the spec store {self.describe()}: {e.strerror or e}"
                ) from None
            if actual != f.sha256:
                mismatches.append(Mismatch(f, actual))
        if mismatches and self.source is StoreSource.CACHE:
            m = mismatches[0]
            raise StoreError(
                f"{m.file.store_path} in the cache {self.root} is corrupt or was modified "
                f"(sha256 {m.actual}, expected {m.file.sha256}): run `govstack-conform specs pull` again"
            )
        return mismatches


def resolve_store(option: Path | str | None = None) -> SpecStore:
    """The store to read from: `--specs` option, then GOVSTACK_CONFORM_SPECS, then the user cache."""
    if option is not None and str(option) != "":
        return _user_store(Path(option), StoreSource.OPTION, "--specs")
    env = os.environ.get(ENV_SPECS)
    if env:
        return _user_store(Path(env), StoreSource.ENV, ENV_SPECS)
    return SpecStore(root=cache_specs_dir(), source=StoreSource.CACHE)


def _user_store(path: Path, source: StoreSource, named: str) -> SpecStore:
    path = path.expanduser()
    if not path.is_dir():
        what = "is not a directory" if path.exists() else "does not exist"
        raise ConfigError(f"spec store {path} (from {named}) {what}")
    return SpecStore(root=path.resolve(), source=source)
