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
from xml.sax.saxutils import escape as xml_escape

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Header, MediaType, Operation, Response
from govstack_conform.datagen import GenerationError, generate
from govstack_conform.datagen.check import is_valid
from govstack_conform.mock.options import Journal
from govstack_conform.mock.state import get_at
from govstack_conform.mock.validate import is_json

# 4xx codes with a meaning of their own: never the answer to "your input is invalid".
# A contract documenting only errors: the answer a valid request most plausibly gets among them.
_ERROR_ORDER = {404: 0, 400: 1, 422: 2, 409: 3, 401: 20, 403: 21, 407: 22, 405: 23, 406: 24, 415: 25, 429: 26}
_SPECIAL_4XX = frozenset({401, 403, 404, 405, 406, 407, 408, 409, 410, 412, 413, 415, 429})
_MESSAGE_KEYS = ("message", "error", "detail", "details", "description", "title", "msg", "reason")
_SKIP_HEADERS = frozenset({"content-type", "content-length", "transfer-encoding"})
_UNJUDGED = object()
_ANSWERS = 2048  # error answers remembered per Bodies
_EMPTIES: tuple[Any, ...] = ([], {}, "", None)
_ERROR_FIELDS = frozenset({"error", "errors", "fault", "faults", "errorlist", "exceptions"})


def documented(op: Operation) -> list[int]:
    return sorted(int(r.status) for r in op.responses if r.status.isdigit())


def success_status(op: Operation, *, create: bool = False) -> int:
    """The documented status a valid request gets: the lowest 2xx (201 for a create when documented); 200
    under `2XX` or `default`; else a documented redirect; else, for a contract documenting only errors,
    the likeliest of those (404, 400, 422, ...): never a status the contract does not list."""
    codes = documented(op)
    ok = [s for s in codes if 200 <= s < 300]
    if ok:
        return 201 if create and 201 in ok else ok[0]
    ranges = {r.status.upper() for r in op.responses if not r.status.isdigit()}
    if not op.responses or ranges & {"2XX", "DEFAULT"}:
        return 200
    redirects = [s for s in codes if 300 <= s < 400]
    if redirects:
        return redirects[0]
    if "3XX" in ranges:
        return 303
    errors = sorted((s for s in codes if s >= 400), key=lambda s: (_ERROR_ORDER.get(s, 30 if s >= 500 else 9), s))
    if errors:
        return errors[0]
    return next((int(r[0]) * 100 for r in sorted(ranges) if r[0] in "45"), 200)


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
    """The body bytes of `value` in the media type: JSON, XML for an XML type, else text as it is."""
    if value is None and (media is None or not is_json(media.media_type)):
        return b""
    if isinstance(value, bytes):
        return value
    if isinstance(value, str) and media is not None and not is_json(media.media_type):
        return value.encode()
    if media is not None and is_xml(media.media_type):
        return to_xml(value, xml_root(media)).encode()
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


_ITEMS = "\x00govstack-conform: the listed items\x00"
_ITEMS_TOKEN = json.dumps(_ITEMS, ensure_ascii=False)
_ITEM_MEMO = 100_000


def encode_list(media: MediaType | None, body: Any, at: tuple[Any, ...], memo: dict[int, tuple[Any, bytes]]) -> bytes:
    """encode(media, body) for a list answer whose items stand at `at`, each item's JSON remembered by the item
    object (the mock never changes a view once served): a long run lists ever more stored items, and the same
    bytes come out as json.dumps of the whole body gives."""
    items = get_at(body, at) if at else body
    parent = get_at(body, at[:-1]) if at else None
    if media is None or not is_json(media.media_type) or not isinstance(items, list):
        return encode(media, body)
    before = after = ""
    if at:
        if not isinstance(parent, dict):
            return encode(media, body)
        parent[at[-1]] = _ITEMS
        try:
            head = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        finally:
            parent[at[-1]] = items
        if head.count(_ITEMS_TOKEN) != 1:
            return encode(media, body)
        before, after = head.split(_ITEMS_TOKEN)
    if len(memo) > _ITEM_MEMO:
        memo.clear()
    parts = []
    for item in items:
        hit = memo.get(id(item))
        if hit is None or hit[0] is not item:
            hit = memo[id(item)] = (item, json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode())
        parts.append(hit[1])
    return b"".join((before.encode(), b"[", b",".join(parts), b"]", after.encode()))


