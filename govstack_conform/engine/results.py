"""Run results: the documented, versioned structure written as `results.json`.

Every report format renders from this and nothing else, so it carries all the evidence: the request
sent (secrets redacted), the response received (body capped), the rule broken and where in the spec.
Bump SCHEMA_VERSION's major part on any incompatible change.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

import orjson

from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.errors import ReportError

SCHEMA_VERSION = "1.0"


class Verdict(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    NOT_IMPLEMENTED = "not-implemented"  # every case answered 404/501
    UNTESTABLE = "untestable"  # a spec defect prevents checking (the reason names it)
    ERROR = "error"  # network failure, timeout: no verdict on the candidate
    SKIPPED = "skipped"  # not run by choice (--read-only, shard, filter)


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    UNTESTABLE = "untestable"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    url: str
    headers: tuple[tuple[str, str], ...]  # secrets already redacted
    body: str | None = None
    body_truncated: bool = False


@dataclass(frozen=True)
class RecordedResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: str | None = None
    body_truncated: bool = False
    elapsed_ms: float = 0.0
    http_version: str = "HTTP/1.1"


@dataclass(frozen=True)
class Exchange:
    step: str
    request: RecordedRequest
    response: RecordedResponse | None = None
    error: str | None = None  # transport failure (timeout, refused, reset, too large)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one named check on one step, with the rule in words and where it comes from."""

    check: str  # e.g. "status_code_documented"
    level: Level
    outcome: Outcome
    message: str
    step: str | None = None
    instance_pointer: str | None = None  # where in the response body
    schema_file: str | None = None
    schema_pointer: str | None = None  # where in the spec file the broken rule stands
    waived: str | None = None  # justification, when a valid waiver covers this failure


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    operation: str
    kind: CaseKind
    name: str
    description: str
    verdict: Verdict
    checks: tuple[CheckResult, ...] = ()
    exchanges: tuple[Exchange, ...] = ()
    duration_ms: float = 0.0
    reason: str | None = None  # why untestable / error / skipped
    covers: tuple[str, ...] = ()  # the BB's Gherkin scenarios the case tests ("<feature file>:<line> <name>")


@dataclass(frozen=True)
class OperationResult:
    key: str
    method: str
    path: str
    operation_id: str | None
    source_file: str
    verdict: Verdict
    reason: str | None = None


@dataclass(frozen=True)
class SpecFileRef:
    path: str
    sha256: str


@dataclass(frozen=True)
class BBResult:
    bb: str
    ref: str
    title: str
    platform_id: str  # "bb-consent", as the GovStack compliance platform names it
    target: str
    spec_files: tuple[SpecFileRef, ...]
    operations: tuple[OperationResult, ...]
    cases: Sequence[CaseResult]  # a tuple, or read from the run journal as needed (engine/caselog.py)
    defects: tuple[dict[str, Any], ...] = ()  # SpecDefect.to_dict() of the contract
    started: str = ""
    finished: str = ""
    duration_s: float = 0.0


@dataclass(frozen=True)
class RunResults:
    tool_version: str
    started: str
    finished: str
    seed: int
    options: Mapping[str, Any]  # everything that changes results: insecure, read_only, waivers, ...
    results: tuple[BBResult, ...]
    complete: bool = True  # False when interrupted
    schema_version: str = SCHEMA_VERSION
    product: Mapping[str, Any] = field(default_factory=dict)  # name, version when configured


def _plain(value: Any) -> Any:
    """The slow, general walk: what `to_dict` falls back on where orjson cannot go."""
    if isinstance(value, StrEnum):
        return value.value
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)) or _is_log(value):
        return [_plain(v) for v in value]
    return value


