"""The comparison in Markdown: the overview and one table per BB release, for a pull request or a memo.

Text is escaped as in the single-run summary (`md()`); links are the relative paths the model made.
"""

from __future__ import annotations

from govstack_conform.report.comparison.model import Cell, Comparison, Row
from govstack_conform.report.formats.markdown import md


def _cell(cell: Cell | None, absent: str) -> str:
    if cell is None:
        return f"_{md(absent)}_"
    text = md(cell.text)
    if cell.href is not None:
        text = f"[{text}]({cell.href})"
    return text + (f" · {md(cell.detail)}" if cell.detail else "")


def _table(head: str, names: list[str], rows: tuple[Row, ...], absent: str) -> list[str]:
    out = [f"| {md(head)} | " + " | ".join(md(n) for n in names) + " |", "|---" * (len(names) + 1) + "|"]
    section, sectioned = None, len({r.section for r in rows}) > 1
    for row in rows:
        if row.section != section and sectioned:
            section = row.section
            out.append(f"| **{md(section)}** |" + " |" * len(names))
        out.append(f"| {md(row.label)} | " + " | ".join(_cell(c, absent) for c in row.cells) + " |")
    return out


def render_markdown(c: Comparison) -> bytes:
    out = [f"## GovStack compliance: {len(c.candidates)} candidates side by side", ""]
    out += [
        "| Candidate | Product | Results | Report | Seed | Run |",
        "|---|---|---|---|---|---|",
    ]
    for x in c.candidates:
        product = " ".join(str(x.results.product.get(k) or "") for k in ("name", "version")).strip()
        report = md(x.report) if x.report is not None else "none"
        state = "complete" if x.compliance.complete else "interrupted"
        out.append(
            f"| {md(x.name)} | {md(product or 'not named')} | {md(x.source)} | {report} | {x.results.seed} | {state} |"
        )
    out.append("")
    out += [f"- {md(n, None)}" for n in c.notes]
    out += ["", "### Overview", ""]
    out += _table("Building block", [x.name for x in c.candidates], c.overview, "not tested on this release")
    for g in c.groups:
        out += ["", f"### {md(g.title)} {md(g.label)}", "", f"Spec files {md(g.fingerprint)}.", ""]
        out += [f"- {md(n, None)}" for n in g.notes]
        if g.notes:
            out.append("")
        out += _table("Item", [col.name for col in g.columns], g.rows, "not in its results")
    return ("\n".join(out) + "\n").encode("utf-8")
