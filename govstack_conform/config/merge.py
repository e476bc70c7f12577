"""The command line over the config file: one BB's typed settings, and the engine's RunOptions from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields, replace
from typing import TYPE_CHECKING, Any, TypeVar

from govstack_conform.config.file import CUSTOM_BB, Config
from govstack_conform.config.request import Gates, Settings
from govstack_conform.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from govstack_conform.engine.options import RunOptions

T = TypeVar("T")


def _given(value: Any) -> bool:
    return value is not None and value != ()


def _first(layers: Sequence[T]) -> T:
    """Field by field, the first layer that gives a value (nested settings merged the same way)."""
    top = layers[0]
    changes: dict[str, Any] = {}
    for f in fields(top):  # type: ignore[arg-type]
        values = [getattr(layer, f.name) for layer in layers]
        if hasattr(values[0], "__dataclass_fields__"):
            changes[f.name] = _first(values)
        else:
            changes[f.name] = next((v for v in values if _given(v)), values[0])
    return replace(top, **changes)  # type: ignore[type-var]


def merged(cli: Settings, config: Config | None, bb: str | None) -> Settings:
    """One BB's settings: the command line over [bb.<bb>] over [defaults].

    A switch given on the command line wins (it can only turn a thing on); a list given there replaces
    the file's, except headers: the file's are sent first, so a --header of the same name wins; and
    the header names marked secret, which add up (a name marked secret anywhere stays secret). Auth
    comes whole from one side: any auth option on the command line replaces the file's auth table, so
    two credentials are never mixed. For a BB, the query style not given falls back to its profile's, so
    the results state the convention actually used.
    """
    out = cli
    if config is not None:
        mine = config.bb(bb) if bb else None
        layers = [cli, *([mine.to_settings()] if mine is not None else []), config.defaults.to_settings()]
        out = _first(layers)
        headers = tuple(h for layer in reversed(layers) for h in layer.target.headers)
        secret = tuple(dict.fromkeys(n for layer in reversed(layers) for n in layer.target.secret_headers))
        auth = next((layer.auth for layer in layers if layer.auth.given), cli.auth)
        out = replace(out, target=replace(out.target, headers=headers, secret_headers=secret), auth=auth)
    if bb is not None and out.query_style is None:  # the BB profile's convention, stated in the results
        from govstack_conform.contracts.catalog import profile_query_style

        out = replace(out, query_style=profile_query_style(bb))
    return out


def selectors(cli_selectors: Sequence[str], config: Config | None) -> list[str]:
    """The BBs to run: those named on the command line (the file's release when none is named), else the file's."""
    if config is None:
        return list(cli_selectors)
    if not cli_selectors:
        return [b.selector for b in config.bbs if b.key != CUSTOM_BB]
    out = []
    for sel in cli_selectors:
        mine = config.bb(sel.strip().lower())
        out.append(mine.selector if mine is not None and "@" not in sel else sel)
    return out


def run_options(settings: Settings) -> RunOptions:
    """The engine's RunOptions from merged settings (secrets resolved from the environment here)."""
    from govstack_conform.engine.credentials import Credentials, check_header_name, resolve_secret
    from govstack_conform.engine.options import (
        DEFAULT_CONCURRENCY,
        DEFAULT_MAX_DEPTH,
        DEFAULT_TIMEOUT_S,
        RunOptions,
        check_header_value,
        parse_header,
        parse_path_maps,
    )
    from govstack_conform.engine.proxy import Proxy

    target, limits, a = settings.target, settings.limits, settings.auth
    ca = target.ca_bundle
    if ca:
        from pathlib import Path

        if not Path(ca).is_file():
            raise ConfigError(f"ca_bundle: no such file: {ca}")
    creds = Credentials.from_options(
        token=a.token, api_key=a.api_key, api_key_name=a.api_key_name, api_key_in=a.api_key_in, basic=a.basic,
        oauth2_token_url=a.oauth2_token_url, client_id=a.client_id, client_secret=a.client_secret,
        oauth2_scope=a.oauth2_scope, client_cert=a.client_cert, client_key=a.client_key,
    )  # fmt: skip
    headers = []
    for name in target.secret_headers:
        check_header_name(name.strip(), "--secret-header")
    secret = {n.strip().lower() for n in target.secret_headers}
    for text in target.headers:
        name, value = parse_header(text)
        if value.startswith("env:"):  # a value kept out of the command line is a secret, whatever its name
            secret.add(name.lower())
            value = resolve_secret(value, f"header {name}") or ""
            check_header_value(name, value)
        headers.append((name, value))

    def given(value: T | None, default: T) -> T:
        return default if value is None else value  # 0 is a value (and RunOptions refuses a bad one)

    return RunOptions(
        concurrency=given(limits.concurrency, DEFAULT_CONCURRENCY),
        timeout_s=given(limits.timeout_s, DEFAULT_TIMEOUT_S),
        rate_limit=limits.rate_limit,
        retries=given(limits.retries, 0),
        latency_budget_ms=limits.latency_budget_ms,
        headers=tuple(headers),
        secret_headers=frozenset(secret),
        profile_headers=target.profile_headers is not False,
        path_map=parse_path_maps(list(target.path_map)),
        credentials=creds,
        ca_bundle=ca or None,
        insecure=bool(target.insecure),
        proxy=Proxy.from_settings(resolve_secret(target.proxy, "--proxy")),
        read_only=bool(settings.read_only),
        allow_destructive=bool(settings.allow_destructive),
        record_passed_bodies=bool(settings.passed_evidence),
        seed=given(settings.seed, 0),
        query_style=settings.query_style,
        max_depth=given(settings.max_depth, DEFAULT_MAX_DEPTH),
    )


def check_gates(gates: Gates) -> None:
    """UsageError unless the gates can decide an exit code: said before anything is sent."""
    import math

    fail_under = gates.fail_under
    if fail_under is not None and not (math.isfinite(fail_under) and 0 <= fail_under <= 100):
        raise UsageError(f"--fail-under is a percentage between 0 and 100, got {fail_under:g}")
    if gates.fail_on not in (None, "required", "recommended"):
        raise UsageError("--fail-on takes required or recommended")
