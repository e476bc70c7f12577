"""The comparison as one self-contained HTML page: no script, no external resource, the reports' strict CSP.

All text goes through the single-run report's `e()`. The only links point at each candidate's own report
(or results.json): relative paths the comparison made from the files it was given, percent-encoded, so no
scheme (`javascript:`) can ever appear in one.
"""

from __future__ import annotations

from govstack_conform.report.comparison.model import Candidate, Cell, Comparison, Group, Row, Tone
from govstack_conform.report.formats.html import CSP, e

TITLE = "govstack-conform comparison of candidates"
STYLE = """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9;
overflow-wrap:anywhere}
header,section,footer{max-width:1320px;margin:0 auto;padding:16px 24px}
header{background:#fff;border-bottom:1px solid #d8dde3}
section{background:#fff;margin-top:16px;border:1px solid #d8dde3;border-radius:6px}
h1{font-size:22px;margin:4px 0}h2{font-size:19px;margin:4px 0 8px}
table{border-collapse:collapse;width:100%;margin:6px 0;table-layout:fixed}
th,td{border:1px solid #d8dde3;padding:4px 6px;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600;overflow-wrap:break-word}
table.facts{table-layout:auto}th.item{width:26%}tr.sub th{background:#f8f9fb;font-style:italic}
td.good{background:#e8f5e9}td.bad{background:#fdecea}td.partial{background:#fff4e0}
td a{color:inherit}.detail{display:block;color:#5b6570;font-size:12px}.muted{color:#5b6570}
.absent{color:#5b6570;font-style:italic}
"""


def _cell(cell: Cell | None, absent: str) -> str:
    if cell is None:
        return f'<td class="absent">{e(absent)}</td>'
    text = e(cell.text)
    if cell.href is not None:
        text = f'<a href="{e(cell.href)}">{text}</a>'
    detail = f'<span class="detail">{e(cell.detail)}</span>' if cell.detail else ""
    tone = f' class="{cell.tone.value}"' if cell.tone is not Tone.PLAIN else ""
    return f"<td{tone}>{text}{detail}</td>"


def _table(head: str, names: list[str], rows: tuple[Row, ...], absent: str) -> str:
    out = [f'<table><tr><th class="item">{e(head)}</th>' + "".join(f"<th>{e(n)}</th>" for n in names) + "</tr>"]
    section, sectioned = None, len({r.section for r in rows}) > 1
    for row in rows:
        if row.section != section and sectioned:
            section = row.section
            out.append(f'<tr class="sub"><th colspan="{len(names) + 1}">{e(section)}</th></tr>')
        out.append(f"<tr><th>{e(row.label)}</th>" + "".join(_cell(c, absent) for c in row.cells) + "</tr>")
    return "".join(out) + "</table>"


def _candidate(c: Candidate) -> str:
    r = c.results
    product = " ".join(str(r.product.get(k) or "") for k in ("name", "version")).strip() or "not named"
    report = "none beside its results.json" if c.report is None else str(c.report)
    state = "complete" if c.compliance.complete else "interrupted: holds only what finished"
    return (
        f"<tr><td><b>{e(c.name)}</b></td><td>{e(product)}</td><td>{e(c.source)}</td><td>{e(report)}</td>"
        f"<td>{e(r.tool_version)}</td><td>{e(r.started)}</td><td>{r.seed}</td><td>{e(state)}</td></tr>"
    )


def _group(i: int, g: Group) -> str:
    notes = "".join(f"<p>{e(n)}</p>" for n in g.notes)
    names = [c.name for c in g.columns]
    return (
        f'<section id="g-{i}"><h2>{e(g.title)} {e(g.label)}</h2>'
        f'<p class="muted">spec files {e(g.fingerprint)} · {len(names)} candidates</p>{notes}'
        + _table("Item", names, g.rows, "not in its results")
        + "</section>"
    )


def render_html(c: Comparison) -> bytes:
    notes = "".join(f"<li>{e(n)}</li>" for n in c.notes)
    links = [f'<a href="#g-{i}">{e(g.title)} {e(g.label)}</a>' for i, g in enumerate(c.groups)]
    header = (
        f"<header><h1>GovStack compliance: {len(c.candidates)} candidates side by side</h1>"
        '<p class="muted">Every figure is the one each candidate\'s own report states; a building block '
        "release is only compared with the same release tested on the same spec files.</p>"
        '<table class="facts"><tr><th>Candidate</th><th>Product</th><th>Results</th><th>Report</th><th>Tool</th>'
        "<th>Tested</th><th>Seed</th><th>Run</th></tr>"
        + "".join(_candidate(x) for x in c.candidates)
        + "</table>"
        + (f"<ul>{notes}</ul>" if notes else "")
        + "<h2>Overview</h2>"
        + _table("Building block", [x.name for x in c.candidates], c.overview, "not tested on this release")
        + (f'<p class="muted">Details: {" · ".join(links)}</p>' if links else "")
        + "</header>"
    )
    head = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{TITLE}</title><style>{STYLE}</style></head><body>"
    )
    groups = "".join(_group(i, g) for i, g in enumerate(c.groups))
    return (head + header + groups + "</body></html>\n").encode("utf-8")
