"""What `run` checks before the first request and before the first file it writes.

Everything the command line and the config ask for that can be wrong without asking the product is
checked here, each with one line and exit code 2: where the outputs go, the signing key, the gates
and the baseline (readable, of a BB this run tests), every job's target URL, token endpoint and TLS
material. Limits are RunOptions' own rules (engine/options.py), headers and credentials merge's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from govstack_conform.config.merge import check_gates
from govstack_conform.config.request import Gates
from govstack_conform.engine.options import RunOptions
from govstack_conform.errors import ConformError, UsageError

if TYPE_CHECKING:
    from govstack_conform.engine.results import RunResults


def writable_dir(path: Path, what: str) -> None:
    """UsageError when `path` cannot become a folder: it is a file, or stands below one."""
    for p in (path, *path.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                where = "is" if p == path else f"stands below {p}, which is"
                raise UsageError(f"{what} {path} {where} a file, not a folder")
            return


def check_outputs(out_dir: Path, evidence: Path | None, sign: Path | None) -> None:
    """The folders the run writes into can be written, and the signing key signs."""
    writable_dir(out_dir, "--out")
    if sign is not None and evidence is None:
        raise UsageError("--sign needs --evidence DIR")
    if evidence is not None:
        writable_dir(evidence, "--evidence")
        if evidence.is_dir() and any(evidence.iterdir()):
            raise UsageError(f"--evidence {evidence} is not empty (a bundle of an earlier run?): give a new folder")
    if sign is not None:
        from govstack_conform.report.evidence.bundle import load_private_key

        load_private_key(sign)  # missing, not PEM, not Ed25519: said now, not after every request


def read_baseline(gates: Gates) -> RunResults | None:
    """The baseline's results (unreadable: a usage error), after checking the gates themselves."""
    check_gates(gates)
    if gates.baseline is None:
        return None
    from govstack_conform.engine.results import read_json

    try:
        return read_json(gates.baseline)
    except ConformError as exc:
        raise UsageError(f"--baseline: {exc}") from None


def check_baseline_bbs(baseline: RunResults | None, path: Path | None, tested: Iterable[str]) -> None:
    """A baseline holding none of the BBs this run tests would tolerate nothing and say so nowhere."""
    if baseline is None:
        return
    mine, theirs = sorted(set(tested)), sorted({b.bb for b in baseline.results})
    if not set(mine) & set(theirs):
        raise UsageError(
            f"--baseline {path} holds results of {', '.join(theirs) or 'no BB'}, "
            f"none of the BBs this run tests ({', '.join(mine)})"
        )


def check_job(url: str, options: RunOptions) -> None:
    """Requests can be addressed to the target, and TLS (CA bundle, client certificate) loads."""
    from govstack_conform.engine.run.runner import ssl_context
    from govstack_conform.engine.run.urls import check_target

    check_target(url, options.path_map)
    creds = options.credentials
    tls = url.lower().startswith("https:") or (creds.oauth2_token_url or "").lower().startswith("https:")
    if tls or options.ca_bundle or creds.client_cert:
        ssl_context(options)
