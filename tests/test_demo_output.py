"""`demo` prints one overview table for all BBs, and every line about one BB names it.

Three real BBs, each with something to say: identity@23Q4.1 (spec defects its mock cannot enforce, and
untestable operations), information-mediator@1.1.0 (a mutualTLS scheme that plain HTTP cannot enforce)
and consent@23Q4.1 (nothing). Before, each BB got its own table whose wrapped headers left blank lines,
and the mocks' warnings named no BB.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from govstack_conform.cli import app

BBS = ("consent@23Q4.1", "identity@23Q4.1", "information-mediator@1.1.0")
HEADER = ("building block", "verdict", "checked", "level", "REQUIRED", "cases")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, corpus_dir: Path) -> Result:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        result = CliRunner().invoke(app, ["demo", *BBS, "--out", str(tmp_path_factory.mktemp("demo"))])
    assert result.exit_code == 0, result.output
    return result


def test_one_overview_table_with_a_row_per_bb(demo: Result) -> None:
    lines = demo.stdout.splitlines()
    headers = [i for i, x in enumerate(lines) if "building block" in x]
    assert len(headers) == 1, demo.stdout
    head = lines[headers[0]]
    assert re.fullmatch(r"\s*" + r"\s+".join(HEADER) + r"\s*", head), head  # every header on one line
    assert lines[headers[0] + 1].strip("─ ") == ""  # the rule under it, no wrapped header line between
    rows = [x for x in lines if x.split(" ", 1)[0] in BBS]
    assert [r.split()[0] for r in rows] == list(BBS)
    assert rows[0].split()[1:] == ["conformant", "42/42", "Level", "2", "100.0%", "238/238"]
    assert "partially" in rows[1] and "(partial)" in "\n".join(lines)  # a partial level never reads plain


def test_every_line_about_one_bb_names_it(demo: Result) -> None:
    unchecked = [x for x in demo.stdout.splitlines() if "not checked" in x]
    assert unchecked and all(x.split(": ", 1)[0] in BBS for x in unchecked)
    warnings = [x for x in demo.stderr.splitlines() if x.startswith("govstack-conform: warning: ")]
    assert warnings, demo.stderr
    named = [re.match(r"govstack-conform: warning: (\S+): mock: ", x) for x in warnings]
    assert all(m is not None and m.group(1) in BBS for m in named), warnings
    assert any(x.startswith("govstack-conform: warning: information-mediator@1.1.0: mock: security scheme 'certs'")
               for x in warnings)  # fmt: skip
    assert any("identity@23Q4.1: mock: spec defect" in x for x in warnings)
    assert not [x for x in demo.stderr.splitlines() if x and not x.startswith(("govstack-conform: warning: ", "  "))]
