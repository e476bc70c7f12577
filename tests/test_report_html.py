"""The HTML report in real headless Chromium: it loads, no candidate script runs, a screenshot shows it.

A control page with the same hostile payload left unescaped proves the harness would see a script run.
"""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
import report_fixture as fx
from browser import chromium as _chromium

from govstack_conform.report.render import render

pytestmark = pytest.mark.slow

TITLE = "<title>govstack-conform compliance report</title>"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("html")
    (path,) = render(fx.build(), ["html"], out)
    return path


def test_no_candidate_script_runs(report: Path, tmp_path: Path) -> None:
    dom = _chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", report.as_uri())
    assert TITLE in dom and "PWNED" not in dom.split("</title>")[0]
    assert "<script" not in dom and "<img" not in dom and "<iframe" not in dom
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom  # shown, as text
    assert "&lt;img src=x onerror=" in dom
    assert 'href="javascript:' not in dom and "javascript:alert(1)" in dom
    assert "\\x1b[31mRED\\x1b[0m" in dom and "\x1b" not in dom
    assert "&lt;/pre&gt;&lt;/details&gt;&lt;/section&gt;&lt;style&gt;" in dom  # no breaking out of the layout
    assert "Bearer" not in dom and fx.SECRET not in dom


def test_control_page_shows_the_harness_detects_scripts(tmp_path: Path) -> None:
    page = tmp_path / "unsafe.html"
    page.write_text(f"<!DOCTYPE html><html><head>{TITLE}</head><body><pre>{fx.HOSTILE_BODY}</pre></body></html>")
    dom = _chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", page.as_uri())
    assert "<title>PWNED" in dom


def test_csp_and_self_containment(report: Path) -> None:
    html = report.read_text()
    assert "default-src 'none'; style-src 'unsafe-inline'; img-src data:" in html
    for needle in ("<script", "<link", "@import", "url(", 'src="http', "<img", "<iframe", "<object", "<embed"):
        assert needle not in html
    assert not re.search(r"<[^>]+\son\w+=", html)  # no event-handler attribute anywhere


def _png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Decode a non-interlaced 8-bit RGB/RGBA PNG into rows of raw pixel bytes (enough for a screenshot)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", chunk)
            assert depth == 8 and colour in (2, 6) and interlace == 0
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows: list[bytes] = []
    prev = bytearray(stride)
    for y in range(height):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1 : (y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return width, bpp, rows


def test_screenshot_is_produced_and_shows_the_report(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report.as_uri())
    width, bpp, rows = _png_pixels(shot.read_bytes())
    assert (width, len(rows)) == (1280, 2000)
    colours: dict[tuple[int, ...], int] = {}
    for row in rows[::4]:
        for x in range(0, width * bpp, bpp * 2):
            px = tuple(row[x : x + 3])
            colours[px] = colours.get(px, 0) + 1
    assert len(colours) > 50, "the screenshot is blank or nearly so"
    assert colours.get((198, 40, 40), 0) > 100  # the red "not conformant" banner and failed bars (#c62828)
    assert colours.get((46, 125, 50), 0) > 100  # the green "conformant" banner and passed bars (#2e7d32)


# Measures, in the page, every word of every table header: one broken over two lines is reported in the title.
_MEASURE = """<script>
const broken = [];
for (const th of document.querySelectorAll("th")) {
  const walk = document.createTreeWalker(th, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    for (const m of n.data.matchAll(/\\S+/g)) {
      const r = document.createRange();
      r.setStart(n, m.index);
      r.setEnd(n, m.index + m[0].length);
      const tops = new Set([...r.getClientRects()].filter(x => x.width > 0).map(x => Math.round(x.top)));
      if (tops.size > 1) broken.push(m[0]);
    }
  }
}
document.title = "BROKEN[" + broken.join(",") + "]";
</script>"""


def _broken_header_words(tmp: Path, page: str, width: int) -> list[str]:
    path = tmp / "measure.html"
    path.write_text(page.replace("</body>", _MEASURE + "</body>"))
    dom = _chromium(tmp, "--virtual-time-budget=2000", f"--window-size={width},1000", "--dump-dom", path.as_uri())
    found = re.search(r"<title>BROKEN\[(.*?)\]</title>", dom)
    assert found is not None, dom[:500]
    return [w for w in found.group(1).split(",") if w]


@pytest.mark.parametrize("width", [1400, 900])
def test_table_headers_never_break_inside_a_word(report: Path, tmp_path: Path, width: int) -> None:
    # the report's CSP forbids scripts: the copy measured here drops it, nothing else changes
    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", report.read_text())
    assert _broken_header_words(tmp_path, page, width) == []


def test_control_page_shows_the_measure_sees_broken_words(tmp_path: Path) -> None:
    page = (
        "<!DOCTYPE html><html><head><style>th{overflow-wrap:anywhere;border:1px solid}</style></head><body>"
        '<table style="width:120px"><tr><th>Verdict</th><th>security</th><th>stateful</th></tr></table></body></html>'
    )
    assert _broken_header_words(tmp_path, page, 900) != []
