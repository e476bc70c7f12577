"""OpenAPI schemas written as plain JSON Schema with the verdict `schemas.validate` gives, for jsonschema-rs.

Each node reached from a schema location is rewritten keyword by keyword into what jsonschema-rs reads
the same way (Draft 4 for OpenAPI 3.0, 2020-12 for 3.1); every `$ref` target becomes a definition of one
self-contained document. The rules `schemas.validate` applies on top of JSON Schema:

- 3.0: `nullable` adds null to `type`; responses take 1.0 as an integer (`schemas._json_numbers`);
  `required` skips readOnly (requests) or writeOnly (responses) properties as openapi-schema-validator
  does, and such a property present makes the node fail; `$ref` siblings have two readings
  (`siblings` says whether any reachable node has one that acts, and then both are compiled);
- what 3.0 does not know (`const`, `if`, `patternProperties`...) is dropped, as its validator ignores it;
- a `oneOf` reached without passing an `anyOf`, `oneOf` or `not` accepts a value matching several
  branches: `validate` forgives that error there (the spec's branches overlap), so it becomes `anyOf`;
- formats and patterns run the very Python functions jsonschema runs (custom keywords).

Anything else raises Unsupported: the definition is marked broken and every location reaching it is
left to `schemas.validate`.
"""

from __future__ import annotations

import contextlib
import importlib.util
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, unquote, urldefrag, urljoin

from govstack_conform.contracts import compiled, memo, schemas
from govstack_conform.contracts.model import Contract, Schema
from govstack_conform.contracts.uris import doc_key, doc_uri

# openapi-schema-validator searches patterns with `regress` (ECMA 262) when it is installed, else `re`.
_PY_PATTERNS = importlib.util.find_spec("regress") is None

_TYPES30 = frozenset({"string", "number", "integer", "boolean", "array", "object"})
_TYPES31 = _TYPES30 | {"null"}
_COUNTS = frozenset({"minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties"})
_COMBINATORS = ("allOf", "anyOf", "oneOf")
# Keywords the OAS 3.0 validators act on: a `$ref` sibling among them may make the two readings differ.
_ACTS30 = frozenset(
    {"type", "not", "properties", "items", "additionalProperties", "required", "minimum", "maximum", "enum"}
    | {"uniqueItems", "pattern", "format", "readOnly", "writeOnly", "multipleOf", *_COMBINATORS, *_COUNTS}
)
# 2020-12 keywords not translated (ids and anchors move $ref bases; the rest is not worth an exact rewrite).
_REFUSED31 = frozenset(
    {"$id", "$anchor", "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor", "$schema"}
    | {"$vocabulary", "if", "then", "else", "dependentSchemas", "dependentRequired", "dependencies"}
    | {"prefixItems", "contains", "minContains", "maxContains", "patternProperties", "propertyNames"}
    | {"unevaluatedItems", "unevaluatedProperties", "contentEncoding", "contentMediaType", "contentSchema"}
    | {"multipleOf", "additionalItems"}
)
_NEVER: dict[str, Any] = {"not": {}}
# Formats whose function raises on a string that is not ASCII (openapi-schema-validator's is_byte encodes it):
# jsonschema meets every string, jsonschema-rs stops at the first failure, so such strings go to jsonschema.
_ASCII_FORMATS = frozenset({"byte"})


class Unsupported(Exception):
    """A rule the translation cannot state exactly: `schemas.validate` judges that schema."""


class Pattern:
    """`pattern` as jsonschema runs it without regress: `re.search` on strings."""

    def __init__(self, parent: Any, value: str, path: Any) -> None:
        self.search = re.compile(value).search

    def validate(self, instance: Any) -> None:
        if isinstance(instance, str) and self.search(instance) is None:
            raise ValueError("pattern")


class Format:
    """`format` through the FormatChecker `schemas` gives jsonschema; its exceptions leave the verdict to it."""

    checker = schemas.FORMATS_30
    skip_null = True  # openapi-schema-validator's 3.0 `format` never checks null

    def __init__(self, parent: Any, value: str, path: Any) -> None:
        self.name = value

    def validate(self, instance: Any) -> None:
        if instance is None and self.skip_null:
            return
        try:
            ok = self.checker.conforms(instance, self.name)
        except Exception:
            compiled.undecided()
            raise ValueError("format raised") from None
        if not ok:
            raise ValueError("format")


class Format31(Format):
    checker = schemas.FORMATS_31
    skip_null = False


