"""Enforcing an operation's declared security with the mock's one token and one API key.

bearer, oauth2 and openIdConnect all mean `Authorization: Bearer <token>`; basic accepts any user
with the token as password; an apiKey scheme wants the API key where it says (header, query,
cookie). mutualTLS cannot be enforced over plain HTTP and is only noted. Credentials are compared
in constant time and never echoed.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from govstack_conform.contracts.model import Operation, SecurityScheme
from govstack_conform.mock.options import Credentials, Journal

REALM = 'realm="govstack-conform mock"'


@dataclass(frozen=True)
class Denial:
    """Why a request is refused: `wrong` when credentials were presented but are not the right ones."""

    wrong: bool
    challenge: str
    message: str


def _same(given: str, expected: str) -> bool:
    return secrets.compare_digest(given.encode(), expected.encode())


def _challenge(scheme: SecurityScheme) -> str:
    if scheme.type == "http" and (scheme.scheme or "").lower() == "basic":
        return f"Basic {REALM}"
    if scheme.type == "apiKey":
        return f'ApiKey {REALM}, in="{scheme.location}", name="{scheme.param_name}"'
    return f"Bearer {REALM}"


class Guard:
    """Checks requests against the contract's security schemes; one instance per app."""

    def __init__(self, schemes: Mapping[str, SecurityScheme], creds: Credentials, journal: Journal) -> None:
        self.schemes = schemes
        self.creds = creds
        self.journal = journal

    def _one(
        self,
        name: str,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        cookies: Mapping[str, str],
    ) -> bool | None:
        """True: satisfied; False: credentials present but wrong; None: missing."""
        scheme = self.schemes.get(name)
        if scheme is None:
            self.journal.once(f"security scheme {name!r} is referenced but not defined: not enforced")
            return True
        kind = scheme.type
        if kind == "mutualTLS":
            self.journal.once(f"security scheme {name!r} is mutualTLS: cannot be enforced over plain HTTP")
            return True
        if kind == "apiKey":
            where = {"header": headers, "query": query, "cookie": cookies}.get(scheme.location or "")
            if where is None or not scheme.param_name:
                self.journal.once(f"apiKey scheme {name!r} has no usable location/name: not enforced")
                return True
            given = where.get(scheme.param_name)
            return None if given is None else _same(given, self.creds.api_key)
        auth = headers.get("authorization")
        if not auth:
            return None
        word, _, value = auth.strip().partition(" ")
        value = value.strip()
        http_scheme = (scheme.scheme or "").lower() if kind == "http" else "bearer"
        if http_scheme == "basic":
            if word.lower() != "basic":
                return False
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                return False
            _, sep, password = decoded.partition(":")
            return bool(sep) and _same(password, self.creds.token)
        if http_scheme == "bearer":
            return word.lower() == "bearer" and _same(value, self.creds.token)
        self.journal.once(
            f"http scheme {scheme.scheme!r} of {name!r} is unknown: accepting 'Authorization: <scheme> <token>'"
        )
        return _same(value or word, self.creds.token)

    def check(
        self,
        op: Operation,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        cookies: Mapping[str, str],
    ) -> Denial | None:
        """None when one of the operation's security alternatives is met."""
        if not op.security:
            return None
        wrong = False
        for alternative in op.security:
            results = [self._one(name, headers, query, cookies) for name, _scopes in alternative]
            if all(r is True for r in results):
                return None
            wrong = wrong or any(r is False for r in results)
        first = op.security[0][0][0]
        scheme = self.schemes.get(first)
        challenge = _challenge(scheme) if scheme else f"Bearer {REALM}"
        what = "invalid credentials" if wrong else "missing credentials"
        return Denial(wrong=wrong, challenge=challenge, message=f"{what} for {op.key}")
