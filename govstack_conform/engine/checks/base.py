"""What every check sees: the answered step (StepContext) and the helpers the checks share.

A PASSED result with the same words is shared between steps (results are immutable and there are
many); where our own input may not be valid for the product, `_excused_refusal` says why a refusal
is not the product's fault.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, MediaType, Operation, Response
from govstack_conform.datagen.values import json_at
from govstack_conform.engine.cases import Case, Level, Step
from govstack_conform.engine.checks.refusal import ID_NAME, Unknowns, unknowns
from govstack_conform.engine.exchange import Reply
from govstack_conform.engine.results import CheckResult, Outcome

REQ = Level.REQUIRED
REC = Level.RECOMMENDED
MAX_VIOLATIONS = 20
_NO_BODY_STATUSES = (204, 205, 304)
# Refusals HTTP servers give before the application sees the request (wrong media type, too large...):
# acceptable for invalid input even where the spec lists other 4xx codes.
_HTTP_LEVEL_4XX = frozenset({406, 411, 413, 414, 415, 431})
_INPUT_ERROR_CODES = frozenset({"400", "422", "4XX"})
# 429 Too Many Requests (RFC 6585 §4): the product or a gateway throttles our load; it says nothing about
# the request, so no check that judges the request's fate may blame it.
RATE_LIMITED = 429
RATE_LIMITED_WHY = (
    "untestable: the product answered 429 Too Many Requests (rate-limited), which says nothing about this "
    "request; lower --concurrency or set --rate-limit"
)
# 503 with Retry-After (RFC 9110 §15.6.4, §10.2.3): the server says it is overloaded or in maintenance for a
# while, which is throttling as much as a 429 is; a 503 without it stays a server failure.
UNAVAILABLE = 503
UNAVAILABLE_WHY = (
    "untestable: the product answered 503 Service Unavailable with Retry-After (overloaded or in maintenance, "
    "RFC 9110 §15.6.4), which says nothing about this request; lower --concurrency, set --rate-limit or run "
    "again later"
)


def throttled(reply: Reply) -> str | None:
    """Why the answer is throttling (429, or 503 with Retry-After) and says nothing about the request, if it is."""
    if reply.status == RATE_LIMITED:
        return RATE_LIMITED_WHY
    if reply.status == UNAVAILABLE and reply.header("retry-after") is not None:
        return UNAVAILABLE_WHY
    return None


class StepContext:
    """Everything a check may look at for one answered step; the parsed body is computed once."""

    __slots__ = (
        "_json",
        "_unknowns",
        "case",
        "contract",
        "filled",
        "has_credentials",
        "json_problem",
        "latency_ms",
        "op",
        "reply",
        "step",
    )

    def __init__(
        self,
        contract: Contract,
        op: Operation | None,
        case: Case,
        step: Step,
        reply: Reply,
        *,
        has_credentials: bool,
        latency_ms: float,
        unknowns: Unknowns | None = None,
        filled: Mapping[str, str] | None = None,
    ) -> None:
        self.contract = contract
        self.op = op
        self.case = case
        self.step = step
        self.reply = reply
        self.has_credentials = has_credentials
        self.latency_ms = latency_ms
        self._unknowns = unknowns
        self.filled = filled or {}  # values captured by earlier steps of the sequence, by variable
        self._json: Any = _UNSET
        self.json_problem: str | None = None  # why json() is _INVALID, in words

    def with_op(self, op: Operation) -> StepContext:
        """The same answered step, judged against another definition (see twins.py)."""
        return StepContext(
            self.contract, op, self.case, self.step, self.reply,
            has_credentials=self.has_credentials, latency_ms=self.latency_ms, unknowns=self._unknowns,
            filled=self.filled,
        )  # fmt: skip

    def filled_body(self) -> Any:
        """The JSON body as sent: placeholders of earlier steps' captures filled in."""

        def fill(value: Any) -> Any:
            if isinstance(value, str) and "${" in value:
                return PLACEHOLDER.sub(lambda m: self.filled.get(m.group(1), m.group(0)), value)
            if isinstance(value, dict):
                return {k: fill(v) for k, v in value.items()}
            if isinstance(value, list):
                return [fill(v) for v in value]
            return value

        return fill(self.step.request.body)

    @property
    def unknowns(self) -> Unknowns:
        """What in the request the product may not know (generated values); worked out when first asked,
        as most answers never need it."""
        if self._unknowns is None:
            self._unknowns = unknowns(self.case, self.step)
        return self._unknowns

    @property
    def known_valid(self) -> bool:
        """Whether every record the request names is known to the product, so that a refusal is its fault."""
        return not self.unknowns.any

    @property
    def status(self) -> int:
        return self.reply.status

    def response(self) -> Response | None:
        """The documented response for the status; a throttling answer (429, 503 with Retry-After) only when
        the spec names that status itself (a throttling gateway's answer is not the product's `default`,
        `4XX` or `5XX` answer)."""
        if self.op is None:
            return None
        found = self.op.response_for(self.reply.status)
        if found is not None and self.throttled and found.status != str(self.reply.status):
            return None
        return found

    @property
    def throttled(self) -> str | None:
        """Why the answer is throttling, if it is (see `throttled`)."""
        return throttled(self.reply)

    def json(self) -> Any:
        """The body as JSON, or _INVALID when it is not JSON (then `json_problem` says why)."""
        if self._json is _UNSET:
            self._json, self.json_problem = parse_json(self.reply.body)
        return self._json

    @property
    def past_our_limits(self) -> bool:
        """Whether the body is JSON that the tool cannot read (nested too deep, an integer too long): a limit
        of ours, not a fault of the product's."""
        return self.json() is _INVALID and (self.json_problem or "").startswith((TOO_DEEP, TOO_LONG_INT))


