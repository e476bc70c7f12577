"""One rule per limit, whether it comes from the command line or the config file, and one rule for URLs.

RunOptions refuses what the schema refuses (both read the same bounds in engine/options.py); the URL
rule (contracts/http_url.py) refuses what would connect somewhere else or crash later.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govstack_conform.config.file import load_config
from govstack_conform.contracts.http_url import parse_http_url
from govstack_conform.engine import options as O
from govstack_conform.engine.options import RunOptions
from govstack_conform.errors import ConfigError, UsageError

LIMITS = [
    ("concurrency", "concurrency", O.MAX_CONCURRENCY, O.MAX_CONCURRENCY + 1),
    ("timeout_s", "timeout", O.MAX_TIMEOUT_S, O.MAX_TIMEOUT_S + 1),
    ("timeout_s", "timeout", O.MIN_TIMEOUT_S, O.MIN_TIMEOUT_S / 2),
    ("rate_limit", "rate_limit", O.MIN_RATE_LIMIT, O.MIN_RATE_LIMIT / 2),
    ("retries", "retries", O.MAX_RETRIES, O.MAX_RETRIES + 1),
    ("latency_budget_ms", "latency_budget", O.MIN_LATENCY_MS, O.MIN_LATENCY_MS / 2),
]


def _config(tmp_path: Path, key: str, value: object) -> None:
    (tmp_path / "govstack-conform.toml").write_text(f"[defaults]\n{key} = {value!r}\n", encoding="utf-8")
    load_config(None, tmp_path)


@pytest.mark.parametrize(("field", "key", "edge", "beyond"), LIMITS)
def test_the_command_line_and_the_config_agree_on_each_limit(
    tmp_path: Path, field: str, key: str, edge: float, beyond: float
) -> None:
    RunOptions(**{field: edge})
    _config(tmp_path, key, edge)
    with pytest.raises(ConfigError):
        RunOptions(**{field: beyond})
    with pytest.raises(ConfigError):
        _config(tmp_path, key, beyond)


@pytest.mark.parametrize("field", ["timeout_s", "rate_limit", "latency_budget_ms"])
@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_no_duration_or_rate_is_nan_or_infinite(field: str, value: float) -> None:
    with pytest.raises(ConfigError, match="must be a number of"):
        RunOptions(**{field: value})


@pytest.mark.parametrize("text", ["inf", "nan", "-inf"])
def test_toml_infinities_are_refused_in_the_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "govstack-conform.toml").write_text(f"[defaults]\ntimeout = {text}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="expected a finite number"):
        load_config(None, tmp_path)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://127.0.0.1:0", "port 0"),
        ("http://[::1", "not a valid URL"),
        (f"http://{'a' * 64}.example", "no valid DNS name"),
        (f"http://{'a.' * 127}b", "no valid DNS name"),
        ("http://exa mple.org", "no valid DNS name"),
        ("http://h:99999", "not a valid URL"),
        ("ftp://h", "must be an http"),
        ("http://user:pw-SECRET@:80", "has no host"),
    ],
)
def test_urls_that_would_connect_elsewhere_or_crash_are_refused(url: str, why: str) -> None:
    with pytest.raises(UsageError, match=why) as err:
        parse_http_url(url, "--target")
    assert "SECRET" not in str(err.value)


def test_usual_urls_pass() -> None:
    for url in ("http://127.0.0.1:8080/base", "https://[::1]:8443", "http://consent_bb:80", "https://bücher.example"):
        parse_http_url(url, "--target")
    assert parse_http_url("http://h", "x").port == 80 and parse_http_url("https://h", "x").port == 443
