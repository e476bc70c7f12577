"""Parsed YAML kept on disk between processes (contracts/loader/diskcache.py): a second process reads the entry
instead of parsing, gets exactly what parsing gives (shared nodes shared, duplicate keys kept), and an entry
that is corrupt, of another content or unwritable never changes what is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from govstack_conform.contracts.loader import diskcache, parse

SPEC = """\
openapi: 3.0.3
info: {title: cached, version: "1"}
x-shared: &shared {type: string, maxLength: 5}
paths:
  /a:
    get:
      responses:
        '200': {description: ok, content: {application/json: {schema: *shared}}}
  /a:
    post:
      responses: {'201': {description: made}}
"""


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("GOVSTACK_CONFORM_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Count the YAML parses from now on (a fresh process would parse once per file)."""
    calls: list[str] = []
    real = parse.parse_yaml

    def counting(text: str, **kw: object) -> object:
        calls.append(text)
        return real(text, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(parse, "parse_yaml", counting)
    return calls


def test_a_second_load_reads_the_entry_and_gets_the_same(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = parses(monkeypatch)
    first = parse.parse_bytes(SPEC.encode(), "spec.yaml")
    second = parse.parse_bytes(SPEC.encode(), "spec.yaml")
    assert len(calls) == 1  # parsed once; the second came from the entry
    assert second.data == first.data and second.sha256 == first.sha256 and second.fmt == "yaml"
    assert second.duplicate_keys == first.duplicate_keys == (("/paths", "/a", 9),)
    schema = second.data["paths"]["/a"]["post"]  # the later /a won, as YAML says
    assert schema == {"responses": {"201": {"description": "made"}}}
    assert second.data["x-shared"] is not first.data["x-shared"]  # a copy, never the same objects
    assert len(list((cache / "parsed").rglob(first.sha256))) == 1


def test_shared_nodes_stay_shared(cache: Path) -> None:
    text = SPEC.replace("/a:\n    post", "/b:\n    post")
    parse.parse_bytes(text.encode(), "s.yaml")
    cached = parse.parse_bytes(text.encode(), "s.yaml").data
    answer = cached["paths"]["/a"]["get"]["responses"]["200"]
    assert answer["content"]["application/json"]["schema"] is cached["x-shared"]


def test_a_corrupt_or_foreign_entry_is_ignored(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fresh = parse.parse_bytes(SPEC.encode(), "spec.yaml")
    (entry,) = (cache / "parsed").rglob(fresh.sha256)
    good = entry.read_bytes()
    calls = parses(monkeypatch)
    for at in range(len(good) - 40, len(good)):  # each byte of the end of the entry, spoilt in turn
        blob = bytearray(good)
        blob[at] ^= 0x01
        entry.write_bytes(bytes(blob))
        again = parse.parse_bytes(SPEC.encode(), "spec.yaml")
        assert (again.data, again.duplicate_keys) == (fresh.data, fresh.duplicate_keys)
    assert len(calls) == 40  # never read from a spoilt entry: parsed again each time
    sha = fresh.sha256
    other = parse.parse_bytes(b"openapi: 3.1.0\ninfo: {title: other}\n", "o.yaml")
    (theirs,) = (cache / "parsed").rglob(other.sha256)
    (entry.parent / sha).write_bytes(theirs.read_bytes())  # a valid entry, of another file's content
    assert parse.parse_bytes(SPEC.encode(), "spec.yaml").data["info"]["title"] == "cached"


def test_what_marshal_cannot_hold_is_parsed_every_time(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = b"openapi: 3.0.3\ninfo: {title: t, version: '1'}\nx-when: !!timestamp 2024-01-02\n"
    calls = parses(monkeypatch)
    assert parse.parse_bytes(text, "t.yaml").data["x-when"].year == 2024
    assert parse.parse_bytes(text, "t.yaml").data["x-when"].year == 2024
    assert len(calls) == 2


def test_an_unwritable_cache_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("GOVSTACK_CONFORM_CACHE", str(blocker))
    assert parse.parse_bytes(SPEC.encode(), "spec.yaml").data["info"]["title"] == "cached"


def test_the_cache_is_bounded(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diskcache, "MAX_ENTRIES", 3)
    for i in range(6):
        parse.parse_bytes(f"openapi: 3.0.3\ninfo: {{title: t{i}}}\n".encode(), "t.yaml")
    assert len([p for p in (cache / "parsed").rglob("*") if p.is_file()]) == 3
