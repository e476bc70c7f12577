"""Contracts layer: where contracts come from (catalog, spec store, pull, loader) and what they say (model, schemas).

The bottom layer: imports nothing of the package but errors, exitcodes and text."""
