"""The one redactor: which names carry secrets, and the one marker that replaces them, everywhere.

The engine redacts what it records, the planner what `plan --json` prints, the reports re-scan what
they write: all through this module, so a secret is recognised by the same rule and shows as the same
marker in every byte the tool writes.

Two rules, both here (the README's "Reliability and security" says them in prose):
- by name (`is_secret_name`, for headers, query parameters and config keys alike): a few headers are
  credentials by definition (Authorization, Cookie...); otherwise a name is secret when one of its words
  holds a secret stem (token, key, secret, auth, pass, pwd, session, credential, signature, cookie) or it
  starts with `x-api-`, unless its last word only describes the secret (`signatureId`, `keyId`,
  `api_key_name`, `token_type`, `oauth2_token_url`: an id, a name, a type, a URL of a secret is no
  secret; a session id is, so `sessionId` stays secret), or the word merely contains a stem (`keyword`,
  `author`, `passenger`).
- by value (`Redactor.add`): every value known to be secret, in every form it can take on the way out
  (raw, percent-encoded in %20 and + forms with either hex case, base64 and base64url, JSON-escaped,
  HTML-escaped, header-quoted, Python repr and escaped-control forms).
"""

from __future__ import annotations

import base64
import binascii
import functools
import html
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl, quote, quote_plus, unquote, urlencode, urlsplit, urlunsplit

REDACTED = "[REDACTED]"

_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "set-cookie"})
# Challenges name the scheme a product wants, they hold no credential (an echoed one goes by value).
_CHALLENGES = frozenset({"www-authenticate", "proxy-authenticate"})
_STEMS = ("token", "key", "secret", "auth", "pass", "pwd", "session", "credential", "signature", "cookie")
# Words that contain a stem without being about a secret.
_FALSE_FRIENDS = frozenset(
    {"keyword", "keywords", "monkey", "donkey", "turkey", "hockey", "jockey", "passenger", "passengers", "passage",
     "passages", "compass", "bypass", "passive", "passport", "passports", "keystroke", "keyboard"}
)  # fmt: skip
# A last word that names or describes a secret rather than holding it.
_DESCRIPTIVE_LAST = frozenset(
    {"id", "ids", "name", "names", "type", "types", "url", "uri", "version", "in", "location", "scheme", "kind"}
)
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
# Keys that describe a credential without being one, kept readable under a secret-named parent.
DESCRIPTIVE = frozenset({"name", "in", "type", "scheme", "location", "param_name", "kind", "enabled", "header"})


def _words(name: str) -> list[str]:
    return [w.lower() for w in _WORDS.findall(name)]


def _stem_in(word: str) -> str | None:
    if word in _FALSE_FRIENDS or (word.startswith("author") and not word.startswith(("authoriz", "authoris"))):
        return None
    return next((s for s in _STEMS if s in word), None)


@functools.lru_cache(maxsize=4096)
def is_secret_name(name: str) -> bool:
    """Whether the value of a header, query parameter or config key of this name is a secret (see above).
    Remembered per name: a run asks it for every header and query parameter of every exchange."""
    low = name.strip().lower()
    if low in _SECRET_HEADERS:
        return True
    if low in _CHALLENGES:
        return False
    words = _words(name)
    if not words:
        return False
    stems = [s for s in map(_stem_in, words) if s is not None]
    if not stems and not low.startswith("x-api-"):
        return False
    return "session" in stems or words[-1] not in _DESCRIPTIVE_LAST


def _query_names(query: str) -> list[str]:
    """The parameter names of a query string, decoded as parse_qsl decodes them (values left alone)."""
    return [unquote(piece.partition("=")[0].replace("+", " ")) for piece in query.split("&") if piece]


# Query parameters and config keys follow the same rule as headers (one rule, one place).
is_secret_query = is_secret_name


def _secret_pair(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and isinstance(value[0], str)
        and isinstance(value[1], str)
        and is_secret_name(value[0])
    )


def _lower_hex(text: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), text)


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9._~+/-]*")


