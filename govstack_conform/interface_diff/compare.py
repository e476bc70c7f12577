"""Compare a candidate's own OpenAPI with the BB's contract, operation by operation.

Operations are matched by method and path shape (path parameter names do not matter: `{id}` and
`{policyId}` are the same shape, and a trailing slash is ignored for matching but reported). Within a
matched pair, parameters, security, the request body and the responses are compared; schemas go to
`schema_compat`.

Severity policy (a "breaking" finding fails the run):
- a BB operation the candidate lacks is breaking (non-breaking if the BB marks it deprecated); an
  extra candidate operation is info;
- a parameter the candidate adds as required, makes required, or whose schema rejects values the BB
  allows is breaking, as is a BB-required parameter the candidate does not declare; an optional one
  added or left out is non-breaking;
- a documented BB success status (1XX-3XX) the candidate does not document is breaking: a BB client
  must be able to read it. A BB error status (4XX/5XX) left out is non-breaking: many products leave
  error codes undocumented, and whether the product really answers them is for `run` to test;
- a BB request content type the candidate does not accept, or a BB response content type it does not
  declare, is breaking;
- a BB operation that requires authentication but that the candidate declares open to anonymous
  callers is breaking (it exposes what the BB protects); the reverse, or a different scheme, is
  non-breaking (credentials come from the deployment's configuration).
A part of an operation that a spec defect makes uncheckable gets an "info" finding, never a guess.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from govstack_conform.contracts.model import Contract, Operation, Parameter, SpecDefect
from govstack_conform.interface_diff import messages as msg
from govstack_conform.interface_diff.findings import DiffReport, Finding, Impact, location
from govstack_conform.interface_diff.responses import compare_request_body, compare_responses
from govstack_conform.interface_diff.schema_compat import SchemaCache, compare_schemas

_PARAM = re.compile(r"\{([^{}/]*)\}")
# OpenAPI: header parameters with these names are ignored (they are described elsewhere).
_IGNORED_HEADERS = {"accept", "content-type", "authorization"}


def diff_contracts(bb: Contract, candidate: Contract, *, candidate_label: str | None = None) -> DiffReport:
    """Every difference between the BB's contract and the candidate's, in a stable order."""
    findings: list[Finding] = []
    pairs, missing, extra = match_operations(bb.operations, candidate.operations)
    for op in missing:
        impact = Impact.NON_BREAKING if op.deprecated else Impact.BREAKING
        note = " (deprecated in the BB)" if op.deprecated else ""
        findings.append(
            Finding(
                "operation-missing",
                impact,
                f"the candidate does not declare {op.key}{note}",
                _at(op, op.pointer),
                None,
                op.key,
            )
        )
    for op in extra:
        findings.append(
            Finding(
                "operation-extra",
                Impact.INFO,
                f"the candidate declares {op.key}, which the BB does not define",
                None,
                _at(op, op.pointer),
                op.key,
            )
        )
    cache = SchemaCache()
    for b, c in pairs:
        findings.extend(compare_operation(bb, b, candidate, c, cache))
    label = candidate_label or candidate.title or candidate.label
    return DiffReport.build(bb.label, label, len(pairs), findings)


def shape(path: str) -> str:
    """The path template with parameter names erased and no trailing slash: what routing sees."""
    erased = _PARAM.sub("{}", path)
    return erased.rstrip("/") or "/"


def _at(op: Operation, pointer: str) -> str | None:
    return location(op.source_file, pointer)


def _base(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def match_operations(
    bb_ops: Iterable[Operation], cand_ops: Iterable[Operation]
) -> tuple[list[tuple[Operation, Operation]], list[Operation], list[Operation]]:
    """(matched pairs, BB operations without a match, candidate operations without a match).

    Several operations may share a method and shape (a BB made of per-flow files, like payments):
    each BB operation then takes the candidate operation with the same operationId, else the same
    exact path, else the same file name, else the first one still free.
    """
    groups: dict[tuple[str, str], list[Operation]] = {}
    for c in cand_ops:
        groups.setdefault((c.method, shape(c.path)), []).append(c)
    used: set[int] = set()
    pairs: list[tuple[Operation, Operation]] = []
    missing: list[Operation] = []
    for b in bb_ops:
        options = groups.get((b.method, shape(b.path)), [])
        if not options:
            missing.append(b)
            continue

        def score(c: Operation, b: Operation = b) -> tuple[int, ...]:
            return (
                id(c) not in used,
                bool(b.operation_id) and c.operation_id == b.operation_id,
                c.path == b.path,
                _base(c.source_file) == _base(b.source_file),
            )

        best = max(options, key=score)  # max keeps the first among equals: stable
        used.add(id(best))
        pairs.append((b, best))
    extra = [c for group in groups.values() for c in group if id(c) not in used]
    return pairs, missing, extra


def compare_operation(
    bb: Contract, b: Operation, candidate: Contract, c: Operation, cache: SchemaCache | None = None
) -> list[Finding]:
    """Differences between one BB operation and the candidate operation matched to it."""
    out: list[Finding] = []
    if b.path != c.path:
        out.extend(_path_spelling(b, c))
    for side, op in (("BB", b), ("candidate", c)):
        defect = op.blocked("operation")
        if defect is not None:
            out.append(_cannot(b, c, side, defect.message, "operation"))
            return out
    cache = cache or SchemaCache()
    out.extend(_security(bb, b, candidate, c))
    if _unblocked(b, c, "parameters", out):
        out.extend(_discount(b, c, _parameters(bb, b, candidate, c, cache), "/parameters"))
    if _unblocked(b, c, "request-body", out):
        out.extend(_discount(b, c, compare_request_body(bb, b, candidate, c, cache), "/requestBody"))
    out.extend(_discount(b, c, compare_responses(bb, b, candidate, c, cache), "/responses"))
    return out


def _lost_to_duplicates(op: Operation, areas: tuple[str, ...]) -> SpecDefect | None:
    for d in op.defects:
        if d.code == "duplicate-key" and any(d.pointer.startswith(a) or a.startswith(d.pointer + "/") for a in areas):
            return d
    return None


def _discount(b: Operation, c: Operation, found: list[Finding], suffix: str) -> list[Finding]:
    """Where a spec's own text was lost to a duplicate YAML key, say so; on the BB's side, do not count it.

    The parser keeps only the last of two equal keys, so the BB's real parameters (or body, or responses)
    may be the ones thrown away: blaming the candidate for differing would be a guess. A candidate that
    lost its own text is still judged on what it says, with the cause named.
    """
    areas_b = (b.pointer + suffix, b.pointer.rsplit("/", 1)[0] + suffix)
    areas_c = (c.pointer + suffix, c.pointer.rsplit("/", 1)[0] + suffix)
    lost_b, lost_c = _lost_to_duplicates(b, areas_b), _lost_to_duplicates(c, areas_c)
    out = []
    for f in found:
        if lost_b is not None and f.breaking:
            note = f" (not counted: the BB spec lost part of this to a duplicate key at {lost_b.file}#{lost_b.pointer})"
            f = dataclasses.replace(f, severity=Impact.INFO, message=f.message + note)
        elif lost_c is not None and f.severity is not Impact.INFO:
            note = f" (the candidate spec has a duplicate key at {lost_c.file}#{lost_c.pointer}; YAML kept the last)"
            f = dataclasses.replace(f, message=f.message + note)
        out.append(f)
    return out


def _cannot(b: Operation, c: Operation, side: str, why: str, aspect: str) -> Finding:
    return Finding(
        "cannot-compare",
        Impact.INFO,
        f"{aspect} not compared: the {side} spec has a defect here: {why}",
        _at(b, b.pointer),
        _at(c, c.pointer),
        b.key,
    )


def _unblocked(b: Operation, c: Operation, aspect: str, out: list[Finding]) -> bool:
    for side, op in (("BB", b), ("candidate", c)):
        defect = op.blocked(aspect)
        if defect is not None:
            out.append(_cannot(b, c, side, defect.message, aspect))
            return False
    return True


def _path_spelling(b: Operation, c: Operation) -> list[Finding]:
    out: list[Finding] = []
    bn, cn = _PARAM.findall(b.path), _PARAM.findall(c.path)
    renamed = [(x, y) for x, y in zip(bn, cn, strict=False) if x != y]
    if renamed:
        pairs = ", ".join(f"{{{x}}} → {{{y}}}" for x, y in renamed)
        out.append(
            Finding(
                "path-parameter-renamed",
                Impact.NON_BREAKING,
                f"path parameter renamed: {pairs} ({b.path} vs {c.path}); the URL shape is the same",
                _at(b, b.pointer),
                _at(c, c.pointer),
                b.key,
            )
        )
    if _PARAM.sub("{}", b.path) != _PARAM.sub("{}", c.path):
        out.append(
            Finding(
                "path-trailing-slash",
                Impact.NON_BREAKING,
                f"the path differs only in a trailing slash: BB {b.path}, candidate {c.path}",
                _at(b, b.pointer),
                _at(c, c.pointer),
                b.key,
            )
        )
    return out


@dataclass(frozen=True)
class _Key:
    location: str
    name: str


def _params(op: Operation, rename: dict[str, str]) -> dict[_Key, Parameter]:
    out: dict[_Key, Parameter] = {}
    for p in op.parameters:
        if p.location == "header" and p.name.lower() in _IGNORED_HEADERS:
            continue
        name = (
            p.name.lower() if p.location == "header" else rename.get(p.name, p.name) if p.location == "path" else p.name
        )
        out[_Key(p.location, name)] = p
    return out


def _style(p: Parameter) -> tuple[str, bool]:
    style = p.style or ("form" if p.location in ("query", "cookie") else "simple")
    explode = p.explode if p.explode is not None else style == "form"
    return style, explode


def _parameters(bb: Contract, b: Operation, candidate: Contract, c: Operation, cache: SchemaCache) -> list[Finding]:
    out: list[Finding] = []
    rename = dict(zip(_PARAM.findall(b.path), _PARAM.findall(c.path), strict=False))
    bp, cp = _params(b, rename), _params(c, {})
    for key in sorted(set(bp) | set(cp), key=lambda k: (k.location, k.name)):
        x, y = bp.get(key), cp.get(key)
        bl = _at(b, x.pointer) if x else _at(b, b.pointer)
        cl = _at(c, y.pointer) if y else _at(c, c.pointer)
        what = f"{key.location} parameter {y.name if y else x.name if x else key.name!r}"
        if x is not None and y is None:
            if key.location == "path":
                continue  # path parameters are matched by position through the shape
            if x.required:
                out.append(Finding("parameter-missing", Impact.BREAKING, msg.param_missing(what), bl, cl, b.key))
            else:
                out.append(
                    Finding("optional-parameter-missing", Impact.NON_BREAKING, msg.param_missing(what), bl, cl, b.key)
                )
            continue
        if y is not None and x is None:
            if y.required:
                out.append(Finding("parameter-added-required", Impact.BREAKING, msg.param_added(what), bl, cl, b.key))
            else:
                out.append(Finding("parameter-added", Impact.NON_BREAKING, msg.param_added(what), bl, cl, b.key))
            continue
        assert x is not None and y is not None
        if y.required and not x.required:
            out.append(Finding("parameter-made-required", Impact.BREAKING, msg.param_required(what), bl, cl, b.key))
        if _style(x) != _style(y):
            text = msg.param_style(what, _style(x), _style(y))
            out.append(Finding("parameter-style-changed", Impact.BREAKING, text, bl, cl, b.key))
        if x.schema is not None and y.schema is not None:
            for d in compare_schemas(bb, x.schema, candidate, y.schema, "request", cache=cache, textual=True):
                out.append(msg.schema_finding(f"parameter.{d.kind}", d, f"{what}: ", b.key, bl, cl))
    return out


def _families(contract: Contract, op: Operation) -> list[frozenset[str]]:
    """Each security alternative as the kinds of credential it needs; [] when anonymous is allowed."""
    out = []
    for alternative in op.security:
        if not alternative:
            return []
        kinds = set()
        for name, _scopes in alternative:
            s = contract.security_schemes.get(name)
            if s is None:
                kinds.add(f"unknown:{name}")
            elif s.type in ("oauth2", "openIdConnect") or (s.type == "http" and (s.scheme or "").lower() == "bearer"):
                kinds.add("bearer token")
            elif s.type == "apiKey":
                kinds.add(f"API key in {s.location} {s.param_name}")
            else:
                kinds.add(f"{s.type} {s.scheme or ''}".strip())
        out.append(frozenset(kinds))
    return out


def _security(bb: Contract, b: Operation, candidate: Contract, c: Operation) -> list[Finding]:
    bf, cf = _families(bb, b), _families(candidate, c)
    at_b, at_c = _at(b, b.pointer), _at(c, c.pointer)
    if bf and not cf:
        return [Finding("security-removed", Impact.BREAKING, msg.security_removed(bf), at_b, at_c, b.key)]
    if cf and not bf:
        return [Finding("security-added", Impact.NON_BREAKING, msg.security_added(cf), at_b, at_c, b.key)]
    if bf and cf and not set(bf) & set(cf):
        return [
            Finding("security-scheme-changed", Impact.NON_BREAKING, msg.security_changed(bf, cf), at_b, at_c, b.key)
        ]
    return []
