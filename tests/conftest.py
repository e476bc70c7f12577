"""Shared fixtures: where the GovSpecs corpus is, its manifest and contracts, and an HTTPS product."""

from __future__ import annotations

import json
import os
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from hostile_servers import CONTROL_SPEC, tls_server

from govstack_conform.contracts.model import Contract

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


@pytest.fixture(scope="session")
def contract_of(corpus_dir: Path) -> Callable[[str], Contract]:
    """Loads a BB release (`consent@23Q4.1`) from the corpus, whatever the test's own environment."""
    from govstack_conform.contracts.load import load_contract

    def load(selector: str) -> Contract:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
            return load_contract(selector)

    return load


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    """An HTTPS product whose certificate comes from a CA nobody trusts (made by trustme): its URL, the CA
    certificate that makes it trusted (--ca-bundle) and the contract of its one route (/control)."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca_file = folder / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(ctx)
    spec = folder / "control.yaml"
    spec.write_text(CONTROL_SPEC)
    with tls_server(ctx) as url:
        yield url, ca_file, spec
