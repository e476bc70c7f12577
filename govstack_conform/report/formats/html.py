"""HTML: one self-contained page for evaluators; no script, no external resource, strict CSP.

Everything that came from the candidate (bodies, headers, URLs, messages) and everything else too is
passed through `e()`: control characters made visible, then `html.escape`. No link is ever built from
data; the only anchors are in-page ones with ids the renderer makes up.
"""

from __future__ import annotations

import html as _html
from collections.abc import Mapping

from govstack_conform.assessment.compliance import (
    PLATFORM_FAILED,
    VERDICT_ORDER,
    BBCompliance,
    CaseView,
    Compliance,
    case_view,
)
from govstack_conform.assessment.coverage import BBVerdict
from govstack_conform.engine.results import CaseResult, CheckResult, Exchange, Outcome, RunResults, Verdict
from govstack_conform.report.evidence.curl import insecure_run, replayed, replays, variables_hint
from govstack_conform.report.evidence.text import counted
from govstack_conform.report.facts import run_facts
from govstack_conform.report.formats.scenarios import scenario_lines
from govstack_conform.text import clean, pct

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"
BODY_LIMIT = 20000
OPEN_FAILURES = 40
OPEN_FINDINGS = 10
COLOURS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "not-implemented": "#6a1b9a",
    "untestable": "#f9a825",
    "error": "#ef6c00",
    "skipped": "#90a4ae",
}
KINDS = ("positive", "negative", "security", "method", "stateful")

STYLE = (
    """
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header,section,footer{max-width:1200px;margin:0 auto;padding:16px 24px}
header{background:#fff;border-bottom:1px solid #d8dde3}
section{background:#fff;margin-top:16px;border:1px solid #d8dde3;border-radius:6px}
h1{font-size:22px;margin:4px 0}h2{font-size:19px;margin:4px 0 8px}h3{font-size:16px;margin:16px 0 6px}
.banner{display:inline-block;padding:4px 10px;border-radius:4px;color:#fff;font-weight:600}
.ok{background:#2e7d32}.ko{background:#c62828}.partial{background:#9a5b00}
table{border-collapse:collapse;width:100%;margin:6px 0}
th,td{border:1px solid #d8dde3;padding:4px 6px;text-align:left;vertical-align:top}
td{overflow-wrap:anywhere}
th{background:#eef1f4;font-weight:600;overflow-wrap:normal;word-break:keep-all;hyphens:manual}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.v{display:inline-block;padding:1px 6px;border-radius:3px;color:#fff;font-size:12px;white-space:nowrap}
"""
    + "".join(f".v-{k}{{background:{c}}}" for k, c in COLOURS.items())
    + """
.facts th{width:190px}
pre{background:#f3f4f6;border:1px solid #d8dde3;padding:8px;white-space:pre-wrap;word-break:break-all;
max-height:420px;overflow:auto;font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace;margin:4px 0}
details{border:1px solid #d8dde3;border-radius:4px;margin:6px 0;padding:4px 8px}
summary{cursor:pointer;font-weight:600}
.rule{color:#8e0000}.waived{color:#6d4c00;background:#fff3cd;padding:0 4px}
.count{display:inline-block;min-width:70px;font-variant-numeric:tabular-nums}
.muted{color:#5b6570}.kpi{display:inline-block;margin-right:28px}.kpi b{font-size:20px;display:block}
"""
)


def e(value: object) -> str:
    """Text safe anywhere in element content or a quoted attribute."""
    return _html.escape(clean(value), quote=True)


def badge(verdict: str) -> str:
    return f'<span class="v v-{e(verdict)}">{e(verdict)}</span>'


def _bar(y: int, label: str, counts: Mapping[str, int], width: int = 640) -> str:
    total = sum(counts.values())
    parts = [f'<text x="0" y="{y + 15}" font-size="13">{e(label)} ({total})</text>']
    x = 150.0
    for v in VERDICT_ORDER:
        n = counts.get(v.value, 0)
        if not n or not total:
            continue
        w = (width - 150) * n / total
        parts.append(
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="20" fill="{COLOURS[v.value]}">'
            f"<title>{e(v.value)}: {n}</title></rect>"
        )
        if w > 22:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{y + 15}" font-size="12" fill="#fff" text-anchor="middle">{n}</text>'
            )
        x += w
    return "".join(parts)


def chart(b: BBCompliance) -> str:
    legend = "".join(
        f'<rect x="{150 + i * 120}" y="62" width="12" height="12" fill="{COLOURS[v.value]}"/>'
        f'<text x="{166 + i * 120}" y="73" font-size="11">{e(v.value)}</text>'
        for i, v in enumerate(VERDICT_ORDER)
    )
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" width="880" height="82" role="img" '
        f'aria-label="verdicts of {e(b.label)}">'
        + _bar(2, "operations", b.operation_counts)
        + _bar(30, "cases", b.case_counts)
        + legend
        + "</svg>"
    )


