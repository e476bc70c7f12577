"""The normalized contract model: what every other layer reads instead of raw OpenAPI.

One `Contract` per BB release, merged from the release's files. Schemas are kept as they stand
in their document (with `$ref`s) and are resolved through `govstack_conform.contracts.schemas`, so recursive
schemas never need to be expanded. Every node remembers its file and JSON pointer so that a
finding can say where in the spec it comes from.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE")


def generated_media(media_type: str) -> bool:
    """Request media types the suite builds bodies in (engine/plan/wire.py encodes them; lint names the rest)."""
    mt = media_type.split(";")[0].strip().lower()
    if mt == "application/json" or mt.endswith("+json") or mt in ("*/*", "application/*"):
        return True
    return mt in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
        "application/octet-stream",
        "application/binary",
    ) or mt.startswith("text/")


class Severity(StrEnum):
    """How much a spec defect costs: ERROR means something cannot be checked."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class SpecDefect:
    """A finding about a GovStack spec (not an error of the tool, nor of the candidate).

    `operation` is the operation key ("GET /path") the defect touches, if any; `aspect` names what of
    that operation cannot be checked because of it: "operation" (nothing), "request" (valid input
    cannot be built), "parameters", "request-body", "response:<status>" or "response:*".
    """

    file: str
    pointer: str
    message: str
    severity: Severity
    code: str
    operation: str | None = None
    aspect: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "pointer": self.pointer,
            "message": self.message,
            "severity": self.severity.value,
            "code": self.code,
            "operation": self.operation,
            "aspect": self.aspect,
        }


@dataclass(frozen=True, eq=False)
class Schema:
    """A schema node as it stands in its document. `doc` keys `Contract.documents`."""

    node: Any
    doc: str
    pointer: str


@dataclass(frozen=True, eq=False)
class Example:
    name: str
    value: Any
    pointer: str


@dataclass(frozen=True, eq=False)
class Parameter:
    name: str
    location: str  # path | query | header | cookie
    required: bool
    schema: Schema | None
    examples: tuple[Example, ...]
    pointer: str
    style: str | None = None
    explode: bool | None = None
    deprecated: bool = False
    content_type: str | None = None  # declared with `content`: the value is sent as this media type (JSON)


@dataclass(frozen=True, eq=False)
class MediaType:
    media_type: str
    schema: Schema | None
    examples: tuple[Example, ...]
    pointer: str


@dataclass(frozen=True, eq=False)
class RequestBody:
    required: bool
    content: tuple[MediaType, ...]
    pointer: str


@dataclass(frozen=True, eq=False)
class Header:
    name: str
    required: bool
    schema: Schema | None
    pointer: str


@dataclass(frozen=True, eq=False)
class Response:
    status: str  # "200", "4XX", "default"
    description: str
    content: tuple[MediaType, ...]
    headers: tuple[Header, ...]
    pointer: str
    links: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class SecurityScheme:
    name: str  # key in components/securitySchemes
    type: str  # apiKey | http | oauth2 | openIdConnect | mutualTLS
    scheme: str | None = None  # http: bearer | basic | ...
    location: str | None = None  # apiKey: header | query | cookie
    param_name: str | None = None  # apiKey: header/query/cookie name
    raw: Mapping[str, Any] = field(default_factory=dict)


# One alternative of an operation's `security`: (scheme name, scopes) pairs that must all hold.
SecurityRequirement = tuple[tuple[str, tuple[str, ...]], ...]


