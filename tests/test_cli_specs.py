"""`specs list/show/lint` through typer's CliRunner, on the real corpus as spec store."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract, load_selected
from govstack_conform.contracts.model import Severity
from govstack_conform.contracts.store import ENV_CACHE, ENV_SPECS, resolve_store


@pytest.fixture(autouse=True)
def corpus_store(monkeypatch: pytest.MonkeyPatch, corpus_dir: Path, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_SPECS, str(corpus_dir))
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["specs", *args])


def one_line_error(result: Result) -> str:
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("govstack-conform: error: ")
    return result.stderr


def test_list_text_marks_defaults_and_counts_operations() -> None:
    result = run("list")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line and not line.startswith("spec")}
    assert set(lines) - {"BB"} == {bb.key for bb in load_catalog().bbs}
    assert "*23Q4.1" in lines["consent"] and " 23Q4 " in lines["consent"] + " "
    consent = load_contract("consent")
    assert lines["consent"].split()[-2:] == [str(len(consent.operations)), "0"]
    assert "GOVSTACK_CONFORM_SPECS" in result.stdout


def test_list_json_is_stable_and_complete() -> None:
    first = run("list", "--json")
    second = run("list", "--json")
    assert first.exit_code == 0 and first.stdout == second.stdout
    data = json.loads(first.stdout)
    rows = data["building_blocks"]
    assert [r["bb"] for r in rows] == sorted(r["bb"] for r in rows) and len(rows) == 13
    assert first.stdout == json.dumps(data, indent=2, sort_keys=True) + "\n"
    dr = next(r for r in rows if r["bb"] == "digital-registries")
    assert dr["default"] == "23Q4" and dr["files"] == 2 and dr["available"]
    assert dr["operations"] == len(load_contract("digital-registries@23Q4").operations) > 10
    assert data["store"]["source"] == ENV_SPECS


def test_list_with_an_empty_cache_says_to_pull(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_SPECS)
    result = run("list")
    assert result.exit_code == 0
    assert "specs pull" in result.stdout
    consent = next(line for line in result.stdout.splitlines() if line.startswith("consent "))
    assert consent.split()[-2:] == ["-", "-"]


def test_show_lists_every_operation_with_its_requirements() -> None:
    contract = load_contract("digital-registries@23Q4")
    result = run("show", "digital-registries@23Q4")
    assert result.exit_code == 0, result.output
    assert f"{len(contract.operations)} operations from 2 file(s)" in result.stdout
    for op in contract.operations:
        assert f"{op.method} {op.path}" in result.stdout
    assert "required headers:    Information-Mediator-Client" in result.stdout
    assert "source:              digital-registries/23Q4/gitbook-assets/" in result.stdout


def test_show_json_sorted_with_required_headers_and_security() -> None:
    result = run("show", "consent@23Q4", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["contract"] == "consent@23Q4" and data["files"] == ["consent/23Q4/consent-openapi.yaml"]
    ops = data["operations"]
    assert len(ops) == 42
    assert [o["path"] for o in ops] == sorted(o["path"] for o in ops)
    read = next(o for o in ops if o["operation_id"] == "auditConsentRecordRead")
    assert read["required_parameters"] == [{"in": "path", "name": "consentRecordId"}]
    assert read["security"] and read["security"][0][0]["scheme"]
    # 23Q4.1 dropped the security declarations.
    newer = json.loads(run("show", "consent", "--json").stdout)
    assert all(o["security"] == [] for o in newer["operations"])


def test_unknown_bb_is_a_usage_error_with_a_suggestion() -> None:
    result = run("show", "digital-registry")
    assert result.exit_code == 2
    assert "did you mean 'digital-registries'" in one_line_error(result)
    result = run("lint", "consent@24Q1")
    assert result.exit_code == 2 and "has no release '24Q1'" in one_line_error(result)


def test_show_needs_exactly_one_contract(tmp_path: Path) -> None:
    assert run("show").exit_code == 2
    spec = tmp_path / "x.yaml"
    spec.write_text("openapi: 3.0.0\ninfo: {title: t, version: '1'}\npaths: {}\n")
    assert run("show", "consent", "--spec", str(spec)).exit_code == 2


def test_lint_reports_defects_with_file_and_pointer_and_exits_zero() -> None:
    result = run("lint", "payments@23Q4", "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["contracts"]
    defects = entry["defects"]
    prose = [d for d in defects if d["file"].endswith("billInquiryBillerResponse.yml")]
    assert len(prose) == 1 and prose[0]["severity"] == "error"
    assert any(d["code"] == "invalid-type" and "/type" in d["pointer"] for d in defects)
    assert defects == sorted(defects, key=lambda d: (d["file"], d["pointer"], d["code"], d["message"]))
    text = run("lint", "payments@23Q4")
    assert text.exit_code == 0
    assert "payments/23Q4/P2G-API-YAMLs/billInquiryBillerResponse.yml: cannot load" in text.stdout


def test_lint_without_arguments_covers_every_default_release() -> None:
    result = run("lint")
    assert result.exit_code == 0, result.output
    heads = [line.split(":")[0] for line in result.stdout.splitlines() if not line.startswith(" ")]
    assert heads == [f"{bb.key}@{bb.default_ref}" for bb in load_catalog().bbs]


def test_lint_of_a_spec_file_outside_the_catalog(corpus_dir: Path, tmp_path: Path) -> None:
    spec = tmp_path / "draft.yaml"
    shutil.copyfile(corpus_dir / "messaging/23Q4.1/swagger.yaml", spec)
    result = run("lint", "--spec", str(spec), "--json")
    assert result.exit_code == 0, result.output
    [entry] = json.loads(result.stdout)["contracts"]
    assert entry["contract"] == "custom@local" and entry["files"] == ["draft.yaml"]
    assert any(d["file"] == "draft.yaml" and "basePath" in d["message"] for d in entry["defects"])


@pytest.mark.parametrize("kind", ["missing", "directory", "binary", "not-openapi"])
def test_unreadable_spec_asked_for_directly_exits_3(tmp_path: Path, kind: str) -> None:
    path = tmp_path / "spec.yaml"
    if kind == "directory":
        path.mkdir()
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 8)
    elif kind == "not-openapi":
        path.write_text("just: a map\n")
    result = run("lint", "--spec", str(path))
    assert result.exit_code == 3, result.output
    one_line_error(result)
    assert run("show", "--spec", str(path)).exit_code == 3


def test_missing_store_file_exits_3_naming_it(tmp_path: Path, corpus_dir: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(corpus_dir / "consent", store / "consent")
    assert run("lint", "consent", "--specs", str(store)).exit_code == 0
    result = run("lint", "gis", "--specs", str(store))
    assert result.exit_code == 3
    message = one_line_error(result)
    assert "gis/23Q4/" in message and "specs pull" in message


def test_specs_option_must_name_a_directory(tmp_path: Path) -> None:
    result = run("list", "--specs", str(tmp_path / "absent"))
    assert result.exit_code == 2 and "does not exist" in one_line_error(result)


def test_locally_edited_store_file_becomes_a_warning_defect(tmp_path: Path, corpus_dir: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(corpus_dir / "workflow", store / "workflow")
    target = store / "workflow/23Q4/swagger.yaml"
    target.write_bytes(target.read_bytes() + b"\n# local edit\n")
    contract = load_contract("workflow", store=resolve_store(store))
    notes = [d for d in contract.defects if d.code == "store-sha256-mismatch"]
    assert len(notes) == 1 and notes[0].severity is Severity.WARNING
    assert notes[0].file == "workflow/23Q4/swagger.yaml"
    result = run("lint", "workflow", "--specs", str(store))
    assert result.exit_code == 0 and "store-sha256-mismatch" in result.stdout


def test_contracts_are_cached_until_a_file_changes(tmp_path: Path, corpus_dir: Path) -> None:
    store = tmp_path / "store"
    shutil.copytree(corpus_dir / "scheduler", store / "scheduler")
    first = load_contract("scheduler", specs_option=store)
    assert load_contract("scheduler", specs_option=store) is first
    target = store / "scheduler/23Q4/Govstack_scheduler_BB_APIs.json"
    target.write_bytes(target.read_bytes() + b"\n")
    assert load_contract("scheduler", specs_option=store) is not first


@pytest.fixture(scope="module")
def spec_server(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("served")
    shutil.copyfile(corpus_dir / "workflow/23Q4/swagger.yaml", root / "workflow.yaml")

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


def test_spec_by_url(spec_server: str) -> None:
    url = f"{spec_server}/workflow.yaml"
    [contract] = load_selected([], [url])
    assert contract.label == "custom@local" and len(contract.operations) == 9
    assert {op.source_file for op in contract.operations} == {url}
    result = run("show", "--spec", url, "--json")
    assert result.exit_code == 0 and len(json.loads(result.stdout)["operations"]) == 9
    missing = run("lint", "--spec", f"{spec_server}/absent.yaml")
    assert missing.exit_code == 3 and "404" in one_line_error(missing)
