"""Negative cases: one invalid input at a time, everything else valid; expect a 4xx, never a 5xx.

Zero false positives starts here: every invalid body is re-checked against the schema (a mutation
the schema still accepts is dropped), and every invalid parameter value is checked against the
parameter schema under every reading a server could give the string ("12" as integer 12, "true" as
boolean). Only inputs that are invalid under all readings are sent.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from govstack_conform import datagen
from govstack_conform.contracts.model import Operation, Parameter
from govstack_conform.engine.cases import Case, CaseKind, Expect, RequestPlan, Step
from govstack_conform.engine.plan.context import new_case
from govstack_conform.engine.plan.request import (
    Built,
    Ctx,
    Untestable,
    provenance_tags,
    relevant_params,
    resolved,
    shared,
    slug,
    statuses,
    sub_seed,
    valid,
)
from govstack_conform.engine.plan.wire import encode_body, is_json_media

MAX_BODY_MUTATIONS = 10
_NONE_BUILT = "Sends invalid input, once a valid request to vary can be built (the reason says why it cannot)."
# datagen's mutation kinds, named as case names read best ("negative-missing-purpose").
_KIND_NAMES = {
    "missing-required": "missing",
    "enum-violation": "not-in-enum",
    "pattern-violation": "bad-pattern",
    "length-violation": "bad-length",
    "range-violation": "out-of-range",
    "additional-property": "extra-property",
}
MALFORMED_JSON = b'{"broken": '
PLAIN_TEXT = b"govstack-conform: plain text, not JSON\n"

# Tag of a case whose input breaks only a `format`: JSON Schema makes format an annotation unless a
# validator opts in to asserting it, so a product accepting the value is not blamed (RECOMMENDED).
FORMAT_ONLY = "format-only"

NegCase = tuple[str, str, RequestPlan, tuple[str, ...]]  # (name, description, request, extra tags)


def _drop_query(req: RequestPlan, name: str) -> RequestPlan:
    return replace(req, query=tuple(q for q in req.query if q[0] != name and not q[0].startswith(name + "[")))


def _drop_header(req: RequestPlan, name: str) -> RequestPlan:
    low = name.lower()
    return replace(req, headers=tuple(h for h in req.headers if h[0].lower() != low), omit_headers=(name,))


def _set_param(req: RequestPlan, p: Parameter, text: str) -> RequestPlan:
    if p.location == "path":
        return replace(req, path_params=tuple((k, text if k == p.name else v) for k, v in req.path_params))
    if p.location == "query":
        return replace(_drop_query(req, p.name), query=(*_drop_query(req, p.name).query, (p.name, text)))
    low = p.name.lower()
    return replace(req, headers=(*tuple(h for h in req.headers if h[0].lower() != low), (p.name, text)))


def _readings(text: str) -> list[Any]:
    """Every value a server might parse the wire string `text` into."""
    out: list[Any] = [text]
    if re.fullmatch(r"[+-]?\d+", text.strip()):
        out.append(int(text))
    with contextlib.suppress(ValueError):
        out.append(float(text))
    if text.lower() in ("true", "false", "1", "0", "yes", "no"):
        out.append(text.lower() in ("true", "1", "yes"))
    if text in ("", "null"):
        out.append(None)
    return out


def _string_invalid(ctx: Ctx, p: Parameter, text: str) -> bool:
    return all(not valid(ctx, p.schema, v) for v in _readings(text))


def _bad_value(ctx: Ctx, p: Parameter) -> tuple[str, str] | None:
    """(slug, wire string) of a value that breaks the parameter schema under every reading.

    Depends on the contract alone, so it is found once per contract (a broken schema included)."""
    memo = shared(ctx, "bad_value")
    if id(p) not in memo:  # the contract holds `p`, so its id is never reused while the memo lives
        try:
            memo[id(p)] = (True, _find_bad_value(ctx, p))
        except Untestable as e:
            memo[id(p)] = (False, str(e))
    ok, found = memo[id(p)]
    if not ok:
        raise Untestable(found)
    result: tuple[str, str] | None = found
    return result


def _find_bad_value(ctx: Ctx, p: Parameter) -> tuple[str, str] | None:
    node = resolved(ctx, p.schema)
    types = node.get("type")
    types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    candidates: list[tuple[str, str]] = []
    if types and set(types) <= {"integer", "number"}:
        candidates.append(("wrong-type", "abc"))
    if types == ["boolean"]:
        candidates.append(("wrong-type", "maybe"))
    if isinstance(node.get("enum"), list):
        candidates.append(("not-in-enum", "zz-not-in-enum"))
    if isinstance(node.get("maxLength"), int) and 0 <= node["maxLength"] < 2048:
        candidates.append(("too-long", "a" * (node["maxLength"] + 1)))
    if isinstance(node.get("minLength"), int) and node["minLength"] >= 2:
        candidates.append(("too-short", "a" * (node["minLength"] - 1)))
    if isinstance(node.get("pattern"), str):
        candidates.extend(("bad-pattern", s) for s in ("!", "zz", "0", "-", "A a"))
    # Last: a format is an annotation many servers do not assert (see FORMAT_ONLY), so any other rule first.
    if node.get("format") == "uuid":
        candidates.append(("bad-format", "not-a-uuid"))
    if node.get("format") in ("date", "date-time"):
        candidates.append(("bad-format", "not-a-date"))
    for name, text in candidates:
        if p.location == "path" and not text:
            continue
        if _string_invalid(ctx, p, text):
            return name, text
    return None


def _param_cases(ctx: Ctx, built: Built) -> Iterator[NegCase]:
    req = built.request
    for p in relevant_params(ctx, built.op):
        if p.location == "cookie" or (p.schema is None and p.location == "path"):
            continue
        default = "default" in resolved(ctx, p.schema)
        if p.required and p.location in ("query", "header") and not default:
            dropped = _drop_query(req, p.name) if p.location == "query" else _drop_header(req, p.name)
            yield (
                f"negative-missing-{p.location}-{slug(p.name)}",
                f'Omits the required {p.location} parameter "{p.name}".',
                dropped,
                (),
            )
        if p.location not in ("path", "query", "header") or p.schema is None:
            continue
        bad = _bad_value(ctx, p)
        if bad is None:
            continue
        kind, text = bad
        tags = () if p.required or p.location == "path" else ("optional-parameter",)
        if kind == "bad-format":
            tags = (*tags, FORMAT_ONLY)
        yield (
            f"negative-{kind}-{p.location}-{slug(p.name)}",
            f'Sends {_shown(text)} as the {p.location} parameter "{p.name}", which its schema does not allow '
            f"({_PARAM_RULES[kind]}).",
            _set_param(req, p, text),
            tags,
        )


# What each bad parameter value breaks, in words (the case name keeps the short kind).
_PARAM_RULES = {
    "wrong-type": "wrong type",
    "not-in-enum": "not one of its enum values",
    "too-long": "longer than its maxLength",
    "too-short": "shorter than its minLength",
    "bad-pattern": "does not match its pattern",
    "bad-format": "not of its format",
}
_SHOWN = 40


def _shown(value: Any) -> str:
    """A value as JSON writes it, short: long strings by their length (a case description is read, not parsed)."""
    if isinstance(value, str) and len(value) > _SHOWN:
        return f"a {len(value)}-character string"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def body_sentence(m: datagen.Mutation) -> str:
    """A body mutation as one sentence: "Sends a body in which /age is set to -1 (minimum 0)."."""
    desc, where = m.description, m.pointer or "the body"
    missing = _REMOVED.fullmatch(desc)
    if missing:
        of = "" if missing.group(2) == "the body" else f" of {missing.group(2)}"
        return f'Sends a body without the required property "{missing.group(1)}"{of}.'
    spot = desc.split(" ", 1)[0] if desc.startswith("/") else "the body" if desc.startswith("the body") else where
    rest = desc[len(spot) :].strip() if desc.startswith(spot) else desc
    if rest.startswith("set to "):
        bad = datagen.json_at(m.value, m.pointer, _NOTHING)
        shown = f"set to {bad!r}"
        tail = rest[len(shown) :] if bad is not _NOTHING and rest.startswith(shown) else None
        if tail is not None and spot == "the body":
            return f"Sends {_shown(bad)} as the body{tail}."
        rest = f"set to {_shown(bad)}{tail}" if tail is not None else rest
        return f"Sends a body in which {spot} is {rest}."
    return f"Sends a body in which {spot} {_IDENTIFIER.sub(_QUOTED_NAME, rest)}."


_REMOVED = re.compile(r"required property '(.+)' removed from (.+)")
_IDENTIFIER = re.compile(r"'([A-Za-z0-9_]+)'")  # Python's quotes around a plain name, as JSON writes it
_QUOTED_NAME = r'"\1"'
_NOTHING = object()


def _round_robin(muts: list[Any]) -> list[Any]:
    """Up to MAX_BODY_MUTATIONS, one of each kind before a second of any (diverse, deterministic).

    datagen.mutations returns only variants it checked invalid against this very schema (with
    the request validator, as `valid` would): checking them again could only repeat its verdict.
    """
    by_kind: dict[str, list[Any]] = {}
    for m in muts:
        by_kind.setdefault(m.kind, []).append(m)
    out: list[Any] = []
    while len(out) < MAX_BODY_MUTATIONS and any(by_kind.values()):
        for kind in list(by_kind):
            if by_kind[kind] and len(out) < MAX_BODY_MUTATIONS:
                out.append(by_kind[kind].pop(0))
    return out


def _body_cases(ctx: Ctx, built: Built) -> Iterator[NegCase]:
    op, req, media = built.op, built.request, built.media
    if media is None:
        return
    assert op.request_body is not None
    if op.request_body.required:
        yield (
            "negative-missing-body",
            "Sends no body although the request body is required.",
            replace(req, body=None, has_body=False, raw_body=None, content_type=None),
            (),
        )
    if not is_json_media(media.media_type):
        yield from _form_cases(ctx, built)
        return
    if media.schema is not None and req.has_body:
        try:
            muts = datagen.mutations(ctx.contract, media.schema, req.body, seed=sub_seed(ctx.seed, op.key, "neg"))
        except datagen.GenerationError:
            muts = []
        names: set[str] = set()
        for m in _round_robin(muts):
            kind = slug(_KIND_NAMES.get(m.kind, m.kind))
            leaf = m.pointer.rsplit("/", 1)[-1] if m.pointer else "body"
            name = f"negative-{kind}-{slug(leaf)}"
            if name in names:  # the same leaf name elsewhere in the body: name it by its whole path
                name = f"negative-{kind}-{slug(m.pointer.replace('/', '-'))}"
            names.add(name)
            yield name, body_sentence(m), replace(req, body=m.value), ()
    yield (
        "negative-malformed-json",
        "Sends a truncated JSON document as the body.",
        replace(req, body=None, has_body=False, raw_body=MALFORMED_JSON),
        (),
    )
    documented = [m.media_type.split(";")[0].strip().lower() for m in op.request_body.content]
    if all(is_json_media(mt) and mt not in ("*/*", "application/*") for mt in documented):
        yield (
            "negative-wrong-content-type",
            f"Sends a text/plain body where only {', '.join(sorted(set(documented)))} is documented.",
            replace(req, body=None, has_body=False, raw_body=PLAIN_TEXT, content_type="text/plain"),
            (),
        )


def _form_cases(ctx: Ctx, built: Built) -> Iterator[NegCase]:
    """Invalid form bodies (application/x-www-form-urlencoded): one top-level field missing or broken.

    A form carries strings, so a variant is sent only when the field's text is invalid under every reading
    a server could give it ("12" as 12, "true" as true): a type the wire cannot carry is never blamed."""
    form, media = built.form_body, built.media
    if not isinstance(form, dict) or media is None or media.schema is None:
        return
    try:
        muts = datagen.mutations(ctx.contract, media.schema, form, seed=sub_seed(ctx.seed, built.op.key, "neg"))
    except datagen.GenerationError:
        return
    names: set[str] = set()
    for m in _round_robin([m for m in muts if _form_invalid(ctx, media.schema, form, m)]):
        leaf = m.pointer.rsplit("/", 1)[-1]
        name = f"negative-{slug(_KIND_NAMES.get(m.kind, m.kind))}-{slug(leaf)}"
        if name in names:
            continue
        names.add(name)
        _, _, raw, ctype = encode_body(media, m.value, ctx.contract)
        yield name, body_sentence(m), replace(built.request, raw_body=raw, content_type=ctype), ()


def _form_invalid(ctx: Ctx, schema: Any, form: dict[str, Any], m: datagen.Mutation) -> bool:
    """The mutation changes one top-level field and stays invalid however the server reads its text."""
    key = m.pointer[1:].replace("~1", "/").replace("~0", "~")
    if not m.pointer.startswith("/") or "/" in m.pointer[1:] or not isinstance(m.value, dict):
        return False
    if isinstance(form.get(key), (dict, list)):
        return False
    if key not in m.value:
        return m.kind == "missing-required"
    new = m.value[key]
    if isinstance(new, (dict, list, bool)) or new is None:
        return False
    text = new if isinstance(new, str) else json.dumps(new)
    return all(not valid(ctx, schema, {**m.value, key: reading}) for reading in _readings(text))


def negative_cases(ctx: Ctx, op: Operation, built: Built | None, untestable: str | None) -> list[Case]:
    """Every negative case of `op`; a single untestable one when no valid base request exists."""
    # 401/403 are refusals of credentials, not of input: a documented 401 is no answer to a bad body.
    expect_statuses = tuple(s for s in statuses(op, "4") if s not in ("401", "403", "407"))

    def case(name: str, description: str, req: RequestPlan, tags: tuple[str, ...], why: str | None = None) -> Case:
        step = Step("request", op.key, req, Expect.CLIENT_ERROR, expect_statuses)
        text = description + " Expects a 4xx (never a 5xx)."
        return new_case(ctx, op, CaseKind.NEGATIVE, name, text, (step,), untestable=why, tags=tags)

    if built is None:
        if not op.parameters and op.request_body is None:
            return []
        req = RequestPlan(method=op.method, path=op.path)
        return [case("negative-invalid-input", _NONE_BUILT, req, (), untestable or "no valid request")]
    base_tags = tuple(t for t in provenance_tags(built) if t == "generated-id")
    out = []
    try:
        for name, description, req, tags in (*_param_cases(ctx, built), *_body_cases(ctx, built)):
            if req == built.request:  # e.g. "missing" an exploded object that put nothing on the wire
                continue
            out.append(case(name, description, req, tuple(sorted({*base_tags, *tags}))))
    except Untestable as e:
        req = RequestPlan(method=op.method, path=op.path)
        out.append(case("negative-invalid-input", _NONE_BUILT, req, (), str(e)))
    return out
