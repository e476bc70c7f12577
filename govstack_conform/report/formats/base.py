"""The small interface every report format implements, and the registry of formats."""

from __future__ import annotations

from typing import Protocol

from govstack_conform.assessment.compliance import Compliance
from govstack_conform.engine.results import RunResults
from govstack_conform.errors import UsageError
from govstack_conform.report.formats import cucumber, html, junit, markdown
from govstack_conform.report.formats import form as compliance_form
from govstack_conform.report.formats import json as json_format


class Format(Protocol):
    """A report format: a pure function from results (and their compliance) to the bytes of one file."""

    name: str  # as given to --format
    filename: str  # the file written in the output directory
    extension: str

    def render(self, results: RunResults, compliance: Compliance) -> bytes: ...


_ALL: list[Format] = [
    json_format.JsonFormat(),
    junit.JUnitFormat(),
    html.HtmlFormat(),
    markdown.MarkdownFormat(),
    cucumber.CucumberFormat(),
    compliance_form.ComplianceFormFormat(),
]
FORMATS: dict[str, Format] = {f.name: f for f in _ALL}
ALIASES = {"markdown": "md", "xml": "junit", "ndjson": "cucumber", "compliance-form": "form"}


def get_formats(names: str | list[str] | tuple[str, ...]) -> list[Format]:
    """Formats by name ("json,html" or a list; "all" for every one); UsageError naming any unknown one."""
    if isinstance(names, str):
        names = [names]
    wanted = [ALIASES.get(n.strip().lower(), n.strip().lower()) for part in names for n in part.split(",")]
    wanted = [n for n in wanted if n]
    if "all" in wanted:
        return list(FORMATS.values())
    unknown = [n for n in wanted if n not in FORMATS]
    if unknown:
        raise UsageError(f"unknown report format {', '.join(unknown)} (known: {', '.join(FORMATS)}, all)")
    seen: dict[str, Format] = {}
    for n in wanted:
        seen.setdefault(n, FORMATS[n])
    return list(seen.values())
