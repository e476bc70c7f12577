"""The comparison as CSV for spreadsheets: one line per BB release, item and candidate (pivot as you like).

A cell that a spreadsheet would read as a formula (= + - @, tab, CR) is prefixed with a quote.
"""

from __future__ import annotations

import csv
import io

from govstack_conform.report.comparison.model import Comparison

HEADER = (
    "building_block",
    "release",
    "spec_files",
    "section",
    "item",
    "candidate",
    "value",
    "number",
    "detail",
    "link",
)


def _safe(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def render_csv(c: Comparison) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADER)
    for g in c.groups:
        for row in g.rows:
            for col, cell in zip(g.columns, row.cells, strict=True):
                if cell is None:
                    continue
                number = "" if cell.number is None else f"{cell.number:g}"
                w.writerow(
                    _safe(x)
                    for x in (g.bb, g.ref, g.fingerprint, row.section, row.label, col.name, cell.text, number,
                              cell.detail, cell.href)
                )  # fmt: skip
    return buf.getvalue().encode("utf-8")