def _is_log(value: Any) -> bool:
    """Cases read from the journal (caselog.CaseLog): a sequence that is no tuple or list."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes, tuple, list))


def _mapping(value: Any) -> Any:
    """orjson's hook for the kinds of value it does not know in results: a read-only Mapping (options), cases
    read from the journal."""
    if isinstance(value, Mapping):
        return dict(value)
    if _is_log(value):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


_INDENTED = orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE


def encode(value: Any, *, indent: bool = False, sort_keys: bool = False) -> bytes:
    """JSON bytes of results or of plain data holding them: dataclasses as objects in field order, enums as
    their values, UTF-8 (no ASCII escapes); compact, or with `indent` 2-space indented and newline-ended;
    with `sort_keys` every object's keys sorted (the same data, the same bytes: a fingerprint).

    orjson does it (the standard library's indenting encoder runs in pure Python: 20 times slower). Where
    orjson refuses (a lone surrogate, an integer past 64 bits, a key that is not a string) the standard
    library writes the same document, ASCII-escaped when a string cannot be UTF-8 at all. orjson leaves
    out dataclass fields named with a leading underscore: results have none (tests/test_results_encoding.py).
    """
    option = (_INDENTED if indent else 0) | (orjson.OPT_SORT_KEYS if sort_keys else 0)
    try:
        return orjson.dumps(value, default=_mapping, option=option)
    except TypeError:  # orjson.JSONEncodeError is a TypeError
        plain = _plain(value)
        shape: dict[str, Any] = {"indent": 2} if indent else {"separators": (",", ":")}
        shape["sort_keys"] = sort_keys
        end = "\n" if indent else ""
        try:
            return (json.dumps(plain, ensure_ascii=False, **shape) + end).encode("utf-8")
        except UnicodeEncodeError:
            return (json.dumps(plain, ensure_ascii=True, **shape) + end).encode("ascii")


@dataclass(frozen=True)
class Streamed:
    """A JSON array written item by item as `items` yields them (`write_indented`): never built whole."""

    items: Iterable[Any]


@dataclass(frozen=True)
class Fields:
    """A JSON object written member by member (`write_indented`), so that a Streamed can sit inside it."""

    pairs: Iterable[tuple[str, Any]]


def write_indented(out: IO[bytes], value: Any) -> None:
    """Write `value` as `encode(value, indent=True)` writes it, byte for byte, without holding the document:
    Streamed and Fields are written piece by piece, anything else is one orjson piece re-indented to its
    depth (orjson never writes a raw newline inside a string, so every newline of a piece is a line break).

    TypeError where orjson refuses a piece: the caller writes the whole document with `encode` instead,
    whose standard-library fallback may escape the whole document."""
    _write(out, value, 0)
    out.write(b"\n")


def _write(out: IO[bytes], value: Any, depth: int) -> None:
    inner = b"\n" + b"  " * (depth + 1)
    if isinstance(value, Streamed):
        opened = False
        for item in value.items:
            out.write(b"," + inner if opened else b"[" + inner)
            opened = True
            _write(out, item, depth + 1)
        out.write(b"\n" + b"  " * depth + b"]" if opened else b"[]")
    elif isinstance(value, Fields):
        opened = False
        for key, item in value.pairs:
            out.write((b"," if opened else b"{") + inner + orjson.dumps(key) + b": ")
            opened = True
            _write(out, item, depth + 1)
        out.write(b"\n" + b"  " * depth + b"}" if opened else b"{}")
    else:
        piece = orjson.dumps(value, default=_mapping, option=orjson.OPT_INDENT_2)
        out.write(piece.replace(b"\n", b"\n" + b"  " * depth) if depth and b"\n" in piece else piece)


def to_dict(results: RunResults) -> dict[str, Any]:
    """results.json as plain data: read back from its own JSON bytes, 2-3 times faster than walking it."""
    try:
        data: dict[str, Any] = orjson.loads(orjson.dumps(results, default=_mapping))
    except TypeError:
        data = _plain(results)
    return data


def _pairs(items: Iterable[Any]) -> tuple[tuple[str, str], ...]:
    return tuple((str(k), str(v)) for k, v in items)


def _exchange(d: Mapping[str, Any]) -> Exchange:
    req = d["request"]
    resp = d.get("response")
    return Exchange(
        step=d["step"],
        request=RecordedRequest(
            req["method"], req["url"], _pairs(req["headers"]), req.get("body"), req.get("body_truncated", False)
        ),
        response=None
        if resp is None
        else RecordedResponse(
            resp["status"],
            _pairs(resp["headers"]),
            resp.get("body"),
            resp.get("body_truncated", False),
            resp.get("elapsed_ms", 0.0),
            resp.get("http_version", "HTTP/1.1"),
        ),
        error=d.get("error"),
    )


def _check(d: Mapping[str, Any]) -> CheckResult:
    return CheckResult(**{**d, "level": Level(d["level"]), "outcome": Outcome(d["outcome"])})


def _case(d: Mapping[str, Any]) -> CaseResult:
    return CaseResult(
        case_id=d["case_id"],
        operation=d["operation"],
        kind=CaseKind(d["kind"]),
        name=d["name"],
        description=d["description"],
        verdict=Verdict(d["verdict"]),
        checks=tuple(_check(c) for c in d.get("checks", ())),
        exchanges=tuple(_exchange(x) for x in d.get("exchanges", ())),
        duration_ms=d.get("duration_ms", 0.0),
        reason=d.get("reason"),
        covers=tuple(d.get("covers", ())),
    )


def _bb(d: Mapping[str, Any]) -> BBResult:
    return BBResult(
        bb=d["bb"],
        ref=d["ref"],
        title=d["title"],
        platform_id=d["platform_id"],
        target=d["target"],
        spec_files=tuple(SpecFileRef(**f) for f in d["spec_files"]),
        operations=tuple(OperationResult(**{**o, "verdict": Verdict(o["verdict"])}) for o in d["operations"]),
        cases=tuple(_case(c) for c in d["cases"]),
        defects=tuple(d.get("defects", ())),
        started=d.get("started", ""),
        finished=d.get("finished", ""),
        duration_s=d.get("duration_s", 0.0),
    )


def from_dict(data: Mapping[str, Any]) -> RunResults:
    """Rebuild results from their JSON form; ReportError on anything malformed."""
    version = str(data.get("schema_version", ""))
    if version.split(".")[0] != SCHEMA_VERSION.split(".")[0]:
        raise ReportError(f"results schema version {version!r} is not supported (expected {SCHEMA_VERSION})")
    try:
        return RunResults(
            tool_version=data["tool_version"],
            started=data["started"],
            finished=data["finished"],
            seed=data["seed"],
            options=dict(data.get("options", {})),
            results=tuple(_bb(b) for b in data["results"]),
            complete=data.get("complete", True),
            schema_version=version,
            product=dict(data.get("product", {})),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ReportError(f"results file is malformed: {type(exc).__name__}: {exc}") from None


def write_json(results: RunResults, path: Path) -> Path:
    """Write atomically, so a crash never leaves half a results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(encode(results, indent=True))
    tmp.replace(path)
    return path


def read_json(path: Path) -> RunResults:
    """Results written earlier (for `report`, `--baseline`), read bounded like every file the tool reads."""
    from govstack_conform.contracts.bounded import RESULTS_LIMIT, Unreadable, load_data

    if not path.exists() and not path.is_symlink():
        raise ReportError(f"results file not found: {path}")
    try:
        data = load_data(path, "json", RESULTS_LIMIT, "a results file")
    except Unreadable as exc:
        raise ReportError(f"cannot read results file {path}: {exc}") from None
    if not isinstance(data, dict):
        raise ReportError(f"results file {path} is not a JSON object")
    return from_dict(data)