def _pre(text: str | None, truncated: bool) -> str:
    if text is None:
        return ""
    cut = truncated or len(text) > BODY_LIMIT
    note = '<div class="muted">body truncated</div>' if cut else ""
    return f"<pre>{e(text[:BODY_LIMIT])}</pre>{note}"


def exchange_html(x: Exchange) -> str:
    r = x.request
    head = "\n".join([f"{r.method} {r.url}"] + [f"{k}: {v}" for k, v in r.headers])
    out = [
        f'<h4>Request <span class="muted">({e(x.step)})</span></h4><pre>{e(head)}</pre>',
        _pre(r.body, r.body_truncated),
    ]
    if x.response is not None:
        p = x.response
        head = "\n".join([f"{p.http_version} {p.status}"] + [f"{k}: {v}" for k, v in p.headers])
        out.append(f'<h4>Response <span class="muted">({p.elapsed_ms:.0f} ms)</span></h4><pre>{e(head)}</pre>')
        out.append(_pre(p.body, p.body_truncated))
    if x.error:
        out.append(f"<h4>No response</h4><pre>{e(x.error)}</pre>")
    return "".join(out)


def check_html(c: CheckResult) -> str:
    where = ""
    if c.instance_pointer:
        where += f' <span class="muted">at response {e(c.instance_pointer)}</span>'
    if c.schema_file or c.schema_pointer:
        where += f' <span class="muted">rule at {e(c.schema_file or "")}#{e(c.schema_pointer or "")}</span>'
    waived = f' <span class="waived">waived: {e(c.waived)}</span>' if c.waived else ""
    return (
        f'<li><span class="rule">{e(c.check)}</span> ({e(c.level.value)}, {e(c.step or "")}): '
        f"{e(c.message)}{where}{waived}</li>"
    )


def replay_html(case: CaseResult, insecure: bool = False) -> str:
    """The case's curl commands (secrets as $VARIABLES), ready to copy."""
    if not replayed(case):
        return ""
    out = []
    for step, r in replays(case, insecure=insecure):
        notes = "".join(f'<div class="muted">{e(x)}</div>' for x in (variables_hint(r), r.note or "") if x)
        out.append(f'<h4>Replay <span class="muted">({e(step)})</span></h4>{notes}<pre>{e(r.command)}</pre>')
    return "".join(out)


def case_html(v: CaseView, opened: bool, insecure: bool = False) -> str:
    c = v.case
    label = "passed (waived)" if v.waived else v.verdict.value
    failed = [k for k in c.checks if k.outcome is Outcome.FAILED]
    body = [f"<p>{e(c.description)}</p>", f'<p class="muted">{e(c.case_id)}</p>']
    body += [f"<p>{e(line)}</p>" for line in scenario_lines(c)]
    if c.reason:
        body.append(f"<p>Reason: {e(c.reason)}</p>")
    if failed:
        body.append("<h4>Rules broken</h4><ul>" + "".join(check_html(k) for k in failed) + "</ul>")
    body += [exchange_html(x) for x in c.exchanges]
    body.append(replay_html(c, insecure))
    return (
        f"<details{' open' if opened else ''}><summary>{badge(v.verdict.value)} {e(c.operation)} · "
        f'{e(c.name)} <span class="muted">[{e(label)}]</span></summary>{"".join(body)}</details>'
    )


def matrix(b: BBCompliance) -> str:
    rows = [
        "<table><tr><th>Operation</th><th>Verdict</th>"
        + "".join(f"<th>{k}</th>" for k in KINDS)
        + "<th>Reason</th></tr>"
    ]
    for op in b.operations:
        cells = []
        for k in KINDS:
            mine = [v for v in op.cases if v.kind.value == k]
            counts: dict[str, int] = {}
            for v in mine:
                counts[v.verdict.value] = counts.get(v.verdict.value, 0) + 1
            cells.append("<td>" + " ".join(f"{badge(n)}&nbsp;{c}" for n, c in counts.items()) + "</td>")
        verdict = badge(op.verdict.value) + (' <span class="waived">waived</span>' if op.waived else "")
        rows.append(
            f'<tr><td>{e(op.key)}<div class="muted">{e(op.operation_id or "")}</div></td>'
            f"<td>{verdict}</td>{''.join(cells)}<td>{e(op.reason or '')}</td></tr>"
        )
    return "".join(rows) + "</table>"


