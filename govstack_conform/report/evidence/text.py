"""The evidence of one case in plain text: rule broken, request sent, response received.

Shared by the JUnit and Markdown formats (HTML lays the same facts out itself). Plain text only:
each format escapes it for its own markup.
"""

from __future__ import annotations

from govstack_conform.assessment.compliance import CaseView
from govstack_conform.engine.results import CaseResult, CheckResult, Exchange, Outcome
from govstack_conform.report.evidence.curl import replayed, replays, variables_hint
from govstack_conform.text import clean

BODY_LIMIT = 4000


def counted(count: int, noun: str) -> str:
    """'1 case', '99 cases'."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def rule_line(c: CheckResult) -> str:
    where = ""
    if c.schema_file or c.schema_pointer:
        where = f" [rule at {c.schema_file or ''}#{c.schema_pointer or ''}]"
    inst = f" (response at {c.instance_pointer})" if c.instance_pointer else ""
    waived = f" WAIVED: {c.waived}" if c.waived else ""
    return clean(f"{c.check} ({c.level.value}): {c.message}{inst}{where}{waived}")


def _body(body: str | None, truncated: bool) -> str:
    if body is None:
        return ""
    text = body[:BODY_LIMIT]
    cut = truncated or len(body) > BODY_LIMIT
    return clean(text) + ("\n… (body truncated)" if cut else "")


def exchange_text(x: Exchange) -> str:
    r = x.request
    lines = [f"--- request ({x.step}) ---", clean(f"{r.method} {r.url}")]
    lines += [clean(f"{k}: {v}") for k, v in r.headers]
    if r.body is not None:
        lines += ["", _body(r.body, r.body_truncated)]
    if x.response is not None:
        p = x.response
        lines += [f"--- response ({p.elapsed_ms:.0f} ms) ---", clean(f"{p.http_version} {p.status}")]
        lines += [clean(f"{k}: {v}") for k, v in p.headers]
        if p.body is not None:
            lines += ["", _body(p.body, p.body_truncated)]
    if x.error:
        lines += ["--- no response ---", clean(x.error)]
    return "\n".join(lines)


def replay_text(case: CaseResult, *, insecure: bool = False) -> list[str]:
    """The curl command of each request the case sent, with what to set first and what it cannot reproduce."""
    lines: list[str] = []
    for step, r in replays(case, insecure=insecure):
        lines += ["", f"--- replay ({step}) ---"]
        if r.variables:
            lines.append("# " + variables_hint(r))
        if r.note:
            lines.append(f"# note: {r.note}")
        lines.append(clean(r.command))
    return lines


def case_text(v: CaseView, *, insecure: bool = False) -> str:
    """Everything a reader needs to understand why a case did not pass, and to send it again."""
    c = v.case
    lines = [clean(f"{c.case_id}: {c.description}")]
    if c.reason:
        lines.append(clean(f"reason: {c.reason}"))
    failed = [k for k in c.checks if k.outcome is Outcome.FAILED]
    if failed:
        lines.append("rules broken:")
        lines += ["  " + rule_line(k) for k in failed]
    for x in c.exchanges:
        lines += ["", exchange_text(x)]
    if replayed(c):
        lines += replay_text(c, insecure=insecure)
    return "\n".join(lines)
