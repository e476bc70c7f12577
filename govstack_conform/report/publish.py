"""Publishing to the GovStack compliance platform: `POST /report/upload`, one upload per BB release.

The contract: multipart with file `report` (Cucumber Messages NDJSON), optional file `META` (YAML with
`name:`), fields `buildingBlock` (platform id, e.g. bb-consent), `testSuite`, `testApp`, `sourceBranch`,
`version`; header `x-api-key`. The API key is never printed: every message is scrubbed of it.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass

import httpx
import yaml

from govstack_conform.assessment.compliance import assess
from govstack_conform.contracts.http_url import parse_http_url
from govstack_conform.engine.credentials import check_no_control
from govstack_conform.engine.results import RunResults
from govstack_conform.errors import ReportError, UsageError
from govstack_conform.redact import REDACTED
from govstack_conform.report.formats.cucumber import CucumberFormat
from govstack_conform.report.redact import redact_results

DEFAULT_TEST_SUITE = "govstack-conform"
TIMEOUT_S = 60.0


class PublishError(ReportError):
    """The platform refused an upload or could not be reached."""


def resolve_api_key(spec: str) -> str:
    """`env:VAR` -> the variable's value. Keys are never accepted literally, so they stay out of shell history."""
    if not spec.startswith("env:") or len(spec) <= 4:
        raise UsageError("--api-key must be env:VARIABLE (the key itself is never given on the command line)")
    name = spec[4:]
    value = os.environ.get(name, "")
    if not value:
        raise UsageError(f"--api-key: environment variable {name} is not set or empty")
    check_no_control(value, "--api-key")
    return value


@dataclass(frozen=True)
class Upload:
    building_block: str  # platform id
    label: str  # "consent@23Q4.1"
    status: int
    passed: int
    failed: int


def _meta(name: str) -> bytes:
    return yaml.safe_dump({"name": name}, allow_unicode=True, sort_keys=False).encode("utf-8")


def publish(
    results: RunResults,
    url: str,
    api_key: str,
    test_app: str,
    branch: str,
    version: str,
    test_suite: str = DEFAULT_TEST_SUITE,
    product_name: str | None = None,
    transport: httpx.BaseTransport | None = None,
    on_upload: Callable[[Upload], None] | None = None,
) -> list[Upload]:
    """Upload one Cucumber report per BB release in `results`; PublishError on the first refusal.

    `url` is the platform's base URL (".../report/upload" is appended unless already there).
    """
    if not results.results:
        raise UsageError("the results contain no building block to publish")
    parse_http_url(url, "--url")
    for value, what in ((test_app, "--test-app"), (branch, "--branch"), (version, "--version"),
                        (test_suite, "--test-suite"), (product_name, "--product-name")):  # fmt: skip
        if value is not None and not value.strip():
            raise UsageError(f"{what} must not be empty")
        check_no_control(value, what)  # sent in form fields and a file name: one line of text
    endpoint = url.rstrip("/")
    if not endpoint.endswith("/report/upload"):
        endpoint += "/report/upload"
    safe = redact_results(results, [api_key])
    name = product_name or str(safe.product.get("name") or test_app)

    def scrub(text: str) -> str:
        return text.replace(api_key, REDACTED)

    done = []
    with httpx.Client(timeout=TIMEOUT_S, transport=transport, follow_redirects=False) as client:
        for bb in safe.results:
            one = dataclasses.replace(safe, results=(bb,))
            compliance = assess(one)
            ndjson = CucumberFormat().render(one, compliance)
            counts = compliance.bbs[0].case_counts
            data = {
                "buildingBlock": bb.platform_id,
                "testSuite": test_suite,
                "testApp": test_app,
                "sourceBranch": branch,
                "version": version,
            }
            files = {
                "report": ("report.ndjson", ndjson, "application/x-ndjson"),
                "META": ("META.yml", _meta(name), "application/yaml"),
            }
            label = f"{bb.bb}@{bb.ref}"
            try:
                resp = client.post(endpoint, data=data, files=files, headers={"x-api-key": api_key})
            except httpx.HTTPError as exc:
                raise PublishError(
                    scrub(f"upload of {label} to {endpoint} failed: {type(exc).__name__}: {exc}")
                ) from None
            if not 200 <= resp.status_code < 300:
                body = " ".join(resp.text.split())[:300]
                raise PublishError(scrub(f"upload of {label} refused: HTTP {resp.status_code}: {body}"))
            failed = counts["failed"] + counts["not-implemented"] + counts["error"]
            up = Upload(bb.platform_id, label, resp.status_code, counts["passed"], failed)
            if on_upload:
                on_upload(up)
            done.append(up)
    return done