def secret_forms(secret: str) -> set[str]:
    """`secret` and every encoding it can take in what a product echoes or a format writes."""
    raw = secret.encode("utf-8", "surrogatepass")
    forms = {secret, " ".join(secret.split()), _CONTROL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", secret)}
    for safe in ("", "/", "!'()*"):  # urlencode's, quote's default, encodeURIComponent's
        forms |= {quote(secret, safe=safe), quote_plus(secret, safe=safe)}
    forms |= {_lower_hex(f) for f in forms if "%" in f}
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        forms.add(encode(raw).decode("ascii").rstrip("="))
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        twice = json.dumps(escaped, ensure_ascii=ascii_only)[1:-1]  # a JSON text quoted inside another
        forms |= {escaped, escaped.replace("/", "\\/"), twice}
    forms |= {html.escape(secret), html.escape(secret, quote=False), html.escape(secret).replace("&#x27;", "&#39;")}
    forms.add(secret.replace("\\", "\\\\").replace('"', '\\"'))  # an HTTP quoted-string
    forms |= {repr(secret)[1:-1], repr(raw)[2:-1], secret.encode("unicode_escape").decode("ascii")}
    return {f for f in forms if f}


_MIN_PART = 4  # a credential part shorter than this is not looked for on its own (it would blank out words)


def credential_parts(value: str) -> list[str]:
    """The credentials inside a secret header's value, to be redacted on their own as well: 'Bearer X' -> X;
    'Basic B64' -> B64, the decoded user:password and the password; 'a=1; session=X' -> X."""
    text = value.strip()
    scheme, sep, rest = text.partition(" ")
    parts: list[str] = []
    if sep and rest.strip() and _SCHEME.fullmatch(scheme):
        rest = rest.strip()
        parts.append(rest)
        if scheme.lower() == "basic":
            try:
                decoded = base64.b64decode(rest, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                decoded = ""
            if ":" in decoded:
                parts += [decoded, decoded.partition(":")[2]]
    elif "=" in text:  # cookie pairs: the values of secret-named ones, and any long enough to be a credential
        for pair in text.split(";"):
            key, eq, val = pair.strip().partition("=")
            if eq and (is_secret_name(key) or len(val) >= 8):
                parts.append(val)
    return [p for p in parts if len(p) >= _MIN_PART and p != value]


class Redactor:
    """Replaces known secret values in every form (longest first), secret headers and secret query parameters."""

    def __init__(self, secrets: Iterable[str | None] = (), names: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        self._forms: list[str] = []
        self._names = frozenset(n.lower() for n in names)  # header names marked secret besides the rule
        for s in secrets:
            self.add(s)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(self._secrets)

    @property
    def forms(self) -> tuple[str, ...]:
        """Every string replaced: each secret in each of its encodings."""
        return tuple(self._forms)

    def add(self, secret: str | None) -> None:
        if not secret or secret in self._secrets:
            return
        self._secrets.append(secret)
        known = set(self._forms)
        self._forms += [f for f in secret_forms(secret) if f not in known]
        self._forms.sort(key=len, reverse=True)

    def is_secret_header(self, name: str) -> bool:
        return is_secret_name(name) or name.lower() in self._names

    def text(self, value: str) -> str:
        for s in self._forms:
            if s in value:
                value = value.replace(s, REDACTED)
        return value

    def maybe(self, value: str | None) -> str | None:
        return None if value is None else self.text(value)

    def headers(self, items: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
        return tuple((n, REDACTED if self.is_secret_header(n) else self.text(v)) for n, v in items)

    def url(self, url: str) -> str:
        """Secret query values by name, user:password@ and every known secret value."""
        if "?" not in url and "@" not in url:  # no query and no user info: only known values to look for
            return self.text(url)
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.text(url)
        netloc, query = parts.netloc, parts.query
        if "@" in netloc:
            netloc = REDACTED + "@" + netloc.rsplit("@", 1)[1]
        if query and any(is_secret_name(k) for k in _query_names(query)):
            pairs = parse_qsl(query, keep_blank_values=True)
            query = urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs], safe="[]")
        if (netloc, query) != (parts.netloc, parts.query):
            url = urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
        return self.text(url)

    def value(self, value: Any, sensitive: bool = False) -> Any:
        """A JSON-like value: scalars under secret-named keys go, strings lose known secrets.

        A mapping under a secret-named key is walked, not dropped, so that descriptions such as
        `auth: {bearer: true, api_key: {name: X-Api-Key}}` stay readable while `token: ...` goes.
        """
        if isinstance(value, Mapping):
            return {
                k: self.value(v, is_secret_name(str(k)) or (sensitive and str(k).lower() not in DESCRIPTIVE))
                for k, v in value.items()
            }
        if _secret_pair(value):  # a (header name, value) pair
            return [value[0], REDACTED]
        if sensitive and isinstance(value, (str, int, float)) and not isinstance(value, bool) and value != "":
            return REDACTED
        if isinstance(value, (list, tuple)):
            return [self.value(v, sensitive) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
