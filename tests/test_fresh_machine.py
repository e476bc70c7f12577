"""A new user's first steps work: the demo says how to run air-gapped, and the built wheel carries what it needs."""

from __future__ import annotations

from pathlib import Path

import pytest
from source_tree import source_copy
from typer.testing import CliRunner

from govstack_conform.cli import app

REPO = Path(__file__).resolve().parent.parent


def _offline(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No spec store and no way out: every outbound connection fails at once, as on an air-gapped machine."""
    monkeypatch.delenv("GOVSTACK_CONFORM_SPECS")
    monkeypatch.setenv("GOVSTACK_CONFORM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")


def test_offline_demo_names_both_ways_and_the_second_works(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, corpus_dir: Path
) -> None:
    _offline(monkeypatch, tmp_path)
    result = CliRunner().invoke(app, ["demo", "consent", "--out", str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 3
    (line,) = [line for line in result.output.splitlines() if line.strip()]
    assert "specs pull --mirror DIR_OR_URL" in line and "GOVSTACK_CONFORM_SPECS" in line
    # Following the hint, still without any network: the demo runs.
    monkeypatch.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
    result = CliRunner().invoke(app, ["demo", "consent", "--out", str(tmp_path / "r"), "--quiet"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "r" / "results.json").is_file()


def test_readme_says_in_one_line_how_to_run_the_demo_air_gapped() -> None:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    (line,) = [line for line in text.splitlines() if "air-gapped" in line.lower() and "demo" in line]
    assert "GOVSTACK_CONFORM_SPECS=" in line and "govstack-conform demo" in line


@pytest.mark.slow
def test_the_built_wheel_installs_and_carries_the_catalog_and_profiles(tmp_path: Path, corpus_dir: Path) -> None:
    """What `pip install dist/*.whl` gives a user: the catalog and BB profiles ship through the _specs symlink."""
    import os
    import subprocess
    import sys
    import zipfile

    src = source_copy(tmp_path / "src")
    dist = tmp_path / "dist"
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(src)],
        capture_output=True, text=True, check=False, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stdout[-3000:] + build.stderr[-3000:]
    (wheel,) = dist.glob("govstack_conform-*-py3-none-any.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    profiles = {p.name for p in (REPO / "specs" / "profiles").glob("*.yaml")}
    assert "govstack_conform/_specs/catalog.yaml" in names and "govstack_conform/py.typed" in names
    assert {n.rsplit("/", 1)[1] for n in names if n.startswith("govstack_conform/_specs/profiles/")} == profiles
    assert "govstack_conform/data/results.schema.json" in names

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True, capture_output=True,
    )  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(site), "GOVSTACK_CONFORM_SPECS": str(corpus_dir)}
    where = subprocess.run(
        [sys.executable, "-c", "import govstack_conform; print(govstack_conform.__file__)"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert where.stdout.strip().startswith(str(site))  # the installed wheel, not this checkout
    shown = subprocess.run(
        [sys.executable, "-m", "govstack_conform", "plan", "consent@23Q4.1", "--json"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    assert '"case_id": "consent::' in shown.stdout
    profile = subprocess.run(
        [sys.executable, "-c", "from govstack_conform.contracts.catalog import load_catalog as c; "
         "print(len(c().bbs), dict(c().get('information-mediator').profile.headers))"],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert profile.stdout.split(" ", 1)[0] == str(len(profiles)) and "X-GovStack-Client" in profile.stdout
