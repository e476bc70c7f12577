"""One exchange as the wire gave it: the request sent (before redaction) and what came back.

The transport (run/runner.py) produces these and the checks judge them, so they live below both.
"""

from __future__ import annotations


class Reply:
    """What came back for one request: a response, or a transport error."""

    __slots__ = ("body", "elapsed_ms", "error", "headers", "http_version", "status", "timed_out", "truncated")

    def __init__(
        self,
        status: int = 0,
        headers: list[tuple[str, str]] | None = None,
        body: bytes = b"",
        *,
        truncated: bool = False,
        elapsed_ms: float = 0.0,
        http_version: str = "HTTP/1.1",
        error: str | None = None,
        timed_out: bool = False,
    ) -> None:
        self.status = status
        self.headers = headers or []
        self.body = body
        self.truncated = truncated
        self.elapsed_ms = elapsed_ms
        self.http_version = http_version
        self.error = error
        # The product took the request (connected, TLS done) but did not answer in time: its failure.
        self.timed_out = timed_out

    def header(self, name: str) -> str | None:
        low = name.lower()
        for n, v in self.headers:
            if n.lower() == low:
                return v
        return None


class Sent:
    """The request as it went on the wire (before redaction)."""

    __slots__ = ("body", "headers", "method", "url")

    def __init__(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None) -> None:
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
