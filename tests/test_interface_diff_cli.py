"""`govstack-conform diff` through typer's CliRunner: formats, --out, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import Result
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts.store import ENV_CACHE, ENV_SPECS


@pytest.fixture(autouse=True)
def corpus_store(monkeypatch: pytest.MonkeyPatch, corpus_dir: Path, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_SPECS, str(corpus_dir))
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))


def run(*args: str) -> Result:
    return CliRunner().invoke(app, ["diff", *args])


def one_line_error(result: Result) -> str:
    assert "Traceback" not in result.output
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("govstack-conform: error: ")
    return result.stderr


def test_breaking_difference_exits_1_with_stable_json(corpus_dir: Path) -> None:
    candidate = str(corpus_dir / "consent/main/consent-openapi.yaml")
    result = run("consent@23Q4", "--candidate-spec", candidate, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert data["bb"] == "consent@23Q4"
    assert data["breaking"] is True
    assert data["summary"] == {"breaking": 42, "non-breaking": 0, "info": 0}
    assert {f["code"] for f in data["findings"]} == {"security-removed"}
    first = data["findings"][0]
    assert set(first) == {"code", "severity", "message", "operation", "bb_location", "candidate_location"}
    assert first["bb_location"].startswith("consent/23Q4/consent-openapi.yaml#/paths/")
    assert first["candidate_location"].startswith("consent-openapi.yaml#/paths/")
    again = run("consent@23Q4", "--candidate-spec", candidate, "--format", "json")
    assert again.stdout == result.stdout


def test_identical_spec_exits_0_with_text(corpus_dir: Path) -> None:
    result = run("consent@main", "--candidate-spec", str(corpus_dir / "consent/23Q4.1/consent-openapi.yaml"))
    assert result.exit_code == 0, result.output
    assert "no breaking differences: 0 breaking, 0 non-breaking, 0 info (42 operations compared)" in result.stdout


def test_text_output_names_both_locations(corpus_dir: Path) -> None:
    result = run("workflow@main", "--candidate-spec", str(corpus_dir / "workflow/23Q4/swagger.yaml"))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    i = next(n for n, line in enumerate(lines) if "[breaking] parameter.type: path parameter 'processId'" in line)
    assert lines[i + 1].split() == ["BB:", "workflow/main/swagger.yaml#/components/parameters/processIdParam/schema"]
    assert lines[i + 2].split() == ["candidate:", "swagger.yaml#/components/parameters/processIdParam/schema"]
    assert lines[-1].startswith("BREAKING differences found: 11 breaking")


def test_markdown_to_file(corpus_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "diff.md"
    spec = str(corpus_dir / "identity/main/Identity-Provider.yaml")
    result = run("identity@main", "--candidate-spec", spec, "--format", "md", "--out", str(target))
    assert result.exit_code == 1, result.output  # the candidate lacks enrollment and credential management
    assert f"report written to {target}" in result.stdout
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Interface diff: ")
    assert "## Breaking (" in text
    assert "| POST /block | operation-missing |" in text
    assert "`identity/main/gitbook-assets/Credential-Management.yaml#/paths/~1block/post`" in text


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["consent@main"], 2, "--candidate-spec"),
        (["nosuchbb", "--candidate-spec", "x.yaml"], 2, "unknown building block"),
        (["consent@main", "--candidate-spec", "/nonexistent/vendor.yaml"], 3, "does not exist"),
    ],
)
def test_usage_and_unreadable_errors(args: list[str], code: int, words: str) -> None:
    result = run(*args)
    assert result.exit_code == code, result.output
    assert words in one_line_error(result)


def test_candidate_that_is_not_openapi_exits_3(tmp_path: Path) -> None:
    bad = tmp_path / "vendor.yaml"
    bad.write_text("just: [unclosed\n", encoding="utf-8")
    result = run("consent@main", "--candidate-spec", str(bad))
    assert result.exit_code == 3, result.output
    assert "vendor.yaml" in one_line_error(result)


def test_unknown_format_is_a_usage_error(corpus_dir: Path) -> None:
    result = run(
        "consent@main", "--candidate-spec", str(corpus_dir / "consent/main/consent-openapi.yaml"), "--format", "xml"
    )
    assert result.exit_code == 2
