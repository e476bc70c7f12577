"""Parameter serialization: OpenAPI's style table exactly, and the nested-value conventions it leaves open.

The engine writes (engine/plan/wire.py) and the mock reads (mock/query.py) by separate code, so a value
that survives the trip planner -> URL -> mock equals what was planned only if both follow one rule.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from plan_contracts import contract_from

from govstack_conform import datagen
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract, Parameter
from govstack_conform.engine.options import PathMap
from govstack_conform.engine.plan.wire import (
    Unserializable,
    as_read,
    cookie_value,
    header_value,
    path_value,
    query_pairs,
)
from govstack_conform.engine.run.urls import UrlBuilder
from govstack_conform.mock.query import read_structured

BLUE = "blue"
COLORS = ["blue", "black", "brown"]
RGB = {"R": 100, "G": 200, "B": 150}


def param(location: str, style: str | None = None, explode: bool | None = None, name: str = "color") -> Parameter:
    return Parameter(name, location, True, None, (), "/p", style=style, explode=explode)


# OpenAPI 3.1.1 "Style Examples" (label without explode as RFC 6570 and the 3.0.4/3.1.1 fix write it).
PATH_TABLE = [
    ("matrix", False, BLUE, ";color=blue"),
    ("matrix", False, COLORS, ";color=blue,black,brown"),
    ("matrix", False, RGB, ";color=R,100,G,200,B,150"),
    ("matrix", True, BLUE, ";color=blue"),
    ("matrix", True, COLORS, ";color=blue;color=black;color=brown"),
    ("matrix", True, RGB, ";R=100;G=200;B=150"),
    ("matrix", False, "", ";color"),
    ("label", False, BLUE, ".blue"),
    ("label", False, COLORS, ".blue,black,brown"),
    ("label", False, RGB, ".R,100,G,200,B,150"),
    ("label", True, COLORS, ".blue.black.brown"),
    ("label", True, RGB, ".R=100.G=200.B=150"),
    ("simple", False, BLUE, "blue"),
    ("simple", False, COLORS, "blue,black,brown"),
    ("simple", False, RGB, "R,100,G,200,B,150"),
    ("simple", True, COLORS, "blue,black,brown"),
    ("simple", True, RGB, "R=100,G=200,B=150"),
]


@pytest.mark.parametrize(("style", "explode", "value", "wire"), PATH_TABLE)
def test_path_styles_follow_the_openapi_table(style: str, explode: bool, value: Any, wire: str) -> None:
    assert path_value(param("path", style, explode), value) == wire


QUERY_TABLE = [
    ("form", False, BLUE, [("color", "blue")]),
    ("form", False, COLORS, [("color", "blue,black,brown")]),
    ("form", False, RGB, [("color", "R,100,G,200,B,150")]),
    ("form", True, "", [("color", "")]),
    ("form", True, COLORS, [("color", "blue"), ("color", "black"), ("color", "brown")]),
    ("form", True, RGB, [("R", "100"), ("G", "200"), ("B", "150")]),
    ("spaceDelimited", False, COLORS, [("color", "blue black brown")]),
    ("spaceDelimited", False, RGB, [("color", "R 100 G 200 B 150")]),
    ("pipeDelimited", False, COLORS, [("color", "blue|black|brown")]),
    ("pipeDelimited", False, RGB, [("color", "R|100|G|200|B|150")]),
    ("deepObject", True, RGB, [("color[R]", "100"), ("color[G]", "200"), ("color[B]", "150")]),
    (None, None, [True, 1.5, None], [("color", "true"), ("color", "1.5"), ("color", "")]),  # form, exploded
]


@pytest.mark.parametrize(("style", "explode", "value", "pairs"), QUERY_TABLE)
def test_query_styles_follow_the_openapi_table(
    style: str | None, explode: bool | None, value: Any, pairs: list[tuple[str, str]]
) -> None:
    assert query_pairs(param("query", style, explode), value) == pairs


def test_delimited_styles_go_on_the_wire_percent_encoded() -> None:
    """What the runner sends: a space is %20 (OpenAPI's table), never a '+' a strict parser reads as '+'."""
    urls = UrlBuilder("http://127.0.0.1:1", PathMap())
    pairs = tuple(query_pairs(param("query", "spaceDelimited", False), COLORS))
    assert urls.url("/q", {}, pairs).endswith("/q?color=blue%20black%20brown")
    deep = tuple(query_pairs(param("query", "deepObject", True), {"R": 1}))
    assert urls.url("/q", {}, deep).endswith("/q?color%5BR%5D=1")


def test_headers_and_cookies() -> None:
    assert header_value(param("header"), COLORS) == "blue,black,brown"
    assert header_value(param("header", explode=True), RGB) == "R=100,G=200,B=150"
    assert header_value(param("header"), RGB) == "R,100,G,200,B,150"
    assert cookie_value(param("cookie"), COLORS) == "blue,black,brown"


NESTED = {"details": {"name": "camp", "ids": ["a", "b"], "open": True, "venue": {}}, "limit": 5}


def test_nested_values_by_bracket_nesting() -> None:
    exploded = query_pairs(param("query", "form", True, name="qry"), NESTED)
    assert exploded == [
        ("details[name]", "camp"),
        ("details[ids][0]", "a"),
        ("details[ids][1]", "b"),
        ("details[open]", "true"),
        ("limit", "5"),
    ]
    deep = query_pairs(param("query", "deepObject", name="qry"), NESTED)
    assert deep[0] == ("qry[details][name]", "camp") and ("qry[limit]", "5") in deep
    items = query_pairs(param("query", name="rows"), [{"a": 1}, {"a": 2, "b": None}])
    assert items == [("rows[0][a]", "1"), ("rows[1][a]", "2")]  # a null has no bracket form: left out


def test_nested_values_as_json_text() -> None:
    exploded = query_pairs(param("query", "form", True, name="qry"), NESTED, "json")
    assert exploded == [("details", '{"name":"camp","ids":["a","b"],"open":true,"venue":{}}'), ("limit", "5")]
    deep = query_pairs(param("query", "deepObject", name="qry"), {"details": {"name": "x"}}, "json")
    assert deep == [("qry[details]", '{"name":"x"}')]
    items = query_pairs(param("query", name="rows"), [{"a": 1}, {"a": 2}], "json")
    assert items == [("rows", '{"a":1}'), ("rows", '{"a":2}')]


def test_what_bracket_nesting_cannot_send_is_absent_on_arrival() -> None:
    p = param("query", name="qry")
    assert as_read(p, NESTED) == {"details": {"name": "camp", "ids": ["a", "b"], "open": True}, "limit": 5}
    assert as_read(p, NESTED, "json") == NESTED
    assert as_read(p, {"a": {}, "b": 1}) == {"b": 1}


@pytest.mark.parametrize(
    ("p", "call"),
    [
        (param("query", "form", False, name="qry"), query_pairs),
        (param("query", "pipeDelimited", False, name="qry"), query_pairs),
        (param("path"), path_value),
        (param("path", "matrix", True), path_value),
        (param("header"), header_value),
        (param("cookie"), cookie_value),
    ],
)
def test_styles_without_a_nested_convention_refuse_nested_values(p: Parameter, call: Any) -> None:
    with pytest.raises(Unserializable, match="no serialization for nested"):
        call(p, {"details": {"name": "x"}})


CONTENT = """\
openapi: 3.0.3
info: {title: Content parameters, version: "1"}
paths:
  /find:
    get:
      parameters:
        - name: filter
          in: query
          required: true
          content:
            application/json:
              schema:
                type: object
                required: [where]
                properties: {where: {type: object, properties: {city: {type: string, enum: [Lyon]}}}}
        - name: X-Context
          in: header
          required: true
          content: {application/json: {schema: {type: array, items: {type: integer, enum: [7]}, minItems: 1}}}
      responses: {'200': {description: ok}}
"""


def test_content_parameters_are_sent_as_their_json_text(tmp_path: Path) -> None:
    from govstack_conform.engine.plan.planner import plan_contract

    contract = contract_from(tmp_path, "content.yaml", CONTENT)
    op = contract.operation("GET /find")
    assert op is not None and [p.content_type for p in op.parameters] == ["application/json"] * 2
    case = next(c for c in plan_contract(contract) if c.name == "positive-valid")
    req = case.steps[0].request
    assert case.untestable is None
    assert req.query == (("filter", '{"where":{"city":"Lyon"}}'),)
    assert dict(req.headers)["X-Context"].startswith("[7")
    present, value = read_structured(contract, op.parameters[0], {"filter": [req.query[0][1]]}, set())
    assert present and value == {"where": {"city": "Lyon"}}


def _arrival(contract: Contract, p: Parameter, pairs: list[tuple[str, str]]) -> Any:
    """What the mock reads of `pairs` once the runner has put them into a real URL."""
    url = UrlBuilder("http://127.0.0.1:1", PathMap()).url("/q", {}, tuple(pairs))
    query: dict[str, list[str]] = {}
    for k, v in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        query.setdefault(k, []).append(v)
    present, value = read_structured(contract, p, query, set())
    assert present
    return value


@pytest.fixture(autouse=True)
def _store(corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))


