"""Schema content no value can satisfy: what would otherwise surface only when the planner fails to build one.

`oneOf` demands exactly one matching branch, so branches that accept the same values (identical once
`$ref`s are followed and annotations set aside) can never be chosen; when every branch has such a twin no
value is valid at all (emarketplace's `id`: six branches, each `{type: string}`). Bounds that cross
(`minLength: 5, maxLength: 2`) and enums none of whose values has the schema's type leave no value either.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from govstack_conform.contracts.loader.common import join, short
from govstack_conform.contracts.loader.refs import RefError

# Keywords that describe a schema without constraining its values.
_ANNOTATIONS = frozenset(
    {"description", "title", "example", "examples", "$comment", "deprecated", "externalDocs", "xml", "default"}
)
_BOUNDS = (
    ("minLength", "maxLength", "characters"),
    ("minItems", "maxItems", "items"),
    ("minProperties", "maxProperties", "properties"),
)
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer()),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
    "null": lambda v: v is None,
}

Report = Callable[..., None]  # checks._Reporter: (message, code, blocking=True, at=None)
Lookup = Callable[[str, Any], tuple[str, Any]]  # (doc, $ref) -> (doc, node) it names; raises when it cannot


def _assertions(node: Any, doc: str, lookup: Lookup) -> str | None:
    """The branch's constraints as canonical text (its `$ref` chain followed), None when it cannot be read."""
    for _ in range(32):
        if not (isinstance(node, dict) and "$ref" in node and len(node) == 1):
            break
        try:
            doc, node = lookup(doc, node["$ref"])
        except RefError:  # a broken ref is reported where it stands; here it just compares as unknown
            return None
    if not isinstance(node, dict) or "$ref" in node:
        return None
    kept = {k: v for k, v in node.items() if k not in _ANNOTATIONS}
    return json.dumps(kept, sort_keys=True, default=str)


def one_of_overlap(node: dict[str, Any], doc: str, ptr: str, lookup: Lookup, bad: Report) -> None:
    """Identical `oneOf` branches: ERROR when every branch has a twin (no valid value), else a WARNING."""
    branches = node.get("oneOf")
    if not isinstance(branches, list) or len(branches) < 2:
        return
    texts = [_assertions(b, doc, lookup) for b in branches]
    twins: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        if text is not None:
            twins.setdefault(text, []).append(i)
    groups = [g for g in twins.values() if len(g) > 1]
    if not groups:
        return
    paired = sum(len(g) for g in groups)
    every = paired == len(branches) and "discriminator" not in node
    listed = "; ".join(", ".join(str(i) for i in g) for g in groups)
    consequence = (
        "so no value matches exactly one branch: none is valid"
        if every
        else "so those branches can never match alone (only the others can be chosen)"
    )
    bad(
        f"oneOf branches accept the same values (branches {listed}, once $refs are followed and descriptions set "
        f"aside), {consequence}",
        "oneof-overlap",
        blocking=every,
        at=join(ptr, "oneOf"),
    )


def crossed_bounds(node: dict[str, Any], ptr: str, bad: Report) -> None:
    """min above max, and enums whose every value breaks the schema's own type."""
    for low, high, what in _BOUNDS:
        lo, hi = node.get(low), node.get(high)
        if isinstance(lo, int) and isinstance(hi, int) and not isinstance(lo, bool) and lo > hi:
            bad(f"{low} {lo} is above {high} {hi}: no value has that many {what}", "unsatisfiable", at=join(ptr, low))
    lo, hi = node.get("minimum"), node.get("maximum")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and _number(lo) and _number(hi):
        exclusive = node.get("exclusiveMinimum") is True or node.get("exclusiveMaximum") is True
        if lo > hi or (lo == hi and exclusive):
            bad(f"minimum {lo} and maximum {hi} leave no number between them", "unsatisfiable", at=join(ptr, "minimum"))
    enum, kind = node.get("enum"), node.get("type")
    if isinstance(enum, list) and enum and isinstance(kind, str) and kind in _JSON_TYPES:
        fits = _JSON_TYPES[kind]
        if not any(fits(v) or (v is None and node.get("nullable") is True) for v in enum):
            bad(
                f"no value of enum {short(enum)} is of type {kind}, so no value is valid",
                "unsatisfiable",
                at=join(ptr, "enum"),
            )


def _number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)
