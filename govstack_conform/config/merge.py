"""The command line over the config file: `run`'s option values per BB, and the engine's RunOptions from them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from govstack_conform.config import schema as S
from govstack_conform.config.file import CUSTOM_BB, Config
from govstack_conform.errors import ConfigError

if TYPE_CHECKING:
    from govstack_conform.engine.options import RunOptions

# Parameter names of `run` that a config can set (the keys of `run_settings`'s result).
AUTH_OPTIONS = tuple(S.AUTH)
RUN_OPTIONS = (
    "target", "concurrency", "timeout", "rate_limit", "retries", "latency_budget", "read_only", "insecure",
    "ca_bundle", "no_profile_headers", "header", "path_map", "fixtures", "seed", "report", "out_dir",
    "fail_under", "fail_on", "baseline", *AUTH_OPTIONS,
)  # fmt: skip
_FLAGS = ("read_only", "insecure", "no_profile_headers")


def _given(value: Any) -> bool:
    return value is not None and value is not False and value != [] and value != ()


def run_settings(cli: Mapping[str, Any], config: Config | None, bb: str | None) -> dict[str, Any]:
    """`run`'s option values for one BB: the command line over [bb.<bb>] over [defaults].

    `cli` maps `run`'s parameter names to what was given (None / False / [] = not given). Flags are
    on when either side turns them on. Auth comes whole from one side: any auth option on the command
    line replaces the file's auth table. Config headers are sent first, so a --header of the same name
    wins; other lists given on the command line replace the file's.
    """
    merged: dict[str, Any] = {}
    if config is not None:
        merged.update(config.defaults.to_run_kwargs())
        mine = config.bb(bb) if bb else None
        if mine is not None:
            merged.update(mine.to_run_kwargs())
    given = {k: v for k, v in cli.items() if _given(v)}
    if any(k in given for k in AUTH_OPTIONS):
        for k in AUTH_OPTIONS:
            merged.pop(k, None)
    for k, v in given.items():
        if k == "header":
            merged["header"] = [*merged.get("header", []), *v]
        elif k in _FLAGS:
            merged[k] = True
        else:
            merged[k] = v
    for k, v in cli.items():
        merged.setdefault(k, v)
    return merged


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


def run_options(settings: Mapping[str, Any]) -> RunOptions:
    """The engine's RunOptions from merged settings (secrets resolved from the environment here)."""
    from govstack_conform.engine.credentials import Credentials, resolve_secret
    from govstack_conform.engine.options import (
        DEFAULT_CONCURRENCY,
        DEFAULT_TIMEOUT_S,
        RunOptions,
        parse_header,
        parse_path_maps,
    )

    ca = settings.get("ca_bundle")
    if ca and not Path(ca).is_file():
        raise ConfigError(f"ca_bundle: no such file: {ca}")
    creds = Credentials.from_options(**{k: settings.get(k) for k in AUTH_OPTIONS})
    headers = []
    for text in settings.get("header") or ():
        name, value = parse_header(text)
        headers.append((name, resolve_secret(value, f"header {name}") or ""))

    def given(name: str, default: Any) -> Any:
        value = settings.get(name)
        return default if value is None else value  # 0 is a value (and RunOptions refuses a bad one)

    return RunOptions(
        concurrency=given("concurrency", DEFAULT_CONCURRENCY),
        timeout_s=given("timeout", DEFAULT_TIMEOUT_S),
        rate_limit=settings.get("rate_limit"),
        retries=given("retries", 0),
        latency_budget_ms=settings.get("latency_budget"),
        headers=tuple(headers),
        profile_headers=not settings.get("no_profile_headers"),
        path_map=parse_path_maps(list(settings.get("path_map") or [])),
        credentials=creds,
        ca_bundle=str(ca) if ca else None,
        insecure=bool(settings.get("insecure")),
        read_only=bool(settings.get("read_only")),
        seed=given("seed", 0),
    )
