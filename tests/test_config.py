"""The config file: discovery, every key checked with file, line and a suggestion, secrets only as env:VAR."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from govstack_conform.config.file import CONFIG_NAME, load_config
from govstack_conform.config.schema import key_lines
from govstack_conform.errors import ConfigError
from govstack_conform.exitcodes import ExitCode

FULL = """\
# a product's config
[product]
name = "Acme Consent"
version = "2.3.1"

[defaults]
concurrency = 4
timeout = 12
seed = 7
report = "html,md,junit"
out = "reports"
fail_under = 95
fail_on = "recommended"
baseline = "base/results.json"

[bb.consent]
release = "23q4.1"                 # case-insensitive, normalised to the catalog's spelling
target = "https://consent.example/api"
latency_budget = 2000
fixtures = ["fx/consent.yaml", "/abs/custom.json"]
headers = { "X-Tenant" = "demo", "X-Api-Key" = "env:TENANT_KEY" }
path_map = { "/config/policy/" = "/v2/policies/" }

[bb.consent.auth]
token = "env:CONSENT_TOKEN"

[bb.consent.not_implemented]
operations = ["DELETE /config/policy/{policyId}/", "configPolicyList"]
tags = ["Audit"]
reason = "policies are managed in the registry product"

[[bb.consent.waivers]]
check = "status_code_documented"
operation = "POST /config/policy/"
justification = "ticket 4711: 201 documented in the next release"
expires = 2031-01-31

[bb.digital-registries]
target = "http://registries:8080"
read_only = true

