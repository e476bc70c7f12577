"""Spec store resolution order and integrity policy, on the real corpus and tmp copies of a few files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from govstack_conform.contracts.catalog import CatalogFile, load_catalog
from govstack_conform.contracts.store import ENV_CACHE, ENV_SPECS, StoreSource, cache_specs_dir, resolve_store
from govstack_conform.errors import ConfigError, StoreError
from govstack_conform.exitcodes import ExitCode


@pytest.fixture
def consent_file() -> CatalogFile:
    return load_catalog().get("consent").release("23Q4").files[0]


def _copy(corpus_dir: Path, f: CatalogFile, root: Path) -> Path:
    target = root / f.store_path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(corpus_dir / f.store_path, target)
    return target


def test_option_beats_env_beats_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> None:
    opt = tmp_path / "opt"
    opt.mkdir()
    monkeypatch.setenv(ENV_CACHE, str(tmp_path / "cache"))
    monkeypatch.setenv(ENV_SPECS, str(corpus_dir))
    assert resolve_store(opt) == resolve_store(str(opt))
    assert (resolve_store(opt).root, resolve_store(opt).source) == (opt.resolve(), StoreSource.OPTION)
    assert (resolve_store(None).root, resolve_store(None).source) == (corpus_dir.resolve(), StoreSource.ENV)
    monkeypatch.delenv(ENV_SPECS)
    store = resolve_store(None)
    assert (store.root, store.source) == (tmp_path / "cache" / "specs", StoreSource.CACHE)
    assert cache_specs_dir() == tmp_path / "cache" / "specs"


def test_cache_defaults_to_platformdirs(monkeypatch: pytest.MonkeyPatch) -> None:
    from platformdirs import user_cache_dir

    monkeypatch.delenv(ENV_CACHE, raising=False)
    assert cache_specs_dir() == Path(user_cache_dir("govstack-conform")) / "specs"


def test_a_missing_store_directory_is_a_configuration_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="does not exist") as e:
        resolve_store(tmp_path / "nope")
    assert e.value.exit_code == ExitCode.USAGE
    (tmp_path / "file").write_text("x")
    monkeypatch.setenv(ENV_SPECS, str(tmp_path / "file"))
    with pytest.raises(ConfigError, match="is not a directory") as e2:
        resolve_store(None)
    assert ENV_SPECS in str(e2.value)


def test_corpus_store_verifies_every_default_release(monkeypatch: pytest.MonkeyPatch, corpus_dir: Path) -> None:
    monkeypatch.setenv(ENV_SPECS, str(corpus_dir))
    store = resolve_store(None)
    files = [f for bb in load_catalog().bbs for f in bb.default_release.files]
    assert all(store.verify(f) for f in files)
    assert store.check(files) == []
    assert store.path_for(files[0]) == corpus_dir.resolve() / files[0].store_path


def test_missing_file_names_it_and_says_how_to_fix(tmp_path: Path, consent_file: CatalogFile) -> None:
    store = resolve_store(tmp_path)
    assert not store.verify(consent_file)
    with pytest.raises(StoreError) as e:
        store.check([consent_file])
    message = str(e.value)
    assert consent_file.store_path in message
    assert "govstack-conform specs pull" in message and ENV_SPECS in message and "--specs" in message
    assert e.value.exit_code == ExitCode.UNUSABLE


def test_modified_file_in_the_cache_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path, consent_file: CatalogFile
) -> None:
    monkeypatch.delenv(ENV_SPECS, raising=False)
    monkeypatch.setenv(ENV_CACHE, str(tmp_path))
    target = _copy(corpus_dir, consent_file, tmp_path / "specs")
    store = resolve_store(None)
    assert store.source is StoreSource.CACHE and store.check([consent_file]) == []
    target.write_bytes(target.read_bytes() + b"\n# local edit\n")
    assert not store.verify(consent_file)
    with pytest.raises(StoreError, match=f"corrupt.*expected {consent_file.sha256}.*specs pull"):
        store.check([consent_file])


def test_modified_file_in_a_user_store_is_only_a_warning(
    tmp_path: Path, corpus_dir: Path, consent_file: CatalogFile
) -> None:
    target = _copy(corpus_dir, consent_file, tmp_path)
    target.write_bytes(target.read_bytes() + b"\n# working copy\n")
    store = resolve_store(tmp_path)
    mismatches = store.check([consent_file])
    assert [m.file for m in mismatches] == [consent_file]
    assert consent_file.sha256 in mismatches[0].message and mismatches[0].actual in mismatches[0].message
