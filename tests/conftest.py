"""Shared fixtures: where the GovSpecs corpus is, and its manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent


def _corpus() -> Path:
    env = os.environ.get("GOVSTACK_CONFORM_SPECS")
    return Path(env).resolve() if env else (REPO.parent / "shared" / "govspecs").resolve()


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    path = _corpus()
    if not (path / "MANIFEST.json").is_file():
        pytest.fail(f"GovSpecs corpus not found at {path}: set GOVSTACK_CONFORM_SPECS")
    return path


@pytest.fixture(scope="session")
def manifest(corpus_dir: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((corpus_dir / "MANIFEST.json").read_text())
    return data
