"""The typed handover from a front end (the CLI, the pytest plugin) to the core: what the user asked for.

A `Settings` is one layer of settings: the command line, the config file's [defaults] or one
[bb.<key>] table. None, () or False-as-None mean "not given", so layers merge field by field
(`merge.merged`). `RunRequest` is the whole of a `run` as the command line states it; nothing
untyped crosses from the front end into the core.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path


@dataclass(frozen=True)
class AuthSettings:
    """Credentials as given: secrets as `env:VAR` (or literal on a command line), never resolved here."""

    token: str | None = None
    api_key: str | None = None
    api_key_name: str | None = None
    api_key_in: str | None = None
    basic: str | None = None  # USER:PASSWORD or USER:env:VAR
    oauth2_token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    oauth2_scope: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    @property
    def given(self) -> bool:
        return any(getattr(self, f.name) is not None for f in fields(self))


@dataclass(frozen=True)
class TargetSettings:
    """Where the candidate is and how to reach it."""

    url: str | None = None
    headers: tuple[str, ...] = ()  # 'Name: value'; values may be env:VAR
    secret_headers: tuple[str, ...] = ()  # header names whose values are secret whatever the name rule says
    path_map: tuple[str, ...] = ()  # FROM=TO rules or files holding them
    profile_headers: bool | None = None  # False: do not send the BB profile's default headers
    ca_bundle: str | None = None
    insecure: bool | None = None
    proxy: str | None = None  # http://HOST:PORT or env:VAR (credentials in it are secrets); None: the environment's


@dataclass(frozen=True)
class Limits:
    """How hard and how long to push the candidate."""

    concurrency: int | None = None
    timeout_s: float | None = None
    rate_limit: float | None = None
    retries: int | None = None
    latency_budget_ms: float | None = None


@dataclass(frozen=True)
class Outputs:
    """What the run leaves behind."""

    out_dir: Path | None = None
    formats: tuple[str, ...] = ()  # besides results.json: json, junit, html, md, cucumber, form, all
    evidence: Path | None = None
    sign_key: Path | None = None


@dataclass(frozen=True)
class Gates:
    """What makes the run fail (the exit code a pipeline sees)."""

    fail_under: float | None = None
    fail_on: str | None = None  # required | recommended
    baseline: Path | None = None
    allow_incomplete: bool | None = None  # cases that could not be judged do not fail the run (exit 4)


@dataclass(frozen=True)
class Settings:
    """One layer of run settings; `merge.merged` puts the layers together."""

    target: TargetSettings = field(default_factory=TargetSettings)
    auth: AuthSettings = field(default_factory=AuthSettings)
    limits: Limits = field(default_factory=Limits)
    fixtures: tuple[Path, ...] = ()
    seed: int | None = None
    max_depth: int | None = None  # how deep generated values may nest (run --max-depth)
    read_only: bool | None = None
    query_style: str | None = None  # how nested query values are written; None: the BB profile's
    allow_destructive: bool | None = None  # changes/deletes on records the run did not create (data-safety.md)
    passed_evidence: bool | None = None  # headers and bodies of passed cases recorded too (default: not)
    outputs: Outputs = field(default_factory=Outputs)
    gates: Gates = field(default_factory=Gates)


@dataclass(frozen=True)
class Selection:
    """Which part of the plan to run (the command line's --operation, --kind, --case, --tag); empty: all.

    A case runs when it matches every kind of criterion given, any of its values. What is left out is
    reported as not selected, never as passed.
    """

    operations: tuple[str, ...] = ()  # "METHOD /path", the path a glob
    kinds: tuple[str, ...] = ()  # positive | negative | security | method | stateful
    cases: tuple[str, ...] = ()  # case ids, as results.json and the reports give them
    tags: tuple[str, ...] = ()

    @property
    def given(self) -> bool:
        return bool(self.operations or self.kinds or self.cases or self.tags)


@dataclass(frozen=True)
class RunRequest:
    """A whole `run` as asked: which BBs, which settings on the command line, which files."""

    selectors: tuple[str, ...] = ()  # BB[@REF]; empty: the config file's
    spec: tuple[str, ...] = ()  # OpenAPI files or URLs tested as the "custom" BB
    settings: Settings = field(default_factory=Settings)
    specs_dir: Path | None = None
    config_file: Path | None = None
    cwd: Path | None = None
    shard: str | None = None
    resume: Path | None = None
    selection: Selection = field(default_factory=Selection)


def flag(value: bool) -> bool | None:
    """A command-line switch: on, or not given (a switch cannot say "off")."""
    return True if value else None
