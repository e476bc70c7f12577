"""The browser tests skip with one reason on a machine without Chromium, and fail instead where CI requires it."""

from __future__ import annotations

import pytest
from browser import REASON, REQUIRE

pytest_plugins = ["pytester"]

USES_THE_BROWSER = """
from browser import chromium

def test_one(tmp_path):
    chromium(tmp_path, "--version")

def test_two(tmp_path):
    chromium(tmp_path, "--version")
"""


@pytest.fixture
def no_browser(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PATH", str(pytester.path / "empty-bin"))
    monkeypatch.delenv(REQUIRE, raising=False)
    pytester.makepyfile(test_uses_browser=USES_THE_BROWSER)
    return pytester


def test_without_chromium_the_tests_skip_with_one_reason(no_browser: pytest.Pytester) -> None:
    result = no_browser.runpytest("-p", "no:cacheprovider", "-rs")
    result.assert_outcomes(skipped=2)
    assert result.stdout.str().count(REASON) == 1  # both skips grouped under the one reason


def test_ci_turns_the_skip_into_a_failure(no_browser: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE, "1")
    result = no_browser.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    assert f"{REQUIRE}=1 requires it" in result.stdout.str()
