"""Building valid requests for an operation: parameter values, bodies and their wire form.

Values come from, in order: test data (real records of the candidate), the spec's own examples
(validated first: an example that breaks its own schema is never sent as "valid"), and the data
generator. Every choice is seeded from (seed, operation, purpose) so plans are reproducible.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from govstack_conform import datagen
from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import MediaType, Operation, Parameter
from govstack_conform.engine.cases import Auth, RequestPlan
from govstack_conform.engine.plan.context import (
    BOUND_VAR,
    CREATED,
    DISPOSABLE,
    EXAMPLE,
    FIXTURE,
    GENERATED,
    TEST_DATA,
    Ctx,
    Untestable,
    bound_value,
    defect_text,
    disposable_value,
    fixture_body,
    jsonable,
    resolved,
    shared,
    statuses,
    sub_seed,
    valid,
)
from govstack_conform.engine.plan.wire import UnsupportedMedia, carried, encode_body, is_form, wire_params

# Re-exported: the other planner modules and the tests take these from here.
__all__ = [
    "BOUND_VAR",
    "CREATED",
    "DISPOSABLE",
    "EXAMPLE",
    "FIXTURE",
    "GENERATED",
    "Built",
    "Ctx",
    "Untestable",
    "body_examples",
    "build",
    "defect_text",
    "jsonable",
    "param_examples",
    "pick_media",
    "provenance_tags",
    "relevant_params",
    "resolved",
    "shared",
    "slug",
    "statuses",
    "sub_seed",
    "valid",
    "valid_request",
]

# Header parameters OpenAPI says to ignore (the transport and auth layers own them).
IGNORED_HEADERS = frozenset({"accept", "content-type", "authorization"})
# Names of headers that carry a credential: a generated one stands in for no real record or key.
CREDENTIAL = re.compile(r"token|key|secret|auth|session|cookie|signature|xsrf|csrf|password", re.IGNORECASE)


@dataclass(frozen=True)
class Built:
    """A valid request before rendering, with the provenance of each value."""

    op: Operation
    request: RequestPlan
    param_sources: tuple[tuple[str, str, str, bool], ...]  # (location, name, source, required)
    media: MediaType | None
    body_source: str | None
    schema_body: Any = None  # the JSON body (for must_echo and mutations), None when not JSON
    form_body: Any = None  # the value sent as application/x-www-form-urlencoded (for mutations), else None

    def identifying_sources(self) -> list[str]:
        """Sources of the inputs a generated value cannot stand in for: path parameters and required
        query parameters (they name records) and required credential-like headers (tokens, keys)."""
        return [
            s
            for loc, name, s, req in self.param_sources
            if loc == "path" or (loc == "query" and req) or (loc == "header" and req and CREDENTIAL.search(name))
        ]


def pick_media(op: Operation) -> MediaType | None:
    """The request media type we send: JSON first, then forms, then text, then whatever is first."""
    if op.request_body is None or not op.request_body.content:
        return None
    content = op.request_body.content

    def rank(m: MediaType) -> int:
        mt = m.media_type.lower()
        if mt.startswith("application/json") or mt.split(";")[0].endswith("+json"):
            return 0
        if mt.startswith("application/x-www-form-urlencoded"):
            return 2
        if mt.startswith("multipart/form-data"):
            return 3
        if mt.startswith("text/"):
            return 4
        if mt in ("*/*", "application/*"):
            return 1
        return 5

    return sorted(content, key=rank)[0]


def security_params(ctx: Ctx, op: Operation) -> set[tuple[str, str]]:
    """(location, lower name) of apiKey credentials the op's security sends: the runner's job."""
    out: set[tuple[str, str]] = set()
    for alt in op.security:
        for name, _ in alt:
            s = ctx.contract.security_schemes.get(name)
            if s is not None and s.type == "apiKey" and s.location and s.param_name:
                out.add((s.location, s.param_name.lower()))
    return out


def relevant_params(ctx: Ctx, op: Operation) -> list[Parameter]:
    """The parameters a request must consider: deduplicated, minus those OpenAPI or auth own."""
    seen: set[tuple[str, str]] = set()
    creds = security_params(ctx, op)
    out = []
    for p in op.parameters:
        key = (p.location, p.name if p.location != "header" else p.name.lower())
        if key in seen:
            continue
        seen.add(key)
        if p.location == "header" and p.name.lower() in IGNORED_HEADERS:
            continue
        if (p.location, p.name.lower()) in creds:
            continue
        out.append(p)
    return out


def param_examples(ctx: Ctx, p: Parameter) -> list[Any]:
    """The parameter's examples that satisfy its schema, in spec order (memoized; do not mutate)."""
    memo = shared(ctx, "param_examples")
    if id(p) not in memo:  # the contract holds `p`, so its id is never reused while the memo lives
        out = []
        for ex in p.examples:
            value = jsonable(ex.value)
            try:
                if valid(ctx, p.schema, value) and value is not None:
                    out.append(value)
            except Untestable:
                pass
        memo[id(p)] = out
    result: list[Any] = memo[id(p)]
    return result


