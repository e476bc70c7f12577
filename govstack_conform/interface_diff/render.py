"""The diff report as JSON (for machines), Markdown (for pull requests and CI summaries) or plain text.

Each renderer is a pure function from a DiffReport to a string; nothing here prints or styles.
JSON output is stable: keys sorted, findings in the report's order, no timestamps.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from govstack_conform.interface_diff.findings import DiffReport, Finding, Impact


def render_json(report: DiffReport) -> str:
    return json.dumps(report.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _verdict(report: DiffReport) -> str:
    c = report.counts()
    head = "BREAKING differences found" if report.breaking else "no breaking differences"
    return (
        f"{head}: {c['breaking']} breaking, {c['non-breaking']} non-breaking, {c['info']} info "
        f"({report.operations_compared} operation{'' if report.operations_compared == 1 else 's'} compared)"
    )


def _cell(text: str | None) -> str:
    if not text:
        return "—"
    return " ".join(text.split()).replace("\\", "\\\\").replace("|", "\\|").replace("`", "'")


def render_markdown(report: DiffReport) -> str:
    lines = [
        f"# Interface diff: {_cell(report.candidate)} against {report.bb}",
        "",
        f"**{_verdict(report)}**",
        "",
    ]
    for impact in Impact:
        group = [f for f in report.findings if f.severity is impact]
        if not group:
            continue
        lines += [f"## {impact.value.capitalize()} ({len(group)})", ""]
        lines += ["| Operation | Code | Finding | BB | Candidate |", "|---|---|---|---|---|"]
        for f in group:
            lines.append(
                f"| {_cell(f.operation)} | {_cell(f.code)} | {_cell(f.message)} | "
                f"{_code(f.bb_location)} | {_code(f.candidate_location)} |"
            )
        lines.append("")
    return "\n".join(lines)


def _code(loc: str | None) -> str:
    return "—" if not loc else f"`{_cell(loc)}`"


def _text_finding(f: Finding) -> list[str]:
    out = [f"  [{f.severity.value}] {f.code}: {f.message}"]
    if f.bb_location:
        out.append(f"      BB:        {f.bb_location}")
    if f.candidate_location:
        out.append(f"      candidate: {f.candidate_location}")
    return out


def render_text(report: DiffReport) -> str:
    lines = [f"Interface diff: {report.candidate} against {report.bb}", ""]
    current: str | None = None
    for f in report.findings:
        op = f.operation or "(contract)"
        if op != current:
            lines.append(op)
            current = op
        lines.extend(_text_finding(f))
    if report.findings:
        lines.append("")
    lines.append(_verdict(report))
    return "\n".join(lines) + "\n"


FORMATS: dict[str, Callable[[DiffReport], str]] = {
    "json": render_json,
    "md": render_markdown,
    "text": render_text,
}


def render(report: DiffReport, fmt: str) -> str:
    """The report in format `fmt` (a key of FORMATS)."""
    return FORMATS[fmt](report)
