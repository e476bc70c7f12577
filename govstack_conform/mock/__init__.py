"""Mock layer: a contract-driven reference product of a building block, to develop and test against.

May import datagen and contracts; never engine, report, app or cli. `build_app(contract, options)` gives
the Starlette app; `serve_in_thread(contract, options)` runs it on 127.0.0.1 for in-process use;
`serve_forever` is what `govstack-conform mock` runs.
"""

from __future__ import annotations

from govstack_conform.mock.app import MockApp, build_app
from govstack_conform.mock.options import Credentials, Journal, MockOptions
from govstack_conform.mock.server import MockError, MockServer, serve_forever, serve_in_thread

__all__ = [
    "Credentials",
    "Journal",
    "MockApp",
    "MockError",
    "MockOptions",
    "MockServer",
    "build_app",
    "serve_forever",
    "serve_in_thread",
]
