"""--shard I/N: a deterministic share of a plan, whole operations at a time, so shards merge exactly."""

from __future__ import annotations

import re
from collections.abc import Sequence

from govstack_conform.engine.cases import Case
from govstack_conform.errors import ConfigError

_SHARD = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


def parse_shard(spec: str) -> tuple[int, int]:
    """'2/3' -> (2, 3); ConfigError unless 1 <= I <= N."""
    m = _SHARD.match(spec)
    if not m:
        raise ConfigError(f"--shard must be I/N, e.g. 1/4, got {spec!r}")
    i, n = int(m.group(1)), int(m.group(2))
    if n < 1 or not 1 <= i <= n:
        raise ConfigError(f"--shard {spec}: I must be between 1 and N (shards are numbered from 1)")
    return i, n


def shard(cases: Sequence[Case], spec: str) -> list[Case]:
    """This shard's cases, in plan order.

    Every case of one operation goes to the same shard, so each operation's verdict is judged whole in
    one job and `report merge` of all shards equals an unsharded run, operation verdicts included (a
    sequence is one Case, so its steps never split). Operations are dealt out largest first to the
    least loaded shard (load = requests to send), ties by name: deterministic, and balanced enough.
    """
    i, n = parse_shard(spec)
    groups: dict[tuple[str, str, str], int] = {}
    for c in cases:
        key = (c.bb, c.ref, c.operation)
        groups[key] = groups.get(key, 0) + (0 if c.untestable else len(c.steps))
    loads = [0] * n
    owner: dict[tuple[str, str, str], int] = {}
    for key, weight in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])):
        target = min(range(n), key=lambda s: (loads[s], s))
        owner[key] = target
        loads[target] += weight
    return [c for c in cases if owner[(c.bb, c.ref, c.operation)] == i - 1]
