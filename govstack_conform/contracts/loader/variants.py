"""Operations defined more than once: the same METHOD and path in several files of one release.

Payments defines `POST /vouchers` for preactivation, cancellation and redemption (told apart by
`?command=`) and `POST /callback` in three files. Every definition stays an operation of its own, so
each is planned, routed and reported. Its key says what tells it apart: the fixed query a request
carries (`POST /vouchers?command=cancel`), and where even that collides, the file that defines it
(`POST /callback (RegisterBeneficiaryResponse.yml)`); such a collision is a spec defect, since nothing
in a request lets a product route it. A pair defined once keeps its plain key, so keys already used in
waivers, declarations and test data stay valid.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import parse_qsl

from govstack_conform.contracts.model import Operation, Severity, SpecDefect


def _query_label(op: Operation) -> str:
    """The part of the fixed query the path key does not already write, as it reads in a URL."""
    written = parse_qsl(op.path.partition("?")[2], keep_blank_values=True)
    extra = [f"{k}={v}" for k, v in op.fixed_query if (k, v) not in written]
    if not extra:
        return ""
    return ("&" if "?" in op.path else "?") + "&".join(extra)


def _file_labels(ops: Sequence[Operation]) -> list[str]:
    """Each operation's file name, or its whole store path where file names repeat."""
    names = [posixpath.basename(op.source_file) for op in ops]
    repeated = Counter(names)
    return [name if repeated[name] == 1 else op.source_file for name, op in zip(names, ops, strict=True)]


def variants(ops: Sequence[Operation]) -> tuple[list[Operation], list[SpecDefect]]:
    """`ops` with a `variant` on every definition of a repeated METHOD + path, and what lint says of them."""
    groups: dict[str, list[int]] = {}
    for i, op in enumerate(ops):
        groups.setdefault(op.route, []).append(i)
    out = list(ops)
    defects: list[SpecDefect] = []
    for route, members in groups.items():
        if len(members) < 2:
            continue
        group = [ops[i] for i in members]
        labels = [_query_label(op) for op in group]
        same = Counter(labels)
        files = _file_labels(group)
        for i, op, label, file in zip(members, group, labels, files, strict=True):
            variant = label if same[label] == 1 else f"{label} ({file})"
            out[i] = named = replace(op, variant=variant)
            if same[label] == 1:
                defects.append(
                    SpecDefect(
                        op.source_file,
                        op.pointer,
                        f"{route} is defined {len(group)} times, told apart by their fixed query; this "
                        f"definition is planned and reported as {named.key}",
                        Severity.INFO,
                        "operation-variant",
                        named.key,
                    )
                )
                continue
            twins = [o.source_file for o, lab in zip(group, labels, strict=True) if lab == label and o is not op]
            others = " and ".join([", ".join(twins[:-1]), twins[-1]] if len(twins) > 1 else twins)
            defects.append(
                SpecDefect(
                    op.source_file,
                    op.pointer,
                    f"{route}{label} is also defined in {others}, and nothing in a request tells the "
                    f"definitions apart, so a product cannot route them; each is planned and reported on its own, "
                    f"this one as {named.key}",
                    Severity.WARNING,
                    "duplicate-operation",
                    named.key,
                )
            )
    return out, defects
