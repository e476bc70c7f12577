"""`Prefer: code=NNN` and `Prefer: example=NAME`: the client chooses which documented response it gets.

Mock users know this from Prism: it is how a vendor or a test reaches the business error statuses
(payments' 452–464 and the like) that a correct product only gives in situations a mock cannot
stage. The header follows RFC 7240 (preferences separated by commas, parameters by semicolons);
preferences other than these two are ignored, as the RFC allows. What is asked must be documented:
a status the operation does not document, or an example it does not have, is refused with 400 and
a message listing what is, never answered with something else.
"""

from __future__ import annotations

from dataclasses import dataclass

from govstack_conform.contracts.model import Example, MediaType, Operation, Response


@dataclass(frozen=True)
class Preference:
    code: int | None = None
    example: str | None = None

    @property
    def applied(self) -> str:
        """The `Preference-Applied` header value (RFC 7240)."""
        parts = [f"code={self.code}"] if self.code is not None else []
        if self.example is not None:
            parts.append(f'example="{self.example}"')
        return ", ".join(parts)


@dataclass(frozen=True)
class Choice:
    """The documented answer a preference picks: status, response, and the example asked for (if any)."""

    status: int
    response: Response
    example: Example | None = None
    media: MediaType | None = None


class Unmet(Exception):
    """The preference asks for something the operation does not document; the message says what it does."""


def parse(header: str | None) -> Preference | None:
    """The code / example preferences of a Prefer header (None when it has neither); Unmet when malformed."""
    if not header:
        return None
    code: int | None = None
    example: str | None = None
    for token in header.replace(";", ",").split(","):
        name, sep, value = token.strip().partition("=")
        name, value = name.strip().lower(), value.strip().strip('"')
        if name == "code":
            if not (sep and value.isdigit() and len(value) == 3 and 100 <= int(value) <= 599):
                raise Unmet(f"Prefer: code={value!r} is not an HTTP status code (100 to 599)")
            code = int(value)
        elif name == "example":
            if not (sep and value):
                raise Unmet("Prefer: example= needs the name of an example")
            example = value
    if code is None and example is None:
        return None
    return Preference(code, example)


def _documented(op: Operation) -> str:
    return ", ".join(r.status for r in op.responses) or "none"


def _named(response: Response, name: str) -> tuple[MediaType, Example] | None:
    for media in response.content:
        for ex in media.examples:
            if ex.name == name:
                return media, ex
    return None


def _examples(response: Response) -> str:
    names = sorted({ex.name for m in response.content for ex in m.examples})
    return ", ".join(names) or "none"


def choose(op: Operation, pref: Preference, default_status: int) -> Choice:
    """The documented response `pref` asks for; `default_status` when it names only an example."""
    if pref.code is not None:
        response = op.response_for(pref.code)
        if response is None:
            raise Unmet(f"Prefer: code={pref.code}: {op.key} does not document it (documented: {_documented(op)})")
        status = pref.code
    elif (response := op.response_for(default_status)) is not None and (
        pref.example is None or _named(response, pref.example)
    ):
        status = default_status
    else:  # example only, not in the usual answer: the first documented response holding it
        assert pref.example is not None
        found = next((r for r in op.responses if r.status.isdigit() and _named(r, pref.example)), None)
        if found is None:
            raise Unmet(f"Prefer: example={pref.example!r}: no documented response of {op.key} has it")
        response, status = found, int(found.status)
    if pref.example is None:
        return Choice(status, response)
    named = _named(response, pref.example)
    if named is None:
        raise Unmet(
            f"Prefer: example={pref.example!r}: the {response.status} response of {op.key} has no such example "
            f"(examples: {_examples(response)})"
        )
    return Choice(status, response, named[1], named[0])
