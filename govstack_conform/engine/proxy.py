"""Which HTTP proxy a request goes through: `--proxy URL`, else HTTP_PROXY / HTTPS_PROXY / ALL_PROXY,
and the hosts NO_PROXY exempts, read the way httpx (and curl) read them.

Many government networks reach a product only through a forwarding proxy. Plain http:// requests are
sent to it in absolute form; https:// ones go through a CONNECT tunnel, so TLS is still end to end and
verified against the product. The runner, its pre-flight check and the OAuth2 token client all ask the
same `Proxy.route`, so they never disagree. A proxy's credentials (`http://USER:PASSWORD@HOST:PORT`)
become its Proxy-Authorization header; they are secrets: never recorded, redacted wherever they appear.
"""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit

from govstack_conform.errors import ConfigError

_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class ProxyRoute:
    """One proxy, as the transport needs it: where it listens and the credentials it wants (if any)."""

    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """The proxy's URL without its credentials (safe to show)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.user, self.password or "") if self.user is not None else None

    def secrets(self) -> list[str]:
        if self.user is None or not self.password:
            return []
        pair = base64.b64encode(f"{self.user}:{self.password}".encode()).decode()
        return [self.password, pair]


def parse_proxy_url(text: str, what: str) -> ProxyRoute:
    """`http://[USER:PASSWORD@]HOST[:PORT]` (a bare HOST:PORT means http://); ConfigError otherwise."""
    raw = text.strip()
    try:
        parts = urlsplit(raw if "://" in raw else f"http://{raw}")
    except ValueError:  # a malformed IPv6 literal
        raise ConfigError(f"{what}: the proxy URL has an invalid host") from None
    if parts.scheme not in _SCHEMES[:1]:
        raise ConfigError(
            f"{what}: {parts.scheme}:// proxies are not supported; give an http:// proxy "
            "(https:// targets are tunnelled through it with CONNECT)"
        )
    try:
        port = 80 if parts.port is None else parts.port  # an explicit :0 is no port 80
        host = parts.hostname
    except ValueError:  # a port out of range or no number, a malformed IPv6 literal
        raise ConfigError(f"{what}: the proxy URL has an invalid host or port") from None
    if not host or (parts.path not in ("", "/")) or parts.query or parts.fragment:
        raise ConfigError(f"{what}: expected http://HOST:PORT for the proxy")
    if not 1 <= port <= 65535:
        raise ConfigError(f"{what}: port {port} is not a port one can connect to (1-65535)")
    from govstack_conform.contracts.http_url import check_host

    check_host(host, what)
    user = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    return ProxyRoute(host, port, user, password)


def _no_proxy_entries(text: str) -> tuple[str, ...]:
    return tuple(e.strip().lower() for e in text.split(",") if e.strip())


def _bypassed(entries: tuple[str, ...], scheme: str, host: str, port: int) -> bool:
    """Whether NO_PROXY exempts the host: `*`, a host or domain (its subdomains too), an IP, a CIDR
    block, any of them with `:PORT`, or `scheme://host`."""
    host = host.lower().strip("[]")
    try:
        ip: Any = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for entry in entries:
        if entry == "*":
            return True
        if "://" in entry:
            want, _, entry = entry.partition("://")
            if want not in (scheme, "all"):
                continue
        name, want_port = entry, None
        if entry.startswith("[") and "]" in entry:  # [::1] or [::1]:8080
            name, _, rest = entry[1:].partition("]")
            want_port = rest[1:] if rest.startswith(":") else None
        elif entry.count(":") == 1:
            name, want_port = entry.split(":")
        if want_port is not None and want_port != str(port):
            continue
        if ip is not None and "/" in name:
            try:
                if ip in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        domain = name.removeprefix("*").removeprefix(".")
        if domain and (host == domain or host.endswith("." + domain)):
            return True
    return False


@dataclass(frozen=True)
class Proxy:
    """The run's proxies by target scheme, and the hosts that bypass them. Empty: every request goes direct."""

    http: ProxyRoute | None = None
    https: ProxyRoute | None = None
    no_proxy: tuple[str, ...] = ()
    source: str = ""  # "--proxy" or "environment"

    @classmethod
    def from_settings(cls, explicit: str | None) -> Proxy:
        """`--proxy` (for both schemes) or the environment's proxies; NO_PROXY applies to both.

        The environment is read as httpx reads it (`urllib.request.getproxies`: lower-case names first,
        ALL_PROXY for a scheme that has none of its own, HTTP_PROXY ignored under CGI)."""
        import urllib.request

        found = urllib.request.getproxies()
        no_proxy = _no_proxy_entries(found.get("no", ""))
        if explicit:
            route = parse_proxy_url(explicit, "--proxy")
            return cls(route, route, no_proxy, "--proxy")
        routes = []
        for scheme in _SCHEMES:
            name = scheme if found.get(scheme) else "all"
            value = found.get(name)
            routes.append(parse_proxy_url(value, f"{name.upper()}_PROXY") if value else None)
        if routes == [None, None]:
            return cls()
        return cls(routes[0], routes[1], no_proxy, "environment")

    def route(self, url: str) -> ProxyRoute | None:
        """The proxy a request to `url` goes through, or None for a direct connection."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        chosen = self.https if scheme == "https" else self.http if scheme == "http" else None
        if chosen is None:
            return None
        try:
            port = parts.port or (443 if scheme == "https" else 80)
        except ValueError:
            return None
        return None if _bypassed(self.no_proxy, scheme, parts.hostname or "", port) else chosen

    def secrets(self) -> list[str]:
        return [s for r in dict.fromkeys(r for r in (self.http, self.https) if r is not None) for s in r.secrets()]

    def describe(self) -> dict[str, Any] | None:
        """What results.json records: the proxies without their credentials."""
        if self.http is None and self.https is None:
            return None
        return {
            "from": self.source,
            "http": self.http.url if self.http else None,
            "https": self.https.url if self.https else None,
            "authenticated": any(r is not None and r.user is not None for r in (self.http, self.https)),
            "no_proxy": list(self.no_proxy),
        }
