"""Request bodies, responses, status codes and content types of one matched pair of operations.

Status policy (see compare.py's docstring): a BB success status (1XX-3XX) the candidate does not
document is breaking, a BB error status (4XX/5XX) is non-breaking; a candidate range (`2XX`) covers
the codes in it. An extra success status is non-breaking (a BB client may not expect it), an extra
error status is info.
"""

from __future__ import annotations

from govstack_conform.contracts.model import Contract, MediaType, Operation, Response
from govstack_conform.interface_diff import messages as msg
from govstack_conform.interface_diff.findings import Finding, Impact, location
from govstack_conform.interface_diff.schema_compat import SchemaCache, compare_schemas


def _norm(media_type: str) -> str:
    return media_type.split(";", 1)[0].strip().lower()


def _covers(general: str, specific: str) -> bool:
    """Does media range `general` include `specific` (`*/*`, `application/*`, or the same type)?"""
    g, s = _norm(general), _norm(specific)
    if g == s or g == "*/*":
        return True
    return g.endswith("/*") and s.split("/", 1)[0] == g.split("/", 1)[0]


def match_media(wanted: MediaType, offered: tuple[MediaType, ...]) -> MediaType | None:
    """The offered media type for `wanted`: the same type first, then a range on either side."""
    for m in offered:
        if _norm(m.media_type) == _norm(wanted.media_type):
            return m
    for m in offered:
        if _covers(m.media_type, wanted.media_type) or _covers(wanted.media_type, m.media_type):
            return m
    return None


def _at(op: Operation, pointer: str) -> str | None:
    return location(op.source_file, pointer)


def compare_request_body(
    bb: Contract, b: Operation, candidate: Contract, c: Operation, cache: SchemaCache
) -> list[Finding]:
    x, y = b.request_body, c.request_body
    out: list[Finding] = []
    bl = _at(b, x.pointer if x else b.pointer)
    cl = _at(c, y.pointer if y else c.pointer)
    if x is None and y is None:
        return out
    if x is None and y is not None:
        if y.required:
            text = "the candidate requires a request body where the BB defines none"
            out.append(Finding("request-body-added-required", Impact.BREAKING, text, bl, cl, b.key))
        return out
    if y is None and x is not None:
        impact = Impact.BREAKING if x.required else Impact.NON_BREAKING
        text = (
            f"the candidate declares no request body; the BB defines a{' required' if x.required else 'n optional'} one"
        )
        out.append(Finding("request-body-missing", impact, text, bl, cl, b.key))
        return out
    assert x is not None and y is not None
    if y.required and not x.required:
        text = "the candidate makes the request body required; the BB makes it optional"
        out.append(Finding("request-body-made-required", Impact.BREAKING, text, bl, cl, b.key))
    for m in x.content:
        found = match_media(m, y.content)
        if found is None:
            text = f"the candidate does not accept request content type {m.media_type}"
            out.append(Finding("request-content-type-missing", Impact.BREAKING, text, _at(b, m.pointer), cl, b.key))
            continue
        if m.schema is None or found.schema is None:
            continue  # the BB leaves the body free, or the candidate accepts anything
        prefix = f"request body {m.media_type}: "
        ml, fl = _at(b, m.pointer), _at(c, found.pointer)
        for d in compare_schemas(bb, m.schema, candidate, found.schema, "request", cache=cache):
            out.append(msg.schema_finding(f"request-body.{d.kind}", d, prefix, b.key, ml, fl))
    for m in y.content:
        if match_media(m, x.content) is None:
            text = f"the candidate also accepts request content type {m.media_type}"
            out.append(Finding("request-content-type-extra", Impact.INFO, text, bl, _at(c, m.pointer), b.key))
    return out


def _is_error(status: str) -> bool:
    return status[:1] in ("4", "5")


def _find(status: str, responses: tuple[Response, ...]) -> Response | None:
    """The response documenting `status`: the same code or range, else the range that includes it."""
    s = status.upper()
    for r in responses:
        if r.status.upper() == s:
            return r
    if s != "DEFAULT" and s[:1].isdigit():
        for r in responses:
            if r.status.upper() == f"{s[0]}XX":
                return r
    return None


