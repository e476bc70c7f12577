"""Names of the core that the help texts state, held here as literals: declaring a command's options must
import none of the core, so that `--help` starts fast. tests/test_startup.py holds each one equal to the
core's own constant, so they cannot drift apart."""

from __future__ import annotations

CONFIG_NAME = "govstack-conform.toml"  # config.file.CONFIG_NAME
ENV_SPECS = "GOVSTACK_CONFORM_SPECS"  # contracts.store.ENV_SPECS
ENV_CACHE = "GOVSTACK_CONFORM_CACHE"  # contracts.store.ENV_CACHE
DEFAULT_TEST_SUITE = "govstack-conform"  # report.publish.DEFAULT_TEST_SUITE
FORMAT_NAMES = ("json", "junit", "html", "md", "cucumber", "form")  # report.formats.base.FORMATS, in its order
MAX_DEPTH = 32  # datagen.MAX_DEPTH: how deep generated values nest unless --max-depth says otherwise
DEEPEST = 128  # datagen.DEEPEST: the most --max-depth accepts
DEPTH_HELP = f"How deep generated values may nest (at most {DEEPEST}); a schema needing more is untestable."
QUERY_STYLES = ("brackets", "json")  # contracts.catalog.QUERY_STYLES: how nested query values are written
