"""Every option of every command, given a hostile value, is refused before anything happens.

For each command a working command line (BASE) is the start; one or more of its options then get a
value from HOSTILE, each one the tool must refuse: out-of-range and non-finite numbers, ports 0 and
99999, a broken IPv6 literal, a 64-character DNS label, non-ASCII header names, credentials holding
control characters, files that are missing, binary, a FIFO or a YAML alias bomb, keys that are not
keys, a baseline of another BB... The test asserts, for every one: the documented exit code (2, or 3
for an unusable spec), exactly one error line, no traceback, no request received by the local
product (the base command lines aim every request at it), and no file written or changed in the
working directory. Every option is driven once (`test_each_hostile_value`), and hypothesis mixes
several in one command line (`test_hostile_values_together`); `test_every_option_is_driven` keeps the
table complete as commands grow options.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hostile_servers import Request, control, serve_routes, spec_for
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bounded_loading import alias_bomb
from test_properties_badinput import BOUNDED, no_hang
from typer.testing import CliRunner

from govstack_conform.cli import app

LIVE = "LIVE"  # the URL of the counting product
LABEL64 = "a" * 64
CR = "env:GC_CR_VALUE"  # an environment variable whose value ends in \r
BAD_URLS = [
    "http://127.0.0.1:0",
    "http://[::1",
    f"http://{LABEL64}.example",
    "http://127.0.0.1:99999",
    "ftp://x",
    "nope",
    "http://",
    "http://exa mple.org",
]
BAD_FILES = ["missing.yaml", "garbage.bin", "dir", "fifo"]
NOT_A_NUMBER = ["nan", "inf", "-inf", "x"]

# command -> a working command line (sends to LIVE or writes into the working directory when not refused)
BASE: dict[str, list[str]] = {
    "run": ["run", "--spec", "spec.yaml", "--target", LIVE, "--out", "out", "--quiet"],
    "plan": ["plan", "--spec", "spec.yaml"],
    "specs list": ["specs", "list"],
    "specs show": ["specs", "show", "--spec", "spec.yaml"],
    "specs lint": ["specs", "lint", "--spec", "spec.yaml"],
    "specs pull": ["specs", "pull", "messaging", "--mirror", LIVE, "--specs", "store"],
    "report render": ["report", "render", "results.json", "--out", "rendered"],
    "report merge": ["report", "merge", "results.json", "results.json", "--out", "merged"],
    "report diff": ["report", "diff", "results.json", "results.json"],
    "report compare": ["report", "compare", "results.json", "results.json", "--out", "compared"],
    "publish": [
        "publish",
        "results.json",
        "--url",
        LIVE,
        "--api-key",
        "env:GC_API_KEY",
        "--test-app",
        "app",
        "--branch",
        "main",
        "--version",
        "1",
    ],
    "evidence verify": ["evidence", "verify", "bundle"],
    "evidence keygen": ["evidence", "keygen", "--out", "keys"],
    "mock": ["mock", "--spec", "spec.yaml", "--port", "0"],
    "diff": ["diff", "messaging", "--candidate-spec", "spec.yaml", "--out", "diff.md", "--format", "md"],
    "init": ["init", "messaging", "--out", "new.toml"],
    "demo": ["demo", "messaging", "--out", "demo-out", "--quiet"],
}

# command -> option (or "ARG" for the positional arguments) -> values the tool must refuse
HOSTILE: dict[str, dict[str, list[Any]]] = {
    "run": {
        "ARG": ["nope", "messaging@nope", "@"],
        "--target": BAD_URLS,
        "--config": ["missing.toml", "garbage.bin", "dir", "fifo", "bad.toml"],
        "--spec": BAD_FILES,
        "--specs": [("missing-dir", "messaging"), ("garbage.bin", "messaging")],
        "--out": ["garbage.bin", "garbage.bin/below"],
        "--seed": ["x", "1e3"],
        "--max-depth": ["0", "129", "x"],
        "--fixtures": [*BAD_FILES, "bomb.yaml"],
        "--concurrency": ["0", "-3", "257", "30000000", "x"],
        "--timeout": ["0", "-1", "1e-300", "1e309", "86401", *NOT_A_NUMBER],
        "--rate-limit": ["0", "-1", "1e-300", *NOT_A_NUMBER],
        "--retries": ["-1", "11", "x"],
        "--header": [
            ": v",
            "novalue",
            "Bad Name: x",
            "Ünïcode: x",
            "X-A: a\x00b",
            "X-Token: env:GC_UNSET_VAR_X",
            f"X-Token: {CR}",
        ],
        "--secret-header": ["Bad Name", "Ü", "a:b"],
        "--token": ["env:GC_UNSET_VAR_X", "env:", CR, "tok\x1b"],
        "--api-key": ["env:GC_UNSET_VAR_X", CR],
        "--api-key-name": [("Bad Name", "--api-key", "k"), ("Ü", "--api-key", "k")],
        "--api-key-in": ["body", "cookie", ""],
        "--basic": ["nocolon", ":pw", "u:env:GC_UNSET_VAR_X", f"u:{CR}"],
        "--oauth2-token-url": [(u, "--client-id", "c", "--client-secret", "s") for u in ["nope", *BAD_URLS[:3]]],
        "--client-id": ["c", ("c\r", "--client-secret", "s", "--oauth2-token-url", "http://127.0.0.1:1/t")],
        "--client-secret": ["s", ("s\r", "--client-id", "c", "--oauth2-token-url", "http://127.0.0.1:1/t")],
        "--oauth2-scope": [
            ("a\nb", "--client-id", "c", "--client-secret", "s", "--oauth2-token-url", "http://127.0.0.1:1/t")
        ],
        "--client-cert": BAD_FILES,
        "--client-key": [
            "key.pem",
            ("missing.pem", "--client-cert", "cert.pem"),
            ("garbage.bin", "--client-cert", "cert.pem"),
        ],
        "--ca-bundle": BAD_FILES,
        "--path-map": ["a=b", "/a=b", "garbage.bin", "bomb.yaml", "fifo", "dir"],
        "--latency-budget": ["0", "-5", *NOT_A_NUMBER],
        "--report": ["nope", "html,nope"],
        "--evidence": ["garbage.bin", "full-dir"],
        "--sign": [(f, "--evidence", "ev") for f in [*BAD_FILES, "cert.pem"]] + ["key.pem"],
        "--fail-under": ["-1", "101", *NOT_A_NUMBER],
        "--fail-on": ["none", "all"],
        "--shard": ["0/2", "3/2", "1/0", "x", "1/-2"],
        "--baseline": ["missing.json", "garbage.bin", "dir", "fifo", "other-bb.json"],
        "--resume": ["missing-dir", "dir", "garbage.bin"],
        "--query-style": ["nope"],
        "--proxy": ["ftp://x", "http://127.0.0.1:0", "http://[::1", "env:GC_UNSET_VAR_X"],
        "--operation": ["GET /nope", "nope"],
        "--kind": ["nope"],
        "--case": ["nope::x"],
        "--tag": ["no-such-tag"],
    },
    "plan": {
        "ARG": ["nope", "messaging@nope"],
        "--spec": BAD_FILES,
        "--specs": [("missing-dir", "messaging"), ("garbage.bin", "messaging")],
        "--seed": ["x", "1e3"],
        "--max-depth": ["0", "129", "x"],
        "--fixtures": [*BAD_FILES, "bomb.yaml"],
        "--kind": ["nope"],
    },
    "specs list": {"--specs": ["garbage.bin"]},
    # --specs counts only for a BB named by its selector: those two replace the base command line
    "specs show": {
        "ARG": ["nope"],
        "--spec": BAD_FILES,
        "--specs": [["specs", "show", "messaging", "--specs", d] for d in ("missing-dir", "garbage.bin")],
    },
    "specs lint": {
        "ARG": ["nope"],
        "--spec": BAD_FILES,
        "--specs": [["specs", "lint", "messaging", "--specs", d] for d in ("missing-dir", "garbage.bin")],
    },
    "specs pull": {
        "ARG": ["nope", "messaging@nope"],
        "--mirror": [*BAD_URLS[:3], "missing-dir"],
        "--specs": ["garbage.bin"],
    },
    "report render": {"ARG": [*BAD_FILES, "bomb.yaml"], "--out": ["garbage.bin"], "--format": ["nope"]},
    "report merge": {"ARG": BAD_FILES, "--out": ["garbage.bin"], "--format": ["nope"]},
    "report diff": {"ARG": BAD_FILES},
    "report compare": {
        "ARG": BAD_FILES,
        "--out": ["garbage.bin"],
        "--name": ["a\rb", ("x", "--name", "y", "--name", "z")],
    },
    "publish": {
        "ARG": BAD_FILES,
        "--url": BAD_URLS,
        "--api-key": ["literal", "env:GC_UNSET_VAR_X", CR],
        "--test-app": ["a\rb", ""],
        "--branch": ["a\nb", ""],
        "--version": ["a\x00", ""],
        "--test-suite": ["a\rb", ""],
        "--product-name": ["a\rb"],
    },
    "evidence verify": {"ARG": ["missing-dir", "garbage.bin"], "--public-key": [*BAD_FILES, "key.pem"]},
    "evidence keygen": {"--out": ["garbage.bin"]},
    "mock": {
        "ARG": ["nope"],
        "--spec": BAD_FILES,
        "--host": ["exa mple", "[::1", ""],
        "--port": ["-1", "65536", "x"],
        "--token": ["t\r", "t\x1b[2J"],
        "--api-key": ["k\r"],
        "--seed": ["x"],
        "--base-path": ["/a b", "/../x"],
        "--delay": ["-1", "x", "99999999999"],
    },
    "diff": {
        "ARG": ["nope"],
        "--candidate-spec": BAD_FILES,
        "--format": ["nope"],
        "--out": ["garbage.bin/below", "dir"],
        "--specs": ["missing-dir", "garbage.bin"],
    },
    "init": {"ARG": ["nope"], "--out": ["existing.toml", "dir"]},
    "demo": {"ARG": ["nope"], "--out": ["garbage.bin"], "--seed": ["x"]},
}
# An unusable spec is exit 3 (documented: "spec or target unusable"), a spec store that is not there 2; a
# results file that cannot be read or a report that cannot be written is 3 outside `run` (ReportError).
# Everything `run` checks before its first request is a usage error, 2.
SPEC_OPTIONS = {"--spec", "--specs", "--candidate-spec"}


def expected_code(command: str, option: str) -> set[int]:
    if option in SPEC_OPTIONS or (command != "run" and option in ("ARG", "--out")):
        return {2, 3}
    return {2}


def hostile(command: str) -> list[tuple[str, tuple[str, ...]]]:
    """(option, arguments) for each hostile value of the command's options: a value, a tuple (the value and
    the other options it needs), or a list (a whole command line, used instead of the base one)."""
    out = []
    for option, values in HOSTILE[command].items():
        for v in values:
            if isinstance(v, list):
                out.append((option, tuple(v)))
                continue
            value, *extra = v if isinstance(v, tuple) else (v,)
            out.append((option, ((value,) if option == "ARG" else (option, value)) + tuple(extra)))
    return out


def command_line(command: str, args: tuple[str, ...]) -> list[str]:
    whole = args[: len(command.split())] == tuple(command.split())
    return list(args) if whole else [*BASE[command], *args]


CASES = [(c, o, a) for c in HOSTILE for o, a in hostile(c)]
SEEN: list[Request] = []


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    with serve_routes({"/control": control}, SEEN) as url:
        yield url


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory, live: str, corpus_dir: Path) -> Path:
    """The files the command lines name, made once."""
    from govstack_conform.report.evidence.bundle import keygen

    root = tmp_path_factory.mktemp("hostile-cli")
    (root / "spec.yaml").write_text(spec_for(["/control"]))
    (root / "garbage.bin").write_bytes(b"\x00\xff{[: not anything")
    (root / "bomb.yaml").write_text(alias_bomb())
    (root / "bad.toml").write_text("[defaults]\nconcurrency = 300\n")
    (root / "existing.toml").write_text("# mine\n")
    (root / "dir").mkdir()
    (root / "full-dir").mkdir()
    (root / "full-dir" / "old.txt").write_text("an earlier bundle\n")
    keygen(root / "keys-made")
    shutil.copy(root / "keys-made" / "evidence-signing-key.pem", root / "key.pem")
    (root / "cert.pem").write_text("-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n")
    env = {"GOVSTACK_CONFORM_SPECS": str(corpus_dir)}
    made = CliRunner().invoke(
        app,
        [
            "run",
            "--spec",
            str(root / "spec.yaml"),
            "--target",
            live,
            "--out",
            str(root / "made"),
            "--quiet",
            "--evidence",
            str(root / "bundle"),
        ],
        env=env,
    )
    assert made.exit_code == 0, made.output
    shutil.copy(root / "made" / "results.json", root / "results.json")
    other = json.loads((root / "results.json").read_text())
    for bb in other["results"]:
        bb["bb"] = "registration"
    (root / "other-bb.json").write_text(json.dumps(other))
    shutil.rmtree(root / "made")
    shutil.rmtree(root / "keys-made")
    return root


@pytest.fixture
def workdir(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> Path:
    work = tmp_path / "work"
    shutil.copytree(template, work)
    if hasattr(os, "mkfifo"):
        os.mkfifo(work / "fifo")
    monkeypatch.chdir(work)
    return work


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")}


def invoke(argv: list[str], live: str, corpus_dir: Path) -> Any:
    env = {
        "COLUMNS": "200",
        "GOVSTACK_CONFORM_SPECS": str(corpus_dir),
        "GC_CR_VALUE": "value-SECRET\r",
        "GC_API_KEY": "k-SECRET",
        "GC_UNSET_VAR_X": "",
    }
    with no_hang(30):
        return CliRunner().invoke(app, [live if a == LIVE else a for a in argv], env=env)


def assert_refused(argv: list[str], codes: set[int], workdir: Path, live: str, corpus_dir: Path) -> None:
    before, sent = snapshot(workdir), len(SEEN)
    result = invoke(argv, live, corpus_dir)
    text = result.output + (result.stderr if result.stderr_bytes is not None else "")
    assert result.exit_code in codes, (argv, result.exit_code, text)
    assert result.exception is None or isinstance(result.exception, SystemExit), (argv, repr(result.exception))
    assert "Traceback" not in text and "internal error" not in text, (argv, text)
    errors = [line for line in result.stderr.splitlines() if line.startswith(("govstack-conform: error:", "Error:"))]
    assert len(errors) == 1, (argv, result.stderr)
    assert "SECRET" not in text, (argv, text)
    assert len(SEEN) == sent, (argv, f"{len(SEEN) - sent} requests reached the product")
    assert snapshot(workdir) == before, (argv, "files were written")


@pytest.mark.parametrize(("command", "option", "args"), CASES, ids=[f"{c} {' '.join(a)!r}" for c, _, a in CASES])
def test_each_hostile_value(
    command: str, option: str, args: tuple[str, ...], workdir: Path, live: str, corpus_dir: Path
) -> None:
    assert_refused(command_line(command, args), expected_code(command, option), workdir, live, corpus_dir)


@settings(BOUNDED, max_examples=60)
@given(command=st.sampled_from(sorted(HOSTILE)), picks=st.lists(st.integers(0, 10_000), min_size=2, max_size=3))
def test_hostile_values_together(command: str, picks: list[int], workdir: Path, live: str, corpus_dir: Path) -> None:
    """Several hostile options in one command line: still one refusal, before anything happens."""
    options = [(o, a) for o, a in hostile(command) if command_line(command, a)[: len(a)] != list(a)]
    chosen = [options[i % len(options)] for i in picks]
    codes = set().union(*(expected_code(command, o) for o, _ in chosen)) | {2}
    assert_refused([*BASE[command], *(a for _, arg in chosen for a in arg)], codes, workdir, live, corpus_dir)


def test_every_option_is_driven() -> None:
    import typer

    root: Any = typer.main.get_command(app)

    def leaves(cmd: Any, path: tuple[str, ...] = ()) -> list[str]:
        if not hasattr(cmd, "commands"):
            return [" ".join(path)]
        return [leaf for name, sub in cmd.commands.items() for leaf in leaves(sub, (*path, name))]

    assert sorted(leaves(root)) == sorted(BASE)
    missing = []
    for command in BASE:
        cmd = root
        for part in command.split():
            cmd = cmd.commands[part]
        for p in cmd.params:
            if p.param_type_name == "argument":
                if "ARG" not in HOSTILE[command]:
                    missing.append(f"{command} {p.name}")
            elif not p.is_flag and not any(o in HOSTILE[command] for o in p.opts):
                missing.append(f"{command} {p.opts[0]}")
    assert missing == []


def test_the_base_command_lines_work(workdir: Path, live: str, corpus_dir: Path) -> None:
    """The working command lines do what they say (so a refusal above is the hostile value's doing)."""
    for command in ("run", "plan", "report render", "report diff", "evidence verify", "init"):
        result = invoke(BASE[command], live, corpus_dir)
        assert result.exit_code == 0, (command, result.output)