[[waivers]]
check = "content_type_json"
operation = "GET /health"
justification = "health is plain text"
expires = "2030-06-30"
"""


def _write(tmp_path: Path, text: str, name: str = CONFIG_NAME) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(tmp_path: Path, text: str, name: str = CONFIG_NAME) -> str:
    _write(tmp_path, text, name)
    with pytest.raises(ConfigError) as info:
        load_config(None, tmp_path)
    assert info.value.exit_code is ExitCode.USAGE
    return str(info.value)


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_a_full_config_loads_into_frozen_values(tmp_path: Path) -> None:
    path = _write(tmp_path, FULL)
    cfg = load_config(None, tmp_path)
    assert cfg is not None and cfg.path == path
    assert cfg.product.to_dict() == {"name": "Acme Consent", "version": "2.3.1"}
    assert dict(cfg.defaults.settings) == {
        "concurrency": 4,
        "timeout": 12.0,
        "seed": 7,
        "report": ("html", "md", "junit"),
        "out": tmp_path / "reports",
        "fail_under": 95.0,
        "fail_on": "recommended",
        "baseline": tmp_path / "base" / "results.json",
    }
    consent = cfg.bb("consent")
    assert consent is not None
    assert consent.selector == "consent@23Q4.1"
    assert dict(consent.settings) == {"target": "https://consent.example/api", "latency_budget": 2000.0}
    assert consent.fixtures == (tmp_path / "fx" / "consent.yaml", Path("/abs/custom.json"))
    assert consent.headers == (("X-Tenant", "demo"), ("X-Api-Key", "env:TENANT_KEY"))
    assert consent.path_map == (("/config/policy/", "/v2/policies/"),)
    assert dict(consent.auth) == {"token": "env:CONSENT_TOKEN"}
    assert consent.not_implemented is not None
    assert consent.not_implemented.operations == ("DELETE /config/policy/{policyId}/", "configPolicyList")
    assert consent.not_implemented.tags == ("Audit",)
    assert consent.not_implemented.reason == "policies are managed in the registry product"
    (w,) = consent.waivers
    assert (w.check, w.operation, w.expires) == ("status_code_documented", "POST /config/policy/", dt.date(2031, 1, 31))
    registries = cfg.bb("digital-registries")
    assert registries is not None and registries.selector == "digital-registries"
    assert dict(registries.settings) == {"target": "http://registries:8080", "read_only": True}
    assert [w.expires for w in cfg.waivers] == [dt.date(2030, 6, 30)]
    assert [w.check for w in cfg.waivers_for("consent")] == ["content_type_json", "status_code_documented"]
    assert [w.check for w in cfg.waivers_for("gis")] == ["content_type_json"]
    with pytest.raises(AttributeError):
        cfg.bbs = ()  # type: ignore[misc]


def test_no_config_is_none_and_a_named_missing_one_is_an_error(tmp_path: Path) -> None:
    assert load_config(None, tmp_path) is None
    _write(tmp_path, '[project]\nname = "x"\n', "pyproject.toml")
    assert load_config(None, tmp_path) is None  # a pyproject without our table is not a config
    with pytest.raises(ConfigError, match=r"config file not found: .*nope\.toml"):
        load_config(tmp_path / "nope.toml", tmp_path)


def test_pyproject_table_is_found_and_errors_point_into_it(tmp_path: Path) -> None:
    text = '[project]\nname = "x"\n\n[tool.govstack-conform.bb.consent]\ntarget = "http://a:1"\n'
    _write(tmp_path, text, "pyproject.toml")
    cfg = load_config(None, tmp_path)
    assert cfg is not None and cfg.bbs[0].settings["target"] == "http://a:1"
    bad = text + "concurency = 3\n"
    msg = _error(tmp_path, bad, "pyproject.toml")
    assert msg.startswith(f"{tmp_path / 'pyproject.toml'}:6: tool.govstack-conform.bb.consent.concurency: unknown key")
    assert "did you mean 'concurrency'?" in msg
    # the own file wins over pyproject.toml when both are there
    _write(tmp_path, text, "pyproject.toml")
    _write(tmp_path, '[bb.gis]\ntarget = "http://gis:1"\n')
    cfg = load_config(None, tmp_path)
    assert cfg is not None and [b.key for b in cfg.bbs] == ["gis"]
    # --config pyproject.toml reads the table
    cfg = load_config(tmp_path / "pyproject.toml", Path("/"))
    assert cfg is not None and [b.key for b in cfg.bbs] == ["consent"]


@pytest.mark.parametrize(
    ("typo", "needle", "key", "suggestion"),
    [
        ("[defaults]\nconcurency = 2\n", "concurency", "defaults.concurency", "concurrency"),
        ("[defualts]\nseed = 1\n", "[defualts]", "defualts", "defaults"),
        ('[bb.consent]\ntarget = "http://a:1"\nreleas = "main"\n', "releas", "bb.consent.releas", "release"),
        ('[bb.consent.auth]\ntokn = "env:T"\n', "tokn", "bb.consent.auth.tokn", "token"),
        (
            '[[bb.consent.waivers]]\ncheck = "a"\noperation = "b"\njustification = "c"\nexpires = 2030-01-01\n'
            '[[bb.consent.waivers]]\ncheck = "a"\noperation = "b"\njustification = "c"\nexpiry = 2030-01-01\n',
            "expiry",
            "bb.consent.waivers[1].expiry",
            "expires",
        ),
        ('[bb.consent.not_implemented]\noperation = ["x"]\nreason = "r"\n', "operation =", "", "operations"),
        ('[product]\nnmae = "x"\n', "nmae", "product.nmae", "name"),
    ],
)
def test_unknown_keys_name_file_line_key_and_the_closest_known_key(
    tmp_path: Path, typo: str, needle: str, key: str, suggestion: str
) -> None:
    text = "# config\n\n" + typo
    msg = _error(tmp_path, text)
    line = _line_of(text, needle)
    assert msg.startswith(f"{tmp_path / CONFIG_NAME}:{line}: {key}"), msg
    assert f"did you mean '{suggestion}'?" in msg


def test_unknown_bb_and_release_are_named_with_suggestions(tmp_path: Path) -> None:
    msg = _error(tmp_path, '[bb.consnet]\ntarget = "http://a:1"\n')
    assert msg.startswith(f"{tmp_path / CONFIG_NAME}:1: bb.consnet: unknown building block 'consnet'")
    assert "did you mean 'consent'?" in msg
    msg = _error(tmp_path, '\n[bb.consent]\nrelease = "23Q5"\n')
    assert msg.startswith(f"{tmp_path / CONFIG_NAME}:3: bb.consent.release: consent has no release '23Q5'")
    msg = _error(tmp_path, '[bb.bb-consent]\ntarget = "http://a:1"\n')
    assert "name the BB by its key: [bb.consent]" in msg


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[defaults]\nconcurrency = 0\n", "defaults.concurrency: must be at least 1, got 0"),
        ("[defaults]\nconcurrency = 2.5\n", "defaults.concurrency: expected an integer, got a number (2.5)"),
        ('[defaults]\ntimeout = "30s"\n', "defaults.timeout: expected a number, got a string"),
        ("[defaults]\nfail_under = 120\n", "defaults.fail_under: must be at most 100, got 120.0"),
        ('[defaults]\nfail_on = "recomended"\n', "did you mean 'recommended'?"),
        ('[defaults]\nreport = ["html", "pdf"]\n', "defaults.report: unknown report format pdf"),
        ("[defaults]\nread_only = 1\n", "defaults.read_only: expected true or false, got an integer (1)"),
        ('[bb.consent]\ntarget = "consent.example"\n', "bb.consent.target: expected an http(s) URL"),
        ('[bb.consent]\nheaders = { "Bad Name" = "x" }\n', 'bb.consent.headers."Bad Name": header'),
        ('[bb.consent]\npath_map = { "config" = "/x" }\n', "both paths must start with '/'"),
        ('[bb.consent.auth]\napi_key_in = "cookie"\n', "must be one of header, query"),
        ("[bb.consent]\nauth = 3\n", "bb.consent.auth: expected a table"),
        ('[bb.consent.not_implemented]\noperations = ["GET /x"]\n', "a reason is required"),
        ('[bb.consent.not_implemented]\nreason = "r"\n', "name operations and/or tags"),
        (
            '[[waivers]]\ncheck = "a"\noperation = "b"\nexpires = 2030-01-01\n',
            "waivers[0]: a waiver needs justification",
        ),
        ('[[waivers]]\ncheck = "a"\noperation = "b"\njustification = " "\nexpires = 2030-01-01\n', "justification"),
        ('[[waivers]]\ncheck = "a"\noperation = "b"\njustification = "j"\nexpires = "soon"\n', "YYYY-MM-DD"),
        ('[[waivers]]\ncheck = "a"\noperation = "b"\njustification = "j"\nexpires = 2030-01-01T10:00:00\n', "date"),
        ('waivers = "none"\n', "expected an array of tables: [[waivers]]"),
        ('[bb.custom]\nrelease = "x"\n', "contracts given with --spec have no release"),
    ],
)
def test_bad_values_are_config_errors_with_line_and_key(tmp_path: Path, body: str, message: str) -> None:
    msg = _error(tmp_path, body)
    assert message in msg, msg
    assert re.match(rf"{re.escape(str(tmp_path / CONFIG_NAME))}:\d+: ", msg), msg


@pytest.mark.parametrize(
    "body",
    [
        '[bb.consent.auth]\ntoken = "eyJhbGciOi-SECRET-VALUE"\n',
        '[bb.consent.auth]\napi_key = "SECRET-VALUE"\n',
        '[bb.consent.auth]\noauth2_token_url = "https://idp/token"\nclient_id = "c"\nclient_secret = "SECRET-VALUE"\n',
        '[bb.consent.auth]\nbasic = "admin:SECRET-VALUE"\n',
        '[bb.consent]\nheaders = { Authorization = "Bearer SECRET-VALUE" }\n',
        '[bb.consent]\nheaders = { "X-Api-Key" = "SECRET-VALUE" }\n',
        '[bb.consent]\nheaders = { "X-Password" = "SECRET-VALUE" }\n',
        '[bb.consent]\nsecret_headers = "X-Tenant"\nheaders = { "X-Tenant" = "SECRET-VALUE" }\n',
        '[defaults]\nsecret_headers = ["x-tenant"]\n[bb.consent]\nheaders = { "X-Tenant" = "SECRET-VALUE" }\n',
        '[bb.consent.auth]\ntoken = "env:"\n',
    ],
)
def test_literal_secrets_are_refused_without_being_echoed(tmp_path: Path, body: str) -> None:
    msg = _error(tmp_path, body)
    assert "env:VAR" in msg
    assert "SECRET-VALUE" not in msg
    assert f"{CONFIG_NAME}:" in msg


def test_a_password_in_the_target_url_is_refused_without_echoing_it(tmp_path: Path) -> None:
    msg = _error(tmp_path, '[bb.consent]\ntarget = "https://admin:SECRET-VALUE@consent.example"\n')
    assert "holds a password" in msg and "SECRET-VALUE" not in msg


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    msg = _error(tmp_path, '[bb.consent]\ntarget = "http://a:1"\nconcurrency = = 3\n')
    assert msg.startswith(f"{tmp_path / CONFIG_NAME}: invalid TOML:")
    assert "line 3" in msg


def test_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / CONFIG_NAME).write_bytes(b"[product]\nname = '\xff'\n")
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(None, tmp_path)


def test_key_lines_follow_tables_dotted_keys_inline_tables_and_skip_multiline_strings() -> None:
    text = """\
[product]
name = "x"
notes = '''
fake = 1
'''
[bb.consent]
auth.token = "env:T"
"headers" = { "X-A" = "1", X-B = "2" }

[[bb.consent.waivers]]
check = "a"
[[bb.consent.waivers]]
check = "b"
[bb.gis]
target = "http://g:1"
"""
    lines = key_lines(text)
    assert lines[("product", "name")] == 2
    assert ("product", "fake") not in lines and ("fake",) not in lines
    assert lines[("bb", "consent", "auth", "token")] == 7
    assert lines[("bb", "consent", "headers", "X-A")] == 8
    assert lines[("bb", "consent", "headers", "X-B")] == 8
    assert lines[("bb", "consent", "waivers", 0, "check")] == 11
    assert lines[("bb", "consent", "waivers", 1, "check")] == 13
    assert lines[("bb", "gis", "target")] == 15
