"""How wide a report page lays out in real headless Chromium: does it scroll sideways at a given window width?

The reports forbid scripts (CSP), so a copy of the page is measured: the CSP meta is dropped and a
script appended that writes the document's scrollWidth and clientWidth (and the elements sticking out)
into the DOM, which `--dump-dom` returns. The layout of the copy is the page's own: same markup, same CSS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from test_report_html import _chromium

MEASURE = """
window.addEventListener('load', () => {
  const d = document.documentElement, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.right > d.clientWidth + 1) out.push(el.tagName + ':' + Math.round(r.right));
  }
  document.body.setAttribute('data-layout', d.scrollWidth + ' ' + d.clientWidth + ' ' + out.slice(0, 5).join(' '));
});
"""


@dataclass(frozen=True)
class Layout:
    scroll_width: int
    client_width: int
    sticking_out: str  # the first elements wider than the window, for the failure message

    @property
    def scrolls_sideways(self) -> bool:
        return self.scroll_width > self.client_width


def measure(page: Path, tmp: Path, width: int = 1400) -> Layout:
    html = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", page.read_text(encoding="utf-8"))
    assert "</body>" in html
    copy = tmp / f"measured-{page.name}"
    copy.write_text(html.replace("</body>", f"<script>{MEASURE}</script></body>"), encoding="utf-8")
    dom = _chromium(tmp, f"--window-size={width},900", "--virtual-time-budget=3000", "--dump-dom", copy.as_uri())
    found = re.search(r'data-layout="(\d+) (\d+) ?([^"]*)"', dom)
    assert found, "the measuring script did not run"
    return Layout(int(found.group(1)), int(found.group(2)), found.group(3))
