"""What a refusal of a request we meant as valid can be blamed on.

A 4xx is excused only where the request names something the product may rightly not have: a path or
query parameter, or a body field referring to another resource, holding a generated value. The body's
own identifier (the resource being created or updated) names nothing that must exist. A 400/422 whose
answer names a missing or malformed field is about the shape of a request that follows the spec, so it
is the product's fault whatever the request names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from govstack_conform.engine.cases import Case, CaseKind, Step

ID_NAME = re.compile(r"(^id$|_id$|Id$|ID$|^uuid$|Uuid$|_uuid$)")
_OWN_ID = frozenset({"id", "_id", "uuid"})


@dataclass(frozen=True)
class Unknowns:
    """Where a request holds values the product may not know (generated or taken from spec examples)."""

    params: tuple[str, ...] = ()  # "path parameter x", "query parameter y"
    references: tuple[str, ...] = ()  # body pointers of fields referring to another resource
    own_ids: tuple[str, ...] = ()  # body pointers of the resource's own identifier, client-chosen
    names_identifier: bool = False  # whether the request names any identifier at all, known or not

    @property
    def any(self) -> bool:
        return bool(self.params or self.references)

    def where(self) -> str:
        """The unknown inputs in words, for a message."""
        shown = [*self.params, *(f"body field {p}" for p in self.references)]
        more = f" and {len(shown) - 4} more" if len(shown) > 4 else ""
        return ", ".join(shown[:4]) + more


KNOWN = Unknowns()


def _id_like(name: str) -> bool:
    return bool(ID_NAME.search(name))


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def own_id_names(path: str) -> frozenset[str]:
    """Id field names that name the resource a collection path creates: `/clients` -> clientId, client_id."""
    last = next((p for p in reversed(path.split("/")) if p and not p.startswith("{")), "")
    word = re.sub(r"[^A-Za-z0-9]", "", last.split("-")[-1].split("_")[-1])
    if not word:
        return frozenset()
    single = word[:-3] + "y" if word.endswith("ies") else word[:-1] if word.endswith("s") else word
    return frozenset(f"{single.lower()}{suffix}" for suffix in ("id", "_id", "uuid", "_uuid"))


def body_ids(body: Any, own_names: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """(references, own ids): pointers of id-like fields holding a value not filled from an earlier step.

    The resource's own identifier is an `id` (or one of `own_names`, the collection's: `clientId` for
    `/clients`) at the top of the body, of each item of a top-level array, inside a single wrapping
    member (`{"individual": {"id": ...}}`, consent's shape) or inside a `request` envelope beside request
    metadata (`{"requestTime": ..., "request": {...}}`, the MOSIP shape). Every other id-like field
    (`controller.id`, `individualId`, `externalId`) names another record.
    """
    refs: list[str] = []
    own: list[str] = []
    tops: list[tuple[Any, str]] = [(body, "")]
    if isinstance(body, list):
        tops = [(item, f"/{i}") for i, item in enumerate(body)]
    elif isinstance(body, dict) and len(body) == 1:
        ((key, inner),) = body.items()
        if isinstance(inner, dict):
            tops = [(inner, "/" + _escape(str(key)))]
    elif isinstance(body, dict) and isinstance(body.get("request"), dict):
        tops = [(body, ""), (body["request"], "/request")]
    stack: list[tuple[Any, str, bool]] = [(node, pointer, True) for node, pointer in tops]
    while stack:
        node, pointer, top = stack.pop()
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            here = f"{pointer}/{_escape(str(key))}"
            if isinstance(value, (dict, list)):
                if not any(value is node for node, _ in tops):  # an envelope is walked once, as a top
                    stack.append((value, here, False))
                continue
            if not isinstance(node, dict) or not _id_like(str(key)) or value is None or isinstance(value, bool):
                continue
            if isinstance(value, str) and "${" in value:
                continue  # filled from what an earlier step of this run captured: known to the product
            mine = str(key).lower() in _OWN_ID or str(key).lower() in own_names
            (own if top and mine else refs).append(here)
    return sorted(refs), sorted(own)


def unknowns(case: Case, step: Step) -> Unknowns:
    """What in the step's request the product may not know, from the case's provenance tags.

    "fixture" means test data named every record; without "generated-id", a positive or negative
    case's identifying parameters came from test data too. Values filled from earlier steps (`${...}`)
    name what this run created. A stateful case's tags describe its create step only.
    """
    req = step.request
    creates = req.method == "POST" and not req.path.rstrip("/").endswith("}")
    refs, own = body_ids(req.body, own_id_names(req.path) if creates else frozenset()) if req.has_body else ([], [])
    ids_in_query = [k for k, _ in req.query if _id_like(k)]
    names = bool(req.path_params or ids_in_query or refs)
    if "fixture" in case.tags:
        return Unknowns(names_identifier=names)
    single = case.kind in (CaseKind.POSITIVE, CaseKind.NEGATIVE)
    trust_params = single and "generated-id" not in case.tags
    params = [f"path parameter {k}" for k, v in req.path_params if "${" not in v and not trust_params]
    params += [f"query parameter {k}" for k, v in req.query if _id_like(k) and "${" not in v]
    if not params and "generated-id" in case.tags and not req.path_params:
        params.append("a required identifying parameter")
    from_data = "generated" not in case.tags and "example" not in case.tags
    own_body = case.kind is CaseKind.POSITIVE or (case.kind is CaseKind.STATEFUL and step.name == "create")
    body_known = from_data and own_body
    if body_known:
        refs, own = [], []
    return Unknowns(tuple(params), tuple(refs), tuple(own), names)


# Words with which products say why they refused. A refusal naming a missing or malformed field is about
# the request's shape; one saying a record is not found is about what the request names.
_RECORD = re.compile(
    r"not found|does ?n[o']t exist|do(?:es)? not exist|\bno such\b|non-?existent|"
    r"\bunknown (?:id|identifier|reference|record)\b|\bunknown \w*id\b|"
    r"\bmissing (?:record|resource|entity)\b|\b(?:record|resource|entity) (?:is |was )?missing\b",
    re.IGNORECASE,
)
_MISSING = re.compile(
    r"\bfield required\b|\bmissing\b|\brequired (?:field|property|parameter)\b|"
    r"(?<!valid )\b[\w.\[\]'\"`-]+ (?:is|are) required\b|\bmust not be (?:null|empty|blank)\b|"
    r"\bmust be (?:provided|present)\b",
    re.IGNORECASE,
)
_MALFORMED = re.compile(
    r"\bmalformed\b|\bextra (?:fields?|inputs?) (?:are )?not permitted\b|\badditional propert(?:y|ies)\b|"
    r"\bunknown (?:field|property)\b|\bunrecognized (?:field|property)\b|\b(?:invalid|wrong) type\b|"
    r"\btype[ _]error\b|\bis not of type\b|\bmust be (?:of type|an? (?:string|integer|number|boolean|object|array))\b|"
    r"\bexpected (?:an? )?(?:string|integer|number|boolean|object|array|dict|list)\b|"
    r"\binput should be (?:an? )?(?:valid )?(?:string|integer|number|boolean|object|array|dictionary|list)\b|"
    r"\bjson parse error\b|\bcannot deserialize\b",
    re.IGNORECASE,
)


def refusal_kind(body: bytes) -> str | None:
    """ "record" (something named is not found), "missing" or "malformed" (a field), or None (no telling)."""
    text = body[:8192].decode("utf-8", "replace")
    if _RECORD.search(text):
        return "record"
    if _MISSING.search(text):
        return "missing"
    if _MALFORMED.search(text):
        return "malformed"
    return None


def excerpt(body: bytes, limit: int = 200) -> str:
    """The answer's body on one line, cut to `limit` characters, for a message."""
    text = " ".join(body[: limit * 4].decode("utf-8", "replace").split())
    return text if len(text) <= limit else text[:limit] + "…"
