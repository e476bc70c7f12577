"""BB workflows: named multi-step scenarios declared in the BB profiles (`specs/profiles/<bb>.yaml`).

A workflow says which operations to call in order, what each step sets, what it must answer, which values
of an answer the next steps use and which fields must read back as written. The planner turns each into
one stateful case (engine/plan/workflows.py). Profiles are ours and trusted by every other layer, so a
workflow is checked strictly here: a step that uses a value no earlier step captured, or compares a field
with a step that comes later, is a CatalogError when the catalog loads, not a surprise during a run.
docs/workflows.md describes every key a profile may write.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from govstack_conform.errors import CatalogError

EXPECTS = ("success", "client-error", "gone", "auth-refused")
ROLES = ("create", "read", "update", "delete", "action")
UNIQUE = "$unique"
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OP = re.compile(r"^(?:[A-Za-z][\w.-]*|(?:GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS) /\S*)$")
_STEP_KEYS = ("name", "operation", "expect", "role", "params", "body", "capture", "echo")
_VARNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_HEADER = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an HTTP field name (RFC 9110 token)
TAKES = ("value", "last-segment")


@dataclass(frozen=True)
class HeaderCapture:
    """A value a step keeps from a response header rather than the body: a create that answers 201 with no
    body names what it made only in `Location`. `take` is the header's whole value, or the last segment of the
    URL (absolute or relative) it holds, percent-decoded: `/dataStore/ab%2Fc/` gives `ab/c`."""

    var: str
    header: str
    take: str = "value"  # value | last-segment

    def value_in(self, headers: Sequence[tuple[str, str]]) -> str | None:
        """The captured value, or None when the header is absent, repeated with different values, or empty."""
        found = {v.strip() for k, v in headers if k.lower() == self.header.lower()}
        if len(found) != 1:
            return None
        (value,) = found
        if self.take == "last-segment":
            try:
                path = urlsplit(value).path
            except ValueError:
                return None
            value = unquote(path.rstrip("/").rpartition("/")[2])
        return value or None


@dataclass(frozen=True, eq=False)
class WorkflowStep:
    """One request of a BB workflow: which operation, what it sets, what it must answer and keep.

    Values in `params` and `body` are literals, `${var}` (captured by an earlier step of this run) or contain
    `$unique` (one value per planned workflow, the same in every step: names what the workflow creates).
    """

    name: str
    operation: str  # operationId, or "METHOD /path" as the spec writes it
    expect: str = "success"  # success | client-error | gone | auth-refused
    role: str = "action"  # create | read | update | delete | action: what the step does to the resource
    params: tuple[tuple[str, str], ...] = ()  # path, query or header parameter -> value
    body: Any = None  # JSON laid over the generated valid body (objects merged, the rest replaced)
    capture: tuple[tuple[str, str], ...] = ()  # variable -> JSON pointer in this step's answer
    capture_headers: tuple[HeaderCapture, ...] = ()  # variables taken from this step's response headers
    # (answer pointer, earlier step, pointer in its request body), or (answer pointer, "", literal value)
    echo: tuple[tuple[str, str, Any], ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        """Every variable this step captures, from the body and from headers."""
        return (*(var for var, _ in self.capture), *(c.var for c in self.capture_headers))


@dataclass(frozen=True, eq=False)
class Workflow:
    """A named multi-step scenario of a BB, written from its contract and its Gherkin features."""

    name: str
    description: str
    steps: tuple[WorkflowStep, ...]
    releases: tuple[str, ...] = ()  # the releases whose contract it is written for; () = every release
    features: tuple[str, ...] = ()  # the BB's feature files it follows (file names), for the record

    def applies_to(self, ref: str) -> bool:
        return not self.releases or ref in self.releases


def _fail(where: str, what: str) -> CatalogError:
    return CatalogError(f"catalog: {where}: {what}")


def _keys(raw: Any, where: str, required: tuple[str, ...], allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise _fail(where, "expected a mapping")
    missing = [k for k in required if k not in raw]
    unknown = sorted(str(k) for k in raw if k not in allowed)
    if missing or unknown:
        raise _fail(where, f"missing {', '.join(missing)}" if missing else f"unknown key {', '.join(unknown)}")
    return raw


def _string(raw: Any, where: str, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(raw, str) or not raw.strip() or (pattern is not None and not pattern.match(raw)):
        raise _fail(where, f"expected a string{' matching ' + pattern.pattern if pattern else ''}, got {raw!r}")
    return raw


def _pointer(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or (raw and not raw.startswith("/")):
        raise _fail(where, f"expected a JSON pointer ('' or starting with /), got {raw!r}")
    return raw


def _strings(value: Any) -> list[str]:
    """Every string inside a JSON value (keys excluded)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _step(raw: Any, where: str, earlier: list[WorkflowStep]) -> WorkflowStep:
    m = _keys(raw, where, ("name", "operation"), _STEP_KEYS)
    name = _string(m["name"], f"{where}.name", _NAME)
    if any(s.name == name for s in earlier):
        raise _fail(where, f"step name '{name}' is used twice")
    expect = m.get("expect", "success")
    if expect not in EXPECTS:
        raise _fail(f"{where}.expect", f"expected one of {', '.join(EXPECTS)}, got {expect!r}")
    role = m.get("role", "action")
    if role not in ROLES:
        raise _fail(f"{where}.role", f"expected one of {', '.join(ROLES)}, got {role!r}")
    params_raw = m.get("params") or {}
    if not isinstance(params_raw, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in params_raw.items()
    ):
        raise _fail(f"{where}.params", "expected a mapping of parameter names to strings")
    capture, capture_headers = _captures(m.get("capture") or {}, f"{where}.capture")
    known = {var for s in earlier for var in s.variables}
    body = m.get("body")
    for text in [*params_raw.values(), *_strings(body)]:
        for var in _VAR.findall(text):
            if var not in known:
                raise _fail(where, f"uses ${{{var}}}, which no earlier step captures")
    echo: list[tuple[str, str, Any]] = []
    for answer_at, source in (m.get("echo") or {}).items():
        if isinstance(source, bool | int | float):  # a literal the answer must hold ("exists": true)
            echo.append((_pointer(answer_at, f"{where}.echo"), "", source))
            continue
        step_name, sep, at = str(source).partition(":")
        if not sep or (step_name != name and not any(s.name == step_name for s in earlier)):
            raise _fail(f"{where}.echo", f"'{source}' must be '<this or an earlier step>:<pointer in its body>'")
        echo.append((_pointer(answer_at, f"{where}.echo"), step_name, _pointer(at, f"{where}.echo.{answer_at}")))
    return WorkflowStep(
        name=name,
        operation=_string(m["operation"], f"{where}.operation", _OP),
        expect=expect,
        role=role,
        params=tuple(params_raw.items()),
        body=body,
        capture=capture,
        capture_headers=capture_headers,
        echo=tuple(echo),
    )


