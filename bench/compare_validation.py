"""The whole suite with and without the compiled validator: per-case verdicts and check messages must match.

Run by hand: GOVSTACK_CONFORM_SPECS=../shared/govspecs python bench/compare_validation.py [BB@REF ...] [--sabotage]

For each release the suite runs against the mock of that release twice in one process, once with
contracts/compiled.py on (validity from jsonschema-rs, jsonschema for failures) and once off (jsonschema
for everything, as before), on the engine's side and the mock's alike. With --sabotage it also runs
against the mock with each behaviour switched off (tests/test_conformance_mock.py's sabotage), where
failures are expected: they must be the same failures, worded the same. Prints one line per run, the
CPU seconds of both, and every difference; exits 1 on any.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from govstack_conform.contracts import compiled
from govstack_conform.contracts.catalog import load_catalog
from govstack_conform.contracts.load import load_contract
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.run.session import Target, run
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread

TOKEN = "mock-token-7d1e"
API_KEY = "mock-key-93ab"
SWITCHES = ("validate_requests", "enforce_auth", "keep_state", "send_required_headers", "method_not_allowed")


def outcomes(contract: Contract, mock: MockOptions, enabled: bool) -> tuple[dict[str, Any], float]:
    """Per case: verdict, reason and every check's outcome and message (the mock's URL taken out)."""
    compiled.ENABLED = enabled
    for key in ("_compiled", "_translators", "_body_verdicts", "_datagen_verdicts"):
        contract.__dict__.pop(key, None)
    headers = tuple(load_catalog().get(contract.bb).profile.headers.items())
    options = RunOptions(credentials=Credentials(bearer=TOKEN, api_key=API_KEY), concurrency=1)
    start = time.process_time()
    try:
        with serve_in_thread(contract, mock) as server:
            bb = run([Target(contract, server.base_url, "", headers)], options).results[0]
            url = server.base_url
    finally:
        compiled.ENABLED = True
    cpu = time.process_time() - start
    found = {
        c.case_id: (
            c.verdict.value,
            (c.reason or "").replace(url, "<mock>"),
            [(k.check, k.outcome.value, (k.message or "").replace(url, "<mock>")) for k in c.checks],
        )
        for c in bb.cases
    }
    return found, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("releases", nargs="*")
    parser.add_argument("--sabotage", action="store_true", help="also every sabotaged mock")
    args = parser.parse_args()
    releases = args.releases or [f"{bb.key}@{r.ref}" for bb in load_catalog().bbs for r in bb.releases]
    differences = 0
    print(f"{'release':28} {'mock':22} {'cases':>5} {'failed':>6} {'cpu on':>7} {'cpu off':>7}  same")
    for release in releases:
        contract = load_contract(release)
        mocks = [("intact", MockOptions(token=TOKEN, api_key=API_KEY))]
        if args.sabotage:
            mocks += [(f"no {s}", MockOptions(token=TOKEN, api_key=API_KEY, **{s: False})) for s in SWITCHES]
        for label, mock in mocks:
            on, cpu_on = outcomes(contract, mock, True)
            off, cpu_off = outcomes(contract, mock, False)
            diff = sorted(k for k in on.keys() | off.keys() if on.get(k) != off.get(k))
            failed = sum(1 for v in on.values() if v[0] == "failed")
            print(f"{release:28} {label:22} {len(on):5d} {failed:6d} {cpu_on:7.2f} {cpu_off:7.2f}  {not diff}")
            for key in diff[:5]:
                print(f"    {key}\n      on:  {on.get(key)}\n      off: {off.get(key)}")
            differences += len(diff)
    print(f"differences: {differences}")
    sys.exit(1 if differences else 0)


if __name__ == "__main__":
    main()
