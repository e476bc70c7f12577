"""Making candidate-originated text safe to show: control characters made visible, one-line forms.

Escaping for a particular markup (HTML, Markdown, XML) happens in each format; this module only
removes what no format can carry safely (terminal escapes, NULs, lone surrogates).
"""

from __future__ import annotations

import re

# C0 controls except tab and newline, DEL, C1 controls, and lone surrogates.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _visible(m: re.Match[str]) -> str:
    code = ord(m.group(0))
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """`text` with every control character (ESC of ANSI sequences included) shown as `\\xNN`."""
    return _UNSAFE.sub(_visible, "" if text is None else str(text))


def one_line(text: object, limit: int | None = None) -> str:
    """`clean(text)` on a single line, optionally cut to `limit` characters with an ellipsis."""
    s = " ".join(clean(text).split())
    if limit is not None and len(s) > limit:
        s = s[: max(0, limit - 1)] + "…"
    return s


def pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}%"
