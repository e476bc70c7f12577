"""Every file the tool reads is read bounded: a YAML alias bomb, a FIFO, /dev/zero or an oversized file
is one clear error, never a hang or memory without end; and verifying a huge evidence manifest is cheap.

The alias bomb is 9 levels of 9 aliases (387 million nodes once expanded, a few hundred bytes on disk);
unguarded, PyYAML builds it at about 34 MB/s. `no_hang` turns a regression into a failure, not a stuck run.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from test_properties_badinput import no_hang
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.config.file import load_config
from govstack_conform.engine.options import parse_path_maps
from govstack_conform.engine.results import read_json
from govstack_conform.engine.testdata import load_testdata
from govstack_conform.errors import ConformError
from govstack_conform.report.evidence import bundle as ev


def alias_bomb() -> str:
    """One key whose value nests 9 anchors of 9 aliases each (a path map's FROM, a fixture's top key)."""
    levels = ['&a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    levels += [f"&a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return f"/x: [{', '.join(levels)}]\n"


READERS: dict[str, tuple[str, Callable[[Path], object]]] = {
    "fixtures": ("data.yaml", lambda p: load_testdata([p])),
    "path map": ("map.yaml", lambda p: parse_path_maps([str(p)])),
    "results": ("results.json", read_json),
    "config": ("govstack-conform.toml", lambda p: load_config(p, p.parent)),
}


def test_the_bomb_is_small() -> None:
    assert len(alias_bomb()) < 600


@pytest.mark.parametrize("reader", ["fixtures", "path map"])
def test_a_yaml_alias_bomb_is_refused_before_it_is_built(tmp_path: Path, reader: str) -> None:
    name, read = READERS[reader]
    path = tmp_path / name
    path.write_text(alias_bomb(), encoding="utf-8")
    with no_hang(20), pytest.raises(ConformError, match="alias") as err:
        read(path)
    assert "\n" not in str(err.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("reader", sorted(READERS))
def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path, reader: str) -> None:
    name, read = READERS[reader]
    path = tmp_path / name
    os.mkfifo(path)
    with no_hang(10), pytest.raises(ConformError, match="not a regular file"):
        read(path)


@pytest.mark.parametrize("reader", ["config", "path map"])
def test_an_oversized_file_is_refused_by_its_size(tmp_path: Path, reader: str) -> None:
    name, read = READERS[reader]
    path = tmp_path / name
    path.write_text("# padding\n" * 200_000, encoding="utf-8")  # 2 MB of comments
    with pytest.raises(ConformError, match="over the 1 MB limit"):
        read(path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_signing_key_that_is_no_regular_file_is_refused(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "key.pem")  # /dev/zero would do the same; unbounded, it would fill the memory
    with no_hang(10), pytest.raises(ConformError, match="not a regular file"):
        ev.load_private_key(tmp_path / "key.pem")


def _manifest_bundle(folder: Path, lines: int) -> Path:
    folder.mkdir()
    (folder / "results.json").write_bytes(b"{}")
    with (folder / ev.MANIFEST).open("w", encoding="utf-8") as fh:
        fh.write(f"{hashlib.sha256(b'{}').hexdigest()}  results.json\n")
        fh.writelines(f"{'0' * 64}  gone/{i}.json\n" for i in range(lines))
    return folder


def _calls(fn: Callable[[], object]) -> int:
    """Python function calls made by `fn` (a count, not a time: the same on any machine)."""
    count = 0

    def profile(frame: object, event: str, arg: object) -> None:
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count


def test_verifying_a_manifest_costs_a_few_builtin_calls_per_line(tmp_path: Path) -> None:
    """Two dictionary lookups per missing file, and no Path, stat or hash for it (the old verify built
    two Path objects and made two stat calls per line: about 50 calls, 59 s for 10^6 lines)."""
    small = _manifest_bundle(tmp_path / "small", 2_000)
    big = _manifest_bundle(tmp_path / "big", 8_000)
    v = ev.verify(big)
    assert v.checked == 1 and len(v.missing) == 8_000 and not v.changed and not v.problems
    per_line = (_calls(lambda: ev.verify(big)) - _calls(lambda: ev.verify(small))) / 6_000
    assert per_line <= 4, f"{per_line:.1f} function calls per manifest line"


def test_a_malformed_line_is_still_named_by_its_number(tmp_path: Path) -> None:
    folder = _manifest_bundle(tmp_path / "b", 3)
    with (folder / ev.MANIFEST).open("a", encoding="utf-8") as fh:
        fh.write(f"{'0' * 64}  ../outside\nnot a line\n")
    v = ev.verify(folder)
    assert v.problems == [f"{ev.MANIFEST} line 5 is malformed", f"{ev.MANIFEST} line 6 is malformed"]
    assert len(v.missing) == 3 and v.checked == 1


def test_the_text_listing_is_capped_and_json_lists_every_file(tmp_path: Path) -> None:
    folder = _manifest_bundle(tmp_path / "b", 2_500)
    text = CliRunner().invoke(app, ["evidence", "verify", str(folder)])
    assert text.exit_code == 1
    assert text.stdout.count("missing: gone/") == 1000
    assert "missing: and 1500 more (--json lists them all)" in text.stdout
    as_json = CliRunner().invoke(app, ["evidence", "verify", str(folder), "--json"])
    assert as_json.stdout.count('"gone/') == 2_500
