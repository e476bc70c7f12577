"""`specs pull` from a mirror directory and from a real HTTP server on 127.0.0.1: success, tampering, a cut
connection, a refused connection. The served files are a tmp copy of a few corpus files made at test time."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts import catalog as catalog_mod
from govstack_conform.contracts.catalog import CatalogFile, load_catalog
from govstack_conform.contracts.pull import pull, select_files
from govstack_conform.contracts.store import ENV_CACHE, ENV_SPECS, sha256_file
from govstack_conform.errors import StoreError

SELECTION = ["consent@23Q4", "gis@23Q4", "registration"]  # 11 files, several directories
VICTIM = "gis/23Q4/GovStack_GISBB_queryGIS-1.1.0-swagger-2.yaml"  # in the middle of the selection


def _files() -> list[CatalogFile]:
    return select_files(load_catalog(), SELECTION)


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class _Handler(SimpleHTTPRequestHandler):
    """Serves the copy under /good/; /tampered/ alters VICTIM; /drop/ and /drop-nolength/ cut VICTIM short."""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        mode, _, rest = self.path.lstrip("/").partition("/")
        store_path = unquote(rest)
        source = Path(self.server.root) / store_path  # type: ignore[attr-defined]
        if mode not in ("good", "tampered", "drop", "drop-nolength") or not source.is_file():
            self.send_error(404)
            return
        data = source.read_bytes()
        if store_path == VICTIM and mode == "tampered":
            data = data.replace(b"GIS Query API", b"GIS Quack API")
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        if store_path == VICTIM and mode.startswith("drop"):
            if mode == "drop":
                self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mirror")
    for f in _files():
        target = root / f.store_path
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(corpus_dir / f.store_path, target)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.root = str(root)  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.delenv(ENV_SPECS, raising=False)
    return tmp_path / "cache" / "specs"


@pytest.fixture
def prefilled(cache: Path, corpus_dir: Path) -> dict[str, bytes]:
    """A cache already holding another release, so 'unchanged' is checked against real content."""
    pull(select_files(load_catalog(), ["consent@23Q4.1"]), cache, mirror=str(corpus_dir))
    before = _snapshot(cache)
    assert before
    return before


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def test_select_files() -> None:
    catalog = load_catalog()
    assert select_files(catalog, ["consent"]) == list(catalog.get("consent").release("23Q4.1").files)
    everything = select_files(catalog, [])
    assert len(everything) == sum(len(r.files) for bb in catalog.bbs for r in bb.releases)
    assert len({f.store_path for f in everything}) == len(everything)


def test_pull_every_release_from_a_mirror_directory(cache: Path, corpus_dir: Path) -> None:
    files = select_files(load_catalog(), [])
    seen: list[tuple[str, int, int]] = []
    result = pull(files, cache, mirror=str(corpus_dir), progress=lambda *a: seen.append(a))
    assert len(result.fetched) == len(files) and result.present == ()
    for f in files:
        assert sha256_file(cache / f.store_path) == f.sha256
    assert [s[1] for s in seen] == list(range(1, len(files) + 1)) and {s[2] for s in seen} == {len(files)}
    assert not list(cache.rglob(".pull-*"))
    again = pull(files, cache, mirror=str(corpus_dir))
    assert again.fetched == () and len(again.present) == len(files)


def test_pull_repairs_a_damaged_cache_file(cache: Path, corpus_dir: Path) -> None:
    files = select_files(load_catalog(), ["consent@23Q4"])
    pull(files, cache, mirror=str(corpus_dir))
    target = cache / files[0].store_path
    target.write_bytes(b"damaged")
    result = pull(files, cache, mirror=f"file://{corpus_dir}")
    assert result.fetched == (files[0].store_path,)
    assert sha256_file(target) == files[0].sha256


def test_mirror_directory_missing_a_file(cache: Path, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(StoreError, match=r"has no consent/23Q4/consent-openapi\.yaml"):
        pull(select_files(load_catalog(), ["consent@23Q4"]), cache, mirror=str(tmp_path / "empty"))
    assert not cache.exists()


def test_pull_over_http_from_a_mirror_url(server: str, cache: Path) -> None:
    result = CliRunner().invoke(app, ["specs", "pull", *SELECTION, "--mirror", f"{server}/good/"])
    assert result.exit_code == 0, result.output
    assert "pulled 11 file(s)" in result.stdout
    for f in _files():
        assert sha256_file(cache / f.store_path) == f.sha256


def test_pull_into_a_directory_given_with_specs(server: str, cache: Path, tmp_path: Path) -> None:
    dest = tmp_path / "elsewhere"
    result = CliRunner().invoke(
        app, ["specs", "pull", "consent@23Q4", "--mirror", f"{server}/good", "--specs", str(dest)]
    )
    assert result.exit_code == 0, result.output
    assert (dest / "consent/23Q4/consent-openapi.yaml").is_file() and not cache.exists()


def test_tampered_file_fails_and_leaves_the_cache_unchanged(
    server: str, cache: Path, prefilled: dict[str, bytes]
) -> None:
    victim = next(f for f in _files() if f.store_path == VICTIM)
    with pytest.raises(StoreError) as e:
        pull(_files(), cache, mirror=f"{server}/tampered")
    message = str(e.value)
    assert VICTIM in message and f"expected {victim.sha256}" in message and "got " in message
    assert _snapshot(cache) == prefilled

    result = CliRunner().invoke(app, ["specs", "pull", *SELECTION, "--mirror", f"{server}/tampered"])
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and "sha256 mismatch" in result.stderr and "Traceback" not in result.output
    assert _snapshot(cache) == prefilled


@pytest.mark.parametrize("mode", ["drop", "drop-nolength"])
def test_connection_dropped_mid_file_leaves_the_cache_unchanged(
    server: str, cache: Path, prefilled: dict[str, bytes], mode: str
) -> None:
    with pytest.raises(StoreError) as e:
        pull(_files(), cache, mirror=f"{server}/{mode}")
    assert VICTIM in str(e.value)
    # With a Content-Length the cut is detected as such; without one the short body fails the hash.
    assert ("cut off" if mode == "drop" else "sha256 mismatch") in str(e.value)
    assert _snapshot(cache) == prefilled


def test_http_error_status_is_reported(server: str, cache: Path) -> None:
    with pytest.raises(StoreError, match="HTTP 404"):
        pull(select_files(load_catalog(), ["payments@1.0-QA"]), cache, mirror=f"{server}/good")
    assert not cache.exists()


def test_refused_mirror_url_is_one_line(cache: Path) -> None:
    result = CliRunner().invoke(app, ["specs", "pull", "consent", "--mirror", f"http://127.0.0.1:{_free_port()}"])
    assert result.exit_code == 3
    assert result.stderr.count("\n") == 1 and "cannot reach the mirror" in result.stderr
    assert "--mirror DIR" in result.stderr


def test_unreachable_upstream_hints_at_a_mirror(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_mod, "RAW_BASE", f"http://127.0.0.1:{_free_port()}")
    result = CliRunner().invoke(app, ["specs", "pull", "consent"])
    assert result.exit_code == 3, result.output
    line = result.stderr.strip()
    assert "\n" not in line and "cannot reach 127.0.0.1" in line and "specs pull --mirror DIR_OR_URL" in line
    assert not cache.exists()


def test_missing_mirror_directory_is_a_usage_error(cache: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["specs", "pull", "consent", "--mirror", str(tmp_path / "absent")])
    assert result.exit_code == 2 and "mirror directory" in result.stderr


def test_pull_says_when_the_env_store_shadows_the_cache(
    cache: Path, corpus_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_SPECS, str(corpus_dir))
    result = CliRunner().invoke(app, ["specs", "pull", "consent", "--mirror", str(corpus_dir)])
    assert result.exit_code == 0, result.output
    assert (cache / "consent/23Q4.1/consent-openapi.yaml").is_file()
    assert f"{ENV_SPECS} is set" in result.stderr