def _covered_by_bb(status: str, responses: tuple[Response, ...]) -> bool:
    s = status.upper()
    if s == "DEFAULT":
        return any(r.status.upper() == "DEFAULT" for r in responses)
    return any(
        r.status.upper() in (s, f"{s[0]}XX") or (s.endswith("XX") and r.status.upper()[:1] == s[0]) for r in responses
    )


def compare_responses(
    bb: Contract, b: Operation, candidate: Contract, c: Operation, cache: SchemaCache
) -> list[Finding]:
    out: list[Finding] = []
    for r in b.responses:
        aspect = f"response:{r.status}"
        defect = b.blocked(aspect) or c.blocked(aspect)
        if defect is not None:
            text = f"response {r.status} not compared: a spec defect makes it uncheckable: {defect.message}"
            out.append(Finding("cannot-compare", Impact.INFO, text, _at(b, r.pointer), _at(c, c.pointer), b.key))
            continue
        found = _find(r.status, c.responses)
        if found is None:
            if r.status.upper() == "DEFAULT":
                continue  # nothing specific to miss
            if _is_error(r.status):
                text = f"the candidate does not document error status {r.status}"
                out.append(
                    Finding(
                        "error-status-missing", Impact.NON_BREAKING, text, _at(b, r.pointer), _at(c, c.pointer), b.key
                    )
                )
            else:
                text = f"the candidate does not document status {r.status}, which a BB client must be able to handle"
                out.append(
                    Finding("status-missing", Impact.BREAKING, text, _at(b, r.pointer), _at(c, c.pointer), b.key)
                )
            continue
        out.extend(_response(bb, b, r, candidate, c, found, cache))
    for r in c.responses:
        if _covered_by_bb(r.status, b.responses) or r.status.upper() == "DEFAULT":
            continue
        if _is_error(r.status):
            text = f"the candidate documents error status {r.status}, which the BB does not"
            out.append(Finding("error-status-extra", Impact.INFO, text, _at(b, b.pointer), _at(c, r.pointer), b.key))
        else:
            text = f"the candidate documents status {r.status}, which the BB does not (BB clients may not expect it)"
            out.append(Finding("status-extra", Impact.NON_BREAKING, text, _at(b, b.pointer), _at(c, r.pointer), b.key))
    return out


def _response(
    bb: Contract, b: Operation, r: Response, candidate: Contract, c: Operation, f: Response, cache: SchemaCache
) -> list[Finding]:
    out: list[Finding] = []
    rl, fl = _at(b, r.pointer), _at(c, f.pointer)
    for m in r.content:
        found = match_media(m, f.content)
        if found is None:
            text = f"response {r.status}: the candidate does not declare content type {m.media_type}"
            out.append(Finding("response-content-type-missing", Impact.BREAKING, text, _at(b, m.pointer), fl, b.key))
            continue
        ml, nl = _at(b, m.pointer), _at(c, found.pointer)
        if m.schema is None:
            continue  # the BB does not constrain this body
        prefix = f"response {r.status} {m.media_type}: "
        if found.schema is None:
            text = prefix + "the candidate does not describe the body the BB constrains"
            out.append(Finding("response-body.unconstrained", Impact.NON_BREAKING, text, ml, nl, b.key))
            continue
        for d in compare_schemas(bb, m.schema, candidate, found.schema, "response", cache=cache):
            out.append(msg.schema_finding(f"response-body.{d.kind}", d, prefix, b.key, ml, nl))
    for m in f.content:
        if match_media(m, r.content) is None:
            text = f"response {r.status}: the candidate may also answer with content type {m.media_type}"
            out.append(Finding("response-content-type-extra", Impact.NON_BREAKING, text, rl, _at(c, m.pointer), b.key))
    have = {h.name.lower(): h for h in f.headers}
    for h in r.headers:
        if h.name.lower() in have or h.name.lower() == "content-type":
            continue
        impact = Impact.BREAKING if h.required else Impact.NON_BREAKING
        text = f"response {r.status}: the candidate does not declare {'required ' if h.required else ''}header {h.name}"
        out.append(Finding("response-header-missing", impact, text, _at(b, h.pointer), fl, b.key))
    return out
