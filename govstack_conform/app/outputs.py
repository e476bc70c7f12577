"""What a finished run leaves behind: results.json, the reports asked for, and optionally an evidence bundle.

One place for it so that `run`, `demo` and resumed runs write the same things, with the same redaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from govstack_conform.contracts.model import Contract
from govstack_conform.engine.results import RunResults


def spec_files(contracts: Iterable[Contract]) -> dict[str, tuple[Path, str]]:
    """store path -> (local file, sha256) of every document the run's contracts were read from."""
    found: dict[str, tuple[Path, str]] = {}
    for contract in contracts:
        for doc in contract.documents.values():
            if doc.path and Path(doc.path).is_file():
                found[doc.key] = (Path(doc.path), doc.sha256)
    return found


def write_outputs(
    results: RunResults,
    out_dir: Path,
    *,
    formats: Sequence[str] = ("json",),
    secrets: Iterable[str] = (),
    contracts: Sequence[Contract] = (),
    evidence_dir: Path | None = None,
    sign_key: Path | None = None,
    effective_config: Mapping[str, Any] | None = None,
) -> list[Path]:
    """Write results.json plus every format asked for into `out_dir`; then the evidence bundle if asked.

    Known secret values are redacted from every byte written, whatever the runner already did.
    """
    from govstack_conform.report.render import render

    secrets = [s for s in secrets if s]
    names = ["json", *(f for part in formats for f in part.split(",") if f.strip() and f.strip() != "json")]
    written = render(results, names, out_dir, secrets=secrets)
    if evidence_dir is not None:
        from govstack_conform.report.evidence.bundle import write_evidence

        written += write_evidence(
            evidence_dir,
            results,
            None,
            spec_files(contracts),
            dict(effective_config or results.options),
            sign_key,
            secrets=secrets,
        )
    return written