# RFC 8259 §9 lets a parser limit nesting; real API payloads nest a few levels, validators recurse per level.
MAX_JSON_DEPTH = 128
TOO_DEEP = "nested deeper than"
# Python converts at most sys.get_int_max_str_digits() digits to an int (a guard against slow conversion);
# JSON sets no limit on a number's digits (RFC 8259 §6).
TOO_LONG_INT = "holding an integer longer than"


def parse_json(body: bytes) -> tuple[Any, str | None]:
    """(value, None), or (_INVALID, why): not UTF-8, not JSON, or nested deeper than MAX_JSON_DEPTH.

    Duplicate object keys keep the last value, as JavaScript's JSON.parse (which the GovStack
    harnesses use) and Python do; the checks judge what those consumers would see.
    """
    try:
        value = json.loads(body, parse_constant=_not_a_json_number)
    except RecursionError:
        return _INVALID, f"{TOO_DEEP} {MAX_JSON_DEPTH} levels"
    except UnicodeDecodeError as exc:
        return _INVALID, f"not UTF-8 (byte 0x{body[exc.start]:02x} at offset {exc.start})"
    except ValueError as exc:
        if "integer string conversion" in str(exc):
            return _INVALID, f"{TOO_LONG_INT} {sys.get_int_max_str_digits()} digits"
        return _INVALID, f"not valid JSON ({' '.join(str(exc).split())[:120]})"
    if body.count(b"[") + body.count(b"{") > MAX_JSON_DEPTH and _deeper_than(value, MAX_JSON_DEPTH):
        return _INVALID, f"{TOO_DEEP} {MAX_JSON_DEPTH} levels"
    return value, None


def _not_a_json_number(name: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259 §6): Python's parser takes them, JSON.parse does not."""
    raise ValueError(f"{name} is not a JSON number")


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels (iteratively: no recursion on hostile input)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))
    return False


_UNSET = object()
_INVALID = object()

# A PASSED result with the same words is shared between steps: it is immutable and there are many.
_PASSED: dict[tuple[str, Level, str, str], CheckResult] = {}


def passed(check: str, level: Level, message: str, step: str) -> CheckResult:
    key = (check, level, message, step)
    found = _PASSED.get(key)
    if found is None:
        if len(_PASSED) > 4096:
            _PASSED.clear()
        found = _PASSED[key] = CheckResult(check, level, Outcome.PASSED, message, step)
    return found


def _result(check: str, level: Level, outcome: Outcome, message: str, ctx: StepContext, **kw: Any) -> CheckResult:
    return CheckResult(check, level, outcome, message, ctx.step.name, **kw)


def _documented_4xx(op: Operation | None) -> list[str]:
    return [r.status.upper() for r in op.responses if r.status[:1] == "4"] if op else []


def _covers(codes: list[str] | tuple[str, ...], status: int) -> bool:
    exact, ranged = str(status), f"{str(status)[0]}XX"
    return any(c.upper() in (exact, ranged) for c in codes)


def _documented_list(op: Operation | None) -> str:
    return ", ".join(r.status for r in op.responses) if op and op.responses else "none"