class Translator:
    """The definitions of one (contract, direction, dialect, reading), shared by every location compiled from it."""

    def __init__(self, contract: Contract, direction: str, oas31: bool, ignore_siblings: bool) -> None:
        self.contract = contract
        self.request = direction != "response"
        self.oas31 = oas31
        self.ignore_siblings = ignore_siblings
        self.defs: dict[str, Any] = {}
        self.names: dict[tuple[int, bool], str] = {}
        self.keep: list[Any] = []  # the nodes named, so that their ids stay theirs
        self.refs: dict[str, set[str]] = {}  # definition -> every definition it refers to
        self.owners: dict[str, list[str]] = {}  # definition -> its stretches (from its start or a descent)
        self.edges: dict[str, list[tuple[int, str]]] = {}  # stretch -> (nesting, definition) met without descending
        self.head: dict[str, int] = {}  # stretch -> deepest nesting without descending
        self.broken: dict[str, str] = {}  # definition -> why it cannot be translated
        self.siblings: set[str] = set()  # definitions with a `$ref` sibling that acts
        self.ascii: set[str] = set()  # definitions with a format that raises on non-ASCII text
        self.chains: dict[str, int] = {}
        self.worst: dict[str, int] = {}  # definition -> the deepest chain of any of its stretches
        self.found: dict[tuple[str, str], tuple[Any, str]] = {}
        self.chasing: set[str] = set()
        self.registry: Any = None  # jsonschema-rs's Registry of the first `registered` definitions
        self.registered = 0

    # -- a location, a $ref -------------------------------------------------------------------------------

    def root(self, schema: Schema) -> str:
        ref = doc_uri(schema.doc) + "#" + quote(schema.pointer, safe="/~")
        return self._define(*self._lookup(ref, schema.doc), top=True)

    def _lookup(self, ref: Any, doc: str) -> tuple[Any, str]:
        """The node a `$ref` names, as referencing finds it where no id moves the base (else Unsupported)."""
        if not isinstance(ref, str):
            raise Unsupported("$ref is not a string")
        found = self.found.get((ref, doc))
        if found is None:
            found = self.found[(ref, doc)] = self._find(ref, doc)
        return found

    def _find(self, ref: str, doc: str) -> tuple[Any, str]:
        uri, fragment = urldefrag(urljoin(doc_uri(doc), ref))
        key = doc_key(uri)
        document = self.contract.documents.get(key)
        if document is None or document.uri != uri:
            raise Unsupported(f"$ref {ref!r} leaves the contract")
        node: Any = document.raw
        pointer = unquote(fragment)
        if pointer and not pointer.startswith("/"):
            raise Unsupported("an anchor $ref")
        for segment in pointer.split("/")[1:] if pointer else ():
            if isinstance(node, dict):
                if isinstance(node.get("id"), str) or "$id" in node:
                    raise Unsupported("an id on the way of a $ref")
                name = segment.replace("~1", "/").replace("~0", "~")
                if name not in node:
                    raise Unsupported("a $ref to nowhere")
                node = node[name]
            elif isinstance(node, list):
                node = node[int(segment)]  # ValueError, IndexError: the definition is broken
            else:
                raise Unsupported("a $ref through a scalar")
        return node, key

    def _define(self, node: Any, doc: str, *, top: bool) -> str:
        key = (id(node), top)
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"s{len(self.names)}"
            self.keep.append(node)
            self.refs[name], self.owners[name] = set(), []
            try:
                self.defs[name] = self.node(node, doc, top, name, self._stretch(name), 1)
            except (Unsupported, RecursionError, KeyError, IndexError, ValueError, re.error, Warning) as exc:
                self.broken[name] = f"{type(exc).__name__}: {exc}"
                self.defs[name] = _NEVER
        return name

    def _ref(self, ref: Any, doc: str, top: bool, owner: str, stretch: str, level: int) -> dict[str, str]:
        name = self._define(*self._lookup(ref, doc), top=top)
        self.refs[owner].add(name)
        self.edges[stretch].append((level, name))
        return {"$ref": self.pointer(name)}

    def pointer(self, name: str) -> str:
        return ("#/$defs/" if self.oas31 else "#/definitions/") + name

    def _stretch(self, owner: str) -> str:
        stretch = f"{owner}.{len(self.owners[owner])}"
        self.owners[owner].append(stretch)
        self.edges[stretch], self.head[stretch] = [], 0
        return stretch

    # -- nodes --------------------------------------------------------------------------------------------

    def node(self, node: Any, doc: str, top: bool, owner: str, stretch: str, level: int) -> Any:
        """One schema node; `top`: errors here reach `validate` (not inside anyOf/oneOf/not)."""
        if node is True:
            return {}
        if node is False:
            return _NEVER
        if not isinstance(node, dict):
            raise Unsupported("a schema that is not an object")
        if "$id" in node or ("id" in node and not self.oas31):  # an id moves $ref bases (or breaks referencing)
            raise Unsupported("an id")
        self.head[stretch] = max(self.head[stretch], level)
        out: dict[str, Any] = {}
        conj: list[Any] = []
        never = False
        items: Iterable[tuple[Any, Any]] = node.items()
        if not self.oas31 and "$ref" in node:
            if self.ignore_siblings:
                items = [("$ref", node["$ref"])]
            elif any(k in _ACTS30 for k in node):
                self.siblings.add(owner)
        for k, v in items:
            if self.oas31 and k in _REFUSED31:
                raise Unsupported(f"keyword {k}")
            if k == "$ref":
                conj.append(self._ref(v, doc, top, owner, stretch, level + 1))
            elif k in _COMBINATORS:
                if not isinstance(v, list) or not v or "discriminator" in node:
                    raise Unsupported(f"{k} that is empty or has a discriminator")
                subs = [self.node(s, doc, top and k == "allOf", owner, stretch, level + 1) for s in v]
                conj.append({"anyOf" if k == "oneOf" and top else k: subs})
            elif k == "not":
                conj.append({"not": self.node(v, doc, False, owner, stretch, level + 1)})
            elif k == "properties":
                if not isinstance(v, dict) or not all(isinstance(n, str) for n in v):
                    raise Unsupported("properties")
                out[k] = {n: self._descend(s, doc, top, owner) for n, s in v.items()}
            elif k in ("items", "additionalProperties"):
                if k == "additionalProperties" and ("patternProperties" in node or not isinstance(v, dict | bool)):
                    raise Unsupported("additionalProperties")
                if not isinstance(node.get("properties", {}), dict):
                    raise Unsupported("properties")
                out[k] = v if isinstance(v, bool) and k == "additionalProperties" else self._descend(v, doc, top, owner)
            elif k == "required":
                names = self._required(v, node)
                if names:
                    out[k] = names
            elif k in _COUNTS:
                if type(v) is not int or v < 0:
                    raise Unsupported(k)
                out[k] = v
            elif k == "pattern":
                if not isinstance(v, str) or not _PY_PATTERNS:
                    raise Unsupported("pattern")
                re.compile(v)  # re.error: jsonschema raises on it, so this schema is left to it
                conj.append({"x-gc-pattern": v})
            elif k == "format":
                if not isinstance(v, str):
                    raise Unsupported("format")
                if v in (schemas.FORMATS_31 if self.oas31 else schemas.FORMATS_30).checkers:
                    conj.append({"x-gc-format": v})
                    if v in _ASCII_FORMATS:
                        self.ascii.add(owner)
            elif k == "uniqueItems":
                if not isinstance(v, bool):
                    raise Unsupported(k)
                if v:
                    out[k] = True
            elif k == "enum":
                if not isinstance(v, list):
                    raise Unsupported("enum")
                never = never or not v  # no value is in an empty enum
                out[k] = _values(v)
            elif k == "multipleOf":
                raise Unsupported("multipleOf")  # jsonschema divides floats, jsonschema-rs does not
            elif self.oas31:
                never = self._keyword31(k, v, out) or never
            else:
                never = self._keyword30(k, v, node, conj, out) or never
        if never:
            return _NEVER
        return _merged(out, conj)

    def _descend(self, node: Any, doc: str, top: bool, owner: str) -> Any:
        return self.node(node, doc, top, owner, self._stretch(owner), 1)

    def _keyword30(self, k: str, v: Any, node: dict[str, Any], conj: list[Any], out: dict[str, Any]) -> bool:
        """3.0's own keywords; True when the node fails whatever the value (readOnly sent, writeOnly answered)."""
        if k == "type":
            conj.append(self._type30(v, node.get("nullable") is True))
        elif k in ("minimum", "maximum"):
            out[k] = _number(v)
            exclusive = "exclusiveM" + k[1:]
            flag = node.get(exclusive, False)
            if not isinstance(flag, bool):
                raise Unsupported(exclusive)
            if flag:
                out[exclusive] = True
        elif k == "readOnly":
            return bool(v) and self.request
        elif k == "writeOnly":
            return bool(v) and not self.request
        return False

    def _keyword31(self, k: str, v: Any, out: dict[str, Any]) -> bool:
        """2020-12's own keywords (as openapi-schema-validator's 3.1 validator reads them)."""
        if k == "type":
            types = v if isinstance(v, list) else [v]
            if not all(isinstance(t, str) and t in _TYPES31 for t in types):
                raise Unsupported("type")
            if not types:
                return True
            out[k] = list(dict.fromkeys(types))
        elif k in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            out[k] = _number(v)
        elif k == "const":
            out[k] = _values([v])[0]
        return False

    def _type30(self, t: Any, nullable: bool) -> dict[str, Any]:
        if not isinstance(t, str) or t not in _TYPES30:
            raise Unsupported("type")
        if t == "integer" and not self.request:  # answers: 1.0 is the integer 1 (schemas._json_numbers)
            alts: list[Any] = [{"type": "integer"}, {"type": "number", "multipleOf": 1}]
            return {"anyOf": [*alts, {"type": "null"}] if nullable else alts}
        return {"type": [t, "null"] if nullable else t}

    def _required(self, names: Any, node: dict[str, Any]) -> list[str]:
        """openapi-schema-validator's `required` by direction: a readOnly (request) or writeOnly (response)
        property, as its own node says without following a $ref, need not be there."""
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise Unsupported("required")
        props = node.get("properties", {})
        if not isinstance(props, dict):
            raise Unsupported("properties")
        kept: list[str] = []
        for n in names:
            prop = props.get(n)
            if prop and not self.oas31:
                if not isinstance(prop, dict):
                    raise Unsupported("a property schema that is not an object")
                if prop.get("readOnly" if self.request else "writeOnly", False):
                    continue
            if n not in kept:
                kept.append(n)
        return kept

    # -- what a location reaches ------------------------------------------------------------------------

    def reachable(self, root: str) -> list[str]:
        seen, todo = [root], [root]
        known = {root}
        while todo:
            for target in self.refs[todo.pop()]:
                if target not in known:
                    known.add(target)
                    seen.append(target)
                    todo.append(target)
        return seen

    def chain(self, definition: str) -> int:
        """The deepest nesting met from `definition`'s start without descending into the instance, through
        $refs; Unsupported for a $ref cycle that never descends (jsonschema recurses until it raises)."""
        found = self.chains.get(definition)
        if found is None:
            if definition in self.chasing:
                raise Unsupported("a $ref cycle that never descends into the instance")
            self.chasing.add(definition)
            try:
                found = self.chains[definition] = self.stretch_chain(self.owners[definition][0])
            finally:
                self.chasing.discard(definition)
        return found

    def worst_chain(self, definition: str) -> int:
        found = self.worst.get(definition)
        if found is None:
            found = self.worst[definition] = max(self.stretch_chain(s) for s in self.owners[definition])
        return found

    def stretch_chain(self, stretch: str) -> int:
        return max([self.head[stretch], *(level + self.chain(t) for level, t in self.edges[stretch])])