@pytest.mark.parametrize("style", ["brackets", "json"])
@pytest.mark.parametrize("selector", ["scheduler@23Q4", "messaging@23Q4.1"])
def test_real_nested_parameters_arrive_as_planned(selector: str, style: str) -> None:
    """Every object query parameter of the release, several generated values each, both conventions."""
    contract = load_contract(selector)
    seen = 0
    for op in contract.operations:
        for p in op.parameters:
            if p.location != "query" or p.name not in ("qry", "body"):
                continue
            for seed in range(3):
                value = datagen.generate_parameter(contract, p, seed=seed)
                assert _arrival(contract, p, query_pairs(p, value, style)) == as_read(p, value, style), (op.key, seed)
                seen += 1
    assert seen >= 6


PLANNED = """\
openapi: 3.0.3
info: {title: Nested query objects, version: "1"}
paths:
  /search:
    get:
      parameters:
        - name: qry
          in: query
          required: true
          schema:
            type: object
            required: [filter]
            properties:
              word: {type: string, enum: [tea]}
              filter:
                type: object
                required: [from, tags]
                properties:
                  from: {type: string, enum: ["2024-01-01"]}
                  tags: {type: array, minItems: 1, maxItems: 1, items: {type: string, enum: [green]}}
      responses: {'200': {description: ok}}
  /pairs:
    get:
      parameters:
        - name: qry
          in: query
          required: true
          explode: false
          schema:
            type: object
            required: [filter]
            properties: {filter: {type: object, properties: {from: {type: string}}}}
      responses: {'200': {description: ok}}
"""


