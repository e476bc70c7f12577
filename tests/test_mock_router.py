"""The mock's path matching and resource-role inference, on hand-built operations."""

from __future__ import annotations

from dataclasses import replace

from govstack_conform.contracts.model import Operation, Parameter
from govstack_conform.mock.router import Router
from govstack_conform.mock.state import find_id, id_candidates, infer_roles, overlay, with_id


def op(method: str, path: str, *query: str) -> Operation:
    params = tuple(Parameter(q, "query", False, None, (), "") for q in query)
    return Operation(method, path, None, "", (), params, None, (), (), "f.yaml", "")


ROUTER = Router(
    [
        op("POST", "/config/policy/"),
        op("GET", "/config/policy/{policyId}/"),
        op("PUT", "/config/policy/{policyId}/"),
        op("DELETE", "/config/policy/{policyId}/"),
        op("GET", "/config/policy/{policyId}/revisions/"),
        op("GET", "/data/{registryName}/{versionNumber}"),
        op("POST", "/data/mcts/createEntries"),
        op("GET", "/data/{registryName}/{versionNumber}/{uuid}/readValue/{field}.{ext}"),
        op("GET", "/data/mypersonalDataUsage"),
        op("GET", "/items/{id}"),
        op("GET", "/items/latest"),
    ]
)


def test_template_with_trailing_slash_matches_and_decodes() -> None:
    m = ROUTER.match("GET", "/config/policy/a%2Fb%20c/")
    assert m is not None and m.operation is not None
    assert m.operation.key == "GET /config/policy/{policyId}/"
    assert m.params == {"policyId": "a/b c"}


def test_missing_trailing_slash_still_routes() -> None:
    m = ROUTER.match("GET", "/config/policy/p1")
    assert m is not None and m.operation is not None and m.params == {"policyId": "p1"}
    assert ROUTER.match("POST", "/config/policy") is not None


def test_empty_parameter_segment_does_not_match() -> None:
    assert ROUTER.match("GET", "/config/policy//") is None


def test_literal_segment_wins_over_template() -> None:
    m = ROUTER.match("GET", "/items/latest")
    assert m is not None and m.operation is not None and m.operation.path == "/items/latest"
    m = ROUTER.match("GET", "/items/other")
    assert m is not None and m.operation is not None and m.operation.path == "/items/{id}"


def test_literal_path_without_method_falls_back_to_template_declaring_it() -> None:
    m = ROUTER.match("GET", "/data/mcts/createEntries")
    assert m is not None and m.operation is not None
    assert m.operation.path == "/data/{registryName}/{versionNumber}"
    assert m.params == {"registryName": "mcts", "versionNumber": "createEntries"}
    assert ROUTER.match("POST", "/data/mcts/createEntries").operation.path == "/data/mcts/createEntries"  # type: ignore[union-attr]


def test_mixed_segment_splits_into_parameters() -> None:
    m = ROUTER.match("GET", "/data/reg/1.0/u-1/readValue/photo.png")
    assert m is not None and m.operation is not None
    assert m.params == {"registryName": "reg", "versionNumber": "1.0", "uuid": "u-1", "field": "photo", "ext": "png"}


def test_undeclared_method_gives_route_with_allow() -> None:
    m = ROUTER.match("PATCH", "/config/policy/x/")
    assert m is not None and m.operation is None
    assert m.route.allow == "DELETE, GET, PUT"


def test_unknown_path() -> None:
    assert ROUTER.match("GET", "/nope") is None
    assert ROUTER.match("GET", "/config/policy/x/y/z/") is None


def test_variants_are_told_apart_by_their_fixed_query() -> None:
    """POST /vouchers three times: ?command=cancel and ?command=redeem dispatch, the bare URL is the third."""
    plain = op("POST", "/vouchers")
    cancel = replace(op("POST", "/vouchers"), fixed_query=(("command", "cancel"),), variant="?command=cancel")
    redeem = replace(op("POST", "/vouchers"), fixed_query=(("command", "redeem"),), variant="?command=redeem")
    twin = replace(cancel, source_file="g.yaml", variant="?command=cancel (g.yaml)")
    r = Router([plain, cancel, redeem, twin])

    def routed(query: dict[str, list[str]]) -> tuple[Operation | None, tuple[Operation, ...]]:
        m = r.match("POST", "/vouchers", query)
        assert m is not None
        return m.operation, m.tied

    assert routed({"command": ["redeem"]}) == (redeem, ())
    assert routed({}) == (plain, ())
    assert routed({"command": ["nope"]}) == (plain, ())  # no fixed query met: the bare definition
    assert routed({"command": ["cancel"]}) == (cancel, (cancel, twin))  # the app looks at the request
    assert r.match("GET", "/vouchers", {}) is not None and r.routes[0].allow == "POST"


