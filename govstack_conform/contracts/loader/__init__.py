"""The contract loader: spec files → the normalized model, with every spec defect reported, never raised.

Part of the contracts layer (imports nothing above it). Modules: parse (bytes → data, safely), refs ($ref
policy), build (data → Operations), checks (defect detection), document (one file, cached), contract
(merge files into a Contract with a registry).
"""

from __future__ import annotations

from govstack_conform.contracts.loader.contract import (
    build_contract,
    fetch_spec,
    load_files,
    load_url,
    make_registry,
    merge,
)
from govstack_conform.contracts.loader.document import LoadedDocument, load_document, require_readable

__all__ = [
    "LoadedDocument",
    "build_contract",
    "fetch_spec",
    "load_document",
    "load_files",
    "load_url",
    "make_registry",
    "merge",
    "require_readable",
]
