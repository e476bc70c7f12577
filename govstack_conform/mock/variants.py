"""Which of several definitions a request means, when its URL cannot say (operation variants).

Payments defines `POST /callback` in three files with nothing in the URL to tell them apart (lint's
`duplicate-operation`). A product implementing all of them would have to look at the request, so the mock
does: the definition whose vocabulary the request speaks (body properties its schema declares, required
parameters present) wins, then the one whose checks the request passes, then the first in spec order.
Vocabulary comes first so that an invalid request meant for one definition is refused as that one's.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from govstack_conform.contracts import schemas
from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.mock.options import Journal
from govstack_conform.mock.query import properties
from govstack_conform.mock.validate import IGNORED_HEADERS, check_parameters, find_media, is_json, read_body


def _body_words(contract: Contract, op: Operation, content_type: str | None, body: Any) -> int:
    """Body properties the definition declares, minus those it does not (0 without a JSON object body)."""
    if not isinstance(body, dict) or op.request_body is None or not content_type:
        return 0
    media = find_media(op.request_body.content, content_type)
    if media is None or media.schema is None:
        return -len(body)
    try:
        declared = properties(contract, media.schema)
    except schemas.SchemaUnusable:
        return 0
    return sum(1 if k in declared else -1 for k in body)


def _param_words(op: Operation, query: Mapping[str, list[str]], headers: Mapping[str, str]) -> int:
    """Required query and header parameters present, minus those missing."""
    score = 0
    for p in op.parameters:
        if not p.required or p.location not in ("query", "header") or p.name.lower() in IGNORED_HEADERS:
            continue
        present = p.name in query if p.location == "query" else p.name.lower() in headers
        score += 1 if present else -1
    return score


def choose(
    contract: Contract,
    tied: Sequence[Operation],
    params: Mapping[str, str],
    query: Mapping[str, list[str]],
    headers: Mapping[str, str],
    cookies: Mapping[str, str],
    raw: bytes,
    journal: Journal,
) -> Operation:
    """The definition among `tied` (same method, path and fixed query) the request means."""
    content_type = headers.get("content-type")
    body: Any = None
    if raw and content_type and is_json(content_type):
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = None
    lowered = {k.lower(): v for k, v in headers.items()}

    def rank(item: tuple[int, Operation]) -> tuple[int, bool, int]:
        i, op = item
        words = _body_words(contract, op, content_type, body) + _param_words(op, query, lowered)
        refused = check_parameters(contract, op, params, query, headers, cookies, journal) is not None
        refused = refused or read_body(contract, op, content_type, raw, journal)[1] is not None
        return -words, refused, i

    return min(enumerate(tied), key=rank)[1]
