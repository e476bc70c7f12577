"""Java date patterns written where a regular expression belongs (`pattern: yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`).

No real date matches such a text as a regex, so a contract holding one refuses every real value. The loader
reads it as the regular expression it spells (lint still reports the defect, saying so), and datagen
formats a real instant for it: a regex alone would let month 13 or day 32 through generation.
"""

from __future__ import annotations

import datetime as dt
import random
import re

_JAVA_FIELD = re.compile(r"'([^']*)'|(yyyy|yy|MM|dd|HH|hh|mm|ss|SSS)|([A-Za-z])|(.)")
_FIELD_REGEX = {
    "yyyy": "[0-9]{4}",
    "yy": "[0-9]{2}",
    "MM": "(0[1-9]|1[0-2])",
    "dd": "(0[1-9]|[12][0-9]|3[01])",
    "HH": "([01][0-9]|2[0-3])",
    "hh": "(0[1-9]|1[0-2])",
    "mm": "[0-5][0-9]",
    "ss": "[0-5][0-9]",
    "SSS": "[0-9]{3}",
}
# The schema keyword (an OpenAPI extension, ignored by validators) keeping the Java text beside the regex spelled.
JAVA_DATE = "x-govstack-conform-java-date"
# Regexes this module spelled from Java date patterns, to the pattern: datagen formats a real instant for them.
SPELLED_DATES: dict[str, str] = {}


def date_format_regex(pattern: str) -> str | None:
    """The regular expression a Java date pattern spells (`yyyy-MM-dd'T'HH:mm:ss.SSS'Z'`: four digits, a dash,
    a month 01-12...), or None where it holds a letter that is no fixed-width field (a zone, a month name):
    such a pattern has no one reading."""
    out = []
    for m in _JAVA_FIELD.finditer(pattern):
        quoted, field, letter, other = m.groups()
        if quoted is not None:
            out.append("".join(map(_literal, quoted)) if quoted else "'")
        elif field is not None:
            out.append(_FIELD_REGEX[field])
        elif letter is not None:
            return None
        else:
            out.append(_literal(other))
    spelled = "^" + "".join(out) + "$"
    SPELLED_DATES[spelled] = pattern
    return spelled


def _literal(char: str) -> str:
    return "\\" + char if char in ".^$*+?{}[]\\|()/" else char


_STRFTIME = {"yyyy": "%Y", "yy": "%y", "MM": "%m", "dd": "%d", "HH": "%H", "hh": "%I", "mm": "%M", "ss": "%S"}


def real_instant(regex: str, rng: random.Random) -> str | None:
    """A real instant written as the Java pattern behind `regex` says, or None when no such pattern spelled it."""
    pattern = SPELLED_DATES.get(regex)
    if pattern is None:
        return None
    when = dt.datetime(2024, 1, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400))
    millis = f"{rng.randrange(1000):03d}"
    out = []
    for m in _JAVA_FIELD.finditer(pattern):
        quoted, field, _, other = m.groups()
        if quoted is not None:
            out.append(quoted or "'")
        elif field == "SSS":
            out.append(millis)
        elif field is not None:
            out.append(when.strftime(_STRFTIME[field]))
        else:
            out.append(other)
    return "".join(out)