def test_the_planner_sends_nested_values_by_the_chosen_convention(tmp_path: Path) -> None:
    from govstack_conform.engine.plan.planner import plan_contract
    from govstack_conform.errors import ConfigError

    contract = contract_from(tmp_path, "nested.yaml", PLANNED)

    def valid_query(style: str | None) -> tuple[tuple[str, str], ...]:
        cases = {c.case_id: c for c in plan_contract(contract, query_style=style)}
        case = cases["tiny::GET /search::positive-valid"]
        assert case.untestable is None
        return case.steps[0].request.query

    brackets = dict(valid_query(None))
    assert brackets["filter[from]"] == "2024-01-01" and brackets["filter[tags][0]"] == "green"
    assert dict(valid_query("json"))["filter"] == '{"from":"2024-01-01","tags":["green"]}'
    # Without explode, form has no room for a nested member under any convention: untestable, and said where.
    pairs = {c.case_id: c for c in plan_contract(contract)}["tiny::GET /pairs::positive-valid"]
    assert pairs.untestable and "no serialization in style form without explode" in pairs.untestable
    assert "nested.yaml#/paths/~1pairs/get/parameters/0" in pairs.untestable
    with pytest.raises(ConfigError, match="query-style"):
        plan_contract(contract, query_style="dots")


