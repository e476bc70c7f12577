"""`report compare`: candidates side by side (model.py), written as HTML, Markdown and CSV."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from govstack_conform.errors import ReportError
from govstack_conform.report.comparison.csvfile import render_csv
from govstack_conform.report.comparison.html import render_html
from govstack_conform.report.comparison.markdown import render_markdown
from govstack_conform.report.comparison.model import Candidate, Comparison, build, load

FILES: dict[str, Callable[[Comparison], bytes]] = {
    "comparison.html": render_html,
    "comparison.md": render_markdown,
    "comparison.csv": render_csv,
}

__all__ = ["FILES", "Candidate", "Comparison", "build", "load", "render_markdown", "write"]


def write(comparison: Comparison, out_dir: Path) -> list[Path]:
    """Write every file of the comparison into `out_dir` (created), each atomically."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create directory {out_dir}: {exc.strerror or exc}") from None
    written = []
    for name, render in FILES.items():
        path = out_dir / name
        tmp = path.with_name(name + ".tmp")
        try:
            tmp.write_bytes(render(comparison))
            tmp.replace(path)
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
        written.append(path)
    return written
