"""The config file: `govstack-conform.toml`, or `[tool.govstack-conform]` in pyproject.toml.

One file holds what a team would otherwise repeat on every command line: the product, and per BB
the target, release, auth, headers, path map, fixtures, waivers and the operations the product
leaves out by design. Secrets are never written in it: only `env:VAR` names. Every key is checked
(see config/schema.py); the command line overrides the file (see config/merge.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from govstack_conform.assessment.waivers import Waiver
from govstack_conform.config import schema as S
from govstack_conform.config.request import AuthSettings, Gates, Limits, Outputs, Settings, TargetSettings
from govstack_conform.errors import CatalogError, ConfigError

CONFIG_NAME = "govstack-conform.toml"
PYPROJECT_TABLE = ("tool", "govstack-conform")
CUSTOM_BB = "custom"  # the table that applies to contracts given with --spec


@dataclass(frozen=True)
class Product:
    name: str | None = None
    version: str | None = None

    def to_dict(self) -> dict[str, str]:
        return {k: v for k, v in (("name", self.name), ("version", self.version)) if v}


@dataclass(frozen=True)
class NotImplementedDecl:
    """Operations the product leaves out by design: their cases are skipped, never failed, never passed."""

    operations: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    reason: str = ""


@dataclass(frozen=True)
class BBConfig:
    key: str  # catalog BB key, or "custom" for --spec contracts
    release: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)  # SHARED keys that are set
    auth: Mapping[str, str] = field(default_factory=dict)  # AUTH keys that are set; secrets as env:VAR
    headers: tuple[tuple[str, str], ...] = ()  # values may be env:VAR
    path_map: tuple[tuple[str, str], ...] = ()
    fixtures: tuple[Path, ...] = ()
    not_implemented: NotImplementedDecl | None = None
    waivers: tuple[Waiver, ...] = ()

    @property
    def selector(self) -> str:
        return f"{self.key}@{self.release}" if self.release else self.key

    def to_settings(self) -> Settings:
        """This BB's table as one typed layer of settings (what the file leaves out is "not given")."""
        base = _settings(self.settings)
        target = dataclasses.replace(
            base.target,
            headers=tuple(f"{n}: {v}" for n, v in self.headers),
            path_map=tuple(f"{a}={b}" for a, b in self.path_map),
        )
        return dataclasses.replace(base, target=target, auth=AuthSettings(**self.auth), fixtures=self.fixtures)


@dataclass(frozen=True)
class Defaults:
    settings: Mapping[str, Any] = field(default_factory=dict)  # SHARED + DEFAULTS_ONLY keys that are set

    def to_settings(self) -> Settings:
        return _settings(self.settings)


@dataclass(frozen=True)
class Config:
    path: Path
    product: Product = field(default_factory=Product)
    defaults: Defaults = field(default_factory=Defaults)
    bbs: tuple[BBConfig, ...] = ()
    waivers: tuple[Waiver, ...] = ()  # [[waivers]]: for every BB

    def bb(self, key: str) -> BBConfig | None:
        return next((b for b in self.bbs if b.key == key), None)

    def waivers_for(self, bb: str) -> tuple[Waiver, ...]:
        mine = self.bb(bb)
        return self.waivers + (mine.waivers if mine else ())


def _settings(s: Mapping[str, Any]) -> Settings:
    """The SHARED and DEFAULTS_ONLY keys of a table (already checked) as typed settings."""

    def path(key: str) -> Path | None:
        return Path(s[key]) if key in s else None

    return Settings(
        target=TargetSettings(
            url=s.get("target"),
            profile_headers=s.get("profile_headers"),
            ca_bundle=str(s["ca_bundle"]) if "ca_bundle" in s else None,
            insecure=s.get("insecure"),
            secret_headers=tuple(s.get("secret_headers", ())),
            proxy=s.get("proxy"),
        ),
        limits=Limits(
            concurrency=s.get("concurrency"),
            timeout_s=s.get("timeout"),
            rate_limit=s.get("rate_limit"),
            retries=s.get("retries"),
            latency_budget_ms=s.get("latency_budget"),
        ),
        seed=s.get("seed"),
        max_depth=s.get("max_depth"),
        read_only=s.get("read_only"),
        allow_destructive=s.get("allow_destructive"),
        passed_evidence=s.get("passed_evidence"),
        outputs=Outputs(out_dir=path("out"), formats=tuple(s.get("report", ()))),
        gates=Gates(
            fail_under=s.get("fail_under"),
            fail_on=s.get("fail_on"),
            baseline=path("baseline"),
            allow_incomplete=s.get("allow_incomplete"),
        ),
    )


# ---- finding and reading ------------------------------------------------------------------------------


def find_config(path: Path | None, cwd: Path) -> tuple[Path, tuple[str, ...]] | None:
    """The file to read and the table prefix inside it; None when nothing is configured."""
    if path is not None:
        if not path.is_file():
            raise ConfigError(f"{path}: not a regular file" if path.exists() else f"config file not found: {path}")
        return path, (PYPROJECT_TABLE if path.name == "pyproject.toml" else ())
    own = cwd / CONFIG_NAME
    if own.is_file():
        return own, ()
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        data = _parse(pyproject)
        if isinstance(data.get("tool"), dict) and PYPROJECT_TABLE[1] in data["tool"]:
            return pyproject, PYPROJECT_TABLE
    return None


