"""Markdown: a compact summary for `$GITHUB_STEP_SUMMARY` and pull-request comments.

Plain Markdown: text is escaped with backslashes where Markdown or GitHub's inline HTML would read it as
markup (`<`, `&` before an entity, table pipes, emphasis), never with HTML entities, and an `@` that
would mention someone on GitHub gets a word joiner, so a candidate's response cannot ping people.
"""

from __future__ import annotations

import re

from govstack_conform.assessment.compliance import PLATFORM_FAILED, BBCompliance, Compliance
from govstack_conform.assessment.coverage import BBVerdict
from govstack_conform.engine.results import CaseResult, CheckResult, RunResults
from govstack_conform.report.evidence.curl import insecure_run, replays, variables_hint
from govstack_conform.report.evidence.text import counted
from govstack_conform.report.facts import run_facts
from govstack_conform.report.formats.scenarios import scenario_lines
from govstack_conform.text import clean, one_line, pct

MAX_FAILURES = 25
MAX_FINDINGS = 25
MAX_FOLDED = 50  # other cases listed under one finding
MAX_REPLAY = 8192  # a longer curl command (a big body) is left to results.json
# Only what can open a construct mid-line: text never starts a line here (it always follows a prefix).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~<>])")
_ENTITY = re.compile(r"&(?=#?[A-Za-z0-9]+;)")  # "&amp;" would be read as "&"
# GitHub links @name where the @ follows no word character (so e-mail addresses are left alone).
_MENTION = re.compile(r"(?<![\w@])@(?=[A-Za-z0-9])")
WORD_JOINER = "\u2060"


def md(text: object, limit: int | None = 300) -> str:
    """One line of text shown as it is by Markdown and GitHub, table cells included."""
    s = _MD_SPECIAL.sub(r"\\\1", one_line(text, limit))
    s = _ENTITY.sub(r"\\&", s)
    return _MENTION.sub("@" + WORD_JOINER, s)


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
        options = f.option_rows()
        out.append("Options that change results:" + ("" if options else " none"))
        if options:
            out += ["", "| Option | Value |", "|---|---|"]
            out += [f"| {md(k)} | {md(v)} |" for k, v in options]
            out.append("")
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
        for b in compliance.bbs:
            out += findings_md(b, insecure_run(results.options))
            out += operations_md(b)
        out += _failures_without_finding(compliance)
        return ("\n".join(out) + "\n").encode("utf-8")


def fenced(text: str, indent: str = "", info: str = "sh") -> list[str]:
    """A fenced code block holding `text` as it is: the fence is longer than any run of backticks in it."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [indent + fence + info, *(indent + line for line in text.split("\n")), indent + fence]


def replay_md(case: CaseResult, insecure: bool, indent: str = "") -> list[str]:
    """The case's curl commands, each in a code block (its variables named first; long ones left to results.json)."""
    out: list[str] = []
    for step, r in replays(case, insecure=insecure):
        if len(r.command) > MAX_REPLAY:
            out += [
                f"{indent}Replay ({md(step)}): the command is {len(r.command)} characters long, see results.json",
                "",
            ]
            continue
        text = "\n".join(
            [
                *(["# " + variables_hint(r)] if r.variables else []),
                *([f"# note: {r.note}"] if r.note else []),
                r.command,
            ]
        )
        out += [f"{indent}Replay ({md(step)}):", "", *fenced(clean(text), indent), ""]
    return out


def scenarios_md(case: CaseResult, indent: str = "") -> list[str]:
    """The BB scenarios the case tests, one list item each (nothing when it covers none)."""
    lines = [f"{indent}- {md(line, None)}" for line in scenario_lines(case)]
    return [*lines, ""] if lines and not indent else lines


def _where(c: CheckResult) -> str:
    return f" (response at {md(c.instance_pointer)})" if c.instance_pointer else ""


def findings_md(b: BBCompliance, insecure: bool = False) -> list[str]:
    """The BB's findings first: count, rule, one example with its evidence, the other cases folded."""
    if not b.findings:
        return []
    cases = len({cid for f in b.findings for cid in f.case_ids})
    title = f"Findings for {md(b.label)}: {counted(len(b.findings), 'root cause')} over {counted(cases, 'case')}"
    out = ["", f"### {title}", ""]
    for n, f in enumerate(b.findings[:MAX_FINDINGS], 1):
        case, check = f.cases[0], f.checks[0]
        out += [
            f"**{n}. {counted(f.count, 'case')}** · {md(f.check)} ({md(f.level.value)}): {md(f.rule, None)}",
            "",
            f"Example: {md(case.operation)} · {md(case.name)}: {md(check.message)}{_where(check)}",
            "",
            *scenarios_md(case),
            *replay_md(case, insecure),
        ]
        others = list(zip(f.cases[1:], f.checks[1:], strict=True))
        if others:
            out += [f"<details><summary>The other {counted(len(others), 'case')}</summary>", ""]
            for c, k in others[:MAX_FOLDED]:
                out += [f"- {md(c.operation)} · {md(c.name)}: {md(k.message)}", *replay_md(c, insecure, "  ")]
            if len(others) > MAX_FOLDED:
                out.append(f"- … and {len(others) - MAX_FOLDED} more (see results.json)")
            out += ["", "</details>", ""]
    if len(b.findings) > MAX_FINDINGS:
        out += [f"… and {len(b.findings) - MAX_FINDINGS} more findings (see the HTML report or results.json)", ""]
    return out


def operations_md(b: BBCompliance) -> list[str]:
    """The per-operation matrix: verdict, cases passed of those sent, and why when not passed."""
    out = [
        "",
        f"### Operations of {md(b.label)}",
        "",
        "| Operation | Verdict | Cases passed | Why |",
        "|---|---|---|---|",
    ]
    for op in b.operations:
        n = op.case_counts
        sent = sum(n[v] for v in ("passed", "failed", "not-implemented", "error"))
        verdict = op.verdict.value + (" (waived)" if op.waived else "")
        why = "" if op.verdict.value == "passed" else (op.reason or "")
        out.append(f"| {md(op.key)} | {md(verdict)} | {n['passed']} of {sent} | {md(why, 200)} |")
    return out


def _failures_without_finding(compliance: Compliance) -> list[str]:
    """Cases counted as failed that no finding shows (transport errors, not implemented): listed as before."""
    listed = {cid for f in compliance.findings for cid in f.case_ids}
    rest = [
        (b, v)
        for b in compliance.bbs
        for op in b.operations
        for v in op.cases
        if v.verdict in PLATFORM_FAILED and v.case.case_id not in listed
    ]
    if not rest:
        return []
    out = ["", f"### Other cases not passed ({len(rest)})", ""]
    for b, v in rest[:MAX_FAILURES]:
        out.append(
            f"- **{md(b.label)}** {md(v.case.operation)} · {md(v.case.name)}: {md(v.verdict.value)}: "
            f"{md(v.case.reason or '')}"
        )
        out += scenarios_md(v.case, "  ")
    if len(rest) > MAX_FAILURES:
        out.append(f"- … and {len(rest) - MAX_FAILURES} more (see the HTML or JUnit report)")
    out.append("")
    return out
