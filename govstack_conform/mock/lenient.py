"""The contract the mock judges requests by: the spec as written, minus the defects lint flags.

A keyword lint calls broken (a pattern that is a Java date format, a regex that does not compile, an
unknown type) is dropped; a node that stands where a schema belongs but is none accepts anything.
Everything else the contract states stays enforced: a real product following the intent of a
broken spec would still refuse what the rest of the schema refuses. Responses are still generated
from the spec as written, so what the mock answers is what the engine checks.
"""

from __future__ import annotations

import copy
from dataclasses import replace
from typing import Any

from govstack_conform.contracts.loader import make_registry
from govstack_conform.contracts.loader.common import unesc
from govstack_conform.contracts.model import Contract, Severity, SpecDefect

# Defect codes that point at one schema node or keyword; others (unreadable files, lost paths) do not.
SCHEMA_CODES = frozenset(
    {
        "date-format-pattern",
        "invalid-pattern",
        "invalid-type",
        "invalid-keyword",
        "invalid-required",
        "required-not-a-list",
        "invalid-enum",
        "not-a-schema",
        "dangling-ref",
    }
)
_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions", "dependentSchemas"})
_KEYWORDS = frozenset(
    {
        "type",
        "format",
        "pattern",
        "enum",
        "const",
        "required",
        "items",
        "properties",
        "patternProperties",
        "additionalProperties",
        "minLength",
        "maxLength",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "uniqueItems",
        "nullable",
        "discriminator",
        "dependencies",
        "dependentRequired",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
    }
)


def unenforced(contract: Contract) -> list[SpecDefect]:
    """The ERROR defects in request schemas the mock does not hold against a client, as lint reports them
    (once each, though several operations may use the schema)."""
    found: dict[tuple[str, str, str], SpecDefect] = {}
    for d in contract.defects:
        if (
            d.severity is Severity.ERROR
            and d.code in SCHEMA_CODES
            and d.file in contract.documents
            and not (d.aspect or "").startswith("response")
            and {"schema", "schemas", "definitions"} & set(_tokens(d.pointer))
        ):
            found.setdefault((d.file, d.pointer, d.code), d)
    return list(found.values())


def _tokens(pointer: str) -> list[str]:
    return [unesc(t) for t in pointer.split("/")[1:]]


def _neutralise(raw: Any, pointer: str) -> bool:
    """Drop the broken keyword at `pointer`, or make the broken schema there accept anything."""
    tokens = _tokens(pointer)
    if not tokens:
        return False
    parent = raw
    for t in tokens[:-1]:
        if isinstance(parent, dict) and t in parent:
            parent = parent[t]
        elif isinstance(parent, list) and t.isdigit() and int(t) < len(parent):
            parent = parent[int(t)]
        else:
            return False
    last = tokens[-1]
    keyword = last in _KEYWORDS and (len(tokens) < 2 or tokens[-2] not in _MAPS)
    if isinstance(parent, dict) and last in parent:
        if keyword:
            del parent[last]
        else:
            parent[last] = {}
        return True
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        parent[int(last)] = {}
        return True
    return False


def lenient(contract: Contract) -> Contract:
    """`contract` with each flagged schema defect neutralised (the same contract when there is none)."""
    defects = unenforced(contract)
    if not defects:
        return contract
    raws = {key: copy.deepcopy(dict(contract.documents[key].raw)) for key in {d.file for d in defects}}
    changed = {d.file for d in defects if _neutralise(raws[d.file], d.pointer)}
    if not changed:
        return contract
    documents = {k: replace(doc, raw=raws[k]) if k in changed else doc for k, doc in contract.documents.items()}
    return replace(contract, documents=documents, registry=make_registry(list(documents.values())))