@dataclass(frozen=True, eq=False)
class Operation:
    method: str  # upper case
    path: str  # path template as in the spec
    operation_id: str | None
    summary: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    request_body: RequestBody | None
    responses: tuple[Response, ...]
    # Alternatives; () means no security declared; an empty alternative means anonymous is allowed.
    security: tuple[SecurityRequirement, ...]
    source_file: str
    pointer: str
    defects: tuple[SpecDefect, ...] = ()
    deprecated: bool = False
    description: str = ""
    # The query that selects this operation: pairs written into the path key (`/beneficiaries?command=validate`)
    # and required query parameters that allow one value (`command`, enum: [cancel]).
    fixed_query: tuple[tuple[str, str], ...] = ()
    # What tells this definition apart from others of the same METHOD and path, in its key: its fixed
    # query ("?command=cancel"), and its file when even that collides (" (VoucherRedemption.yml)").
    variant: str = ""

    @property
    def key(self) -> str:
        """ "METHOD /path" (as the spec writes the path), with the variant when the pair is defined more than once."""
        return f"{self.method} {self.path}{self.variant}"

    @property
    def route(self) -> str:
        """ "METHOD /path" without the variant: what a request line alone says."""
        return f"{self.method} {self.path}"

    def blocked(self, aspect: str) -> SpecDefect | None:
        """The ERROR defect that makes `aspect` of this operation uncheckable, if any."""
        for d in self.defects:
            if d.severity is not Severity.ERROR or d.aspect is None:
                continue
            if d.aspect in (aspect, "operation"):
                return d
            if d.aspect == "response:*" and aspect.startswith("response:"):
                return d
            if d.aspect == "request" and aspect in ("parameters", "request-body"):
                return d
        return None

    def response_for(self, status: int) -> Response | None:
        """The documented response that covers `status`: exact code, then `NXX`, then `default`."""
        exact = str(status)
        ranged = f"{str(status)[0]}XX"
        default = None
        found_range = None
        for r in self.responses:
            s = r.status.upper()
            if s == exact:
                return r
            if s == ranged:
                found_range = r
            elif s == "DEFAULT":
                default = r
        return found_range or default


@dataclass(frozen=True, eq=False)
class SpecDocument:
    """One parsed spec file. `key` is its store path (`<bb>/<ref>/<file>`) or the path given."""

    key: str
    uri: str  # base URI under which the document is registered for $ref resolution
    openapi: str  # "3.0.1", "3.1.0", ...
    sha256: str
    raw: Mapping[str, Any]
    path: str = ""  # the local file it was read from ("" when fetched from a URL)


@dataclass(frozen=True, eq=False)
class Contract:
    """One BB release's API contract, merged from all of its files."""

    bb: str
    ref: str
    title: str
    operations: tuple[Operation, ...]
    security_schemes: Mapping[str, SecurityScheme]
    documents: Mapping[str, SpecDocument]
    defects: tuple[SpecDefect, ...]
    # A referencing.Registry holding every document, or None: then `schema_registry()` builds it when first
    # asked (what only lists or plans a contract never needs it, and importing referencing costs 30 ms).
    registry: Any = None

    @property
    def label(self) -> str:
        return f"{self.bb}@{self.ref}"

    def schema_registry(self) -> Any:
        """The referencing.Registry of every document ($ref resolution for the jsonschema validators)."""
        if self.registry is not None:
            return self.registry
        found = self.__dict__.get("_registry")
        if found is None:
            from govstack_conform.contracts.loader.contract import make_registry

            found = self.__dict__["_registry"] = make_registry(list(self.documents.values()))
        return found

    def operation(self, key: str) -> Operation | None:
        """The operation of this key or operationId (a "METHOD /path" defined twice names neither: see variants)."""
        return self._by_name.get(key)

    def twins(self, op: Operation) -> tuple[Operation, ...]:
        """The other definitions with the same method, path and fixed query as `op` (a request cannot tell them
        apart), in the contract's order; grouped once per contract, as every answer asks."""
        group = self._by_request_line.get((op.route, op.fixed_query), ())
        return tuple(o for o in group if o is not op) if len(group) > 1 else ()

    @cached_property
    def _by_request_line(self) -> dict[tuple[str, tuple[tuple[str, str], ...]], list[Operation]]:
        groups: dict[tuple[str, tuple[tuple[str, str], ...]], list[Operation]] = {}
        for op in self.operations:
            groups.setdefault((op.route, op.fixed_query), []).append(op)
        return groups

    def variants(self, route: str) -> tuple[Operation, ...]:
        """Every definition of "METHOD /path" (several when files define the same pair, told apart by `variant`)."""
        return self._by_route.get(route, ())

    @cached_property
    def _by_name(self) -> dict[str, Operation]:
        """Key and operationId -> the first operation (in contract order) that has it as either: the planner
        looks an operation up once per case, and a scan made planning grow with the square of the contract."""
        found: dict[str, Operation] = {}
        for op in self.operations:
            found.setdefault(op.key, op)
            if op.operation_id is not None:
                found.setdefault(op.operation_id, op)
        return found

    @cached_property
    def _by_route(self) -> dict[str, tuple[Operation, ...]]:
        found: dict[str, list[Operation]] = {}
        for op in self.operations:
            found.setdefault(op.route, []).append(op)
        return {route: tuple(ops) for route, ops in found.items()}