def _merged(out: dict[str, Any], conj: list[Any]) -> dict[str, Any]:
    """`out` and every part of `conj` at once: parts whose keywords `out` lacks join it (a smaller document
    compiles faster), the rest stays under allOf; a `$ref` joins nothing (Draft 4 ignores its siblings)."""
    rest: list[Any] = []
    for part in conj:
        if "$ref" in part and not out and not rest and len(conj) == 1:
            return part  # type: ignore[no-any-return]
        if "$ref" in part or any(k in out for k in part):
            rest.append(part)
        else:
            out.update(part)
    if rest:
        out["allOf"] = rest
    return out


def _number(v: Any) -> int | float:
    if type(v) not in (int, float) or not compiled._plain(v, 0):
        raise Unsupported("a bound that is not a number")
    return v  # type: ignore[no-any-return]


def _values(values: list[Any]) -> list[Any]:
    """Enum values as JSON (jsonschema-rs's Draft 4 wants them unique: exact repeats are dropped)."""
    out: list[Any] = []
    for v in values:
        if not compiled._plain(v, 64):
            raise Unsupported("a value that is not plain JSON")
        if not any(type(v) is type(o) and v == o for o in out):
            out.append(v)
    return out


def translator(contract: Contract, direction: str, oas31: bool, ignore: bool) -> Translator:
    """The contract's Translator for a direction, dialect and reading, every location of that direction
    translated up front (they share definitions, and jsonschema-rs then gets them in one registry).

    A large contract (memo.large) gets a new Translator each time instead, holding only what
    the location compiled from it reaches: kept, its definitions and their registry grew with the
    contract (68 MB of objects at 5 000 operations), and compiled validators are not all kept either."""
    if memo.large(contract):
        return Translator(contract, "response" if direction == "response" else "request", oas31, ignore)
    cache: dict[tuple[str, bool, bool], Translator] = contract.__dict__.setdefault("_translators", {})
    key = ("response" if direction == "response" else "request", oas31, ignore)
    found = cache.get(key)
    if found is None:
        found = cache[key] = Translator(contract, key[0], oas31, ignore)
        for schema in _locations(contract, key[0] == "request"):
            if schemas.is_30(contract, schema) != oas31:
                with contextlib.suppress(Unsupported, RecursionError, KeyError, IndexError, ValueError, Warning):
                    found.root(schema)
    return found


def _locations(contract: Contract, request: bool) -> Iterator[Schema]:
    for op in contract.operations:
        if request:
            yield from (p.schema for p in op.parameters if p.schema is not None)
            if op.request_body is not None:
                yield from (m.schema for m in op.request_body.content if m.schema is not None)
        else:
            for r in op.responses:
                yield from (m.schema for m in r.content if m.schema is not None)
                yield from (h.schema for h in r.headers if h.schema is not None)
