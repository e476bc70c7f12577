"""Two real candidates of one BB release, tested through the real `run` command: what an evaluator compares.

The reference mock of consent@23Q4 is served twice on 127.0.0.1 (two ports, so two target URLs): once as
it is, once accepting any input (`validate_requests=False`), which fails the invalid-input checks. Each
run writes results.json and report.html into its own folder, named in its config as a product.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from govstack_conform.cli import app
from govstack_conform.contracts import load as contracts
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

TOKEN = "COMPARE-CANDIDATE-TOKEN-5e1c"
RELEASE = "consent@23Q4"


@dataclass(frozen=True)
class Candidate:
    name: str
    target: str
    out: Path  # holds results.json and report.html
    exit_code: int
    output: str

    @property
    def results(self) -> Path:
        return self.out / "results.json"


def _config(root: Path, name: str, release: str, url: str) -> Path:
    path = root / f"{name.lower().replace(' ', '-')}.toml"
    path.write_text(
        f'[product]\nname = "{name}"\nversion = "1.0"\n\n[defaults]\nreport = ["html"]\n\n'
        f'[bb.consent]\nrelease = "{release}"\ntarget = "{url}"\n\n'
        '[bb.consent.auth]\ntoken = "env:COMPARE_TOKEN"\n'
    )
    return path


def run_one(root: Path, corpus_dir: Path, name: str, options: MockOptions, release: str = RELEASE) -> Candidate:
    """Serve the consent mock of `release` with `options` and run the suite on it through `run --config`."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        mp.setenv("COMPARE_TOKEN", TOKEN)
        contract = contracts.load_contract(release)
        with serve_in_thread(contract, options) as server:
            out = root / name.lower().replace(" ", "-")
            config = _config(root, name, release.split("@")[1], server.base_url)
            r = CliRunner().invoke(app, ["run", "--quiet", "--config", str(config), "--out", str(out)])
    return Candidate(name, server.base_url, out, r.exit_code, r.output)


def run_candidates(root: Path, corpus_dir: Path) -> tuple[Candidate, Candidate]:
    """(good, sloppy): the conformant mock and the one that accepts invalid input, each run once."""
    good = run_one(root, corpus_dir, "Good Consent", MockOptions(token=TOKEN))
    sloppy = run_one(root, corpus_dir, "Sloppy Consent", MockOptions(token=TOKEN, validate_requests=False))
    assert good.target != sloppy.target
    assert good.exit_code == 0, good.output
    assert sloppy.exit_code == 1, sloppy.output
    return good, sloppy
