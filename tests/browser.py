"""Headless Chromium for the tests that look at a report in a real browser.

A developer's fresh machine may have no browser: those tests then skip, all with the same reason. CI
installs Chromium (`.ci/run`) and sets GOVSTACK_CONFORM_REQUIRE_BROWSER=1, which turns that skip into a
failure, so a CI run can never pass by not looking.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REQUIRE = "GOVSTACK_CONFORM_REQUIRE_BROWSER"
REASON = "no Chromium installed (Debian package: chromium); CI installs it and sets " + REQUIRE + "=1"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)


def chromium_path() -> str:
    """The browser's path; skips (fails when REQUIRE is set) when there is none."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get(REQUIRE) == "1":
            pytest.fail(f"{REASON}, but {REQUIRE}=1 requires it", pytrace=False)
        pytest.skip(REASON)
    return found


def chromium(tmp: Path, *args: str) -> str:
    """Run headless Chromium with a throw-away profile; its stdout (e.g. the DOM with --dump-dom)."""
    run = subprocess.run(
        [chromium_path(), *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout
