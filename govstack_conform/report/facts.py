"""The facts every report states about a run: tool version, BB, release, spec hashes, target, date, seed,
options that change results (waivers included) and duration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from govstack_conform.engine.results import BBResult, RunResults


@dataclass(frozen=True)
class RunFacts:
    """What every report states about a run, so that a reader can judge and reproduce it."""

    tool_version: str
    started: str
    finished: str
    duration_s: float | None
    seed: int
    complete: bool
    options: Mapping[str, Any]
    product: Mapping[str, Any]

    def option_rows(self) -> list[tuple[str, str]]:
        """Options that change results as (name, value) rows in words, as results.json names them; each
        waiver a row of its own."""
        rows = [(key, plain(self.options[key], key)) for key in sorted(self.options) if key != "waivers"]
        for w in self.options.get("waivers") or []:
            if isinstance(w, Mapping):
                rows.append(
                    (
                        f"waiver ({w.get('status', 'active')}, expires {w.get('expires')})",
                        f"{w.get('check')} on {w.get('operation')}: {w.get('justification')}",
                    )
                )
        return rows

    def option_lines(self) -> list[str]:
        """The same rows as "name: value" lines, for formats without tables."""
        return [f"{k}: {v}" for k, v in self.option_rows()]


_CREDENTIALS = {
    "bearer": "bearer token",
    "api_key": "API key",
    "basic": "basic auth",
    "oauth2_client_credentials": "OAuth2 client credentials",
    "client_certificate": "TLS client certificate",
}


def plain(value: Any, key: str = "") -> str:
    """An option's value in words: yes/no, none, lists and pairs written out; never a Python repr."""
    if key == "query_style":
        return f"{value} (how nested query values were sent: OpenAPI leaves them undefined)"
    if key == "auth" and isinstance(value, Mapping):
        used = [_credential(k, v) for k, v in value.items() if v]
        return ", ".join(used) or "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if value is None or value == "" or value == [] or value == {}:
        return "none"
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {plain(v, str(k))}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        if all(isinstance(v, (list, tuple)) and len(v) == 2 for v in value):
            join = " → " if key == "path_map" else ": "
            return "; ".join(f"{a}{join}{b}" for a, b in value)
        return ", ".join(plain(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _credential(kind: str, value: Any) -> str:
    name = _CREDENTIALS.get(kind, kind)
    if kind == "api_key" and isinstance(value, Mapping) and value.get("name"):
        return f"{name} {value['name']}" + (f" in {value['in']}" if value.get("in") else "")
    if kind == "oauth2_client_credentials" and isinstance(value, str):
        return f"{name} from {value}"
    return name


def _parse(ts: str) -> datetime | None:
    try:
        return datetime.fromisoformat(ts.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        return None


def run_facts(results: RunResults) -> RunFacts:
    a, b = _parse(results.started), _parse(results.finished)
    duration = (b - a).total_seconds() if a and b else None
    return RunFacts(
        results.tool_version,
        results.started,
        results.finished,
        duration,
        results.seed,
        results.complete,
        dict(results.options),
        dict(results.product),
    )


def bb_facts(bb: BBResult) -> dict[str, Any]:
    return {
        "bb": bb.bb,
        "release": bb.ref,
        "title": bb.title,
        "platform_id": bb.platform_id,
        "target": bb.target,
        "started": bb.started,
        "finished": bb.finished,
        "duration_s": bb.duration_s,
        "spec_files": [{"path": f.path, "sha256": f.sha256} for f in bb.spec_files],
    }
