"""The command line over [bb.<key>] over [defaults], and the engine options built from the result."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from govstack_conform.config.file import CONFIG_NAME, Config, load_config
from govstack_conform.config.merge import merged, run_options, selectors
from govstack_conform.config.request import AuthSettings, Limits, Settings, TargetSettings
from govstack_conform.errors import ConfigError

TEXT = """\
[defaults]
target = "http://default:1"
concurrency = 3
timeout = 5
seed = 11
report = ["md"]

[bb.consent]
release = "main"
concurrency = 6
latency_budget = 900
read_only = true
headers = { "X-Tenant" = "t1", "X-Trace" = "cfg", "X-Service-Key" = "env:SVC_KEY" }
path_map = { "/config" = "/v2/config" }
fixtures = "fx.yaml"

[bb.consent.auth]
token = "env:CFG_TOKEN"

[bb.gis]
target = "http://gis:2"
"""

NOT_GIVEN = Settings()


@pytest.fixture
def cfg(tmp_path: Path) -> Config:
    (tmp_path / CONFIG_NAME).write_text(TEXT, encoding="utf-8")
    loaded = load_config(None, tmp_path)
    assert loaded is not None
    return loaded


def test_bb_table_over_defaults_when_nothing_is_given(cfg: Config, tmp_path: Path) -> None:
    s = merged(NOT_GIVEN, cfg, "consent")
    assert s.target.url == "http://default:1"  # from [defaults]
    assert s.limits.concurrency == 6  # the BB's wins
    assert s.limits.timeout_s == 5.0
    assert s.seed == 11
    assert s.outputs.formats == ("md",)
    assert s.limits.latency_budget_ms == 900.0
    assert s.read_only is True
    assert s.auth.token == "env:CFG_TOKEN"
    assert s.fixtures == (tmp_path / "fx.yaml",)
    assert s.target.path_map == ("/config=/v2/config",)
    assert s.target.headers == ("X-Tenant: t1", "X-Trace: cfg", "X-Service-Key: env:SVC_KEY")
    assert s.target.insecure is None  # not given anywhere
    gis = merged(NOT_GIVEN, cfg, "gis")
    assert (gis.target.url, gis.limits.concurrency, gis.read_only) == ("http://gis:2", 3, None)
    # Without a config file the command line stands, over the BB profile's query style (stated in the results).
    assert merged(NOT_GIVEN, None, "consent") == replace(NOT_GIVEN, query_style="brackets")
    assert merged(NOT_GIVEN, None, None) == NOT_GIVEN


def test_the_command_line_wins(cfg: Config, tmp_path: Path) -> None:
    cli = Settings(
        target=TargetSettings(url="http://cli:9", headers=("X-Trace: cli",), insecure=True),
        limits=Limits(concurrency=1),
        fixtures=(Path("other.yaml"),),
    )
    s = merged(cli, cfg, "consent")
    assert (s.target.url, s.limits.concurrency, s.target.insecure) == ("http://cli:9", 1, True)
    assert s.fixtures == (Path("other.yaml"),)  # a list given replaces the file's
    assert s.target.headers[-1] == "X-Trace: cli"  # sent after the file's, so it wins by name
    assert s.limits.latency_budget_ms == 900.0  # what the command line does not give still comes from the file


def test_auth_comes_whole_from_one_side(cfg: Config) -> None:
    s = merged(Settings(auth=AuthSettings(api_key="env:CLI_KEY")), cfg, "consent")
    assert s.auth.api_key == "env:CLI_KEY"
    assert s.auth.token is None  # the file's token is dropped: no mixing of two credentials


def test_run_options_resolve_env_secrets(cfg: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFG_TOKEN", "tok-from-env")
    monkeypatch.setenv("SVC_KEY", "svc-from-env")
    (tmp_path / "fx.yaml").write_text("parameters: {}\n")
    opts = run_options(merged(NOT_GIVEN, cfg, "consent"))
    assert opts.credentials.bearer == "tok-from-env"
    assert ("X-Service-Key", "svc-from-env") in opts.headers
    assert (opts.concurrency, opts.timeout_s, opts.seed, opts.read_only) == (6, 5.0, 11, True)
    assert opts.latency_budget_ms == 900.0
    assert opts.path_map.apply("/config/policy") == "/v2/config/policy"
    assert "tok-from-env" not in repr(opts.record()) and "svc-from-env" not in repr(opts.record())
    monkeypatch.delenv("CFG_TOKEN")
    with pytest.raises(ConfigError, match="CFG_TOKEN is not set"):
        run_options(merged(NOT_GIVEN, cfg, "consent"))


def test_run_options_defaults_without_any_config() -> None:
    opts = run_options(merged(NOT_GIVEN, None, None))
    assert (opts.concurrency, opts.timeout_s, opts.seed, opts.headers) == (8, 30.0, 0, ())
    with pytest.raises(ConfigError, match="ca_bundle: no such file"):
        run_options(Settings(target=TargetSettings(ca_bundle="/nonexistent/ca.pem")))


def test_selectors_come_from_the_command_line_else_the_file(cfg: Config) -> None:
    assert selectors([], cfg) == ["consent@main", "gis"]
    assert selectors(["consent"], cfg) == ["consent@main"]  # the file's release
    assert selectors(["consent@23Q4"], cfg) == ["consent@23Q4"]  # an explicit release wins
    assert selectors(["payments"], cfg) == ["payments"]
    assert selectors(["consent"], None) == ["consent"]
