"""Any input, however broken, gives a result or one clear error line with a documented exit code.

Hypothesis feeds the config loader, the fixtures loader, the spec loader (random bytes, random
OpenAPI-shaped documents, damaged corpus files, each then planned) and the command line (random
option strings for run, plan and specs) with junk. A traceback, an undocumented exception or exit
code, or a hang (a hard per-example deadline) fails the test. Examples are derandomized and bounded.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.config.file import load_config
from govstack_conform.config.schema import AUTH, BB_ONLY, DEFAULTS_ONLY, PRODUCT, SHARED, WAIVER
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.contracts.loader import load_document
from govstack_conform.engine.plan.planner import plan_contract
from govstack_conform.engine.testdata import load_testdata
from govstack_conform.errors import ConfigError, ConformError, SpecError

BOUNDED = settings(
    max_examples=120,
    deadline=None,  # the hard limit below interrupts a hang; hypothesis' deadline only measures afterwards
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
HARD_LIMIT_S = 10.0


@contextmanager
def no_hang(seconds: float = HARD_LIMIT_S) -> Iterator[None]:
    """Interrupt the body after `seconds` (a hang is a failure, not a stuck test run)."""

    def alarm(*_: Any) -> None:
        raise TimeoutError(f"no answer within {seconds} s: a hang")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def one_line(message: str) -> None:
    """A message the CLI prints as one line (it folds whitespace the input itself may carry, as in a key)."""
    from govstack_conform.text import one_line as folded

    printed = folded(message)
    assert printed and "Traceback" not in printed and len(printed) < 2000, message


# ---- values ------------------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["env:", "env:GC_UNSET_VAR_X", "${KEY}", "${", "/a/{id}", "GET /x", "http://127.0.0.1:1", ""]),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=20,
)


def toml_value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    return "{" + ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items()) + "}"


CONFIG_KEYS = sorted({*SHARED, *DEFAULTS_ONLY, *BB_ONLY, *AUTH, *PRODUCT, *WAIVER, "not_implemented", "auth"})
TABLES = ["product", "defaults", "bb.consent", "bb.nope", "bb.consent.auth", "bb.consent.not_implemented",
          "bb.consent.waivers", "waivers", "[waivers]", "[bb.consent.waivers]", "tool", "x"]  # fmt: skip
config_docs = st.lists(
    st.tuples(
        st.sampled_from(TABLES),
        st.dictionaries(st.sampled_from(CONFIG_KEYS) | st.text(max_size=8), json_values, max_size=5),
    ),
    max_size=5,
)


def render_toml(tables: list[tuple[str, dict[str, Any]]]) -> str:
    out = []
    for name, body in tables:
        out.append(f"[{name}]")  # "[waivers]" makes an array of tables
        out += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in body.items()]
    return "\n".join(out) + "\n"


# ---- config ------------------------------------------------------------------------------------------


@BOUNDED
@given(doc=config_docs)
def test_config_files_of_plausible_keys_and_junk_values(tmp_path: Path, doc: list[tuple[str, dict[str, Any]]]) -> None:
    path = tmp_path / "govstack-conform.toml"
    path.write_text(render_toml(doc), encoding="utf-8")
    with no_hang():
        try:
            load_config(path, tmp_path)
        except ConfigError as exc:
            one_line(str(exc))


@BOUNDED
@given(raw=st.binary(max_size=400) | st.text(max_size=400).map(str.encode))
def test_config_files_of_random_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "govstack-conform.toml"
    path.write_bytes(raw)
    with no_hang():
        try:
            load_config(path, tmp_path)
        except ConfigError as exc:
            one_line(str(exc))


# ---- fixtures ----------------------------------------------------------------------------------------

fixture_docs = st.dictionaries(
    st.sampled_from(["parameters", "operations", "variables", "KEY", "GET /x", "id"]) | st.text(max_size=10),
    json_values,
    max_size=5,
)


@BOUNDED
@example(doc={"parameters": {"\n": "${0}"}}, raw=None, suffix=".json")  # found: a newline inside a message
@given(
    doc=fixture_docs | json_values,
    raw=st.none() | st.binary(max_size=200),
    suffix=st.sampled_from([".json", ".yaml", ".yml", ".txt"]),
)
def test_fixtures_files_give_test_data_or_one_line(tmp_path: Path, doc: Any, raw: bytes | None, suffix: str) -> None:
    path = tmp_path / f"data{suffix}"
    path.write_bytes(raw if raw is not None else json.dumps(doc).encode())
    with no_hang():
        try:
            load_testdata([path])
        except ConfigError as exc:
            one_line(str(exc))


# ---- specs -------------------------------------------------------------------------------------------

WORDS = ["openapi", "info", "title", "version", "paths", "components", "schemas", "$ref", "type", "properties",
         "items", "required", "parameters", "in", "name", "schema", "responses", "content", "application/json",
         "requestBody", "allOf", "oneOf", "anyOf", "not", "enum", "format", "pattern", "minimum", "maximum",
         "nullable", "security", "securitySchemes", "additionalProperties", "default", "example", "discriminator",
         "200", "404", "get", "post", "/pets/{id}", "/a"]  # fmt: skip
REFS = ["#/components/schemas/A", "#/components/schemas/B", "#", "#/", "other.yaml#/x", "#/paths/~1a", "../x.yaml"]
spec_leaves = st.one_of(
    st.sampled_from(REFS),
    st.sampled_from(["object", "string", "integer", "array", "number", "boolean", "null", "date-time", "uuid", "[a-z"]),
    scalars,
)
spec_values = st.recursive(
    spec_leaves,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(WORDS) | st.text(max_size=6), inner, max_size=5)
    ),
    max_leaves=40,
)
openapi_docs = st.fixed_dictionaries(
    {
        "openapi": st.sampled_from(["3.0.3", "3.1.0", "3.0.3", "3.1.0", "3.0.3", "3.1.0", "3.0", "2.0"]),
        "info": st.fixed_dictionaries({"title": st.text(max_size=5), "version": st.just("1")}),
        "paths": st.dictionaries(
            st.sampled_from(["/a", "/a/{id}", "/b/{x}/{y}", "a", "/"]),
            st.dictionaries(st.sampled_from(["get", "post", "put", "delete", "parameters", "x"]), spec_values),
            max_size=3,
        ),
    },
    optional={"components": st.fixed_dictionaries({"schemas": st.dictionaries(st.sampled_from("AB"), spec_values)})},
)


def load_and_plan(path: Path) -> None:
    """Load as the user would; a readable contract is also planned (the planner must cope with it)."""
    loaded = load_document(path, path.name)
    if loaded.document is None:
        for d in loaded.defects:
            one_line(d.message)
    try:
        contract = load_spec_files([str(path)])
    except SpecError as exc:
        one_line(str(exc))
        event("refused in one line")
        return
    event(f"loaded, {'some' if contract.operations else 'no'} operations")
    if contract.operations:
        plan_contract(contract, seed=0)


@BOUNDED
@given(raw=st.binary(max_size=600))
def test_spec_loader_on_random_bytes(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "spec.yaml"
    path.write_bytes(raw)
    with no_hang():
        load_and_plan(path)


@settings(BOUNDED, max_examples=150)
@given(doc=openapi_docs, as_json=st.booleans())
def test_spec_loader_on_openapi_shaped_junk(tmp_path: Path, doc: dict[str, Any], as_json: bool) -> None:
    import yaml

    path = tmp_path / ("spec.json" if as_json else "spec.yaml")
    path.write_text(json.dumps(doc) if as_json else yaml.safe_dump(doc), encoding="utf-8")
    with no_hang():
        load_and_plan(path)


@pytest.fixture(scope="module")
def small_corpus_files(corpus_dir: Path, manifest: list[dict[str, Any]]) -> list[bytes]:
    files = [corpus_dir / m["file"] for m in manifest if m.get("valid") and m.get("operations")]
    return [p.read_bytes() for p in sorted(files, key=lambda p: p.stat().st_size)[:6]]


damage = st.lists(
    st.tuples(
        st.floats(0, 1),
        st.sampled_from(["insert", "flip", "drop-line", "flip", "drop-line", "insert", "cut"]),
        st.binary(max_size=8) | st.sampled_from([b"\n", b": ", b"{", b"$ref: '#/x'", b"- ", b"  "]),
    ),
    min_size=1,
    max_size=3,
)


def damaged(data: bytes, edits: list[tuple[float, str, bytes]]) -> bytes:
    for where, how, junk in edits:
        i = int(where * len(data))
        if how == "cut":
            data = data[:i]
        elif how == "insert":
            data = data[:i] + junk + data[i:]
        elif how == "flip" and data:
            data = data[:i] + bytes([data[min(i, len(data) - 1)] ^ 0x5A]) + data[i + 1 :]
        else:
            start = data.rfind(b"\n", 0, i) + 1
            end = data.find(b"\n", i)
            data = data[:start] + (data[end + 1 :] if end >= 0 else b"")
    return data


@settings(BOUNDED, max_examples=60)
@given(pick=st.integers(0, 5), edits=damage)
def test_spec_loader_on_damaged_corpus_files(
    tmp_path: Path, small_corpus_files: list[bytes], pick: int, edits: list[tuple[float, str, bytes]]
) -> None:
    path = tmp_path / "damaged.yaml"
    path.write_bytes(damaged(small_corpus_files[pick % len(small_corpus_files)], edits))
    with no_hang():
        load_and_plan(path)


# ---- the command line --------------------------------------------------------------------------------

LIVE = "LIVE"  # replaced by the URL of a live local product
SAFE_TEXT = st.text(max_size=15).filter(lambda s: "://" not in s and not s.startswith("-"))
FILES = ["missing.yaml", "garbage.bin", "empty.txt", "dir", "spec.yaml", "journal-dir"]
VALUES: dict[str, Any] = {
    "--target": st.sampled_from(["http://127.0.0.1:1", "https://127.0.0.1:1/base", "ftp://x", "nope", "http://", LIVE]),
    "--spec": st.sampled_from(FILES),
    "--specs": st.sampled_from(["dir", "missing", "garbage.bin"]),
    "--out": st.sampled_from(["out", "out/deeper", "garbage.bin"]),
    "--seed": st.sampled_from(["0", "-1", "x", "99999999999999999999"]),
    "--fixtures": st.sampled_from(FILES),
    "--concurrency": st.sampled_from(["0", "-3", "abc", "300", "1"]),
    "--timeout": st.sampled_from(["0", "-1", "nan", "inf", "1e309", "0.2"]),
    "--rate-limit": st.sampled_from(["0", "-1", "nan", "5"]),
    "--retries": st.sampled_from(["-1", "2", "x"]),
    "--header": SAFE_TEXT | st.sampled_from(["X-A: b", "Authorization: x", ": v", "A:\x00"]),
    "--token": st.sampled_from(["env:GC_UNSET_VAR_X", "env:", "literal-token"]),
    "--api-key": st.sampled_from(["env:GC_UNSET_VAR_X", "k"]),
    "--api-key-in": SAFE_TEXT | st.just("query"),
    "--basic": SAFE_TEXT | st.just("u:env:GC_UNSET_VAR_X"),
    "--oauth2-token-url": st.sampled_from(["http://127.0.0.1:1/token", "nope"]),
    "--client-id": SAFE_TEXT,
    "--client-secret": st.sampled_from(["env:GC_UNSET_VAR_X", "s"]),
    "--client-cert": st.sampled_from(FILES),
    "--client-key": st.sampled_from(FILES),
    "--ca-bundle": st.sampled_from(FILES),
    "--path-map": SAFE_TEXT | st.sampled_from(["/a=/b", "a=b", "garbage.bin"]),
    "--latency-budget": st.sampled_from(["0", "-5", "x", "100"]),
    "--report": SAFE_TEXT | st.sampled_from(["all", "html,md", "json,"]),
    "--evidence": st.sampled_from(["ev", "garbage.bin"]),
    "--sign": st.sampled_from(FILES),
    "--fail-under": st.sampled_from(["-1", "101", "x", "50"]),
    "--fail-on": SAFE_TEXT | st.just("recommended"),
    "--shard": SAFE_TEXT | st.sampled_from(["1/2", "0/2", "3/2", "1/0"]),
    "--baseline": st.sampled_from(FILES),
    "--resume": st.sampled_from(["journal-dir", "missing", "dir"]),
    "--config": st.sampled_from(FILES),
    "--kind": SAFE_TEXT | st.just("positive"),
}
FLAGS = ["--read-only", "--insecure", "--quiet", "--json", "--no-profile-headers", "--bogus", "--help"]
SELECTORS = st.sampled_from(["messaging", "wallet@main", "workflow", "nope", "consent@nope", "@", ""]) | SAFE_TEXT
COMMANDS = [["run"], ["plan"], ["specs", "show"], ["specs", "list"]]


GOOD = {
    "run": [["messaging", "--target", LIVE], ["--spec", "spec.yaml", "--target", LIVE, "--out", "out"],
            ["wallet", "--target", "http://127.0.0.1:1"]],
    "plan": [["messaging"], ["--spec", "spec.yaml"]],
    "specs": [["messaging"], []],
}  # fmt: skip


def _options_of(path: list[str]) -> tuple[list[str], list[str]]:
    """The command's own options taking a value, and its flags (what a user would plausibly mix up)."""
    import click
    import typer

    cmd: Any = typer.main.get_command(app)
    for part in path:
        cmd = cmd.commands[part]
    params = [p for p in cmd.params if isinstance(p, click.Option)]
    valued = sorted(o for p in params if not p.is_flag for o in p.opts if o in VALUES)
    flags = sorted(o for p in params if p.is_flag for o in p.opts)
    return valued, flags


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Most start from a command line that works; then the command's options with junk values are added
    (and now and then one it does not have)."""
    argv = list(draw(st.sampled_from(COMMANDS)))
    valued, flags = _options_of(argv)
    if draw(st.integers(0, 3)) > 0:
        argv += draw(st.sampled_from(GOOD[argv[0]]))
    for _ in range(draw(st.integers(0, 3))):
        roll = draw(st.integers(0, 9))
        if roll == 0:
            argv.append(draw(st.sampled_from(FLAGS)))
        elif roll == 1:
            name = draw(st.sampled_from(sorted(VALUES)))
            argv += [name, draw(VALUES[name])]
        elif roll == 2 and flags:
            argv.append(draw(st.sampled_from(flags)))
        elif valued:
            name = draw(st.sampled_from(valued))
            argv += [name, draw(VALUES[name])]
    if draw(st.integers(0, 3)) == 0:
        argv += draw(st.lists(SELECTORS, max_size=2))
    return argv


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    """A product that answers every request with a 404."""
    from hostile_servers import serve_routes

    with serve_routes({}, []) as url:
        yield url


@pytest.fixture
def workdir(tmp_path: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    monkeypatch.delenv("GC_UNSET_VAR_X", raising=False)
    (tmp_path / "garbage.bin").write_bytes(b"\x00\xff{[: not anything")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "dir").mkdir()
    (tmp_path / "journal-dir").mkdir()
    (tmp_path / "journal-dir" / "journal.ndjson").write_bytes(b'{"journal": 1, "fingerprint": "x"}\n{"cut')
    (tmp_path / "spec.yaml").write_text(
        "openapi: 3.0.3\ninfo: {title: T, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n"
        "        '200': {description: ok}\n"
    )
    return tmp_path


@settings(BOUNDED, max_examples=100)
@given(argv=command_lines())
@example(argv=["run", "messaging", "--target", LIVE, "--path-map", "garbage.bin"])  # found: a non-UTF-8 map file
def test_command_lines_exit_with_a_documented_code_and_one_error_line(
    workdir: Path, live: str, argv: list[str]
) -> None:
    argv = [live if a == LIVE else a for a in argv]
    with no_hang(30):
        result = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    event(f"{argv[0]} exit {result.exit_code}")
    assert result.exit_code in (0, 1, 2, 3), (argv, result.exit_code, text, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), (argv, repr(result.exception))
    assert "Traceback" not in text and "internal error" not in text, (argv, text)
    errors = [line for line in result.stderr.splitlines() if line.startswith(("govstack-conform: error:", "Error:"))]
    assert len(errors) <= 1, (argv, result.stderr)
    if result.exit_code == 2:
        assert len(errors) == 1, (argv, result.stderr)


def test_the_hard_limit_catches_a_hang() -> None:
    import time

    with pytest.raises(TimeoutError, match="a hang"), no_hang(0.2):
        time.sleep(5)


def test_every_tool_error_is_a_conform_error() -> None:
    """What the properties accept as 'a clear error' are the tool's own, with exit codes from the documented set."""
    for cls in (ConfigError, SpecError):
        assert issubclass(cls, ConformError) and int(cls.exit_code) in (2, 3)
    assert os.environ.get("GC_UNSET_VAR_X") is None
