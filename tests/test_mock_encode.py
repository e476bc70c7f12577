"""mock/responses.encode_list: list answers with each item's JSON remembered, byte for byte json.dumps."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from govstack_conform.contracts.model import MediaType
from govstack_conform.mock.responses import _ITEMS, encode, encode_list

JSON = MediaType("application/json", None, (), "")
ITEMS = [{"id": "1", "name": "é", "n": 1.5, "t": None}, {"id": 2, "tags": ["a", True]}, "3", 4]


@pytest.mark.parametrize(
    ("body", "at"),
    [
        (ITEMS, ()),
        ({"data": ITEMS, "total": 4}, ("data",)),
        ({"meta": {"count": 4}, "page": {"items": ITEMS, "next": None}}, ("page", "items")),
        ({"data": [], "total": 0}, ("data",)),
        ({"data": ITEMS, "note": _ITEMS}, ("data",)),  # the placeholder's own text in the body
        ({"data": "not a list"}, ("data",)),
    ],
)
def test_same_bytes_as_encoding_the_whole_body(body: Any, at: tuple[str, ...]) -> None:
    memo: dict[int, tuple[Any, bytes]] = {}
    before = copy.deepcopy(body)
    assert encode_list(JSON, body, at, memo) == encode(JSON, body)
    assert encode_list(JSON, body, at, memo) == encode(JSON, body)  # from the memo
    assert body == before  # left as it was


def test_an_item_object_gone_and_its_id_reused_is_encoded_afresh() -> None:
    memo: dict[int, tuple[Any, bytes]] = {}
    first = {"id": "a"}
    encode_list(JSON, [first], (), memo)
    memo[id(first)] = ({"id": "other"}, b'{"id":"other"}')  # as if another object had held that id
    assert encode_list(JSON, [first], (), memo) == b'[{"id":"a"}]'


def test_xml_lists_are_encoded_whole() -> None:
    xml = MediaType("application/xml", None, (), "")
    body = {"data": [{"id": "1"}]}
    assert encode_list(xml, body, ("data",), {}) == encode(xml, body)
