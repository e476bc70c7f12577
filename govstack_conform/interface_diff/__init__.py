"""Interface-diff layer: a product's own OpenAPI compared with a BB's contract (`govstack-conform diff`).

May import contracts only; nothing is sent to a candidate.
"""

from __future__ import annotations

from govstack_conform.interface_diff.compare import diff_contracts, match_operations, shape
from govstack_conform.interface_diff.findings import DiffReport, Finding, Impact
from govstack_conform.interface_diff.render import FORMATS, render

__all__ = ["FORMATS", "DiffReport", "Finding", "Impact", "diff_contracts", "match_operations", "render", "shape"]
