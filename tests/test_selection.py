"""Any subset runnable: `run --case/--operation/--kind/--tag` against a real FastAPI product.

`--case ID` re-sends exactly the case a full run sent (same data, same seed) and prints it whole; what a
selection leaves out is reported SKIPPED "not selected: ...", never passed, and the verdict is partial.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from servers import serve
from test_findings import SPEC, records_app
from typer.testing import CliRunner

from govstack_conform.cli import app as cli

HITS: list[str] = []


def counted_app() -> Any:
    app = records_app()

    @app.middleware("http")
    async def count(request: Any, call_next: Any) -> Any:
        HITS.append(f"{request.method} {request.url.path}")
        return await call_next(request)

    return app


@pytest.fixture(scope="module")
def product() -> Iterator[str]:
    with serve(counted_app()) as url:
        yield url


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sel") / "contract.yaml"
    path.write_text(SPEC)
    return path


def run(spec: Path, url: str, out: Path, *args: str) -> tuple[Any, dict[str, Any]]:
    result = CliRunner().invoke(
        cli, ["run", "--spec", str(spec), "--target", url, "--out", str(out), "--seed", "7", *args]
    )
    path = out / "results.json"
    return result, json.loads(path.read_text()) if path.is_file() else {}


@pytest.fixture(scope="module")
def full(spec: Path, product: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    result, data = run(spec, product, tmp_path_factory.mktemp("full"))
    assert result.exit_code == 1, result.output
    return data


def _cases(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["case_id"]: c for b in data["results"] for c in b["cases"]}


def test_case_re_runs_exactly_that_case_and_prints_it(
    spec: Path, product: str, full: dict[str, Any], tmp_path: Path
) -> None:
    first = full["findings"][0]
    wanted = first["case_ids"][3]  # a negative case answered 422
    before = _cases(full)[wanted]
    HITS.clear()
    result, data = run(spec, product, tmp_path, "--case", wanted)
    assert result.exit_code == 1, result.output
    cases = _cases(data)
    again = cases[wanted]
    assert again["verdict"] == "failed"
    assert again["exchanges"][0]["request"] == before["exchanges"][0]["request"]  # same data, same seed
    # printed whole: verdict, the rule broken, request, response and the replay
    assert f"=== {wanted}: failed" in result.output
    for needle in ("--- request (request) ---", "--- response", "HTTP/1.1 422", "--- replay (request) ---", "curl -sS"):
        assert needle in result.output, needle
    # the only other cases sent are the valid requests of the same operation, which make its refusal count
    sent = {cid for cid, c in cases.items() if c["verdict"] != "skipped"}
    support = {cid for cid, c in cases.items() if c["operation"] == again["operation"] and c["kind"] == "positive"}
    assert sent == {wanted} | support and support
    assert "also sent" in result.output
    for cid, c in cases.items():
        if cid not in sent:
            assert c["verdict"] == "skipped" and c["reason"] == f"not selected: --case '{wanted}'"
    assert len(HITS) == len(sent)  # nothing else was sent


def test_what_is_left_out_is_not_selected_never_passed_and_the_verdict_is_partial(
    spec: Path, product: str, tmp_path: Path
) -> None:
    result, data = run(spec, product, tmp_path, "--operation", "POST /t*", "--kind", "positive")
    assert result.exit_code == 0, result.output
    bb = data["results"][0]
    ran = {c["operation"] for c in bb["cases"] if c["verdict"] != "skipped"}
    assert ran == {"POST /things", "POST /tags"}  # the glob matched two operations
    assert {c["kind"] for c in bb["cases"] if c["verdict"] != "skipped"} == {"positive"}
    for c in bb["cases"]:
        if c["verdict"] == "skipped":
            assert c["reason"] == "not selected: --operation 'POST /t*' --kind positive"
    ops = {o["key"]: o for o in bb["operations"]}
    assert ops["POST /orders"]["verdict"] == "skipped" and ops["POST /orders"]["reason"].startswith("not selected:")
    summary = data["compliance"]["building_blocks"][0]
    assert summary["verdict"] == "partially checked" and not summary["conformant"]
    assert summary["coverage"]["checked"] == 2 and summary["coverage"]["not_selected_cases"] > 0
    assert "cases not selected" in summary["verdict_text"]
    assert "3 not selected" in summary["api_level_reason"]
    row = next(x for x in result.output.splitlines() if x.startswith("custom@local "))
    assert row.split()[1:4] == ["partially", "2/5", "Level"]  # the overview table: verdict, checked, level


def test_every_operation_but_not_every_case_is_still_partial(spec: Path, product: str, tmp_path: Path) -> None:
    result, data = run(spec, product, tmp_path, "--kind", "positive", "--kind", "method", "--operation", "POST /*")
    summary = data["compliance"]["building_blocks"][0]
    assert summary["coverage"]["checked"] == 4 and summary["verdict"] == "partially checked", result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--case", "custom::POST /things::negative-nope"), "--case 'custom::POST /things::negative-nope' matches no"),
        (("--operation", "GET /nothing/*"), "--operation 'GET /nothing/*' matches no planned case"),
        (("--kind", "bogus"), "--kind bogus: unknown case kind"),
        (("--tag", "no-such-tag"), "--tag 'no-such-tag' matches no planned case"),
        (("--operation", "things"), "must be 'METHOD /path'"),
    ],
)
def test_a_selection_matching_nothing_is_a_usage_error_before_anything_is_sent(
    spec: Path, product: str, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    HITS.clear()
    result, _ = run(spec, product, tmp_path, *args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert HITS == []
