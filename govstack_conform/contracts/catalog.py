"""The project catalog: which GovSpecs files make up each building block (BB) release.

The catalog (`specs/catalog.yaml`, shipped in the package as `govstack_conform._specs`) and the BB profiles
(`specs/profiles/<bb>.yaml`) are written by us. They are validated strictly on load, because every other layer
trusts them: a store path that could leave the store, a malformed hash or a default that names no release
is a CatalogError, not a surprise later on.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any
from urllib.parse import quote

import yaml

from govstack_conform.contracts.workflows import Workflow, parse_workflows
from govstack_conform.errors import CatalogError

# The catalog and profiles ship with the package (trusted): the C loader when PyYAML has it, 10x faster.
_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

RAW_BASE = "https://raw.githubusercontent.com"
DEFAULT_LATENCY_MS = 15000
# How nested query values are written, which OpenAPI leaves undefined (engine/plan/wire.py says how each is).
QUERY_STYLES = ("brackets", "json")
DEFAULT_QUERY_STYLE = "brackets"

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")
_KEY = re.compile(r"^[a-z][a-z0-9-]*$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_HEADER = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


@dataclass(frozen=True)
class CatalogFile:
    """One upstream file of a contract, pinned by commit and sha256."""

    repo: str
    commit: str
    source_path: str  # path inside the upstream repository
    store_path: str  # `<bb>/<ref>/<file>` inside a spec store or mirror
    sha256: str
    size: int | None = None

    @property
    def raw_url(self) -> str:
        """Where GitHub serves this exact file at the pinned commit."""
        return f"{RAW_BASE}/{self.repo}/{self.commit}/{quote(self.source_path)}"


@dataclass(frozen=True)
class ExcludedFile:
    """A file of the release's repository that is deliberately not part of its contract."""

    store_path: str
    reason: str


@dataclass(frozen=True)
class Release:
    ref: str
    commit: str
    files: tuple[CatalogFile, ...]
    note: str
    excluded: tuple[ExcludedFile, ...] = ()


@dataclass(frozen=True)
class Profile:
    """What a BB's own test harness does by default: headers it sends, its latency budget, test-data names,
    and the BB's workflows."""

    headers: Mapping[str, str] = field(default_factory=dict)
    latency_ms: int = DEFAULT_LATENCY_MS
    notes: str = ""
    test_data: tuple[str, ...] = ()
    query_style: str = DEFAULT_QUERY_STYLE  # nested query values: "brackets" (qry[a][b]=x) or "json"
    workflows: tuple[Workflow, ...] = ()


@dataclass(frozen=True)
class BuildingBlock:
    key: str  # "digital-registries"
    title: str
    platform_id: str  # compliance platform id, "bb-digital-registries"
    repo: str
    default_ref: str
    releases: tuple[Release, ...]
    note: str
    profile: Profile

    @property
    def default_release(self) -> Release:
        return self.release(None)

    def release(self, ref: str | None) -> Release:
        """The release named `ref` (case-insensitive), or the default one when `ref` is None."""
        wanted = self.default_ref if ref is None else ref
        for r in self.releases:
            if r.ref == wanted:
                return r
        for r in self.releases:
            if r.ref.lower() == wanted.lower():
                return r
        known = ", ".join(r.ref for r in self.releases)
        raise CatalogError(
            f"{self.key} has no release '{ref}'{_did_you_mean(wanted, [r.ref for r in self.releases])}; "
            f"releases: {known}"
        )


@dataclass(frozen=True)
class Catalog:
    bbs: tuple[BuildingBlock, ...]

    def get(self, key: str) -> BuildingBlock:
        """The BB named by its key or platform id (`consent`, `bb-consent`), in any case."""
        wanted = key.strip().lower()
        for bb in self.bbs:
            if wanted in (bb.key, bb.platform_id.lower()):
                return bb
        names = [bb.key for bb in self.bbs]
        raise CatalogError(f"unknown building block '{key}'{_did_you_mean(wanted, names)}; known: {', '.join(names)}")

    def select(self, selector: str) -> tuple[BuildingBlock, Release]:
        """Resolve `bb[@ref]`; without `@ref` the BB's default release."""
        key, ref = parse_selector(selector)
        bb = self.get(key)
        return bb, bb.release(ref)


