"""Test data files: our fixtures format, GovStack harness parameter files, placeholders, bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from govstack_conform.contracts.model import Operation
from govstack_conform.engine.testdata import TestData, load_testdata
from govstack_conform.errors import ConfigError
from govstack_conform.exitcodes import ExitCode


def make_op(
    method: str = "GET", path: str = "/policy/{policyId}", operation_id: str | None = "readPolicy"
) -> Operation:
    return Operation(
        method=method,
        path=path,
        operation_id=operation_id,
        summary="",
        tags=(),
        parameters=(),
        request_body=None,
        responses=(),
        security=(),
        source_file="x.yaml",
        pointer="/paths/x/get",
    )


def write(tmp: Path, name: str, text: str) -> Path:
    p = tmp / name
    p.write_text(text, encoding="utf-8")
    return p


def test_structured_yaml_operation_beats_global(tmp_path: Path) -> None:
    f = write(
        tmp_path,
        "fx.yaml",
        "parameters: {policyId: global-1, limit: 5}\n"
        "operations:\n"
        "  readPolicy: {parameters: {policyId: op-1}}\n"
        "  post /policy: {body: {name: n}}\n",
    )
    data = load_testdata([f])
    read = make_op()
    assert data.lookup_param(read, "policyId") == "op-1"
    assert data.lookup_param(read, "limit") == 5
    assert data.lookup_param(make_op(operation_id="other"), "policyId") == "global-1"
    assert data.lookup_param(read, "absent") is None
    create = make_op("POST", "/policy", None)
    assert data.lookup_body(create) == (True, {"name": "n"})  # "post /policy" normalized to "POST /policy"
    assert data.lookup_body(read) == (False, None)
    assert bool(data) and not bool(TestData())


def test_json_fixtures_and_later_files_win(tmp_path: Path) -> None:
    a = write(
        tmp_path, "a.json", json.dumps({"parameters": {"x": 1, "y": 1}, "operations": {"readPolicy": {"body": 1}}})
    )
    b = write(
        tmp_path, "b.json", json.dumps({"parameters": {"y": 2}, "operations": {"readPolicy": {"parameters": {"z": 3}}}})
    )
    data = load_testdata([a, b])
    op = make_op()
    assert (data.lookup_param(op, "x"), data.lookup_param(op, "y"), data.lookup_param(op, "z")) == (1, 2, 3)
    assert data.lookup_body(op) == (True, 1)  # b has no body: a's stays
    assert data.sources == (str(a), str(b))


def test_harness_flat_file_matches_names_loosely(tmp_path: Path) -> None:
    f = write(
        tmp_path, "testDefaultParameters.json", json.dumps({"POLICY_ID": "p-7", "information-mediator-client": "im"})
    )
    data = load_testdata([f])
    op = make_op()
    assert data.lookup_param(op, "policyId") == "p-7"
    assert data.lookup_param(op, "PolicyID") == "p-7"
    assert data.lookup_param(op, "Information-Mediator-Client") == "im"


def test_placeholders_substituted_from_harness_values(tmp_path: Path) -> None:
    flat = write(tmp_path, "testCustomParameters.json", json.dumps({"ID_0": "EE123", "AGE": 41, "HOST": "h-${ID_0}"}))
    fx = write(
        tmp_path,
        "fx.yaml",
        "parameters: {id: '${ID_0}', age: '${AGE}', label: 'n-${AGE}', where: '${HOST}'}\n"
        "operations: {readPolicy: {body: {person: {id: '${id_0}', tags: ['${ID_0}']}}}}\n",
    )
    data = load_testdata([fx, flat])  # order of files does not matter for placeholders
    op = make_op()
    assert data.lookup_param(op, "id") == "EE123"
    assert data.lookup_param(op, "age") == 41  # a whole-value placeholder keeps the type
    assert data.lookup_param(op, "label") == "n-41"
    assert data.lookup_param(op, "where") == "h-EE123"
    assert data.lookup_body(op) == (True, {"person": {"id": "EE123", "tags": ["EE123"]}})


def test_yaml_dates_become_strings(tmp_path: Path) -> None:
    data = load_testdata([write(tmp_path, "d.yaml", "parameters: {since: 2024-01-31}\n")])
    assert data.lookup_param(make_op(), "since") == "2024-01-31"


def test_empty_file_is_empty_test_data(tmp_path: Path) -> None:
    assert not load_testdata([write(tmp_path, "e.yaml", "")])


@pytest.mark.parametrize(
    ("name", "text", "reason"),
    [
        ("bad.json", '{"parameters": {', "invalid JSON at line 1"),
        ("bad.yaml", "parameters: [\n", "invalid YAML"),
        ("list.yaml", "- a\n- b\n", "must be a mapping at the top level"),
        ("unknown.yaml", "parameters: {}\nfixtures: {}\n", "unknown top-level key 'fixtures'"),
        ("params.yaml", "parameters: [1, 2]\n", "'parameters' must be a mapping"),
        ("ops.yaml", "operations: {readPolicy: 3}\n", "operations/readPolicy must be a mapping"),
        ("opkey.yaml", "operations: {readPolicy: {params: {}}}\n", "unknown key 'params'"),
        ("flat.json", '{"A": {"nested": 1}}', "flat test parameter values must be scalars"),
        ("ph.yaml", "parameters: {id: '${NOPE}'}\n", "placeholder ${NOPE} at /parameters/id names no test parameter"),
        ("bin.json", None, "not UTF-8"),
    ],
)
def test_bad_files_are_one_line_config_errors(tmp_path: Path, name: str, text: str | None, reason: str) -> None:
    p = tmp_path / name
    if text is None:
        p.write_bytes(b"\xff\xfe\x00bad")
    else:
        p.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_testdata([p])
    msg = str(info.value)
    assert "\n" not in msg and msg.startswith(str(p)) and reason in msg, msg
    assert info.value.exit_code is ExitCode.USAGE


def test_missing_and_directory_paths(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="test data file not found"):
        load_testdata([tmp_path / "nope.yaml"])
    with pytest.raises(ConfigError, match="is a directory"):
        load_testdata([tmp_path])