def findings_html(i: int, b: BBCompliance, insecure: bool = False) -> str:
    """The root causes first: count, rule, one example with its evidence, the other cases folded. A case that
    is the example of several findings shows its evidence once; later findings link to it."""
    if not b.findings:
        return ""
    cases = len({cid for f in b.findings for cid in f.case_ids})
    out = [f"<h3>Findings: {counted(len(b.findings), 'root cause')} over {counted(cases, 'case')}</h3>"]
    shown: dict[str, str] = {}  # case id -> the anchor of its evidence
    for n, f in enumerate(b.findings):
        case, check = f.cases[0], f.checks[0]
        anchor = shown.get(case.case_id)
        if anchor is None:
            anchor = shown[case.case_id] = f"bb-{i}-example-{n}"
            example = f'<p>Example:</p><div id="{anchor}">{case_html(case_view(case), True, insecure)}</div>'
        else:
            example = (
                f"<p>Example: {e(case.operation)} · {e(case.name)}: {e(check.message)} "
                f'(<a href="#{anchor}">its evidence is shown above</a>)</p>'
            )
        others = "".join(
            f"<li>{e(c.operation)} · {e(c.name)}: {e(k.message)}"
            + (f"<details><summary>replay</summary>{replay_html(c, insecure)}</details>" if replayed(c) else "")
            + "</li>"
            for c, k in zip(f.cases[1:], f.checks[1:], strict=True)
        )
        folded = (
            f"<details><summary>The other {counted(f.count - 1, 'case')}</summary><ul>{others}</ul></details>"
            if others
            else ""
        )
        out.append(
            f'<details class="finding"{" open" if n < OPEN_FINDINGS else ""}><summary>'
            f'<span class="count">{counted(f.count, "case")}</span> <span class="rule">{e(f.check)}</span> '
            f"({e(f.level.value)}): {e(f.rule)}</summary>{example}{folded}</details>"
        )
    return "".join(out)


def banner(verdict: BBVerdict, text: str) -> str:
    """The verdict as a coloured banner: green only for a whole, passing check."""
    tone = {BBVerdict.CONFORMANT: "ok", BBVerdict.NOT_CONFORMANT: "ko"}.get(verdict, "partial")
    return f'<span class="banner {tone}">{e(text)}</span>'


def not_checked(b: BBCompliance) -> str:
    """The operations the verdict does not cover, each with the reason."""
    if not b.coverage.unchecked:
        return ""
    rows = "".join(
        f"<tr><td>{e(u.operation)}</td><td>{badge(u.verdict.value)}</td><td>{e(u.reason)}</td></tr>"
        for u in b.coverage.unchecked
    )
    return (
        f"<h3>Operations not checked ({len(b.coverage.unchecked)} of {b.coverage.total})</h3>"
        f"<table><tr><th>Operation</th><th>Verdict</th><th>Why</th></tr>{rows}</table>"
    )


def bb_section(i: int, b: BBCompliance, rule: str, insecure: bool = False) -> str:
    r = b.result
    specs = "".join(f"<tr><td>{e(s.path)}</td><td><code>{e(s.sha256)}</code></td></tr>" for s in r.spec_files)
    out = [
        f'<section id="bb-{i}"><h2>{e(r.title)} {e(r.ref)} {banner(b.verdict, b.verdict_text)}</h2>',
        '<table class="facts">',
        f"<tr><th>Building block</th><td>{e(r.bb)} ({e(r.platform_id)})</td></tr>",
        f"<tr><th>Release</th><td>{e(r.ref)}</td></tr><tr><th>Target</th><td>{e(r.target)}</td></tr>",
        f"<tr><th>Tested</th><td>{e(r.started)} – {e(r.finished)} ({r.duration_s:.1f} s)</td></tr></table>",
        f'<div class="kpi"><b>{e(b.level_text)}</b>API-compliance level</div>',
        f'<div class="kpi"><b>{b.coverage.checked} of {b.coverage.total}</b>operations checked</div>',
        f'<div class="kpi"><b>{e(pct(b.compliance_pct))}</b>REQUIRED checks met</div>',
        f'<div class="kpi"><b>{e(pct(b.case_pass_rate))}</b>case pass rate</div>',
        f'<div class="kpi"><b>{b.waived_cases}</b>cases passed by waiver</div>',
        f"<p>{e(b.level_reason)}</p>",
        chart(b),
        f'<p class="muted">{e(rule)}</p>',
        findings_html(i, b, insecure),
        "<h3>Operation matrix</h3>",
        matrix(b),
        not_checked(b),
    ]
    shown = {cid for f in b.findings for cid in f.case_ids}
    bad = [
        v
        for op in b.operations
        for v in op.cases
        if (v.verdict in PLATFORM_FAILED or v.waived) and v.case.case_id not in shown
    ]
    if bad:
        out.append(f"<h3>Errors, waived failures and other cases not passed ({len(bad)})</h3>")
        out += [case_html(v, n < OPEN_FAILURES, insecure) for n, v in enumerate(bad)]
    untestable = [v for op in b.operations for v in op.cases if v.verdict is Verdict.UNTESTABLE]
    if untestable:
        out.append(f"<h3>Untestable cases ({len(untestable)})</h3><ul>")
        out += [f"<li>{e(v.case.operation)} · {e(v.case.name)}: {e(v.case.reason or '')}</li>" for v in untestable]
        out.append("</ul>")
    if r.defects:
        out.append(
            f"<h3>Spec defects ({len(r.defects)})</h3><table><tr><th>Severity</th><th>Where</th><th>Defect</th></tr>"
        )
        out += [
            f"<tr><td>{e(d.get('severity'))}</td><td>{e(d.get('file'))}#{e(d.get('pointer'))}</td>"
            f"<td>{e(d.get('code'))}: {e(d.get('message'))}</td></tr>"
            for d in r.defects
        ]
        out.append("</table>")
    out.append(f"<h3>Spec files</h3><table><tr><th>File</th><th>sha256</th></tr>{specs}</table></section>")
    return "".join(out)


