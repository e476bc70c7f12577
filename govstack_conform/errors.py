"""One exception base, one subclass per layer; the CLI turns them into one-line messages."""

from __future__ import annotations

from govstack_conform.exitcodes import ExitCode


class ConformError(Exception):
    """Base of every error the tool raises on purpose. `str(err)` is the one-line message."""

    exit_code: ExitCode = ExitCode.UNUSABLE


class UsageError(ConformError):
    """The user asked for something malformed (bad option, unknown BB, bad config)."""

    exit_code = ExitCode.USAGE


class CatalogError(UsageError):
    """A BB or release is not in the catalog, or the catalog itself is unreadable."""


class StoreError(ConformError):
    """The spec store is missing, incomplete, or a download/verification failed."""


class SpecError(ConformError):
    """A spec file cannot be read at all (missing, binary, not YAML/JSON, not OpenAPI)."""


class TargetError(ConformError):
    """The candidate cannot be reached at all."""


class ConfigError(UsageError):
    """A config, fixtures or waiver file is invalid."""


class ReportError(ConformError):
    """A results file cannot be read or a report cannot be written."""
