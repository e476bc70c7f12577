"""The main job out of the box: every BB's reference mock as the candidate, the full suite, all reports.

It is what a new user runs first, so it must work on a fresh machine: contracts missing from the user
cache are pulled (sha256-verified) before anything starts, and without a network the error says in one
line how to work from a copy of the GovSpecs instead (`specs pull --mirror`, or GOVSTACK_CONFORM_SPECS).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from govstack_conform.assessment.compliance import Compliance, assess
from govstack_conform.assessment.gate import GateDecision, gate
from govstack_conform.contracts.catalog import BuildingBlock, Release, load_catalog
from govstack_conform.contracts.load import load_release
from govstack_conform.contracts.model import Contract
from govstack_conform.contracts.pull import MIRROR_HINT, pull
from govstack_conform.contracts.store import StoreSource, resolve_store
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import RunResults
from govstack_conform.engine.run.session import Progress, Target, run
from govstack_conform.errors import StoreError

PullProgress = Callable[[str, int, int], None]  # (store path, done, total)
DEMO_FORMATS = ("json", "junit", "html", "md", "cucumber", "form")


@dataclass(frozen=True)
class DemoOutcome:
    results: RunResults
    compliance: Compliance
    decision: GateDecision
    written: tuple[Path, ...]  # results.json first, then the other reports
    pulled: int  # contract files fetched into the cache before the run
    mock_notes: tuple[tuple[str, str], ...] = ()  # (BB release, what its mock could not honour), said once each


def selected_releases(selectors: Sequence[str]) -> list[tuple[BuildingBlock, Release]]:
    """The named BB releases, or every BB's default release when none is named."""
    catalog = load_catalog()
    if selectors:
        return [catalog.select(s) for s in selectors]
    return [(bb, bb.default_release) for bb in catalog.bbs]


def ensure_specs(releases: Sequence[tuple[BuildingBlock, Release]], progress: PullProgress | None = None) -> int:
    """Pull what the user cache lacks; stores named by --specs or the environment are used as they are."""
    store = resolve_store(None)
    if store.source is not StoreSource.CACHE:
        return 0
    missing = {f.store_path: f for _, r in releases for f in r.files if not store.verify(f)}
    if not missing:
        return 0
    try:
        return len(pull(missing.values(), store.root, progress=progress).fetched)
    except StoreError as exc:
        text = str(exc)
        raise StoreError(text if "--mirror" in text else f"{text}; {MIRROR_HINT}") from None


def usable(contract: Contract) -> bool:
    """A contract with at least one operation can be served and tested."""
    return bool(contract.operations)


def run_demo(
    selectors: Sequence[str],
    out_dir: Path,
    *,
    formats: Sequence[str] = DEMO_FORMATS,
    seed: int = 0,
    concurrency: int = 8,
    progress: Progress | None = None,
    pull_progress: PullProgress | None = None,
) -> DemoOutcome:
    """Serve each selected BB's mock in-process, run the suite against it and write every report."""
    from govstack_conform.app.outputs import write_outputs
    from govstack_conform.mock import MockOptions
    from govstack_conform.mock.server import serve_in_thread

    releases = selected_releases(selectors)
    pulled = ensure_specs(releases, pull_progress)
    store = resolve_store(None)
    token, api_key = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    # The candidate is the tool's own in-process mock, holding nothing but what the run creates: no one's
    # data to protect, so the changes and deletes a vendor's product is spared are sent too (full coverage).
    options = RunOptions(
        credentials=Credentials(bearer=token, api_key=api_key), seed=seed, concurrency=concurrency,
        allow_destructive=True,
    )  # fmt: skip
    with ExitStack() as stack:
        targets = []
        journals = []
        for bb, release in releases:
            contract = load_release(bb, release, store=store)
            if not usable(contract) and not selectors:
                continue
            server = stack.enter_context(
                serve_in_thread(contract, MockOptions(token=token, api_key=api_key, seed=seed))
            )
            headers = tuple(bb.profile.headers.items())
            targets.append(Target(contract, server.base_url, bb.platform_id, headers, bb.profile.latency_ms))
            journals.append((contract.label, server.journal))
        results = run(targets, options, progress=progress)
        notes = tuple((label, note) for label, journal in journals for note in journal.notes)
    contracts = [t.contract for t in targets]
    written = write_outputs(results, out_dir, formats=formats, secrets=(token, api_key), contracts=contracts)
    compliance = assess(results)
    return DemoOutcome(results, compliance, gate(compliance), tuple(written), pulled, notes)