def _read(path: Path) -> str:
    """The config file's text, read bounded (a config is hand-written: at most 1 MB)."""
    from govstack_conform.contracts.bounded import CONFIG_LIMIT, Unreadable, read_text

    try:
        return read_text(path, CONFIG_LIMIT, "a config file", "TOML")
    except Unreadable as e:
        raise ConfigError(f"{path}: {e}") from None


def _parse(path: Path, text: str | None = None) -> dict[str, Any]:
    from govstack_conform.contracts.bounded import Unreadable, parse_text

    try:
        data: dict[str, Any] = parse_text(_read(path) if text is None else text, "toml")
    except Unreadable as e:
        raise ConfigError(f"{path}: {e}") from None
    return data


def load_config(path: Path | None, cwd: Path) -> Config | None:
    """Read and check the config (`--config FILE`, else found in `cwd`); None when there is none."""
    found = find_config(path, cwd)
    if found is None:
        return None
    file, prefix = found
    text = _read(file)
    data: Any = _parse(file, text)
    for p in prefix:
        data = data.get(p) if isinstance(data, dict) else None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: no [{'.'.join(prefix)}] table")
    where = S.Where(file, S.key_lines(text), prefix)
    return parse_config(data, where)


def parse_config(data: Mapping[str, Any], where: S.Where) -> Config:
    S.check_keys(data, S.TOP_TABLES, where, ())
    base = where.file.resolve().parent
    product = _table(data, "product", where, ())
    S.check_keys(product, tuple(S.PRODUCT), where, ("product",))
    prod = Product(**{k: S.check_value(product[k], S.PRODUCT[k], where, ("product", k)) for k in product})
    defaults = _table(data, "defaults", where, ())
    fields = {**S.SHARED, **S.DEFAULTS_ONLY}
    S.check_keys(defaults, tuple(fields), where, ("defaults",))
    settings = {k: _setting(k, defaults[k], fields[k], where, ("defaults", k), base) for k in defaults}
    bbs_raw = _table(data, "bb", where, ())
    marked = tuple(settings.get("secret_headers", ()))
    bbs = tuple(_bb(str(key), value, where, base, marked) for key, value in bbs_raw.items())
    waivers = _waivers(data.get("waivers"), where, ("waivers",))
    return Config(where.file, prod, Defaults(MappingProxyType(settings)), bbs, waivers)


def _table(data: Mapping[str, Any], key: str, where: S.Where, path: S.Path_) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise where.error((*path, key), f"expected a table, e.g. [{S.dotted_key((*where.prefix, *path, key))}]")
    return value


def _bb(key: str, raw: Any, where: S.Where, base: Path, marked: tuple[str, ...] = ()) -> BBConfig:
    """One [bb.<key>] table; `marked`: the header names [defaults] marks secret."""
    path: S.Path_ = ("bb", key)
    if not isinstance(raw, dict):
        raise where.error(path, f"expected a table, e.g. [bb.{key}]")
    release = raw.get("release")
    if key != CUSTOM_BB:
        from govstack_conform.contracts.catalog import load_catalog

        try:
            bb = load_catalog().get(key)
            if release is not None and isinstance(release, str):
                release = bb.release(release).ref
        except CatalogError as e:
            raise where.error(path if "release" not in raw else (*path, "release"), str(e)) from None
        if bb.key != key:
            raise where.error(path, f"name the BB by its key: [bb.{bb.key}]")
    elif release is not None:
        raise where.error((*path, "release"), "contracts given with --spec have no release")
    fields = {**S.SHARED, **S.BB_ONLY}
    S.check_keys(raw, (*fields, *S.BB_TABLES), where, path)
    settings: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for k, v in raw.items():
        if k in S.SHARED:
            settings[k] = _setting(k, v, S.SHARED[k], where, (*path, k), base)
        elif k in S.BB_ONLY:
            out[k] = S.check_value(v, S.BB_ONLY[k], where, (*path, k))
    if "release" in out:
        out["release"] = release
    secret = {n.lower() for n in (*marked, *settings.get("secret_headers", ()))}
    headers = tuple(
        _header(n, v, where, (*path, "headers", n), n.lower() in secret) for n, v in out.get("headers", {}).items()
    )
    pmap = tuple(_path_rule(a, b, where, (*path, "path_map", a)) for a, b in out.get("path_map", {}).items())
    fixtures = tuple(_file(f, base) for f in out.get("fixtures", ()))
    return BBConfig(
        key=key,
        release=out.get("release"),
        settings=MappingProxyType(settings),
        auth=MappingProxyType(_auth(raw.get("auth"), where, (*path, "auth"), base)),
        headers=headers,
        path_map=pmap,
        fixtures=fixtures,
        not_implemented=_not_implemented(raw.get("not_implemented"), where, (*path, "not_implemented")),
        waivers=_waivers(raw.get("waivers"), where, (*path, "waivers")),
    )


