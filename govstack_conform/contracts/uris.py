"""Registry URIs of spec documents: light enough for the loader and `specs list`, which validate nothing.

The schema validators (contracts/schemas.py) import openapi-schema-validator and through it pydantic,
a third of the tool's start-up; what only names documents lives here so the commands that do not
validate never pay for it.
"""

from __future__ import annotations

from urllib.parse import quote, unquote, urlsplit

URI_BASE = "file:///govstack-spec/"


def doc_uri(key: str) -> str:
    """The registry URI of the document stored under `key` (no network scheme, so never fetched)."""
    return URI_BASE + quote(key, safe="/")


def doc_key(uri: str) -> str:
    """The document key of a registry URI (inverse of doc_uri, fragment dropped)."""
    path = unquote(urlsplit(uri).path)
    prefix = urlsplit(URI_BASE).path
    return path[len(prefix) :] if path.startswith(prefix) else path


__all__ = ["URI_BASE", "doc_key", "doc_uri"]