def _generate_param(ctx: Ctx, op: Operation, p: Parameter) -> Any:
    """A generated value (datagen keeps path values non-empty and URL-safe where the schema allows)."""
    try:
        return jsonable(datagen.generate_parameter(ctx.contract, p, seed=sub_seed(ctx.seed, op.key, p.name)))
    except datagen.GenerationError as e:
        where = p.schema.doc if p.schema is not None else op.source_file
        raise Untestable(f"{p.location} parameter {p.name!r}: {e} ({where}#{p.pointer})") from None
    except schemas.SchemaUnusable as e:
        raise Untestable(str(e)) from None


def param_value(ctx: Ctx, op: Operation, p: Parameter, *, example_index: int | None) -> tuple[bool, Any, str]:
    """(present, raw value, source) for one parameter.

    Test data always wins (it names real records); for an operation that changes records, disposable
    test data first. With `example_index` the spec's examples come next (the example cases); otherwise
    required values are generated and optional ones are sent only when the spec gives an example.
    """
    disposable = disposable_value(ctx, op, p)
    if disposable is not None:
        return True, disposable, DISPOSABLE
    fixture = ctx.testdata.lookup_param(op, p.name) if ctx.testdata else None  # empty test data finds nothing
    if fixture is not None:
        return True, fixture, FIXTURE
    examples = param_examples(ctx, p)
    if example_index is not None and examples:
        return True, examples[example_index % len(examples)], EXAMPLE
    if p.required or p.location == "path":
        return True, _generate_param(ctx, op, p), GENERATED
    if examples:
        return True, examples[0], EXAMPLE
    return False, None, ""


def body_examples(ctx: Ctx, media: MediaType) -> list[tuple[str, Any]]:
    """The media type's examples that satisfy its schema, distinct, in spec order (checked once per contract)."""
    memo = shared(ctx, "body_examples")
    if id(media) not in memo:  # the contract holds `media`, so its id is never reused
        memo[id(media)] = _body_examples(ctx, media)
    return [(name, datagen.copy_json(value)) for name, value in memo[id(media)]]  # bodies are the caller's


def _body_examples(ctx: Ctx, media: MediaType) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    seen: set[str] = set()
    for ex in media.examples:
        value = jsonable(ex.value)
        key = json.dumps(value, sort_keys=True, default=str)
        if key in seen:
            continue
        try:
            if valid(ctx, media.schema, value):
                seen.add(key)
                out.append((ex.name, value))
        except Untestable:
            continue
    return out


def generate_body(ctx: Ctx, op: Operation, media: MediaType, purpose: str) -> Any:
    if media.schema is None:
        return {}
    try:
        return jsonable(
            datagen.generate(ctx.contract, media.schema, seed=sub_seed(ctx.seed, op.key, purpose), direction="request")
        )
    except datagen.GenerationError as e:
        raise Untestable(f"request body: {e} ({media.schema.doc}#{media.schema.pointer})") from None
    except schemas.SchemaUnusable as e:
        raise Untestable(str(e)) from None


def blocked_reason(op: Operation, need_body: bool = True) -> str | None:
    aspects = ("parameters", "request-body") if need_body else ("parameters",)
    for aspect in aspects:
        d = op.blocked(aspect)
        if d is not None:
            return defect_text(d)
    return None


