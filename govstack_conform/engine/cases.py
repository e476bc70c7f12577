"""Test cases as data: what to send and what a conformant product must answer.

Planning (plan.py) produces these; the runner (runner.py) sends them and the checks judge them.
A case is pure data so that `plan --json` is byte-identical across runs and cases can be sharded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from govstack_conform.contracts.workflows import HeaderCapture


class Level(StrEnum):
    """Requirement level of a check, as in the GovStack compliance form (REQUIRED=0 ...)."""

    REQUIRED = "required"
    RECOMMENDED = "recommended"
    OPTIONAL = "optional"


class CaseKind(StrEnum):
    POSITIVE = "positive"  # valid request: expect a documented success
    NEGATIVE = "negative"  # invalid input: expect a (documented) 4xx, never 5xx
    SECURITY = "security"  # missing / wrong credentials: expect 401/403
    METHOD = "method"  # undeclared method: expect 405 (or 404)
    STATEFUL = "stateful"  # create -> read -> update -> read -> delete -> read


class Expect(StrEnum):
    SUCCESS = "success"  # a documented 2xx (or 3xx)
    CLIENT_ERROR = "client-error"  # a 4xx, a documented one when the spec lists 4xx codes
    AUTH_REFUSED = "auth-refused"  # 401 or 403
    METHOD_REFUSED = "method-refused"  # 405 (RECOMMENDED) or 404
    GONE = "gone"  # 404 (or 410) after delete


class Auth(StrEnum):
    VALID = "valid"  # send the configured credentials
    NONE = "none"  # send no credentials at all
    WRONG = "wrong"  # send well-formed but wrong credentials


NO_BODY: Any = None
SETUP_STEP = "setup-create"  # the name of a case's setup step (see Step.setup)


@dataclass(frozen=True)
class RequestPlan:
    """A request before base URL, auth and extra headers are applied.

    Path parameter values may contain `${var}` placeholders filled from earlier steps' captures.
    `body` is a JSON value when `raw_body` is None; `raw_body` carries deliberately malformed bytes.
    """

    method: str
    path: str  # the spec's path template
    path_params: tuple[tuple[str, str], ...] = ()
    query: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    body: Any = NO_BODY
    has_body: bool = False
    raw_body: bytes | None = None
    content_type: str | None = None
    auth: Auth = Auth.VALID
    # Headers the runner must NOT add from profiles, config or --header: the case tests their absence.
    omit_headers: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "method": self.method,
            "path": self.path,
            "path_params": dict(self.path_params),
            "query": [list(q) for q in self.query],
            "headers": dict(self.headers),
            "auth": self.auth.value,
        }
        if self.raw_body is not None:
            d["raw_body"] = self.raw_body.decode("utf-8", "replace")
        elif self.has_body:
            d["body"] = self.body
        if self.content_type:
            d["content_type"] = self.content_type
        if self.omit_headers:
            d["omit_headers"] = list(self.omit_headers)
        return d


@dataclass(frozen=True)
class Step:
    """One request of a case and what its answer must be."""

    name: str  # "request" for single-step cases; "create", "read", ... in sequences
    operation: str  # operation key "METHOD /path" the step exercises (the spec's, even for METHOD cases)
    request: RequestPlan
    expect: Expect
    # Documented statuses that satisfy the expectation ("400", "4XX", ...); empty = any in the class.
    statuses: tuple[str, ...] = ()
    # Variables to capture from the JSON response body: name -> JSON pointer.
    capture: tuple[tuple[str, str], ...] = ()
    # Variables to capture from response headers (a create answering 201 with only a `Location`).
    capture_headers: tuple[HeaderCapture, ...] = ()
    # For reads after create/update: JSON the response must contain (subset match), by pointer.
    must_echo: tuple[tuple[str, Any], ...] = ()
    # A list filtered by a value no record holds: the query parameter set to it; the answer must be [].
    unmatched_filter: str | None = None
    # A setup step creates the record a later step changes or deletes: it must succeed (else the rest is
    # not sent) but its answer is not judged, since it belongs to another operation (judged by its own cases).
    setup: bool = False

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "operation": self.operation,
            "request": self.request.to_dict(),
            "expect": self.expect.value,
            "statuses": list(self.statuses),
            "capture": dict(self.capture),
            "must_echo": [[p, v] for p, v in self.must_echo],
        }
        if self.capture_headers:
            d["capture_headers"] = {c.var: {"header": c.header, "take": c.take} for c in self.capture_headers}
        if self.setup:
            d["setup"] = True
        if self.unmatched_filter is not None:
            d["unmatched_filter"] = self.unmatched_filter
        return d


@dataclass(frozen=True)
class Case:
    """A named, deterministic test case. `case_id` is stable across runs of the same contract."""

    case_id: str  # "consent::POST /config/data-agreement::negative-missing-purpose"
    bb: str
    ref: str
    operation: str  # key of the operation under test
    operation_id: str | None
    kind: CaseKind
    name: str  # the last part of case_id
    description: str
    steps: tuple[Step, ...]
    untestable: str | None = None  # why the spec prevents this case (then it is not sent)
    tags: tuple[str, ...] = field(default_factory=tuple)
    # Why the case is not sent by choice (it would change or delete a record the run did not create,
    # see docs/data-safety.md): reported skipped with this reason.
    skip: str | None = None
    # The BB's own Gherkin scenarios this case tests ("<feature file>:<line> <scenario name>", plan/scenarios.py).
    covers: tuple[str, ...] = ()

    @property
    def read_only(self) -> bool:
        return all(s.request.method in ("GET", "HEAD", "OPTIONS") for s in self.steps)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "case_id": self.case_id,
            "bb": self.bb,
            "ref": self.ref,
            "operation": self.operation,
            "operation_id": self.operation_id,
            "kind": self.kind.value,
            "name": self.name,
            "description": self.description,
            "untestable": self.untestable,
            "tags": list(self.tags),
            "covers": list(self.covers),
            "steps": [s.to_dict() for s in self.steps],
        }
        if self.skip:
            d["skip"] = self.skip
        return d
