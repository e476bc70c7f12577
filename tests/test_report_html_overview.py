"""The multi-BB HTML report (a demo, or several BBs in one run) opens with an overview table and fits 1400 px.

A real demo of three BBs (the reference mocks as candidates); identity@23Q4.1's untestable case quotes a
long unbroken schema location, which used to push the page sideways.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from page_layout import measure
from test_report_html import _chromium

from govstack_conform.app.demo import DemoOutcome, run_demo

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> tuple[DemoOutcome, Path]:
    out = tmp_path_factory.mktemp("demo")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        outcome = run_demo(["consent", "identity", "emarketplace"], out, formats=("json", "html"), concurrency=4)
    return outcome, out / "report.html"


def test_the_page_opens_with_one_overview_row_per_bb(demo: tuple[DemoOutcome, Path]) -> None:
    outcome, page = demo
    text = page.read_text()
    header = text.split("<header>", 1)[1].split("</header>", 1)[0]
    assert header.index('<table class="overview">') < header.index('<table class="facts">')
    table = header.split('<table class="overview">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>(.*?)</tr>", table)
    assert len(rows) == len(outcome.compliance.bbs) == 3
    for i, (row, b) in enumerate(zip(rows, outcome.compliance.bbs, strict=True)):
        cells = [html.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.split(r"</td><td[^>]*>", row)]
        assert cells[0] == f"{b.result.title} {b.label}" and f'href="#bb-{i}"' in row
        assert cells[1:5] == [
            f"{b.coverage.checked} of {b.coverage.total}",
            b.verdict.value,
            b.level_text,
            "n/a" if b.compliance_pct is None else f"{b.compliance_pct:.1f}%",
        ]
        assert cells[5].startswith(f"{b.case_counts['failed']} failed cases")
    partial = [b for b in outcome.compliance.bbs if not b.coverage.full]
    assert partial, "emarketplace and identity have untestable operations: the overview must say partial"


def test_the_page_does_not_scroll_sideways_at_1400_px(demo: tuple[DemoOutcome, Path], tmp_path: Path) -> None:
    _, page = demo
    layout = measure(page, tmp_path, 1400)
    assert not layout.scrolls_sideways, layout
    dom = _chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", page.as_uri())
    assert dom.count('<a href="#bb-') == 3