def _setting(key: str, value: Any, f: S.Field, where: S.Where, path: S.Path_, base: Path) -> Any:
    value = S.check_value(value, f, where, path)
    if key == "proxy" and not value.startswith("env:") and urlsplit(value).password:
        raise where.error(path, "the proxy URL holds a password: give the whole URL as env:VAR")
    if key == "target" or (key == "proxy" and not value.startswith("env:")):
        _check_url(value, where, path)
    elif key == "secret_headers":
        from govstack_conform.engine.credentials import check_header_name

        for name in value:
            try:
                check_header_name(name, "secret_headers")
            except ConfigError as e:
                raise where.error(path, str(e)) from None
    elif key in ("ca_bundle", "out", "baseline"):
        value = _file(value, base)
    elif key == "report":
        from govstack_conform.errors import UsageError
        from govstack_conform.report.formats.base import get_formats

        try:
            value = tuple(f.name for f in get_formats(list(value)))
        except UsageError as e:
            raise where.error(path, str(e)) from None
    return value


def _check_url(url: str, where: S.Where, path: S.Path_) -> None:
    from govstack_conform.contracts.http_url import parse_http_url
    from govstack_conform.errors import UsageError

    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        password = None
    if password:
        raise where.error(path, "the URL holds a password: put credentials in [bb.<key>.auth] as env:VAR")
    try:
        parse_http_url(url, "expected an http(s) URL:")
    except UsageError as e:
        raise where.error(path, str(e)) from None


def _file(value: str, base: Path) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


def _secret(value: str, where: S.Where, path: S.Path_) -> str:
    if not value.startswith("env:") or len(value) <= 4:
        raise where.error(path, "secrets are never written in the config: name an environment variable, as env:VAR")
    return value


def _header(name: str, value: str, where: S.Where, path: S.Path_, marked: bool = False) -> tuple[str, str]:
    from govstack_conform.engine.options import parse_header
    from govstack_conform.redact import is_secret_name

    try:
        parse_header(f"{name}: {value}")
    except ConfigError as e:
        raise where.error(path, str(e).replace("--header ", "header ")) from None
    if marked or is_secret_name(name):
        _secret(value, where, path)
    return name, value


def _path_rule(src: str, dst: str, where: S.Where, path: S.Path_) -> tuple[str, str]:
    if not src.startswith("/") or not dst.startswith("/"):
        raise where.error(path, f"both paths must start with '/' ({src!r} = {dst!r})")
    return src, dst


def _auth(raw: Any, where: S.Where, path: S.Path_, base: Path) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise where.error(path, "expected a table")
    S.check_keys(raw, tuple(S.AUTH), where, path)
    out = {k: S.check_value(v, S.AUTH[k], where, (*path, k)) for k, v in raw.items()}
    for k in S.SECRET_AUTH_KEYS:
        if k in out:
            _secret(out[k], where, (*path, k))
    if "basic" in out:
        user, sep, rest = out["basic"].partition(":")
        if not sep or not user:
            raise where.error((*path, "basic"), "expected USER:env:VAR")
        _secret(rest, where, (*path, "basic"))
    if "oauth2_token_url" in out:
        _check_url(out["oauth2_token_url"], where, (*path, "oauth2_token_url"))
    for k in ("client_cert", "client_key"):
        if k in out:
            out[k] = str(_file(out[k], base))
    return out


def _not_implemented(raw: Any, where: S.Where, path: S.Path_) -> NotImplementedDecl | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise where.error(path, "expected a table with operations and/or tags, and a reason")
    S.check_keys(raw, tuple(S.NOT_IMPLEMENTED), where, path)
    got = {k: S.check_value(v, S.NOT_IMPLEMENTED[k], where, (*path, k)) for k, v in raw.items()}
    if "reason" not in got:
        raise where.error(path, "a reason is required: say why the product leaves these operations out")
    if not got.get("operations") and not got.get("tags"):
        raise where.error(path, "name operations and/or tags")
    return NotImplementedDecl(tuple(got.get("operations", ())), tuple(got.get("tags", ())), got["reason"].strip())


def _waivers(raw: Any, where: S.Where, path: S.Path_) -> tuple[Waiver, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(w, dict) for w in raw):
        raise where.error(path, f"expected an array of tables: [[{S.dotted_key((*where.prefix, *path))}]]")
    out = []
    for i, w in enumerate(raw):
        p = (*path, i)
        S.check_keys(w, tuple(S.WAIVER), where, p)
        missing = [k for k in S.WAIVER_REQUIRED if k not in w]
        if missing:
            raise where.error(p, f"a waiver needs {', '.join(missing)} (check, operation, justification, expires)")
        got = {k: S.check_value(v, S.WAIVER[k], where, (*p, k)) for k, v in w.items()}
        out.append(Waiver(got["check"], got["operation"], got["justification"].strip(), got["expires"]))
    return tuple(out)
