"""The credentials a user configured, secrets resolved from `env:VAR`, and what of them may be recorded.

A domain value: the options carry it, the runner applies it (engine/run/auth.py), reports only ever see
`describe()`. Secret values never show in a repr.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass, field
from typing import Any

from govstack_conform.errors import ConfigError

# C0 controls (tab too: no credential holds one), DEL and C1 controls.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def check_no_control(value: str | None, what: str) -> None:
    """ConfigError when a credential holds a control character (a Windows line end read from a file, say).

    It would be sent mangled or refused by the HTTP library, and quoted in the error where a report could
    carry it; the message names the character and its place, never the value.
    """
    if not value:
        return
    found = _CONTROL.search(value)
    if found is not None:
        char = found.group(0).encode("unicode_escape").decode("ascii")
        hint = " (a Windows line end read from a file?)" if char == "\\r" else ""
        raise ConfigError(f"{what}: the value holds a control character, {char} at position {found.start() + 1}{hint}")


def resolve_secret(value: str | None, what: str) -> str | None:
    """`env:VAR` -> the variable's value (ConfigError when unset or empty); anything else as given."""
    if value is None or not value.startswith("env:"):
        return value
    var = value[4:]
    if not var:
        raise ConfigError(f"{what}: 'env:' needs a variable name, e.g. env:GOVSTACK_TOKEN")
    found = os.environ.get(var)
    if not found:
        raise ConfigError(f"{what}: environment variable {var} is not set or empty")
    return found


# RFC 9110 §5.1: a field name is a token of visible ASCII characters other than delimiters.
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def check_header_name(name: str, what: str = "--header") -> None:
    """ConfigError unless `name` is a valid HTTP field name (ASCII letters, digits and !#$%&'*+-.^_`|~)."""
    bad = next((i for i, c in enumerate(name) if not _TOKEN.fullmatch(c)), None)
    if bad is not None:  # the character and its place, not the name: a mistyped header may hold a secret
        char = name[bad].encode("unicode_escape").decode("ascii")
        raise ConfigError(
            f"{what} name holds {char!r} at position {bad + 1}; a header name is ASCII letters, "
            "digits and !#$%&'*+-.^_`|~ only"
        )


@dataclass(frozen=True)
class Credentials:
    """The credentials the user configured (secrets already resolved)."""

    # Secret values never show in a repr (tracebacks, debug logs, pytest assertion output).
    bearer: str | None = field(default=None, repr=False)
    api_key: str | None = field(default=None, repr=False)
    api_key_name: str | None = None  # None: the spec's apiKey scheme's name, else X-API-Key
    api_key_in: str | None = None  # header | query; None: the spec's, else header
    basic_user: str | None = None
    basic_password: str | None = field(default=None, repr=False)
    oauth2_token_url: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    oauth2_scope: str | None = None
    client_cert: str | None = None
    client_key: str | None = None

    def __post_init__(self) -> None:
        if self.oauth2_token_url and not (self.client_id and self.client_secret):
            raise ConfigError("--oauth2-token-url needs --client-id and --client-secret")
        if (self.client_id or self.client_secret) and not self.oauth2_token_url:
            raise ConfigError("--client-id/--client-secret need --oauth2-token-url")
        if self.client_key and not self.client_cert:
            raise ConfigError("--client-key needs --client-cert")
        if self.api_key_in not in (None, "header", "query"):
            raise ConfigError("the API key goes in 'header' or 'query'")
        for value, what in (
            (self.bearer, "--token"), (self.api_key, "--api-key"), (self.api_key_name, "--api-key-name"),
            (self.basic_user, "--basic (user)"), (self.basic_password, "--basic (password)"),
            (self.client_id, "--client-id"), (self.client_secret, "--client-secret"),
            (self.oauth2_scope, "--oauth2-scope"), (self.oauth2_token_url, "--oauth2-token-url"),
        ):  # fmt: skip
            check_no_control(value, what)
        if self.api_key_name and self.api_key_in != "query":  # it may name a header: then it must be one
            check_header_name(self.api_key_name, "--api-key-name")
        if self.oauth2_token_url:
            from govstack_conform.contracts.http_url import parse_http_url

            parse_http_url(self.oauth2_token_url, "--oauth2-token-url")

    @classmethod
    def from_options(
        cls,
        *,
        token: str | None = None,
        api_key: str | None = None,
        api_key_name: str | None = None,
        api_key_in: str | None = None,
        basic: str | None = None,
        oauth2_token_url: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        oauth2_scope: str | None = None,
        client_cert: str | None = None,
        client_key: str | None = None,
    ) -> Credentials:
        """Build from CLI-style values, resolving `env:VAR` secrets (basic is `user:password`)."""
        user = password = None
        if basic is not None:
            user, sep, password_spec = basic.partition(":")
            if not sep or not user:
                raise ConfigError("--basic must be USER:PASSWORD or USER:env:VAR")
            password = resolve_secret(password_spec, "--basic")
        for path, what in ((client_cert, "--client-cert"), (client_key, "--client-key")):
            if path and not os.path.isfile(path):
                raise ConfigError(f"{what}: no such file: {path}")
        return cls(
            bearer=resolve_secret(token, "--token"),
            api_key=resolve_secret(api_key, "--api-key"),
            api_key_name=api_key_name,
            api_key_in=api_key_in,
            basic_user=user,
            basic_password=password,
            oauth2_token_url=oauth2_token_url,
            client_id=client_id,
            client_secret=resolve_secret(client_secret, "--client-secret"),
            oauth2_scope=oauth2_scope,
            client_cert=client_cert,
            client_key=client_key,
        )

    @property
    def configured(self) -> bool:
        """Whether any request credential was given (a client certificate alone does not count)."""
        return bool(self.bearer or self.api_key or self.basic_user or self.oauth2_token_url)

    def secrets(self) -> list[str]:
        out = [s for s in (self.bearer, self.api_key, self.basic_password, self.client_secret) if s]
        if self.basic_user and self.basic_password:
            pair = f"{self.basic_user}:{self.basic_password}"
            out += [pair, base64.b64encode(pair.encode()).decode()]
        return out

    def describe(self) -> dict[str, Any]:
        """Which kinds of credential were used, never their values."""
        return {
            "bearer": bool(self.bearer),
            "api_key": {"name": self.api_key_name, "in": self.api_key_in} if self.api_key else None,
            "basic": bool(self.basic_user),
            "oauth2_client_credentials": self.oauth2_token_url,
            "client_certificate": bool(self.client_cert),
        }
