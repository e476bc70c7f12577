"""The one rule for an http(s) URL the user gives (a target, a token endpoint, a mirror, a platform).

Checked where the value is taken, before anything is sent, with one line saying what is wrong: a
scheme other than http/https, no host, a malformed IPv6 literal (`http://[::1`), a port outside
1-65535 (`:0` would otherwise connect to port 80), a host that is no DNS name (a space, a label longer
than 63 characters, a name longer than 253) or no IP address. A password in the URL is never shown.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from govstack_conform.errors import UsageError

# A DNS label as resolvers take it (underscores too: container and service names use them).
_LABEL = re.compile(r"[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?")


@dataclass(frozen=True)
class HttpUrl:
    scheme: str  # http | https
    host: str  # as given (an IPv6 address without its brackets)
    port: int  # explicit, or the scheme's default
    netloc: str  # host[:port] as given, without user:password@
    path: str
    query: str
    fragment: str


def _shown(url: str) -> str:
    """The URL for a message: cut, and without what stands before an '@' (a password, perhaps)."""
    scheme, sep, rest = url.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        rest = "…@" + rest.split("@", 1)[1]
    text = f"{scheme}{sep}{rest}" if sep else url
    return repr(text if len(text) <= 120 else text[:119] + "…")


def check_host(host: str, what: str) -> str:
    """`host` as an IP address or a DNS name; UsageError otherwise. Returns its ASCII (IDNA) form."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        pass
    try:
        ascii_host = host.encode("idna").decode("ascii")
    except UnicodeError:
        raise UsageError(f"{what}: the host {host[:80]!r} is no valid DNS name (a label over 63 characters?)") from None
    labels = ascii_host.rstrip(".").split(".")
    if len(ascii_host) > 253 or not all(_LABEL.fullmatch(label) and len(label) <= 63 for label in labels):
        raise UsageError(
            f"{what}: the host {host[:80]!r} is no valid DNS name (letters, digits, '-' and '_' in dot-separated "
            "labels of at most 63 characters)"
        )
    return ascii_host


def parse_http_url(url: str, what: str, *, path_only: bool = False) -> HttpUrl:
    """Check `url` (see the module); `path_only`: no query or fragment either (a base URL)."""
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:  # a malformed IPv6 literal, a port that is no number or out of range
        why = "a port outside 0-65535 or not a number" if "port" in str(exc).lower() else str(exc)
        raise UsageError(f"{what} {_shown(url)} is not a valid URL ({why})") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{what} {_shown(url)} must be an http:// or https:// URL")
    if not host:
        raise UsageError(f"{what} {_shown(url)} has no host")
    if port is not None and not 1 <= port <= 65535:
        raise UsageError(f"{what} {_shown(url)}: port {port} is not a port one can connect to (1-65535)")
    if path_only and (parts.query or parts.fragment):
        raise UsageError(f"{what} {_shown(url)} must not have a query or fragment")
    check_host(host, what)
    netloc = parts.netloc.rsplit("@", 1)[-1]
    default = 443 if parts.scheme == "https" else 80
    return HttpUrl(parts.scheme, host, default if port is None else port, netloc, parts.path, parts.query,
                   parts.fragment)  # fmt: skip
