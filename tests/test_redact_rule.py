"""The one name rule: credential-looking names are secret, names that only describe a secret are not.

Over-redaction hides evidence a vendor needs (`signatureId` in esignature is the id of a signature, not
a secret); under-redaction writes a credential into a report. Both directions are pinned here.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from govstack_conform.config.file import load_config
from govstack_conform.config.merge import merged, run_options
from govstack_conform.config.request import Settings, TargetSettings
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.errors import ConfigError
from govstack_conform.redact import REDACTED, Redactor, credential_parts, is_secret_name

SECRET = [
    "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-Authorization", "X-Auth", "X-Password",
    "X-Api-Pass", "X-Pwd", "passwd", "X-Session", "sessionId", "JSESSIONID", "X-Credential", "credentials",
    "X-Signature", "signature", "X-Api-Client", "X-API-KEY", "apiKey", "api_key", "access_token", "id_token",
    "refresh_token", "client_secret", "X-Session-Token", "Idempotency-Key", "accesstoken",
]  # fmt: skip
NOT_SECRET = [
    "signatureId", "keyId", "api_key_name", "api_key_in", "token_type", "oauth2_token_url", "X-Credential-Id",
    "X-Api-Version", "WWW-Authenticate", "Proxy-Authenticate", "author", "authorName", "keyword", "keywords",
    "passenger", "X-Request-Id", "Content-Type", "Accept", "q", "access", "expires_in", "client_id", "page",
]  # fmt: skip


@pytest.mark.parametrize("name", SECRET)
def test_credential_names_are_secret(name: str) -> None:
    assert is_secret_name(name)


@pytest.mark.parametrize("name", NOT_SECRET)
def test_names_that_describe_or_merely_contain_a_stem_are_not(name: str) -> None:
    assert not is_secret_name(name)


def test_an_identifier_in_a_query_stays_readable_while_a_token_goes() -> None:
    url = Redactor().url("http://h/signatures?signatureId=sig-42&access_token=abc&sessionId=s-9")
    assert "signatureId=sig-42" in url
    assert "abc" not in url and "s-9" not in url and url.count(REDACTED) == 2


def test_the_credential_part_of_a_header_value_goes_on_its_own() -> None:
    basic = base64.b64encode(b"ann:pw-1234").decode()
    assert credential_parts("Bearer tok-5678") == ["tok-5678"]
    assert credential_parts(f"Basic {basic}") == [basic, "ann:pw-1234", "pw-1234"]
    assert credential_parts("lang=en; session=sess-0001") == ["sess-0001"]
    options = RunOptions(headers=(("Authorization", "Bearer tok-5678"),))
    assert Redactor(options.secrets()).text("invalid token: tok-5678") == f"invalid token: {REDACTED}"


def test_headers_given_as_env_or_marked_are_secret_whatever_their_name() -> None:
    options = RunOptions(
        headers=(("X-Tenant", "t-secret-1"), ("X-Plain", "shown")), secret_headers=frozenset({"x-tenant"})
    )
    assert options.secrets() == ["t-secret-1"]
    assert options.record()["headers"] == [["X-Tenant", REDACTED], ["X-Plain", "shown"]]
    assert Redactor(options.secrets(), options.secret_headers).headers([("x-tenant", "other")]) == (
        ("x-tenant", REDACTED),
    )


@pytest.mark.parametrize("field", ["bearer", "api_key", "basic_password", "client_secret"])
def test_a_credential_with_a_control_character_is_refused_without_showing_it(field: str) -> None:
    extra = {"basic_user": "ann"} if field == "basic_password" else {}
    if field == "client_secret":
        extra = {"oauth2_token_url": "http://127.0.0.1:1/t", "client_id": "app"}
    with pytest.raises(ConfigError, match="control character") as err:
        Credentials(**{field: "value-XYZ\r"}, **extra)
    assert "value-XYZ" not in str(err.value)


def test_secret_headers_of_the_config_and_the_command_line_add_up(tmp_path: Path) -> None:
    (tmp_path / "govstack-conform.toml").write_text(
        '[defaults]\nsecret_headers = ["X-One"]\n[bb.custom]\nsecret_headers = "X-Two"\n', encoding="utf-8"
    )
    config = load_config(None, tmp_path)
    cli = Settings(target=TargetSettings(secret_headers=("X-Three",), headers=("X-Four: env:GC_TEST_FOUR",)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GC_TEST_FOUR", "four-value")
        options = run_options(merged(cli, config, "custom"))
    assert options.secret_headers == {"x-one", "x-two", "x-three", "x-four"}
    assert options.secrets() == ["four-value"]
