"""A copy-pasteable `curl` command that sends a recorded request again: how a reader replays a failure.

No secret is ever written: wherever the redactor's rules (govstack_conform.redact) see a secret, in a
header by its name, a query parameter by its name, the URL's user:password@ or the redactor's marker
left in the record, the command holds a shell variable reference such as "$AUTHORIZATION" that the
reader sets first. Everything else is single-quoted, so the shell passes it on byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from govstack_conform.engine.cases import CaseKind
from govstack_conform.engine.results import CaseResult, Outcome, RecordedRequest, Verdict
from govstack_conform.redact import REDACTED, is_secret_name, is_secret_query

# Headers curl sets itself from the command (or that describe the connection, not the request).
_CURL_OWN = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding"})
_NOT_A_NAME = re.compile(r"[^A-Za-z0-9]+")
_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/?#@]*@")
_TOKEN = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Replay:
    """The command, the variables it reads (their values are never written) and what it cannot reproduce."""

    command: str
    variables: tuple[str, ...] = ()
    note: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"command": self.command, "variables": list(self.variables), "note": self.note}


def variable(name: str) -> str:
    """The shell variable a secret goes by: the header or parameter name, upper case ("X-Api-Key" -> X_API_KEY)."""
    found = _NOT_A_NAME.sub("_", name).strip("_").upper()
    return found if found and not found[0].isdigit() else f"SECRET_{found}"


def quoted(text: str) -> str:
    """`text` as one shell word, single-quoted (a ' inside becomes '\\'')."""
    return "'" + text.replace("'", "'\\''") + "'"


class _Var(str):
    """A piece of a shell word that is a variable reference, not text."""


class _Words:
    """Builds shell words in which secrets are variable references, collecting the variables used."""

    def __init__(self) -> None:
        self.used: dict[str, None] = {}

    def render(self, pieces: list[str]) -> str:
        """One shell word: text single-quoted, variables as "$NAME", adjacent text merged."""
        out: list[str] = []
        text = ""
        for p in pieces:
            if isinstance(p, _Var):
                if text:
                    out.append(quoted(text))
                    text = ""
                self.used[str(p)] = None
                out.append(f'"${p}"')
            else:
                text += p
        if text or not out:
            out.append(quoted(text))
        return "".join(out)

    @staticmethod
    def pieces(text: str, secret: str = "SECRET") -> list[str]:
        """`text` with each redaction marker in it standing for the variable `secret`."""
        parts = text.split(REDACTED)
        out: list[str] = [parts[0]]
        for p in parts[1:]:
            out += [_Var(secret), p]
        return out

    def word(self, text: str, secret: str = "SECRET") -> str:
        return self.render(self.pieces(text, secret))

    def header(self, name: str, value: str) -> str:
        if is_secret_name(name):
            return self.render([f"{name}: ", _Var(variable(name))])
        return self.word(f"{name}: {value}", variable(name))

    def url(self, url: str) -> str:
        found = _USERINFO.match(url)
        pieces: list[str] = []
        if found:  # user:password@host: never written (and "[REDACTED]@" is no host urlsplit would take)
            pieces = [found.group(1), _Var("URL_USERINFO"), "@"]
            url = found.group(1) + url[found.end() :]
        try:
            parts = urlsplit(url)
        except ValueError:
            return self.render(pieces + self.pieces(url[len(found.group(1)) :] if found else url))
        pieces = pieces or [f"{parts.scheme}://" if parts.scheme else ""]
        pieces += self.pieces(parts.netloc + parts.path)
        for i, chunk in enumerate(parts.query.split("&") if parts.query else ()):
            name = chunk.split("=", 1)[0]
            plain_name = parse_qsl(chunk, keep_blank_values=True)[0][0] if "=" in chunk else name
            pieces.append("&" if i else "?")
            if is_secret_query(plain_name):
                pieces += [name + "=", _Var(variable(plain_name))]
            else:
                pieces += self.pieces(chunk, variable(plain_name))
        if parts.fragment:
            pieces.append("#" + parts.fragment)
        return self.render(pieces)


def curl(request: RecordedRequest, *, insecure: bool = False) -> Replay:
    """The command that sends `request` again; `insecure` when the run did not verify TLS certificates."""
    w = _Words()
    first = ["curl", "-sS", "-i", "--globoff", "--path-as-is"]
    if insecure:
        first.append("--insecure")
    method = request.method.upper()
    if method == "HEAD":
        first.append("--head")
    elif method != "GET" or request.body is not None:
        first += ["-X", method if _TOKEN.fullmatch(method) else quoted(method)]
    first.append(w.url(request.url))
    lines = [" ".join(first)]
    lines += [f"-H {w.header(n, v)}" for n, v in request.headers if n.lower() not in _CURL_OWN]
    names = {n.lower() for n, _ in request.headers}
    if names and "accept" not in names:  # curl would add "Accept: */*", which the run did not send
        lines.append("-H 'Accept:'")
    if request.body is not None:
        lines.append(f"--data-binary {w.word(request.body)}")
    note = None
    if request.body_truncated:
        note = "the recorded body was cut at the record size cap: this command sends only the part recorded"
    elif not request.headers:
        note = "no request headers were recorded for this case (passed cases keep only the request line)"
    return Replay(" \\\n  ".join(lines), tuple(w.used), note)


def variables_hint(replay: Replay) -> str:
    """What to set before running the command, in words ("" when nothing)."""
    if not replay.variables:
        return ""
    names = ", ".join(replay.variables)
    return f"set {names} first (a header's whole value, its scheme included): the run's values are never written"


WRONG_CREDENTIALS = (
    "this case sent deliberately wrong credentials: give the variables a wrong value to send what it sent"
)


def replays(case: CaseResult, *, insecure: bool = False) -> list[tuple[str, Replay]]:
    """(step, command) for every request the case sent, in order."""
    out = []
    for x in case.exchanges:
        r = curl(x.request, insecure=insecure)
        if case.kind is CaseKind.SECURITY and case.name.endswith("wrong-credentials") and r.variables:
            r = Replay(r.command, r.variables, "; ".join(n for n in (r.note, WRONG_CREDENTIALS) if n))
        out.append((x.step, r))
    return out


def replayed(case: CaseResult) -> bool:
    """Whether a case carries its replay commands: it failed (or was not judged), or broke a rule of any level."""
    if not case.exchanges:
        return False
    if case.verdict in (Verdict.FAILED, Verdict.NOT_IMPLEMENTED, Verdict.ERROR):
        return True
    return any(c.outcome is Outcome.FAILED and not c.waived for c in case.checks)


def insecure_run(options: Mapping[str, object]) -> bool:
    """Whether the run did not verify TLS certificates (then the replay must not either)."""
    return bool(options.get("insecure"))
