"""Markdown: a compact summary for `$GITHUB_STEP_SUMMARY` and pull-request comments.

Every piece of text is escaped for both Markdown and HTML (GitHub renders inline HTML), and `@` is
neutralised so a candidate's response cannot mention people in a PR comment.
"""

from __future__ import annotations

import html
import re

from govstack_conform.assessment.compliance import PLATFORM_FAILED, Compliance
from govstack_conform.assessment.coverage import BBVerdict
from govstack_conform.engine.results import Outcome, RunResults
from govstack_conform.report.evidence.text import rule_line
from govstack_conform.report.facts import run_facts
from govstack_conform.text import one_line, pct

MAX_FAILURES = 25
# Only what can open a construct mid-line: text never starts a line here (it always follows a prefix).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md(text: object, limit: int | None = 300) -> str:
    """One line of text safe in Markdown and in GitHub's HTML, table cells included."""
    s = html.escape(one_line(text, limit), quote=True)
    s = _MD_SPECIAL.sub(r"\\\1", s)
    return s.replace("@", "&#64;")


class MarkdownFormat:
    name = "md"
    filename = "summary.md"
    extension = "md"

    def render(self, results: RunResults, compliance: Compliance) -> bytes:
        f = run_facts(results)
        mark = {BBVerdict.CONFORMANT: "✅", BBVerdict.NOT_CONFORMANT: "❌"}.get(compliance.verdict, "⚠️")
        verdict = f"{compliance.verdict.value} {mark}"
        product = results.product.get("name")
        title = f"{md(product)}: " if product else ""
        dur = "n/a" if f.duration_s is None else f"{f.duration_s:.1f} s"
        out = [
            f"## govstack-conform: {title}{verdict}",
            "",
            f"Tool {md(f.tool_version)} · date {md(f.started)} · seed {f.seed} · duration {md(dur)}"
            + ("" if f.complete else " · **interrupted: results incomplete**"),
            "",
            "| Building block | Release | Target | Verdict | API level | REQUIRED checks met | Operations passed / "
            "failed / not impl. / untestable / error / skipped | Case pass rate |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for b in compliance.bbs:
            r = b.result
            o = b.operation_counts
            waived = f" ({b.waived_cases} cases waived)" if b.waived_cases else ""
            out.append(
                f"| {md(r.title)} | {md(r.ref)} | {md(r.target)} | {md(b.verdict_text)} | {md(b.level_text)} | "
                f"{md(pct(b.compliance_pct))}{waived} | "
                f"{o['passed']} / {o['failed']} / {o['not-implemented']} / {o['untestable']} / {o['error']} / "
                f"{o['skipped']} | {md(pct(b.case_pass_rate))} |"
            )
        out += ["", md(compliance.level_rule, None), ""]
        options = f.option_lines()
        out.append("Options that change results: " + ("; ".join(md(x) for x in options) if options else "none"))
        for w in compliance.expired_waivers:
            out.append(
                f"- ⚠️ expired waiver (not applied): {md(w.get('check'))} on {md(w.get('operation'))}, "
                f"expired {md(w.get('expires'))}"
            )
        for b in compliance.bbs:
            if b.coverage.unchecked:
                out += [
                    "",
                    f"<details><summary>{md(b.label)}: operations not checked "
                    f"({len(b.coverage.unchecked)} of {b.coverage.total})</summary>",
                    "",
                ]
                out += [f"- {md(u.operation)}: {md(u.verdict.value)}: {md(u.reason)}" for u in b.coverage.unchecked]
                out += ["", "</details>"]
        out += ["", "<details><summary>Spec files (sha256)</summary>", ""]
        for b in compliance.bbs:
            for s in b.result.spec_files:
                out.append(f"- {md(s.path)}: {md(s.sha256)}")
        out += ["", "</details>", ""]
        failures = [
            (b, op, v, c)
            for b in compliance.bbs
            for op in b.operations
            for v in op.cases
            if v.verdict in PLATFORM_FAILED
            for c in (v.case.checks or (None,))
            if c is None or (c.outcome is Outcome.FAILED and not c.waived)
        ]
        if failures:
            out += [f"### Failures ({len(failures)})", ""]
            for b, op, v, c in failures[:MAX_FAILURES]:
                why = rule_line(c) if c is not None else f"{v.verdict.value}: {v.case.reason or ''}"
                out.append(f"- **{md(b.label)}** {md(op.key)} · {md(v.case.name)}: {md(why)}")
            if len(failures) > MAX_FAILURES:
                out.append(f"- … and {len(failures) - MAX_FAILURES} more (see the HTML or JUnit report)")
            out.append("")
        return ("\n".join(out) + "\n").encode("utf-8")
