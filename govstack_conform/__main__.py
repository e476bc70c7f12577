"""`python -m govstack_conform` runs the CLI."""

from __future__ import annotations

from govstack_conform.cli import main

main()
