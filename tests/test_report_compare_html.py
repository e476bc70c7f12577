"""The comparison page in real headless Chromium: it loads, a hostile product name stays text, no sideways scroll.

Candidates are real runs (tests/candidates.py); one results file is given a hostile product name, as a
vendor's own config could carry.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from candidates import TOKEN, Candidate, run_candidates
from page_layout import measure
from test_report_html import _chromium

from govstack_conform.engine.results import read_json, write_json
from govstack_conform.report.comparison import build, load, write

pytestmark = pytest.mark.slow
HOSTILE = "<script>document.title='PWNED'</script><img src=x onerror=alert(1)>"


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Path:
    root = tmp_path_factory.mktemp("compare-html")
    good, sloppy = run_candidates(root, corpus_dir)
    hostile = read_json(sloppy.results)
    write_json(dataclasses.replace(hostile, product={"name": HOSTILE, "version": "6.6"}), sloppy.results)
    more = _long_names(root, good)
    out = root / "cmp"
    write(build(load([good.results, sloppy.results, *more]), out), out)
    return out / "comparison.html"


def _long_names(root: Path, good: Candidate) -> list[Path]:
    """Three more columns, one with a very long unbroken name, for the layout check."""
    results = read_json(good.results)
    paths = []
    for i, name in enumerate(("C", "D" * 180, "E")):
        paths.append(write_json(dataclasses.replace(results, product={"name": name}), root / f"x{i}" / "results.json"))
    return paths


def test_the_page_loads_and_hostile_names_stay_text(page: Path, tmp_path: Path) -> None:
    dom = _chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", page.as_uri())
    assert "<title>govstack-conform comparison of candidates</title>" in dom
    assert "PWNED" not in dom.split("</title>")[0]
    assert "<script" not in dom and "<img" not in dom
    assert "&lt;script&gt;document.title='PWNED'&lt;/script&gt;" in dom
    assert dom.count('href="../good-consent/report.html#bb-0"') > 40  # every cell of the good column links
    assert TOKEN not in dom


def test_no_sideways_scroll_at_1400_px(page: Path, tmp_path: Path) -> None:
    layout = measure(page, tmp_path, 1400)
    assert not layout.scrolls_sideways, layout