def _captures(raw: Any, where: str) -> tuple[tuple[tuple[str, str], ...], tuple[HeaderCapture, ...]]:
    """`capture`: variable -> a JSON pointer into the answer's body, or {header: <name>, take: value|last-segment}."""
    if not isinstance(raw, Mapping):
        raise _fail(where, "expected a mapping of variable names to JSON pointers or {header: ...}")
    body: list[tuple[str, str]] = []
    headers: list[HeaderCapture] = []
    for k, v in raw.items():
        var = _string(k, where, _VARNAME)
        if not isinstance(v, Mapping):
            body.append((var, _pointer(v, f"{where}.{k}")))
            continue
        m = _keys(v, f"{where}.{k}", ("header",), ("header", "take"))
        take = m.get("take", "value")
        if take not in TAKES:
            raise _fail(f"{where}.{k}.take", f"expected one of {', '.join(TAKES)}, got {take!r}")
        headers.append(HeaderCapture(var, _string(m["header"], f"{where}.{k}.header", _HEADER), take))
    return tuple(body), tuple(headers)


def parse_workflows(raw: Any, where: str, refs: tuple[str, ...]) -> tuple[Workflow, ...]:
    """The profile's `workflows` list, validated; `refs` are the BB's release names."""
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise _fail(where, "expected a list")
    out: list[Workflow] = []
    for i, item in enumerate(raw):
        w = f"{where}[{i}]"
        m = _keys(item, w, ("name", "description", "steps"), ("name", "description", "steps", "releases", "features"))
        name = _string(m["name"], f"{w}.name", _NAME)
        if any(f.name == name for f in out):
            raise _fail(w, f"workflow name '{name}' is used twice")
        releases = m.get("releases") or []
        if not isinstance(releases, list) or any(r not in refs for r in releases):
            raise _fail(f"{w}.releases", f"expected a list of this BB's releases ({', '.join(refs)})")
        features = m.get("features") or []
        if not isinstance(features, list) or not all(isinstance(f, str) and f for f in features):
            raise _fail(f"{w}.features", "expected a list of feature file names")
        steps_raw = m["steps"]
        if not isinstance(steps_raw, list) or len(steps_raw) < 2:
            raise _fail(f"{w}.steps", "expected a list of at least two steps")
        steps: list[WorkflowStep] = []
        for j, s in enumerate(steps_raw):
            steps.append(_step(s, f"{w}.steps[{j}]", steps))
        out.append(
            Workflow(
                name=name,
                description=_string(m["description"], f"{w}.description"),
                steps=tuple(steps),
                releases=tuple(str(r) for r in releases),
                features=tuple(features),
            )
        )
    return tuple(out)
