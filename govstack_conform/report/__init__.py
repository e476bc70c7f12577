"""Compliance reports: the compliance model, every report format, merge/diff, publishing and evidence.

Everything here renders from `RunResults` (results.py) and nothing else, so a report can be
re-rendered, merged or diffed long after the run, from `results.json` alone.
"""

from __future__ import annotations

from govstack_conform.assessment.compliance import Compliance, assess
from govstack_conform.assessment.waivers import Waiver, apply_waivers

__all__ = ["Compliance", "Waiver", "apply_waivers", "assess"]
