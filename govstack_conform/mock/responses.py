"""What the mock answers: statuses, bodies, error bodies and required headers, all from the contract.

Bodies come from the spec's example when it validates against its schema, else from the data
generator; either way once per (operation, status, media type) and then from the cache, so a
request costs a dictionary lookup and a copy. A part of the spec that cannot be honoured (broken
schema, example that contradicts its schema) is noted once in the journal.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Header, MediaType, Operation, Response
from govstack_conform.datagen import GenerationError, generate
from govstack_conform.mock.options import Journal
from govstack_conform.mock.validate import is_json

# 4xx codes with a meaning of their own: never the answer to "your input is invalid".
_SPECIAL_4XX = frozenset({401, 403, 404, 405, 406, 407, 408, 409, 410, 412, 413, 415, 429})
_MESSAGE_KEYS = ("message", "error", "detail", "details", "description", "title", "msg", "reason")
_SKIP_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})
_UNJUDGED = object()
_EMPTIES: tuple[Any, ...] = ([], {}, "", None)
_ERROR_FIELDS = frozenset({"error", "errors", "fault", "faults", "errorlist", "exceptions"})


def documented(op: Operation) -> list[int]:
    return sorted(int(r.status) for r in op.responses if r.status.isdigit())


def success_status(op: Operation, *, create: bool = False) -> int:
    """Lowest documented 2xx (201 for a create when documented); 200 when only ranges or default exist."""
    ok = [s for s in documented(op) if 200 <= s < 300]
    if create and 201 in ok:
        return 201
    return ok[0] if ok else 200


def error_status(op: Operation) -> int:
    """The documented status for invalid input: 400, else 422, else another plain 4xx, else 400."""
    codes = documented(op)
    for preferred in (400, 422):
        if preferred in codes:
            return preferred
    others = [c for c in codes if 400 <= c < 500 and c not in _SPECIAL_4XX]
    return others[0] if others else 400


def auth_status(op: Operation, wrong: bool) -> int:
    """401 for missing credentials; for wrong ones 403 only when the spec documents 403 and not 401."""
    codes = documented(op)
    if wrong and 403 in codes and 401 not in codes:
        return 403
    return 401


def pick_media(response: Response | None, accept: str | None = None) -> MediaType | None:
    """The media type to answer with: one the client accepts, else JSON, else the first declared."""
    if response is None or not response.content:
        return None
    if accept:
        wanted = [a.split(";")[0].strip().lower() for a in accept.split(",")]
        for m in response.content:
            if m.media_type.split(";")[0].strip().lower() in wanted:
                return m
    return next((m for m in response.content if is_json(m.media_type)), response.content[0])


def encode(media: MediaType | None, value: Any) -> bytes:
    if value is None and (media is None or not is_json(media.media_type)):
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and media is not None and not is_json(media.media_type):
        return value.encode()
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(header_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k},{header_text(v)}" for k, v in value.items())
    return "" if value is None else str(value)


@dataclass
class Bodies:
    """Cached bodies and headers for one contract and seed."""

    contract: Contract
    seed: int
    journal: Journal

    def __post_init__(self) -> None:
        self._bodies: dict[tuple[str, str, str], Any] = {}
        self._errors: dict[tuple[str, int], tuple[MediaType | None, Any]] = {}
        self._headers: dict[tuple[str, str], dict[str, str]] = {}

    def valid(self, media: MediaType | None, value: Any) -> bool | None:
        """Whether `value` meets the media type's schema; None when the schema cannot be judged."""
        if media is None or media.schema is None:
            return True
        try:
            return not schemas.validate(self.contract, media.schema, value, direction="response")
        except schemas.SchemaUnusable:
            return None

    def body(self, op: Operation, response: Response, media: MediaType | None) -> Any:
        """A fresh copy of the body to serve for this response (None: no content)."""
        if media is None:
            return None
        key = (op.key, response.status, media.media_type)
        if key not in self._bodies:
            self._bodies[key] = self._make(op, response, media)
        return copy.deepcopy(self._bodies[key])

    def _make(self, op: Operation, response: Response, media: MediaType) -> Any:
        where = f"{op.key} response {response.status} {media.media_type}"
        blocked = op.blocked(f"response:{response.status}")
        for ex in media.examples:
            verdict = self.valid(media, ex.value)
            if verdict:
                return ex.value
            if verdict is None or blocked:
                self.journal.once(f"{where}: schema unusable, serving its example unchecked")
                return ex.value
            self.journal.once(f"{where}: example {ex.name!r} does not match its schema; serving a generated body")
        if media.schema is None:
            return {} if is_json(media.media_type) else ""
        try:
            value = generate(self.contract, media.schema, seed=self.seed, direction="response")
        except (GenerationError, schemas.SchemaUnusable, RecursionError) as exc:
            self.journal.once(f"{where}: no valid body can be generated ({exc}); serving an empty object")
            return {} if is_json(media.media_type) else ""
        if response.status.startswith("2"):
            value = without_errors(value, lambda v: self.valid(media, v))
        return value

    def error(self, op: Operation | None, status: int, message: str) -> tuple[str, bytes]:
        """(media type, body) of an error answer; meets the documented schema of that status if any."""
        media, value = None, None
        if op is not None:
            key = (op.key, status)
            if key not in self._errors:
                self._errors[key] = self._error_template(op, status)
            media, template = self._errors[key]
            if template is not _UNJUDGED:
                value = self._with_message(media, copy.deepcopy(template), message)
                if self.valid(media, value) is not True:
                    value = None  # the documented schema is broken: a plain error body says more
        if value is None:
            value = {"error": reason(status), "message": message}
        media_type = media.media_type if media is not None and is_json(media.media_type) else "application/json"
        return media_type, encode(media, value)

    def _error_template(self, op: Operation, status: int) -> tuple[MediaType | None, Any]:
        response = op.response_for(status)
        if response is None:
            return None, _UNJUDGED
        media = next((m for m in response.content if is_json(m.media_type)), None)
        if media is None or media.schema is None:
            return media, _UNJUDGED
        return media, self.body(op, response, media)

    def _with_message(self, media: MediaType | None, value: Any, message: str) -> Any:
        if isinstance(value, dict):
            keys = [k for k in _MESSAGE_KEYS if k in value] + [k for k, v in value.items() if isinstance(v, str)]
            for k in keys:
                trial = dict(value)
                trial[k] = message
                if self.valid(media, trial):
                    return trial
        elif isinstance(value, str) and self.valid(media, message):
            return message
        return value

    def headers(self, op: Operation, response: Response | None) -> dict[str, str]:
        """Values for the headers the response declares required, each valid against its schema."""
        if response is None or not response.headers:
            return {}
        key = (op.key, response.status)
        if key not in self._headers:
            self._headers[key] = {
                h.name: self._header_value(op, response, h)
                for h in response.headers
                if h.required and h.name.lower() not in _SKIP_HEADERS
            }
        return self._headers[key]

    def _header_value(self, op: Operation, response: Response, header: Header) -> str:
        if header.schema is None:
            return "mock"
        try:
            return header_text(generate(self.contract, header.schema, seed=self.seed, direction="response"))
        except (GenerationError, schemas.SchemaUnusable, RecursionError) as exc:
            self.journal.once(f"{op.key} response {response.status}: header {header.name!r} not generated ({exc})")
            return "mock"


def without_errors(body: Any, judge: Callable[[Any], bool | None]) -> Any:
    """A success body with its error fields (errors, error, faults...) left out, or emptied where required:
    a generated `errors: [{...}]` in a 200 tells a client the call failed."""
    if not isinstance(body, dict):
        return body
    spots = [body, *(v for v in body.values() if isinstance(v, dict))]
    for spot in spots:
        for key in [k for k in spot if k.lower() in _ERROR_FIELDS]:
            value = spot.pop(key)
            if judge(body) is not False:
                continue
            empties = [copy.deepcopy(e) for e in _EMPTIES if e != value]
            for empty in [*empties, value]:  # the first that keeps the body valid; else the value as it was
                spot[key] = empty
                if judge(body) is not False:
                    break
    return body


def reason(status: int) -> str:
    """The standard reason phrase of a status ("Bad Request")."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
