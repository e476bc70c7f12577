"""Schema checks, done cheaply while the loader walks the schemas anyway.

The scan flags schema content a validator would crash on or silently misjudge (unknown `type`, a bad
regex, `required` in the wrong shape, a string where a schema belongs, dangling refs). A result is a
`Problem`; `blocking` problems make whatever operation aspect uses the schema uncheckable (ERROR),
the others are WARNINGs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from govstack_conform.contracts.javadates import JAVA_DATE, date_format_regex
from govstack_conform.contracts.loader.common import Sink, join, short
from govstack_conform.contracts.loader.refs import RefError, Resolver
from govstack_conform.contracts.loader.satisfiable import crossed_bounds, one_of_overlap
from govstack_conform.contracts.model import Severity

TYPES_30 = frozenset({"array", "boolean", "integer", "number", "object", "string"})
TYPES_31 = TYPES_30 | {"null"}
_TYPE_HINT = {
    "float": "number (format: float)",
    "double": "number (format: double)",
    "decimal": "number",
    "int": "integer",
    "int32": "integer (format: int32)",
    "int64": "integer (format: int64)",
    "long": "integer (format: int64)",
    "date": "string (format: date)",
    "datetime": "string (format: date-time)",
    "date-time": "string (format: date-time)",
    "uuid": "string (format: uuid)",
    "file": "string (format: binary)",
    "bool": "boolean",
    "str": "string",
    "dict": "object",
    "map": "object",
    "list": "array",
}
_COUNTS = (
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "maxProperties",
    "minProperties",
    "minContains",
    "maxContains",
)
_NUMBERS = ("minimum", "maximum", "multipleOf")
_MAP_OF_SCHEMAS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_ONE_SCHEMA: tuple[str, ...] = ("not", "contains", "propertyNames", "if", "then", "else", "unevaluatedItems")
_ONE_SCHEMA += ("unevaluatedProperties", "additionalItems", "contentSchema")
_LIST_OF_SCHEMAS = ("allOf", "anyOf", "oneOf", "prefixItems")


@dataclass(frozen=True)
class Problem:
    doc: str
    pointer: str
    message: str
    code: str
    blocking: bool


Unit = tuple[str, str]  # (doc key, pointer) of a schema reached directly or through a $ref


_regex_ok: dict[str, str | None] = {}


def _regex_error(pattern: str) -> str | None:
    if pattern not in _regex_ok:
        try:
            re.compile(pattern)
            _regex_ok[pattern] = None
        except (re.error, RecursionError, OverflowError) as e:
            _regex_ok[pattern] = str(e)
    return _regex_ok[pattern]


_DATE_FIELDS = re.compile(r"yyyy|yy|MM|dd|HH|hh|mm|ss|SSS")


def _date_format(pattern: str) -> bool:
    """A date pattern such as `yyyy-MM-dd'T'HH:mm:ss`: two or more date fields and no regex syntax at all."""
    if any(c in pattern for c in "\\[](){}^$+*?|"):
        return False
    return len(set(_DATE_FIELDS.findall(pattern))) >= 2


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class SchemaScan:
    """Scans each schema unit once; answers which problems are reachable from a schema root."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.problems: dict[Unit, list[Problem]] = {}
        self.edges: dict[Unit, set[Unit]] = {}

    def _is31(self, doc: str) -> bool:
        return self.resolver.docs[doc].openapi.startswith("3.1")

    def reach(self, roots: Iterable[tuple[str, str, Any]]) -> list[Problem]:
        """Every problem in the schemas reachable from `roots` ((doc, pointer, node) triples)."""
        todo = [self.unit(d, p, n) for d, p, n in roots]
        seen: set[Unit] = set(todo)
        found: list[Problem] = []
        while todo:
            u = todo.pop()
            found.extend(self.problems[u])
            for nxt in self.edges[u]:
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return found

    def all_problems(self) -> list[Problem]:
        out: dict[tuple[str, str, str], Problem] = {}
        for probs in self.problems.values():
            for p in probs:
                out.setdefault((p.doc, p.pointer, p.code), p)
        return list(out.values())

    def unit(self, doc: str, pointer: str, node: Any) -> Unit:
        """Scan the schema at (doc, pointer) unless done; follow its $refs to further units."""
        pending = [(doc, pointer, node)]
        first: Unit = (doc, pointer)
        while pending:
            d, p, n = pending.pop()
            if (d, p) in self.problems:
                continue
            probs: list[Problem] = []
            edges: set[Unit] = set()
            self.problems[(d, p)] = probs
            self.edges[(d, p)] = edges
            for target in self._scan(d, p, n, probs):
                edges.add((target.doc, target.pointer))
                pending.append((target.doc, target.pointer, target.node))
        return first

    def _scan(self, doc: str, root_ptr: str, root: Any, probs: list[Problem]) -> list[Any]:
        is31 = self._is31(doc)
        targets = []
        stack = [(root_ptr, root)]
        while stack:
            ptr, node = stack.pop()
            if isinstance(node, bool):
                continue
            bad = _Reporter(doc, ptr, probs)
            if not isinstance(node, dict):
                hint = f" (did you mean {{type: {node}}}?)" if isinstance(node, str) and node in TYPES_31 else ""
                bad(f"{short(node)} stands where a schema is expected{hint}", "not-a-schema")
                continue
            if "$ref" in node:
                try:
                    targets.append(self.resolver.lookup(doc, node["$ref"]))
                except RefError as e:
                    bad(str(e), e.code)
                # OpenAPI 3.0 says siblings of $ref are ignored, but the validators apply them: scan them too
            _keywords(node, is31, bad)
            crossed_bounds(node, ptr, bad)
            one_of_overlap(node, doc, ptr, self._lookup, bad)
            stack.extend(self._children(doc, node, ptr, bad))
        return targets

    def _lookup(self, doc: str, ref: Any) -> tuple[str, Any]:
        target = self.resolver.lookup(doc, ref)
        return target.doc, target.node

    def _children(self, doc: str, node: dict[str, Any], ptr: str, bad: _Reporter) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for kw in _MAP_OF_SCHEMAS:
            if kw in node:
                value = node[kw]
                if not isinstance(value, dict):
                    bad(f"{kw} must be a map of schemas, found {short(value)}", "not-a-schema", at=join(ptr, kw))
                    continue
                out.extend((join(ptr, kw, k), v) for k, v in value.items())
                if kw == "properties":
                    _boolean_properties(node, value, ptr, bad)
                if kw == "patternProperties":
                    for k in value:
                        if _regex_error(k):
                            bad(
                                f"patternProperties key {k!r} is not a valid regular expression",
                                "invalid-pattern",
                                at=join(ptr, kw, k),
                            )
        for kw in _LIST_OF_SCHEMAS:
            if kw in node:
                value = node[kw]
                if not isinstance(value, list) or not value:
                    bad(
                        f"{kw} must be a non-empty list of schemas, found {short(value)}",
                        "not-a-schema",
                        at=join(ptr, kw),
                    )
                    continue
                out.extend((join(ptr, kw, i), v) for i, v in enumerate(value))
        for kw in _ONE_SCHEMA:
            if kw in node:
                out.append((join(ptr, kw), node[kw]))
        deps = node.get("dependencies")
        if isinstance(deps, dict):
            out.extend((join(ptr, "dependencies", k), v) for k, v in deps.items() if isinstance(v, dict))
        if "items" in node:
            items = node["items"]
            if isinstance(items, list):
                bad(
                    "items must be one schema (tuple-style lists are not OpenAPI; 3.1 uses prefixItems)",
                    "not-a-schema",
                    at=join(ptr, "items"),
                )
            else:
                out.append((join(ptr, "items"), items))
        if "additionalProperties" in node:
            ap = node["additionalProperties"]
            if isinstance(ap, dict | bool):
                out.append((join(ptr, "additionalProperties"), ap))
            else:
                bad(
                    f"additionalProperties must be a schema or true/false, found {short(ap)}; it is ignored",
                    "not-a-schema",
                    blocking=False,
                    at=join(ptr, "additionalProperties"),
                )
        disc = node.get("discriminator")
        if "discriminator" in node and any(k in node for k in ("allOf", "anyOf", "oneOf")):
            mapping = disc.get("mapping", {}) if isinstance(disc, dict) else None
            if not (
                isinstance(disc, dict)
                and isinstance(disc.get("propertyName"), str)
                and isinstance(mapping, dict)
                and all(isinstance(v, str) for v in mapping.values())
            ):
                bad(
                    f"discriminator must be {{propertyName: <name>, mapping: {{value: ref}}}}, found {short(disc)}",
                    "invalid-keyword",
                    at=join(ptr, "discriminator"),
                )
        if isinstance(disc, dict) and isinstance(disc.get("mapping"), dict):
            for name, ref in disc["mapping"].items():
                if isinstance(ref, str) and ref.startswith("#"):
                    try:
                        self.resolver.lookup(doc, ref)
                    except RefError as e:
                        bad(
                            f"discriminator mapping {name!r}: {e}",
                            "dangling-ref",
                            blocking=False,
                            at=join(ptr, "discriminator", "mapping", name),
                        )
        return out


