"""Process exit codes: the contract between the tool and CI pipelines."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Documented in `--help` and the README; never renumber."""

    OK = 0  #: everything asked for succeeded; the candidate met every REQUIRED check
    NONCONFORMANT = 1  #: the candidate failed at least one REQUIRED check
    USAGE = 2  #: bad command line or configuration
    UNUSABLE = 3  #: a spec could not be read at all, or the target could not be reached
    INCOMPLETE = 4  #: no failure found, but some cases could not be judged (connection lost mid-run)
    INTERRUPTED = 130  #: stopped by Ctrl-C / SIGTERM; what finished was kept


EXIT_CODE_HELP = (
    "Exit codes: 0 ok; 1 candidate non-conformant; 2 usage or configuration error; "
    "3 spec or target unusable; 4 incomplete (cases not judged); 130 interrupted."
)
