"""How deep generated values may nest: a setting (`--max-depth`, config `max_depth`, RunOptions.max_depth),
and a schema deeper than it is untestable with a message naming the limit, not blamed on recursion."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from plan_contracts import contract_from
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.config.file import load_config
from govstack_conform.config.merge import merged, run_options
from govstack_conform.config.request import Settings
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Case, CaseKind
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.results import Verdict
from govstack_conform.engine.run.session import Target, run
from govstack_conform.errors import ConfigError
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

LEVELS = 61  # objects nested in one another, each requiring the next: 62 levels with the string inside


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "minLength": 1}
    for _ in range(levels):
        schema = {"type": "object", "required": ["child"], "properties": {"child": schema}}
    return schema


def _spec(body: dict[str, Any]) -> str:
    created = {"type": "object", "properties": {"ok": {"type": "boolean"}}}
    return json.dumps(
        {
            "openapi": "3.0.3",
            "info": {"title": "deep", "version": "1"},
            "paths": {
                "/deep": {
                    "post": {
                        "operationId": "postDeep",
                        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                        "responses": {
                            "201": {"description": "made", "content": {"application/json": {"schema": created}}},
                            "400": {"description": "bad input"},
                        },
                    }
                }
            },
        }
    )


def _deep(tmp_path: Path) -> Contract:
    return contract_from(tmp_path, "deep.json", _spec(_nested(LEVELS)), bb="deep")


def _positive(cases: list[Case]) -> Case:
    return next(c for c in cases if c.kind is CaseKind.POSITIVE)


def _depth(value: Any) -> int:
    return 1 + _depth(value["child"]) if isinstance(value, dict) else 1


def test_a_schema_deeper_than_the_limit_is_untestable_naming_the_limit(tmp_path: Path) -> None:
    case = _positive(plan_contract(_deep(tmp_path)))
    assert case.untestable is not None
    assert "generation depth limit of 32 levels" in case.untestable and "--max-depth" in case.untestable
    assert "recursion" not in case.untestable  # there is none: the schema only nests


def test_a_deeper_limit_generates_the_whole_value(tmp_path: Path) -> None:
    case = _positive(plan_contract(_deep(tmp_path), max_depth=64))
    assert case.untestable is None
    body = case.steps[0].request.body
    assert _depth(body) == LEVELS + 1


def test_the_depth_is_part_of_the_generated_values_cache(tmp_path: Path) -> None:
    """Values are cached on the contract: one plan at another depth must not reuse the other's outcome."""
    contract = _deep(tmp_path)
    assert _positive(plan_contract(contract, max_depth=64)).untestable is None
    assert _positive(plan_contract(contract)).untestable is not None
    assert _positive(plan_contract(contract, max_depth=64)).untestable is None


def test_real_recursion_is_still_called_recursion(tmp_path: Path) -> None:
    loop = {"$ref": "#/components/schemas/Loop"}
    spec = json.loads(_spec(loop))
    spec["components"] = {"schemas": {"Loop": {"type": "object", "required": ["next"], "properties": {"next": loop}}}}
    case = _positive(plan_contract(contract_from(tmp_path, "loop.json", json.dumps(spec)), max_depth=128))
    assert case.untestable is not None and "requires its own recursion" in case.untestable


def test_run_options_bound_and_record_the_depth() -> None:
    assert RunOptions().record()["max_depth"] == 32
    assert RunOptions(max_depth=80).record()["max_depth"] == 80
    for bad in (0, 129):
        with pytest.raises(ConfigError, match="--max-depth must be between 1 and 128"):
            RunOptions(max_depth=bad)


def test_the_config_key_and_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "govstack-conform.toml").write_text("[defaults]\nmax_depth = 70\n", encoding="utf-8")
    config = load_config(None, tmp_path)
    assert config is not None
    assert run_options(merged(Settings(), config, None)).max_depth == 70
    assert run_options(merged(Settings(max_depth=90), config, None)).max_depth == 90  # the command line wins
    (tmp_path / "govstack-conform.toml").write_text("[defaults]\nmax_depth = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="max_depth"):
        load_config(None, tmp_path)


def test_plan_max_depth_on_the_command_line(tmp_path: Path) -> None:
    spec = tmp_path / "deep.json"
    spec.write_text(_spec(_nested(LEVELS)), encoding="utf-8")
    runner = CliRunner()
    shallow = runner.invoke(app, ["plan", "--spec", str(spec), "--json"])
    deep = runner.invoke(app, ["plan", "--spec", str(spec), "--json", "--max-depth", "64"])
    assert shallow.exit_code == 0 and deep.exit_code == 0, shallow.output + deep.output
    assert "generation depth limit of 32" in shallow.stdout and "generation depth limit" not in deep.stdout
    bad = runner.invoke(app, ["plan", "--spec", str(spec), "--max-depth", "500"])
    assert bad.exit_code == 2 and "--max-depth must be between 1 and 128, got 500" in bad.output
    assert "Traceback" not in bad.output


def test_a_run_sends_the_deep_value_and_records_the_depth(tmp_path: Path) -> None:
    """Against the mock of the deep contract (a real server): accepted at 64, untestable at the default."""
    contract = _deep(tmp_path)
    with serve_in_thread(contract, MockOptions()) as mock:
        deep = run([Target(contract, mock.base_url)], RunOptions(max_depth=64, concurrency=1))
        shallow = run([Target(contract, mock.base_url)], RunOptions(concurrency=1))
    [sent] = [c for c in deep.results[0].cases if c.kind is CaseKind.POSITIVE]
    assert sent.verdict is Verdict.PASSED, sent.reason
    assert deep.options["max_depth"] == 64
    [held] = [c for c in shallow.results[0].cases if c.kind is CaseKind.POSITIVE]
    assert held.verdict is Verdict.UNTESTABLE and "depth limit of 32" in (held.reason or "")
