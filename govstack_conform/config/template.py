"""The commented config `init` writes: one [bb.<key>] table per BB asked for, every other key shown commented.

What is written must load: tests read the output back with load_config.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from govstack_conform.config.file import CONFIG_NAME
from govstack_conform.contracts.catalog import BuildingBlock, Release, load_catalog

PLACEHOLDER_TARGET = "http://localhost:8080"


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's for everything json.dumps emits)."""
    return json.dumps(text, ensure_ascii=False)


def _env_name(key: str, what: str) -> str:
    return f"{key.upper().replace('-', '_')}_{what}"


HEADER = f"""\
# {CONFIG_NAME}: how govstack-conform tests this product.
# Written by `govstack-conform init`; reference: docs/config-reference.md.
# `govstack-conform run` reads it from the working directory (or --config FILE); options given on the
# command line override it. Secrets are never written here: name an environment variable as "env:VAR".

[product]
name = "My product"        # shown in every report
version = "0.0.0"

[defaults]
# target = "{PLACEHOLDER_TARGET}"   # base URL for every BB that sets none
# concurrency = 8               # cases in parallel
# timeout = 30.0                # seconds per request
# seed = 0                      # seed of generated data: same seed, same requests
report = ["html", "md", "junit"]  # written next to results.json (json, junit, html, md, cucumber, form)
# out = "govstack-reports"      # relative to this file
# fail_under = 100.0            # CI: fail when a BB's REQUIRED compliance % is below this
# fail_on = "required"          # CI: "recommended" also fails on RECOMMENDED checks
# baseline = "baseline/results.json"  # CI: failures already in this file do not fail the run

# Waivers for every BB (each BB table may have its own [[bb.<key>.waivers]] too):
# [[waivers]]
# check = "status_code_documented"
# operation = "GET /health"
# justification = "why the failure is accepted, with a ticket"
# expires = 2030-12-31
"""


def _bb_block(bb: BuildingBlock, release: Release) -> str:
    refs = ", ".join(r.ref for r in bb.releases)
    lines = [
        "",
        f"# {bb.title} ({bb.platform_id}). Releases: {refs}; default {bb.default_ref}.",
        f"[bb.{bb.key}]",
        f"release = {_q(release.ref)}",
        f"target = {_q(PLACEHOLDER_TARGET)}   # the product's base URL for this BB",
        "# concurrency = 8",
        f"# latency_budget = {bb.profile.latency_ms}       # ms an answer may take (the BB harness's budget)",
        "# read_only = false              # true: send only GET/HEAD/OPTIONS",
        "# allow_destructive = false      # true: also change/delete records the run did not create",
        '# fixtures = ["fixtures.yaml"]   # identifiers that exist in the product, relative to this file',
        '# path_map = { "/bb/path" = "/product/path" }',
    ]
    if bb.profile.headers:
        lines.append("# The BB harness sends these headers; set the values your product expects.")
        inner = ", ".join(f"{_q(k)} = {_q(v)}" for k, v in bb.profile.headers.items())
        lines.append(f"headers = {{ {inner} }}")
    else:
        lines.append('# headers = { "X-Example" = "value" }   # secret-looking names need "env:VAR" values')
    lines += [
        "",
        f"# [bb.{bb.key}.auth]               # one of: token, api_key, basic, oauth2_token_url + client_*",
        f'# token = "env:{_env_name(bb.key, "TOKEN")}"',
        f'# api_key = "env:{_env_name(bb.key, "API_KEY")}"',
        f'# basic = "user:env:{_env_name(bb.key, "PASSWORD")}"',
        "",
        "# Operations the product leaves out by design: reported skipped (never failed, never passed).",
        f"# [bb.{bb.key}.not_implemented]",
        '# operations = ["DELETE /example/{id}"]   # keys or operationIds; see `govstack-conform specs show`',
        '# tags = ["Example"]',
        '# reason = "why the product does not offer them"',
        "",
        f"# [[bb.{bb.key}.waivers]]",
        '# check = "status_code_documented"',
        '# operation = "GET /example"',
        '# justification = "why the failure is accepted, with a ticket"',
        "# expires = 2030-12-31",
    ]
    return "\n".join(lines) + "\n"


def render_config(selectors: Sequence[str]) -> str:
    """The commented config for the BBs named (`bb[@ref]`); unknown names are CatalogErrors."""
    catalog = load_catalog()
    chosen: list[tuple[BuildingBlock, Release]] = []
    for sel in selectors:
        bb, release = catalog.select(sel)
        if bb.key not in [b.key for b, _ in chosen]:
            chosen.append((bb, release))
    body = HEADER
    if not chosen:
        body += "\n# Add one table per building block the product implements, e.g. `govstack-conform init consent`.\n"
    for bb, release in chosen:
        body += _bb_block(bb, release)
    return body
