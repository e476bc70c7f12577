"""Writing reports: every format asked for, from redacted results and their one assessment."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from govstack_conform.assessment.compliance import assess
from govstack_conform.engine.results import RunResults
from govstack_conform.errors import ReportError
from govstack_conform.report.formats.base import get_formats
from govstack_conform.report.redact import redact_results


def render(results: RunResults, formats: Sequence[str], out_dir: Path, secrets: Iterable[str] = ()) -> list[Path]:
    """Write each format into `out_dir` (created); returns the paths written.

    Credential headers and known `secrets` are redacted first, whatever the runner did.
    """
    chosen = get_formats(list(formats))
    safe = redact_results(results, secrets)
    compliance = assess(safe)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot create report directory {out_dir}: {exc.strerror or exc}") from None
    written = []
    for fmt in chosen:
        path = out_dir / fmt.filename
        write = getattr(fmt, "write", None)  # a format that writes as it goes (results.json) never holds its bytes
        data = fmt.render(safe, compliance) if write is None else b""
        tmp = path.with_name(path.name + ".tmp")
        try:
            with tmp.open("wb") as out:
                if write is not None:
                    write(safe, compliance, out)
                else:
                    out.write(data)
            tmp.replace(path)
        except OSError as exc:
            raise ReportError(f"cannot write {path}: {exc.strerror or exc}") from None
        finally:
            tmp.unlink(missing_ok=True)  # what an error left half-written, never a whole file (already moved)
        written.append(path)
    return written