def _excused_refusal(ctx: StepContext) -> str | None:
    """Why a 4xx on a request we meant as valid says nothing about the product, if it says nothing."""
    status = ctx.status
    if ctx.throttled:
        return ctx.throttled
    if status in (401, 403):
        if ctx.has_credentials:
            return (
                f"untestable: the product refused the configured credentials with {status}; "
                "check --token/--api-key/--basic/--oauth2-token-url"
            )
        return (
            f"untestable: credentials needed (the product answered {status} and no credentials were configured; "
            "give --token, --api-key, --basic or --oauth2-token-url)"
        )
    if status in (404, 410) and not ctx.known_valid:
        return (
            f"{status} for an identifier the product need not know (generated test data in "
            f"{ctx.unknowns.where()}); supply a fixtures file with real identifiers to test this operation on "
            "existing records"
        )
    return None


def wire_value(contract: Any, text: str, schema: Any, *, item: bool = False) -> Any:
    """A header's or path parameter's text as the value its schema expects (integer, number, boolean, an
    array of those), else the text: such values are strings on the wire (RFC 9110 §5.5), arrays
    comma-separated (OAS `simple` style)."""
    found = schemas.resolve(contract, schema)
    node = found.node
    kind = node.get("type") if isinstance(node, dict) else None
    if isinstance(kind, list):  # OAS 3.1 `type: [integer, "null"]`: the type a header can carry
        kind = next((k for k in kind if k != "null"), None)
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean" and text.strip().lower() in ("true", "false"):
        return text.strip().lower() == "true"
    if kind == "array" and not item:
        parts = [p.strip() for p in text.split(",")]
        if isinstance(node.get("items"), dict):
            items = schemas.child(found, "items")
            return [wire_value(contract, p, items, item=True) for p in parts]
        return parts
    return text


# A value an earlier step of a sequence captured, in a later step's request: `${name}`.
PLACEHOLDER = re.compile(r"\$\{([^{}]+)\}")


def filled_param_problem(ctx: StepContext, check: str) -> CheckResult | None:
    """UNTESTABLE for `check` when a value captured from an earlier answer cannot be a valid value
    of this step's parameter (a created id 1004 where the read's parameter allows 1-10): the spec's
    operations disagree, so the product's refusal of it says nothing."""
    op = ctx.op
    if op is None or not ctx.filled:
        return None
    declared = {(p.location, p.name): p for p in op.parameters}
    req = ctx.step.request
    for location, pairs in (("path", req.path_params), ("query", req.query)):
        for name, template in pairs:
            p = declared.get((location, name))
            if "${" not in template or p is None or p.schema is None:
                continue
            text = PLACEHOLDER.sub(lambda m: ctx.filled.get(m.group(1), m.group(0)), template)
            try:
                found = schemas.validate(ctx.contract, p.schema, wire_value(ctx.contract, text, p.schema))
            except schemas.SchemaUnusable:
                continue
            if found:
                return CheckResult(
                    check, REQ, Outcome.UNTESTABLE,
                    f"untestable: the id the product returned ({text[:80]}) cannot be a valid {location} parameter "
                    f"{name} of {op.key} ({found[0].message}): the spec's operations disagree, so the answer "
                    f"({ctx.status}) says nothing about the product",
                    ctx.step.name, schema_file=found[0].schema_file, schema_pointer=found[0].schema_pointer,
                )  # fmt: skip
    return None


def media_type(value: str | None) -> str:
    """'application/json; charset=utf-8' -> 'application/json'."""
    return (value or "").split(";", 1)[0].strip().lower()


def match_media(actual: str, documented: tuple[MediaType, ...]) -> MediaType | None:
    """The documented media type covering `actual`: exact, then type/*, then */*."""
    best: MediaType | None = None
    rank = 0
    main = actual.split("/", 1)[0]
    for m in documented:
        d = media_type(m.media_type)
        if d == actual:
            return m
        if d == f"{main}/*" and rank < 2:
            best, rank = m, 2
        elif d == "*/*" and rank < 1:
            best, rank = m, 1
    return best


def is_json(media: str) -> bool:
    return media == "application/json" or media.endswith("+json") or media == "text/json"


def _at(doc: Any, pointer: str) -> Any:
    return json_at(doc, pointer, _UNSET)


def mentions_id(value: Any) -> bool:
    """Whether a generated body names identifiers (which the product may not know)."""
    if isinstance(value, dict):
        return any(
            (ID_NAME.search(str(k)) and not (isinstance(v, str) and "${" in v)) or mentions_id(v)
            for k, v in value.items()
        )
    if isinstance(value, list):
        return any(mentions_id(v) for v in value)
    return False
