"""The facts every report states about a run: tool version, BB, release, spec hashes, target, date, seed,
options that change results (waivers included) and duration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govstack_conform.engine.results import BBResult, RunResults


@dataclass(frozen=True)
class RunFacts:
    """What every report states about a run, so that a reader can judge and reproduce it."""

    tool_version: str
    started: str
    finished: str
    duration_s: float | None
    seed: int
    complete: bool
    options: Mapping[str, Any]
    product: Mapping[str, Any]

    def option_lines(self) -> list[str]:
        """Options that change results, in words; waivers listed one per line."""
        lines = []
        for key in sorted(self.options):
            value = self.options[key]
            if key == "waivers":
                continue
            note = " (how nested query values were sent: OpenAPI leaves them undefined)" if key == "query_style" else ""
            lines.append(f"{key}: {value}{note}")
        for w in self.options.get("waivers") or []:
            if isinstance(w, Mapping):
                lines.append(
                    f"waiver ({w.get('status', 'active')}, expires {w.get('expires')}): {w.get('check')} on "
                    f"{w.get('operation')}: {w.get('justification')}"
                )
        return lines


def _parse(ts: str) -> datetime | None:
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def run_facts(results: RunResults) -> RunFacts:
    a, b = _parse(results.started), _parse(results.finished)
    duration = (b - a).total_seconds() if a and b else None
    return RunFacts(
        results.tool_version,
        results.started,
        results.finished,
        duration,
        results.seed,
        results.complete,
        dict(results.options),
        dict(results.product),
    )


def bb_facts(bb: BBResult) -> dict[str, Any]:
    return {
        "bb": bb.bb,
        "release": bb.ref,
        "title": bb.title,
        "platform_id": bb.platform_id,
        "target": bb.target,
        "started": bb.started,
        "finished": bb.finished,
        "duration_s": bb.duration_s,
        "spec_files": [{"path": f.path, "sha256": f.sha256} for f in bb.spec_files],
    }