def build(
    ctx: Ctx,
    op: Operation,
    *,
    example_index: int | None = None,
    body: tuple[str, Any] | None = None,
    purpose: str = "valid",
    auth: Auth = Auth.VALID,
    with_body: bool = True,
) -> Built:
    """A valid request for `op`. `body` forces (source, value); raises Untestable on spec defects.

    `with_body=False` builds parameters only (method cases need no body, so a broken body schema
    does not make them untestable).
    """
    reason = blocked_reason(op, need_body=with_body)
    if reason:
        raise Untestable(reason)
    wire: dict[str, list[Any]] = {"path": [], "query": [], "header": [], "cookie": []}
    sources: list[tuple[str, str, str, bool]] = []
    for p in relevant_params(ctx, op):
        bound = bound_value(ctx, op, p)
        if bound is not None:
            sources.append((p.location, p.name, bound[1], True))
            wire["path"].append((p.name, bound[0]))
            continue
        present, value, source = param_value(ctx, op, p, example_index=example_index)
        if not present:
            continue
        sources.append((p.location, p.name, source, p.required or p.location == "path"))
        if source not in TEST_DATA:
            value = carried(ctx, op, p, value)
        wire_params(ctx, op, p, value, wire, source)
    path_params, query, headers, cookies = wire["path"], wire["query"], wire["header"], wire["cookie"]
    if cookies:
        headers.append(("Cookie", "; ".join(cookies)))

    media = pick_media(op) if with_body else None
    body_value: Any = None
    body_source: str | None = None
    has_body, raw, ctype, json_body = False, None, None, None
    if media is not None:
        if body is None:
            body = fixture_body(ctx, op) or (GENERATED, generate_body(ctx, op, media, purpose))
        body_source, body_value = body
        try:
            json_body, has_body, raw, ctype = encode_body(media, body_value, ctx.contract)
        except UnsupportedMedia as e:
            raise Untestable(f"{e} ({op.source_file}#{media.pointer})") from None
    elif body is not None and with_body:  # a fixture body for an operation that documents none: send it as JSON
        body_source, body_value = body
        json_body, has_body, ctype = body_value, True, "application/json"
    request = RequestPlan(
        method=op.method,
        path=op.path,
        path_params=tuple(path_params),
        query=tuple(query),
        headers=tuple(headers),
        body=json_body,
        has_body=has_body,
        raw_body=raw,
        content_type=ctype,
        auth=auth,
    )
    return Built(
        op=op,
        request=request,
        param_sources=tuple(sources),
        media=media,
        body_source=body_source,
        schema_body=body_value if has_body else None,
        form_body=body_value if raw is not None and ctype is not None and is_form(ctype) else None,
    )


def valid_request(ctx: Ctx, op: Operation) -> Built:
    """The operation's one generated valid request (cached: positive, security, method and stateful
    cases all send the same one, which also keeps planning fast)."""
    key = ("valid", op.key)
    if key not in ctx.cache:
        try:
            ctx.cache[key] = build(ctx, op)
        except Untestable as e:
            ctx.cache[key] = e
    found = ctx.cache[key]
    if isinstance(found, Untestable):
        raise found
    result: Built = found
    return result


def provenance_tags(built: Built) -> tuple[str, ...]:
    """Tags telling the runner how far it may trust the request to be accepted.

    Identifying inputs are the path parameters and required query parameters (they name records)
    and required credential-like header parameters (a generated token is never a valid one).

    "fixture": test data supplied every identifying input (at least one) and the body, if any, came
    from test data or a spec example; or, for an operation without identifying inputs, test data
    gave the body. Only then is "valid input accepted (not 4xx)" a REQUIRED check: the request names
    records that exist in the candidate. Without it a 4xx may be the candidate rightly refusing a
    record it does not have, so blaming it would be a false positive.
    "generated-id": some identifying input was generated (or taken from a spec example), so a 404
    says nothing about the candidate. "example" / "generated" say where the body (or, without a
    body, the parameters) came from. Disposable test data counts as test data ("disposable" says it
    was used); "created" says the record's id comes from the case's own setup step (not generated).
    """
    ident = built.identifying_sources()
    tags: set[str] = set()
    body_ok = built.body_source in (None, FIXTURE, DISPOSABLE, EXAMPLE)
    if ident:
        if all(s in TEST_DATA for s in ident) and body_ok:
            tags.add(FIXTURE)
        if any(s not in TEST_DATA and s != CREATED for s in ident):
            tags.add("generated-id")
        if CREATED in ident:
            tags.add(CREATED)
    elif built.body_source in TEST_DATA:
        tags.add(FIXTURE)
    if DISPOSABLE in {built.body_source, *(s for _, _, s, _ in built.param_sources)}:
        tags.add(DISPOSABLE)
    if built.body_source in (EXAMPLE, GENERATED):
        tags.add(built.body_source)
    elif built.body_source is None:
        srcs = {s for _, _, s, _ in built.param_sources}
        tags.update(srcs & {EXAMPLE, GENERATED})
    return tuple(sorted(tags))


def slug(text: str) -> str:
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text)
    out = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return out[:60].strip("-") or "x"
