"""JSON: the full results (re-readable by `read_json`), versioned, plus the compliance summary and findings.

`compliance` and `findings` (failures grouped by root cause) are derived data for consumers such as
`jq`; `from_dict` ignores them and every command recomputes them, so they can never disagree with the
results they travel with.
"""

from __future__ import annotations

import io
import json
from importlib import resources
from itertools import chain
from typing import IO, Any

from govstack_conform.assessment.compliance import Compliance
from govstack_conform.engine.results import CaseResult, Fields, RunResults, Streamed, encode, to_dict, write_indented
from govstack_conform.report.evidence.curl import insecure_run, replayed, replays


def dumps(data: Any) -> bytes:
    """Stable JSON bytes, 2-space indented, UTF-8 (ASCII escapes only where a string cannot be UTF-8)."""
    return encode(data, indent=True)


def results_document(results: RunResults, compliance: Compliance) -> dict[str, Any]:
    """The results, each failed case with the curl commands that replay its requests, plus the derived data."""
    data = to_dict(results)
    insecure = insecure_run(results.options)
    for bb, bb_data in zip(results.results, data["results"], strict=True):
        for case, case_data in zip(bb.cases, bb_data["cases"], strict=True):
            if replayed(case):
                case_data["curl"] = [{"step": step, **r.to_dict()} for step, r in replays(case, insecure=insecure)]
    return {**data, "compliance": compliance.to_dict(), "findings": [f.to_dict() for f in compliance.findings]}


def _fields(obj: Any, **instead: Any) -> Fields:
    """A dataclass's fields in order (as orjson writes it), some of them given `instead`."""
    return Fields((name, instead[name] if name in instead else getattr(obj, name)) for name in obj.__dataclass_fields__)


def streamed_document(results: RunResults, compliance: Compliance) -> Fields:
    """results_document's members in its order, its case lists Streamed: written case by case."""
    insecure = insecure_run(results.options)

    def case(c: CaseResult) -> Any:
        if not replayed(c):
            return c
        curl = [{"step": step, **r.to_dict()} for step, r in replays(c, insecure=insecure)]
        return Fields(chain(_fields(c).pairs, [("curl", curl)]))

    bbs = Streamed(_fields(bb, cases=Streamed(case(c) for c in bb.cases)) for bb in results.results)
    derived = [("compliance", compliance.to_dict()), ("findings", [f.to_dict() for f in compliance.findings])]
    return Fields(chain(_fields(results, results=bbs).pairs, derived))


def schema() -> dict[str, Any]:
    """The JSON Schema of results.json shipped in the package."""
    text = resources.files("govstack_conform").joinpath("data/results.schema.json").read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


class JsonFormat:
    name = "json"
    filename = "results.json"
    extension = "json"

    def render(self, results: RunResults, compliance: Compliance) -> bytes:
        out = io.BytesIO()
        self.write(results, compliance, out)
        return out.getvalue()

    def write(self, results: RunResults, compliance: Compliance, out: IO[bytes]) -> None:
        """The same bytes as `dumps(results_document(...))`, written case by case (a large run's document
        as data took ten times the file's size in memory); the whole document where orjson refuses a piece."""
        start = out.tell()
        try:
            write_indented(out, streamed_document(results, compliance))
        except TypeError:
            out.seek(start)
            out.truncate()
            out.write(dumps(results_document(results, compliance)))