def parse_selector(selector: str) -> tuple[str, str | None]:
    """Split `bb[@ref]` into (bb, ref or None)."""
    text = selector.strip()
    key, sep, ref = text.partition("@")
    key, ref = key.strip(), ref.strip()
    if not key or (sep and not ref):
        raise CatalogError(f"malformed building block selector '{selector}': expected BB or BB@REF, e.g. consent@23Q4")
    return key, (ref if sep else None)


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    lowered = {c.lower(): c for c in choices}
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.5)
    if not close:
        close = [c for c in lowered if c.startswith(word.lower()) or word.lower().startswith(c)][:1]
    return f" (did you mean '{lowered[close[0]]}'?)" if close else ""


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The shipped catalog, parsed and validated once per process."""
    base = resources.files("govstack_conform._specs")
    try:
        data = yaml.load(base.joinpath("catalog.yaml").read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, yaml.YAMLError) as e:
        raise CatalogError(f"the shipped catalog cannot be read: {e}") from None
    profiles: dict[str, Any] = {}
    prof_dir = base.joinpath("profiles")
    if prof_dir.is_dir():
        for entry in prof_dir.iterdir():
            if entry.name.endswith(".yaml"):
                try:
                    profiles[entry.name[: -len(".yaml")]] = yaml.load(entry.read_text(encoding="utf-8"), Loader=_LOADER)
                except (OSError, yaml.YAMLError) as e:
                    raise CatalogError(f"BB profile {entry.name} cannot be read: {e}") from None
    return parse_catalog(data, profiles)


# --- validation -------------------------------------------------------------------------------------------------


def _expect(cond: bool, where: str, what: str) -> None:
    if not cond:
        raise CatalogError(f"catalog: {where}: {what}")


def _mapping(value: Any, where: str, required: Sequence[str], optional: Sequence[str] = ()) -> Mapping[str, Any]:
    _expect(isinstance(value, Mapping), where, "expected a mapping")
    missing = [k for k in required if k not in value]
    _expect(not missing, where, f"missing {', '.join(missing)}")
    unknown = sorted(str(k) for k in value if k not in required and k not in optional)
    _expect(not unknown, where, f"unknown key {', '.join(unknown)}")
    checked: Mapping[str, Any] = value
    return checked


def _text(value: Any, where: str, *, pattern: re.Pattern[str] | None = None, empty: bool = False) -> str:
    _expect(isinstance(value, str) and (empty or bool(value.strip())), where, "expected a non-empty string")
    if pattern is not None:
        _expect(bool(pattern.match(value)), where, f"'{value}' does not match {pattern.pattern}")
    return str(value)


def _store_path(value: Any, where: str, bb: str, ref: str) -> str:
    path = _text(value, where)
    parts = path.split("/")
    _expect(path.startswith(f"{bb}/{ref}/"), where, f"'{path}' must start with '{bb}/{ref}/'")
    _expect(
        "\\" not in path and all(p not in ("", ".", "..") for p in parts),
        where,
        f"'{path}' is not a plain relative path",
    )
    return path


def parse_catalog(data: Any, profiles: Mapping[str, Any] | None = None) -> Catalog:
    """Validate the parsed catalog (and profiles) and build the model; any problem is a CatalogError."""
    root = _mapping(data, "top level", ["version", "building_blocks"])
    _expect(root["version"] == 1, "version", f"unsupported catalog version {root['version']!r}")
    bbs_raw = root["building_blocks"]
    _expect(isinstance(bbs_raw, Mapping) and bool(bbs_raw), "building_blocks", "expected a non-empty mapping")
    profiles = profiles or {}
    for name in profiles:
        _expect(name in bbs_raw, f"profiles/{name}.yaml", "names no building block of the catalog")
    bbs = [_parse_bb(str(key), raw, profiles.get(str(key))) for key, raw in bbs_raw.items()]
    ids = [bb.platform_id for bb in bbs]
    _expect(len(set(ids)) == len(ids), "building_blocks", "platform ids are not unique")
    return Catalog(bbs=tuple(sorted(bbs, key=lambda b: b.key)))


def _parse_bb(key: str, raw: Any, profile_raw: Any) -> BuildingBlock:
    where = f"building_blocks.{key}"
    _text(key, where, pattern=_KEY)
    bb = _mapping(raw, where, ["title", "platform_id", "repo", "default", "releases"], ["note"])
    repo = _text(bb["repo"], f"{where}.repo", pattern=_REPO)
    rel_raw = bb["releases"]
    _expect(isinstance(rel_raw, Mapping) and bool(rel_raw), f"{where}.releases", "expected a non-empty mapping")
    releases = tuple(_parse_release(key, repo, str(ref), r) for ref, r in rel_raw.items())
    default = _text(bb["default"], f"{where}.default")
    _expect(default in [r.ref for r in releases], f"{where}.default", f"'{default}' is not one of its releases")
    lowered = [r.ref.lower() for r in releases]
    _expect(len(set(lowered)) == len(lowered), f"{where}.releases", "release refs differ only in case")
    return BuildingBlock(
        key=key,
        title=_text(bb["title"], f"{where}.title"),
        platform_id=_text(bb["platform_id"], f"{where}.platform_id", pattern=_KEY),
        repo=repo,
        default_ref=default,
        releases=releases,
        note=_text(bb.get("note", ""), f"{where}.note", empty=True),
        profile=_parse_profile(profile_raw, f"profiles/{key}.yaml", tuple(r.ref for r in releases)),
    )


def _parse_release(bb: str, repo: str, ref: str, raw: Any) -> Release:
    where = f"building_blocks.{bb}.releases.{ref}"
    _expect(bool(ref.strip()) and "@" not in ref and "/" not in ref, where, "invalid release ref")
    rel = _mapping(raw, where, ["commit", "files"], ["note", "excluded"])
    commit = _text(rel["commit"], f"{where}.commit", pattern=_COMMIT)
    files_raw = rel["files"]
    _expect(isinstance(files_raw, list) and bool(files_raw), f"{where}.files", "expected a non-empty list")
    files = []
    for i, f in enumerate(files_raw):
        fw = f"{where}.files[{i}]"
        fm = _mapping(f, fw, ["source", "store", "sha256"], ["size"])
        size = fm.get("size")
        _expect(
            size is None or (isinstance(size, int) and not isinstance(size, bool) and size >= 0),
            f"{fw}.size",
            "expected a non-negative integer",
        )
        files.append(
            CatalogFile(
                repo=repo,
                commit=commit,
                source_path=_text(fm["source"], f"{fw}.source"),
                store_path=_store_path(fm["store"], f"{fw}.store", bb, ref),
                sha256=_text(fm["sha256"], f"{fw}.sha256", pattern=_SHA256),
                size=size,
            )
        )
    excluded = []
    for i, x in enumerate(rel.get("excluded") or []):
        xw = f"{where}.excluded[{i}]"
        xm = _mapping(x, xw, ["store", "reason"])
        excluded.append(
            ExcludedFile(
                store_path=_store_path(xm["store"], f"{xw}.store", bb, ref), reason=_text(xm["reason"], f"{xw}.reason")
            )
        )
    paths = [f.store_path for f in files] + [x.store_path for x in excluded]
    _expect(len(set(paths)) == len(paths), where, "a store path is listed twice")
    return Release(
        ref=ref,
        commit=commit,
        files=tuple(files),
        note=_text(rel.get("note", ""), f"{where}.note", empty=True),
        excluded=tuple(excluded),
    )


def _parse_profile(raw: Any, where: str, refs: tuple[str, ...] = ()) -> Profile:
    if raw is None:
        return Profile()
    prof = _mapping(raw, where, [], ["headers", "latency_ms", "notes", "test_data", "workflows", "query_style"])
    headers = prof.get("headers") or {}
    _expect(isinstance(headers, Mapping), f"{where}: headers", "expected a mapping")
    for name, value in headers.items():
        _text(name, f"{where}: headers", pattern=_HEADER)
        _expect(
            isinstance(value, str) and "\n" not in value and "\r" not in value,
            f"{where}: headers.{name}",
            "expected a one-line string",
        )
    latency = prof.get("latency_ms", DEFAULT_LATENCY_MS)
    _expect(
        isinstance(latency, int) and not isinstance(latency, bool) and latency > 0,
        f"{where}: latency_ms",
        "expected a positive integer",
    )
    test_data = prof.get("test_data") or []
    _expect(
        isinstance(test_data, list) and all(isinstance(t, str) and t for t in test_data),
        f"{where}: test_data",
        "expected a list of names",
    )
    style = prof.get("query_style", DEFAULT_QUERY_STYLE)
    _expect(style in QUERY_STYLES, f"{where}: query_style", f"expected one of {', '.join(QUERY_STYLES)}")
    return Profile(
        headers=dict(headers),
        latency_ms=latency,
        notes=_text(prof.get("notes", ""), f"{where}: notes", empty=True),
        test_data=tuple(test_data),
        query_style=style,
        workflows=parse_workflows(prof.get("workflows"), f"{where}: workflows", refs),
    )


def profile_query_style(bb: str) -> str:
    """The query style of the BB profile of `bb` (a catalog key), the default for any other contract."""
    try:
        return load_catalog().get(bb).profile.query_style
    except CatalogError:
        return DEFAULT_QUERY_STYLE