@pytest.mark.parametrize("selector", ["scheduler@23Q4", "messaging@23Q4.1"])
def test_every_operation_of_scheduler_and_messaging_is_planned(selector: str) -> None:
    from govstack_conform.engine.plan.planner import plan_contract

    cases = plan_contract(load_contract(selector))
    assert [c.case_id for c in cases if c.untestable] == []
    assert {c.operation for c in cases if c.kind.value == "positive"} == {
        op.key for op in load_contract(selector).operations
    }


def test_the_mock_judges_nested_query_values_whole() -> None:
    """Served for real: the planned request passes, a wrong nested member is refused, in both conventions."""
    from test_mock_helpers import mock_client

    from govstack_conform.engine.plan.planner import plan_contract

    contract = load_contract("scheduler@23Q4")
    case = next(
        c for c in plan_contract(contract) if c.case_id == "scheduler::GET /affiliation/list_details::positive-valid"
    )
    query = list(case.steps[0].request.query)
    assert ("affiliation_details_required[entity_id]", "true") in query
    bad = [(k, "maybe" if k == "affiliation_details_required[entity_id]" else v) for k, v in query]
    plain = [(k, v) for k, v in query if "[" not in k]
    with mock_client(contract) as (_, client):
        assert client.get("/affiliation/list_details", params=query).status_code == 200
        refused = client.get("/affiliation/list_details", params=bad)
        assert refused.status_code == 400 and "query parameter 'qry'" in refused.text and "entity_id" in refused.text
        as_json = [*plain, ("affiliation_details_required", '{"entity_id": true}')]
        assert client.get("/affiliation/list_details", params=as_json).status_code == 200
        wrong_json = [*plain, ("affiliation_details_required", '{"entity_id": "maybe"}')]
        assert client.get("/affiliation/list_details", params=wrong_json).status_code == 400
        assert client.get("/affiliation/list_details", params=plain).status_code == 400  # qry missing


@pytest.mark.parametrize(("flag", "style"), [((), "brackets"), (("--query-style", "json"), "json")])
def test_run_states_the_convention_in_results_and_reports(tmp_path: Path, flag: tuple[str, ...], style: str) -> None:
    from typer.testing import CliRunner

    from govstack_conform.cli import app
    from govstack_conform.mock import MockOptions
    from govstack_conform.mock.server import serve_in_thread

    spec = tmp_path / "nested.yaml"
    spec.write_text(PLANNED)
    contract = contract_from(tmp_path, "nested.yaml", PLANNED)
    out = tmp_path / "out"
    with serve_in_thread(contract, MockOptions()) as server:
        args = ["run", "--spec", str(spec), "--target", server.base_url, "--out", str(out), "--report", "md", *flag]
        result = CliRunner().invoke(app, args)
    import json

    data = json.loads((out / "results.json").read_text())
    assert data["options"]["query_style"] == style
    assert f"| query\\_style | {style} (how nested query values were sent" in (out / "summary.md").read_text()
    search = next(c for c in data["results"][0]["cases"] if c["case_id"].endswith("GET /search::positive-valid"))
    assert search["verdict"] == "passed", result.output


def test_an_unknown_query_style_is_one_clear_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from govstack_conform.cli import app

    spec = tmp_path / "nested.yaml"
    spec.write_text(PLANNED)
    result = CliRunner().invoke(
        app, ["run", "--spec", str(spec), "--target", "http://127.0.0.1:9", "--query-style", "x"]
    )
    assert result.exit_code == 2 and "--query-style takes brackets or json" in result.output