# The page's top part: the overview of several BBs, and long unbroken text kept inside the window.
TOP_STYLE = """
li,p{overflow-wrap:anywhere}
table.overview td{overflow-wrap:normal}table.overview .banner{font-size:12px;padding:1px 6px;white-space:nowrap}
"""
SHOWN_CHECKS = 3


def overview(compliance: Compliance) -> str:
    """One row per BB (coverage, verdict, level, REQUIRED %, failures), each linking to its section."""
    rows = []
    for i, b in enumerate(compliance.bbs):
        checks = list(b.failed_checks.items())
        named = ", ".join(f"{e(k)} ({n})" for k, n in checks[:SHOWN_CHECKS])
        more = f", and {len(checks) - SHOWN_CHECKS} more checks" if len(checks) > SHOWN_CHECKS else ""
        failures = f"{b.case_counts[Verdict.FAILED.value]} failed cases"
        failures += f"; failed checks: {named}{more}" if named else ""
        rows.append(
            f'<tr><td><a href="#bb-{i}">{e(b.result.title)} {e(b.label)}</a></td>'
            f"<td>{b.coverage.checked} of {b.coverage.total}</td><td>{banner(b.verdict, b.verdict.value)}</td>"
            f'<td>{e(b.level_text)}</td><td class="num">{e(pct(b.compliance_pct))}</td><td>{failures}</td></tr>'
        )
    return (
        '<table class="overview"><tr><th>Building block</th><th>Operations checked</th><th>Verdict</th>'
        "<th>API level</th><th>REQUIRED met</th><th>Failures</th></tr>" + "".join(rows) + "</table>"
    )


class HtmlFormat:
    name = "html"
    filename = "report.html"
    extension = "html"

    def render(self, results: RunResults, compliance: Compliance) -> bytes:
        f = run_facts(results)
        product = results.product.get("name")
        rows = "".join(f"<tr><td>{e(k)}</td><td>{e(v)}</td></tr>" for k, v in f.option_rows())
        options = f'<table class="options">{rows}</table>' if rows else "none"
        expired = "".join(
            f"<li>expired waiver (not applied): {e(w.get('check'))} on {e(w.get('operation'))}, "
            f"expired {e(w.get('expires'))}</li>"
            for w in compliance.expired_waivers
        )
        top = overview(compliance) if len(compliance.bbs) > 1 else ""
        dur = "n/a" if f.duration_s is None else f"{f.duration_s:.1f} s"
        head = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<meta name="referrer" content="no-referrer">'
            f"<title>govstack-conform compliance report</title><style>{STYLE}{TOP_STYLE}</style></head><body>"
        )
        header = (
            "<header><h1>GovStack compliance report"
            + (f": {e(product)}" if product else "")
            + f" {banner(compliance.verdict, compliance.verdict.value)}</h1>{top}"
            '<table class="facts">'
            f"<tr><th>Tool</th><td>govstack-conform {e(f.tool_version)}</td></tr>"
            f"<tr><th>Date</th><td>{e(f.started)} – {e(f.finished)}</td></tr>"
            f"<tr><th>Duration</th><td>{e(dur)}</td></tr><tr><th>Seed</th><td>{f.seed}</td></tr>"
            f"<tr><th>Complete</th><td>{'yes' if f.complete else 'no: the run was interrupted'}</td></tr>"
            f"<tr><th>Options that change results</th><td>{options}"
            + (f"<ul>{expired}</ul>" if expired else "")
            + "</td></tr></table>"
            "</header>"
        )
        insecure = insecure_run(results.options)
        sections = "".join(bb_section(i, b, compliance.level_rule, insecure) for i, b in enumerate(compliance.bbs))
        footer = (
            f'<footer class="muted">{e(compliance.compliance_rule)} {e(compliance.platform_rule)}</footer>'
            "</body></html>\n"
        )
        return (head + header + sections + footer).encode("utf-8")