def is_xml(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base in ("application/xml", "text/xml") or base.endswith("+xml")


def xml_root(media: MediaType) -> str:
    """The root element: the schema's `xml.name`, else the name of the schema it refers to, else "response"."""
    node = media.schema.node if media.schema is not None else None
    if isinstance(node, dict):
        xml = node.get("xml")
        if isinstance(xml, dict) and isinstance(xml.get("name"), str):
            return _xml_name(xml["name"])
        if isinstance(node.get("$ref"), str):
            return _xml_name(node["$ref"].rsplit("/", 1)[-1])
    return "response"


def _xml_name(text: str) -> str:
    name = "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
    return name if name[:1].isalpha() or name[:1] == "_" else f"_{name}"


def to_xml(value: Any, root: str) -> str:
    """A plain XML rendering of a JSON value: objects as elements, arrays as repeated elements."""

    def render(name: str, v: Any) -> str:
        if isinstance(v, dict):
            return f"<{name}>" + "".join(render(_xml_name(k), x) for k, x in v.items()) + f"</{name}>"
        if isinstance(v, list):
            return "".join(render(name, x) for x in v)
        if v is None:
            return f"<{name}/>"
        text = ("true" if v else "false") if isinstance(v, bool) else str(v)
        return f"<{name}>{xml_escape(text)}</{name}>"

    inner = "".join(render("item", x) for x in value) if isinstance(value, list) else None
    body = f"<{root}>{inner}</{root}>" if inner is not None else render(root, value)
    return '<?xml version="1.0" encoding="UTF-8"?>' + body


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
        self._answers: dict[tuple[str | None, int, str], tuple[str | None, bytes]] = {}

    def valid(self, media: MediaType | None, value: Any) -> bool | None:
        """Whether `value` meets the media type's schema; None when the schema cannot be judged.
        (`is_valid` is `not schemas.validate(...)` without wording the errors of the candidates refused.)"""
        if media is None or media.schema is None:
            return True
        try:
            return is_valid(self.contract, media.schema, value, "response")
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

    def error(self, op: Operation | None, status: int, message: str) -> tuple[str | None, bytes]:
        """(media type, body) of an error answer; meets the documented schema of that status if any, and
        comes in a documented media type: JSON when documented (or nothing is), else text, XML, or no body.
        Remembered per operation, status and message: a suite meets the same refusals again and again."""
        key = (op.key if op is not None else None, status, message)
        found = self._answers.get(key)
        if found is None:
            found = self._error(op, status, message)
            if len(self._answers) >= _ANSWERS:
                self._answers.clear()
            self._answers[key] = found
        return found

    def _error(self, op: Operation | None, status: int, message: str) -> tuple[str | None, bytes]:
        media, value = None, None
        documented = op.response_for(status) if op is not None else None
        if documented is not None and documented.content and not any(is_json(m.media_type) for m in documented.content):
            assert op is not None
            return self._non_json_error(op, documented, message)
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

    def _non_json_error(self, op: Operation, response: Response, message: str) -> tuple[str | None, bytes]:
        """An error whose documented media types are not JSON: the message as text, an XML document, or
        (for binary and other types) an empty body without a Content-Type."""
        content = response.content
        text = next((m for m in content if m.media_type.lower().startswith("text/") and not is_xml(m.media_type)), None)
        if text is not None:
            body = message if self.valid(text, message) is not False else self.body(op, response, text)
            return text.media_type, encode(text, body)
        xml = next((m for m in content if is_xml(m.media_type)), None)
        if xml is not None:
            return xml.media_type, encode(xml, self._with_message(xml, self.body(op, response, xml), message))
        return None, b""

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
