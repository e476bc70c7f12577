"""Where requests go: the product's base URL, the BB's path templates mapped onto its own paths,
parameters encoded. A malformed --target (contracts/http_url.py says what a URL must be) is a usage
error before anything is sent: `check_target` is called before the first request and before any file
is written."""

from __future__ import annotations

import functools
import re
from urllib.parse import parse_qsl, quote, urlencode

from govstack_conform.contracts.http_url import parse_http_url
from govstack_conform.engine.options import PathMap

_PARAM = re.compile(r"\{([^{}]+)\}")
_PATH_SAFE = "/%:@!$&'()*+,;=~-._"


class Dest:
    """Where requests go: scheme, host name and port, and the Host header."""

    __slots__ = ("cut", "host", "hostname", "key", "port", "scheme", "tls")

    def __init__(self, scheme: str, hostname: str, port: int, netloc: str) -> None:
        self.scheme = scheme.encode("ascii")
        self.hostname = hostname.encode("idna")
        self.port = port
        self.tls = scheme == "https"
        self.host = netloc
        self.key = (self.scheme, self.hostname, port)
        self.cut = len(f"{scheme}://{netloc}")


class UrlBuilder:
    """Base URL (its path is a prefix) + the product's path for a BB template + encoded parameters."""

    def __init__(self, target: str, path_map: PathMap) -> None:
        parts = parse_http_url(target, "--target", path_only=True)
        self.dest = Dest(parts.scheme, parts.host, parts.port, parts.netloc)
        self.base = f"{parts.scheme}://{self.dest.host}{quote(parts.path.rstrip('/'), safe=_PATH_SAFE)}"
        self.path_map = path_map
        self._compiled: dict[str, tuple[list[str], tuple[tuple[str, str], ...]]] = {}

    def _parts(self, template: str) -> tuple[list[str], tuple[tuple[str, str], ...]]:
        """Path pieces split at {params}, and the literal query some specs write into a path key."""
        found = self._compiled.get(template)
        if found is None:
            path, _, literal = template.partition("?")
            pairs = tuple(parse_qsl(literal, keep_blank_values=True)) if literal else ()
            pieces = _PARAM.split(self.path_map.apply(path))
            pieces = [quote(p, safe=_PATH_SAFE) if i % 2 == 0 else p for i, p in enumerate(pieces)]
            found = self._compiled[template] = (pieces, pairs)
        return found

    def url(
        self,
        template: str,
        params: dict[str, str],
        query: tuple[tuple[str, str], ...] = (),
        declared_query: frozenset[str] = frozenset(),
    ) -> str:
        """The URL; a literal query in the template is kept unless it names a declared query parameter
        (then the case's own value, or its deliberate absence, rules)."""
        parts, literal = self._parts(template)
        if len(parts) == 1:
            path = parts[0]
        else:
            out = []
            for i, piece in enumerate(parts):
                if i % 2 == 0:
                    out.append(piece)
                elif piece in params:
                    out.append(quote(params[piece], safe=""))
                else:
                    out.append(quote("{" + piece + "}", safe=""))
            path = "".join(out)
        if not path.startswith("/"):
            path = "/" + path
        url = self.base + path
        if literal:
            query = (*(kv for kv in literal if kv[0] not in declared_query), *query)
        if query:
            url += "?" + _encode_query(query)
        return url


def _encode_query(query: tuple[tuple[str, str], ...]) -> str:
    """What urlencode(query, quote_via=quote) gives, without its per-pair type checks (the names repeat on
    every case, the values are strings)."""
    if not all(type(k) is str and type(v) is str for k, v in query):
        return urlencode(query, quote_via=quote)
    return "&".join(f"{_quoted(k)}={quote(v, safe='')}" for k, v in query)


@functools.lru_cache(maxsize=4096)
def _quoted(name: str) -> str:
    return quote(name, safe="")


def check_target(target: str, path_map: PathMap) -> None:
    """UsageError (one line) unless requests can be addressed to `target`."""
    UrlBuilder(target, path_map)