def _boolean_properties(node: dict[str, Any], props: dict[str, Any], ptr: str, bad: _Reporter) -> None:
    """A true/false property schema that is also required breaks the OpenAPI validators (and 3.0 forbids it)."""
    raw = node.get("required")
    required: list[Any] = raw if isinstance(raw, list) else []
    for name, value in props.items():
        if isinstance(value, bool) and name in required:
            bad(
                f"property {name!r} is required but its schema is {str(value).lower()}; give it a schema object",
                "not-a-schema",
                at=join(ptr, "properties", name),
            )


class _Reporter:
    """Appends problems found at one schema node (or below it, with `at`)."""

    __slots__ = ("doc", "probs", "ptr")

    def __init__(self, doc: str, ptr: str, probs: list[Problem]) -> None:
        self.doc, self.ptr, self.probs = doc, ptr, probs

    def __call__(self, msg: str, code: str, blocking: bool = True, at: str | None = None) -> None:
        self.probs.append(Problem(self.doc, self.ptr if at is None else at, msg, code, blocking))

    def kw(self, keyword: str) -> str:
        return join(self.ptr, keyword)

    def below(self, keyword: str) -> _Reporter:
        return _Reporter(self.doc, join(self.ptr, keyword), self.probs)


def _keywords(node: dict[str, Any], is31: bool, bad: _Reporter) -> None:
    if "type" in node:
        _type(node["type"], is31, bad.below("type"))
    if "pattern" in node:
        java = node.get(JAVA_DATE)  # the Java text an earlier load of this parsed document spelled as a regex
        pattern = java if isinstance(java, str) else node["pattern"]
        err = _regex_error(pattern) if isinstance(pattern, str) else "not a string"
        if err:
            bad(
                f"pattern {short(pattern)} is not a valid regular expression ({err})",
                "invalid-pattern",
                at=bad.kw("pattern"),
            )
        elif _date_format(pattern):
            spelled = date_format_regex(pattern)
            if spelled is not None:
                # Read as the pattern's author meant it, as the BB's own harness sends values (real timestamps):
                # judging by the literal text would refuse every real date, blocking the operation for nothing.
                # The Java text stays beside it, so that every load of this parsed document says the same.
                node[JAVA_DATE], node["pattern"] = pattern, spelled
            bad(
                f"pattern {short(pattern)} is a date format (as Java writes them), not a regular expression: "
                "no real date or time matches it (use format: date-time, or a regex)"
                + (f"; read as the regular expression it spells, {spelled}" if spelled is not None else ""),
                "date-format-pattern",
                blocking=spelled is None,
                at=bad.kw("pattern"),
            )
    if "required" in node:
        req = node["required"]
        if isinstance(req, list):
            if not all(isinstance(r, str) for r in req):
                bad(f"required must list property names, found {short(req)}", "invalid-required", at=bad.kw("required"))
        elif isinstance(req, bool):
            bad(
                f"required: {str(req).lower()} is Swagger 2.0 style; OpenAPI lists required property names in the "
                "parent object's required array (validators fail on the boolean form)",
                "required-not-a-list",
                at=bad.kw("required"),
            )
        else:
            bad(
                f"required must be a list of property names, found {short(req)}",
                "invalid-required",
                at=bad.kw("required"),
            )
    if "enum" in node and (not isinstance(node["enum"], list) or not node["enum"]):
        bad(f"enum must be a non-empty list, found {short(node['enum'])}", "invalid-enum", at=bad.kw("enum"))
    for kw in _COUNTS:
        if kw in node and not (_is_int(node[kw]) and node[kw] >= 0):
            bad(f"{kw} must be a non-negative integer, found {short(node[kw])}", "invalid-keyword", at=bad.kw(kw))
    for kw in _NUMBERS:
        if kw in node and not _is_num(node[kw]):
            bad(f"{kw} must be a number, found {short(node[kw])}", "invalid-keyword", at=bad.kw(kw))
    if _is_num(node.get("multipleOf")) and node["multipleOf"] <= 0:
        bad(
            f"multipleOf must be greater than 0, found {node['multipleOf']!r}",
            "invalid-keyword",
            at=bad.kw("multipleOf"),
        )
    for kw in ("format", "id", "$id"):
        if kw in node and not isinstance(node[kw], str):
            bad(f"{kw} must be a string, found {short(node[kw])}", "invalid-keyword", at=bad.kw(kw))
    for kw in ("dependentRequired", "dependencies"):
        if kw in node:
            value = node[kw]
            lists = value.values() if isinstance(value, dict) else ()
            if not isinstance(value, dict) or not all(
                isinstance(v, dict | bool) or (isinstance(v, list) and all(isinstance(x, str) for x in v))
                for v in lists
            ):
                bad(
                    f"{kw} must map property names to lists of names, found {short(value)}",
                    "invalid-keyword",
                    at=bad.kw(kw),
                )
    for kw in ("exclusiveMinimum", "exclusiveMaximum"):
        if kw in node:
            v = node[kw]
            if is31 and not _is_num(v):
                bad(
                    f"{kw} must be a number in OpenAPI 3.1 (found {short(v)}; the boolean form is 3.0)",
                    "invalid-keyword",
                    at=bad.kw(kw),
                )
            elif not is31 and not isinstance(v, bool):
                bad(
                    f"{kw} must be true/false in OpenAPI 3.0 (found {short(v)}; the numeric form is 3.1)",
                    "invalid-keyword",
                    at=bad.kw(kw),
                )
    if "nullable" in node:
        if is31:
            bad(
                "nullable is not part of OpenAPI 3.1 and is ignored, so null is rejected; add 'null' to type",
                "nullable-in-3.1",
                blocking=False,
                at=bad.kw("nullable"),
            )
        elif not isinstance(node["nullable"], bool):
            bad(
                f"nullable must be true/false, found {short(node['nullable'])}",
                "invalid-keyword",
                False,
                at=bad.kw("nullable"),
            )
    if not is31 and node.get("type") == "array" and "items" not in node:
        bad(
            "type: array without items (OpenAPI 3.0 requires items); any items are accepted",
            "array-without-items",
            blocking=False,
        )