def test_roles_link_collection_and_item_paths() -> None:
    roles = infer_roles(
        [
            op("POST", "/config/policy/"),
            op("GET", "/config/policy/{policyId}/"),
            op("PUT", "/config/policy/{policyId}/"),
            op("DELETE", "/config/policy/{policyId}/"),
            op("GET", "/service/policy/{policyId}/"),
            op("GET", "/data/{registryName}/{versionNumber}"),
            op("POST", "/things"),
            op("GET", "/things", "id"),
            op("DELETE", "/things/{id}/delete"),
        ]
    )
    assert roles["POST /config/policy/"].kind == "create"
    assert roles["GET /config/policy/{policyId}/"].kind == "read"
    assert roles["PUT /config/policy/{policyId}/"].kind == "replace"
    assert roles["DELETE /config/policy/{policyId}/"].kind == "delete"
    # same specific id name: the service path reads what config created
    assert roles["GET /service/policy/{policyId}/"].resource == roles["POST /config/policy/"].resource == "policyId"
    # nothing creates versions: a search, not a read
    assert "GET /data/{registryName}/{versionNumber}" not in roles
    assert roles["GET /things"].id_in == "query"
    assert roles["DELETE /things/{id}/delete"].kind == "delete"
    assert roles["POST /things"].resource == roles["GET /things"].resource == "/things#id"


def test_find_id_prefers_the_parameter_name_then_nested_resource() -> None:
    assert find_id({"policyId": "1", "id": "2"}, "policyId", "policy") == ("policyId",)
    assert find_id({"policy": {"id": "x"}, "revision": {"id": "y"}}, "policyId", "policy") == ("policy", "id")
    assert find_id({"revision": {"id": "y"}, "policy": {"id": "x"}}, "policyId", "policy") == ("policy", "id")
    assert find_id({"data": {"uuid": "u"}}, "thingId", "thing") == ("data", "uuid")
    assert find_id({"name": "n"}, "thingId", "thing") is None
    assert find_id(["x"], "thingId", "thing") is None


def test_overlay_keeps_only_fields_that_stay_valid() -> None:
    def judge(body: object) -> bool:
        inner = body["policy"]  # type: ignore[index]
        return isinstance(inner.get("name"), str) and "extra" not in inner

    base = {"policy": {"id": "0", "name": "generated"}}
    out = overlay(base, ("policy", "id"), {"policy": {"id": "sent", "name": "mine", "extra": 1}}, judge)
    assert out == {"policy": {"id": "0", "name": "mine"}}
    assert base == {"policy": {"id": "0", "name": "generated"}}  # the cached body is never touched
    out = with_id(out, ("policy", "id"), ["fresh"], judge)
    assert out["policy"]["id"] == "fresh"


def test_fresh_ids_are_distinct_and_typed() -> None:
    a, b = id_candidates("x", None, 0, 1)[0], id_candidates("x", None, 0, 2)[0]
    assert a != b and len(a) == 36
    assert id_candidates("x", None, 0, 1)[0] == a  # deterministic
    assert id_candidates(5, None, 0, 3)[0] == 1003
    assert id_candidates(5, "42", 0, 0)[0] == 42


def test_query_in_path_key_breaks_ties_only() -> None:
    r = Router([op("POST", "/b"), op("POST", "/b?command=validate"), op("GET", "/events/{id}?language=LANGCODE")])
    assert r.match("POST", "/b", {"command": ["validate"]}).operation.path == "/b?command=validate"  # type: ignore[union-attr]
    assert r.match("POST", "/b", {}).operation.path == "/b"  # type: ignore[union-attr]
    assert r.match("POST", "/b", {"command": ["other"]}).operation.path == "/b"  # type: ignore[union-attr]
    m = r.match("GET", "/events/7", {"language": ["en"]})
    assert m is not None and m.operation is not None and m.params == {"id": "7"}


def test_query_in_path_key_does_not_beat_a_more_concrete_path() -> None:
    r = Router([op("POST", "/beneficiaries?command=validate"), op("POST", "/{callback}")])
    assert r.match("POST", "/beneficiaries", {}).operation.path == "/beneficiaries?command=validate"  # type: ignore[union-attr]
