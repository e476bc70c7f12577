"""Shared CLI plumbing: consoles, the error boundary and BB selection parsing.

This is the only place where exceptions become one-line messages and exit codes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

import typer

from govstack_conform.errors import ConformError
from govstack_conform.exitcodes import ExitCode

if TYPE_CHECKING:
    from rich.console import Console


class _Deferred:
    """A rich Console made on first use: `--help` prints through click and never needs rich (15 ms to import).
    Every attribute, assignment and `with` goes to the real console, so rich's Live and Progress can take it."""

    __slots__ = ("_deferred_console", "_deferred_stderr")

    def __init__(self, stderr: bool) -> None:
        object.__setattr__(self, "_deferred_stderr", stderr)
        object.__setattr__(self, "_deferred_console", None)

    def _real(self) -> Console:
        console: Console | None = object.__getattribute__(self, "_deferred_console")
        if console is None:
            from rich.console import Console

            console = Console(stderr=object.__getattribute__(self, "_deferred_stderr"), highlight=False, soft_wrap=True)
            object.__setattr__(self, "_deferred_console", console)
        return console

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._real(), name, value)

    def __enter__(self) -> Console:
        return self._real().__enter__()

    def __exit__(self, *exc: Any) -> None:
        self._real().__exit__(*exc)


out = cast("Console", _Deferred(stderr=False))
err = cast("Console", _Deferred(stderr=True))

F = TypeVar("F", bound=Callable[..., Any])


def fail(message: str, code: ExitCode) -> typer.Exit:
    """Print `message` as one line on stderr and return the Exit to raise."""
    from govstack_conform.text import one_line

    # messages may quote what a candidate or a file said: control characters (ANSI escapes) made visible
    err.print(f"govstack-conform: error: {one_line(message)}", markup=False)
    return typer.Exit(int(code))


_state = {"debug": False}  # set by the root callback from the parsed `--debug` option


def set_debug(on: bool) -> None:
    _state["debug"] = on


def _debug() -> bool:
    return _state["debug"]


def guarded(fn: F) -> F:
    """Run a command body, translating tool errors (and anything unforeseen) into exit codes."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort):
            raise
        except ConformError as e:
            raise fail(str(e), e.exit_code) from None
        except KeyboardInterrupt:
            raise fail("interrupted", ExitCode.INTERRUPTED) from None
        except OSError as e:
            raise fail(f"{e.strerror or e}: {e.filename or ''}".strip(": "), ExitCode.UNUSABLE) from None
        except RecursionError:
            raise fail("input nested too deeply to process", ExitCode.UNUSABLE) from None
        except MemoryError:
            raise fail("input too large to process", ExitCode.UNUSABLE) from None
        except Exception as e:  # an unforeseen bug: still one line, and say it is ours
            if _debug():
                raise
            raise fail(
                f"internal error ({type(e).__name__}: {e}); please report it (rerun with --debug for a trace)",
                ExitCode.UNUSABLE,
            ) from None

    return wrapper  # type: ignore[return-value]