def _type(t: Any, is31: bool, bad: _Reporter) -> None:
    allowed = TYPES_31 if is31 else TYPES_30
    if isinstance(t, list):
        if not is31:
            bad(
                f"type must be a single string in OpenAPI 3.0, found {short(t)} (a list needs 3.1, or use "
                "anyOf/nullable)",
                "invalid-type",
            )
            return
        for item in t:
            _type(item, is31, bad)
        return
    if isinstance(t, str) and t in allowed:
        return
    if t == "null":
        bad("type: 'null' does not exist in OpenAPI 3.0 (use nullable: true)", "invalid-type")
        return
    hint = _TYPE_HINT.get(t.lower()) if isinstance(t, str) else None
    bad(f"type {short(t)} is not a JSON Schema type" + (f"; use type: {hint}" if hint else ""), "invalid-type")


def schema_defects(uses: dict[tuple[str, str], list[tuple[str, str, Any]]], scan: SchemaScan, sink: Sink) -> None:
    """Turn schema problems into defects: ERROR per (operation, aspect) it blocks, WARNING otherwise."""
    blocked_somewhere: set[Problem] = set()
    for (op, aspect), roots in uses.items():
        for p in scan.reach(roots):
            if p.blocking:
                blocked_somewhere.add(p)
                sink.add(p.doc, p.pointer, p.message, p.code, Severity.ERROR, op or None, aspect)
    for p in scan.all_problems():
        if p.blocking and p in blocked_somewhere:
            continue
        suffix = " (no operation uses this schema)" if p.blocking else ""
        sink.add(p.doc, p.pointer, p.message + suffix, p.code, Severity.WARNING)
