"""One realistic results set, used by every report test and the golden files.

Three BB releases: consent (mostly conformant, one waived failure, one expired waiver), digital
registries (schema violations, a hostile response body with <script>, javascript: links and ANSI
escapes, a not-implemented operation, a timeout), information mediator (spec defects make some
operations untestable; read-only mode skipped writes). Credentials appear where the runner records
headers, to prove every format redacts them.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date

from govstack_conform.assessment.waivers import Waiver, apply_waivers
from govstack_conform.engine.cases import CaseKind, Level
from govstack_conform.engine.results import (
    BBResult,
    CaseResult,
    CheckResult,
    Exchange,
    OperationResult,
    Outcome,
    RecordedRequest,
    RecordedResponse,
    RunResults,
    SpecFileRef,
    Verdict,
)

SECRET = "SECRET-TOKEN-123"
HOSTILE_BODY = (
    '{"name": "<script>document.title=\'PWNED\'</script>",'
    ' "avatar": "<img src=x onerror=\\"document.title=\'PWNED2\'\\">",'
    ' "homepage": "javascript:alert(1)", "link": "<a href=\\"javascript:alert(2)\\">click</a>",'
    ' "note": "\x1b[31mRED\x1b[0m and \x07bell",'
    ' "closing": "</pre></details></section><style>body{display:none}</style>"}'
)
TODAY = date(2024, 5, 2)
WAIVERS = [
    Waiver(
        "content_type_json",
        "GET /consents/{consentId}",
        "vendor fix scheduled for 2024-06 release (ticket 4711)",
        date(2024, 6, 30),
    ),
    Waiver(
        "status_code_documented",
        "POST /data/{registryname}/{versionnumber}",
        "was accepted in 2023 audit",
        date(2024, 1, 31),
    ),
]


def sha(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def req(method: str, url: str, body: str | None = None, auth: bool = True) -> RecordedRequest:
    headers = [("Accept", "application/json"), ("Information-Mediator-Client", "eGovStack/GOV/90000009/demo")]
    if auth:
        headers.append(("Authorization", f"Bearer {SECRET}"))
    if body is not None:
        headers.append(("Content-Type", "application/json"))
    return RecordedRequest(method, url, tuple(headers), body)


def resp(status: int, body: str | None, ms: float = 12.0, ctype: str = "application/json") -> RecordedResponse:
    return RecordedResponse(
        status, (("Content-Type", ctype), ("Set-Cookie", f"sid={SECRET}; HttpOnly")), body, False, ms
    )


def ok(check: str, level: Level = Level.REQUIRED, step: str = "request") -> CheckResult:
    return CheckResult(check, level, Outcome.PASSED, f"{check} holds", step)


def fail(check: str, message: str, level: Level = Level.REQUIRED, **kw: str) -> CheckResult:
    return CheckResult(check, level, Outcome.FAILED, message, kw.pop("step", "request"), **kw)


def case(
    bb: str,
    ref: str,
    op: str,
    kind: CaseKind,
    name: str,
    verdict: Verdict,
    checks: list[CheckResult],
    exchanges: list[Exchange],
    reason: str | None = None,
    ms: float = 20.0,
    covers: tuple[str, ...] = (),
) -> CaseResult:
    return CaseResult(
        f"{bb}::{op}::{name}",
        op,
        kind,
        name,
        f"{kind.value} case {name} on {op}",
        verdict,
        tuple(checks),
        tuple(exchanges),
        ms,
        reason,
        covers,
    )


def consent() -> BBResult:
    base = "http://127.0.0.1:8001/consent"
    bb, ref = "consent", "23Q4.1"
    o1, o2, o3 = "GET /consents", "GET /consents/{consentId}", "POST /consents"
    good = '{"consents": [{"id": "c-1", "status": "active"}]}'
    cases = [
        case(
            bb,
            ref,
            o1,
            CaseKind.POSITIVE,
            "positive-list",
            Verdict.PASSED,
            [ok("status_code_documented"), ok("response_schema"), ok("response_time", Level.RECOMMENDED)],
            [Exchange("request", req("GET", f"{base}/consents?limit=10"), resp(200, good))],
        ),
        case(
            bb,
            ref,
            o1,
            CaseKind.SECURITY,
            "security-no-credentials",
            Verdict.PASSED,
            [ok("auth_refused")],
            [Exchange("request", req("GET", f"{base}/consents", auth=False), resp(401, '{"error": "unauthorized"}'))],
        ),
        case(
            bb,
            ref,
            o2,
            CaseKind.POSITIVE,
            "positive-get",
            Verdict.FAILED,
            [
                ok("status_code_documented"),
                fail(
                    "content_type_json",
                    "response Content-Type is text/plain, the spec documents application/json",
                    schema_file="consent/23Q4.1/consent-openapi.yaml",
                    schema_pointer="/paths/~1consents~1{consentId}/get/responses/200/content",
                ),
            ],
            [
                Exchange(
                    "request",
                    req("GET", f"{base}/consents/c-1"),
                    resp(200, '{"id": "c-1", "status": "active"}', ctype="text/plain"),
                )
            ],
            covers=(
                "consent/23Q4.1/features/consents.feature:12 Read one consent by its id",
                "consent/23Q4.1/features/smoke.feature:3",
            ),
        ),
        case(
            bb,
            ref,
            o2,
            CaseKind.METHOD,
            "method-not-allowed",
            Verdict.PASSED,
            [
                ok("method_refused"),
                fail("method_refused_405", "answered 404 where 405 is recommended", Level.RECOMMENDED),
            ],
            [Exchange("request", req("PATCH", f"{base}/consents/c-1"), resp(404, None))],
        ),
        case(
            bb,
            ref,
            o3,
            CaseKind.POSITIVE,
            "positive-create",
            Verdict.PASSED,
            [ok("status_code_documented"), ok("response_schema")],
            [
                Exchange(
                    "request", req("POST", f"{base}/consents", '{"purpose": "research"}'), resp(201, '{"id": "c-2"}')
                )
            ],
        ),
        case(
            bb,
            ref,
            o3,
            CaseKind.NEGATIVE,
            "negative-missing-purpose",
            Verdict.PASSED,
            [ok("client_error")],
            [Exchange("request", req("POST", f"{base}/consents", "{}"), resp(400, '{"error": "purpose required"}'))],
        ),
    ]
    ops = (
        OperationResult(o1, "GET", "/consents", "listConsents", "consent/23Q4.1/consent-openapi.yaml", Verdict.PASSED),
        OperationResult(
            o2, "GET", "/consents/{consentId}", "getConsent", "consent/23Q4.1/consent-openapi.yaml", Verdict.FAILED
        ),
        OperationResult(
            o3, "POST", "/consents", "createConsent", "consent/23Q4.1/consent-openapi.yaml", Verdict.PASSED
        ),
    )
    return BBResult(
        bb,
        ref,
        "Consent",
        "bb-consent",
        base,
        (SpecFileRef("consent/23Q4.1/consent-openapi.yaml", sha("consent-openapi")),),
        ops,
        tuple(cases),
        (),
        "2024-05-02T09:00:00+00:00",
        "2024-05-02T09:00:04+00:00",
        4.0,
    )


def registries() -> BBResult:
    base = "http://127.0.0.1:8002/registries"
    bb, ref = "digital-registries", "23Q4"
    f = "digital-registries/23Q4/GovStack_Digital_Registries_BB_API.json"
    o1 = "POST /data/{registryname}/{versionnumber}"
    o2 = "GET /data/{registryname}/{versionnumber}/read"
    o3 = "DELETE /data/{registryname}/{versionnumber}/{ID}/delete"
    o4 = "GET /data/{registryname}/{versionnumber}/exists"
    cases = [
        case(
            bb,
            ref,
            o2,
            CaseKind.POSITIVE,
            "positive-read",
            Verdict.FAILED,
            [
                ok("status_code_documented"),
                fail(
                    "response_schema",
                    "'birthDate' is a required property",
                    instance_pointer="/content",
                    schema_file=f,
                    schema_pointer="/components/schemas/Person/required",
                ),
                fail(
                    "response_schema",
                    "'<script>document.title=\\'PWNED\\'</script>' is not of type 'integer'",
                    instance_pointer="/content/name",
                    schema_file=f,
                    schema_pointer="/components/schemas/Person/properties/name/type",
                ),
            ],
            [
                Exchange(
                    "request",
                    req("GET", f"{base}/data/mcts/1.0/read?query.ID=EE378627348834"),
                    resp(200, HOSTILE_BODY, 31.0),
                )
            ],
            covers=("digital-registries/23Q4/features/data_read.feature:15 User obtains a searched *record* | <b>",),
        ),
        case(
            bb,
            ref,
            o2,
            CaseKind.NEGATIVE,
            "negative-bad-query",
            Verdict.FAILED,
            [
                fail(
                    "no_server_error",
                    "answered 500 Internal Server Error to invalid input; a 4xx is required",
                    schema_file=f,
                    schema_pointer="/paths/~1data~1{registryname}~1{versionnumber}~1read/get/responses",
                )
            ],
            [
                Exchange(
                    "request",
                    req("GET", f"{base}/data/mcts/1.0/read?query.ID=%00%FF"),
                    resp(
                        500,
                        'Traceback (most recent call last):\n  File "app.py"\n\x1b[1mKeyError\x1b[0m',
                        ctype="text/plain",
                    ),
                )
            ],
        ),
        case(
            bb,
            ref,
            o1,
            CaseKind.POSITIVE,
            "positive-create",
            Verdict.FAILED,
            [
                fail(
                    "status_code_documented",
                    "answered 202, which the spec does not document (200, 400)",
                    schema_file=f,
                    schema_pointer="/paths/~1data~1{registryname}~1{versionnumber}/post/responses",
                )
            ],
            [
                Exchange(
                    "request",
                    req("POST", f"{base}/data/mcts/1.0?api_key={SECRET}", '{"write": {"content": {"ID": "EE1"}}}'),
                    resp(202, '{"ok": true}'),
                )
            ],
        ),
        case(
            bb,
            ref,
            o1,
            CaseKind.STATEFUL,
            "stateful-crud",
            Verdict.ERROR,
            [],
            [
                Exchange(
                    "create",
                    req("POST", f"{base}/data/mcts/1.0", '{"write": {"content": {"ID": "EE2"}}}'),
                    None,
                    "timed out after 15000 ms waiting for the response",
                )
            ],
            reason="timed out after 15000 ms waiting for the response",
            ms=15000.0,
        ),
        case(
            bb,
            ref,
            o3,
            CaseKind.POSITIVE,
            "positive-delete",
            Verdict.NOT_IMPLEMENTED,
            [fail("status_code_documented", "answered 404 Not Found: the operation is not implemented")],
            [
                Exchange(
                    "request",
                    req("DELETE", f"{base}/data/mcts/1.0/EE1/delete"),
                    resp(404, "<html><body><h1>Not Found</h1></body></html>", ctype="text/html"),
                )
            ],
        ),
        case(
            bb,
            ref,
            o4,
            CaseKind.POSITIVE,
            "positive-exists",
            Verdict.PASSED,
            [ok("status_code_documented"), ok("response_schema")],
            [
                Exchange(
                    "request",
                    req("GET", f"{base}/data/mcts/1.0/exists?query.ID=EE1"),
                    resp(200, '{"answer": {"status": true, "message": "found"}}'),
                )
            ],
        ),
    ]
    ops = (
        OperationResult(o1, "POST", "/data/{registryname}/{versionnumber}", "create", f, Verdict.FAILED),
        OperationResult(o2, "GET", "/data/{registryname}/{versionnumber}/read", "read", f, Verdict.FAILED),
        OperationResult(
            o3, "DELETE", "/data/{registryname}/{versionnumber}/{ID}/delete", "delete", f, Verdict.NOT_IMPLEMENTED
        ),
        OperationResult(o4, "GET", "/data/{registryname}/{versionnumber}/exists", "exists", f, Verdict.PASSED),
    )
    return BBResult(
        bb,
        ref,
        "Digital Registries",
        "bb-digital-registries",
        base,
        (SpecFileRef(f, sha(f)),),
        ops,
        tuple(cases),
        (),
        "2024-05-02T09:00:04+00:00",
        "2024-05-02T09:00:21+00:00",
        17.0,
    )


def mediator() -> BBResult:
    base = "http://127.0.0.1:8003/im"
    bb, ref = "information-mediator", "23Q4"
    f1 = "information-mediator/23Q4/pubsub.yaml"
    f2 = "information-mediator/23Q4/service-access.yaml"
    o1 = "GET /{GovStackInstance}/{memberClass}/{memberCode}/{applicationCode}/listMethods"
    o2 = "POST /pub/{eventType}"
    o3 = "PUT /sub/{eventType}"
    defect = {
        "file": f1,
        "pointer": "/paths/~1pub~1{eventType}/post/requestBody/content/application~1json/schema",
        "message": "$ref '#/components/schemas/Event' does not resolve",
        "severity": "error",
        "code": "unresolvable-ref",
        "operation": o2,
        "aspect": "request-body",
    }
    cases = [
        case(
            bb,
            ref,
            o1,
            CaseKind.POSITIVE,
            "positive-list-methods",
            Verdict.PASSED,
            [ok("status_code_documented"), ok("response_schema"), ok("response_time", Level.RECOMMENDED)],
            [
                Exchange(
                    "request",
                    req("GET", f"{base}/eGovStack/GOV/90000009/demo/listMethods"),
                    resp(200, '{"service": [{"serviceCode": "getConsents"}]}'),
                )
            ],
            covers=("information-mediator/23Q4/features/list_methods.feature:4 The <methods> are listed & shown",),
        ),
        case(
            bb,
            ref,
            o2,
            CaseKind.POSITIVE,
            "positive-publish",
            Verdict.UNTESTABLE,
            [
                CheckResult(
                    "request_body_valid",
                    Level.REQUIRED,
                    Outcome.UNTESTABLE,
                    "the request body schema cannot be resolved",
                    None,
                    None,
                    f1,
                    defect["pointer"],
                )
            ],
            [],
            reason="spec defect unresolvable-ref: $ref '#/components/schemas/Event' does not resolve",
        ),
        case(
            bb,
            ref,
            o3,
            CaseKind.POSITIVE,
            "positive-subscribe",
            Verdict.SKIPPED,
            [],
            [],
            reason="--read-only: PUT is not sent",
        ),
    ]
    ops = (
        OperationResult(
            o1,
            "GET",
            "/{GovStackInstance}/{memberClass}/{memberCode}/{applicationCode}/listMethods",
            "listMethods",
            f2,
            Verdict.PASSED,
        ),
        OperationResult(
            o2,
            "POST",
            "/pub/{eventType}",
            "publishEvent",
            f1,
            Verdict.UNTESTABLE,
            "spec defect unresolvable-ref at " + defect["pointer"],
        ),
        OperationResult(o3, "PUT", "/sub/{eventType}", "subscribe", f1, Verdict.SKIPPED, "--read-only"),
    )
    return BBResult(
        bb,
        ref,
        "Information Mediator",
        "bb-information-mediator",
        base,
        (SpecFileRef(f1, sha(f1)), SpecFileRef(f2, sha(f2))),
        ops,
        tuple(cases),
        (defect,),
        "2024-05-02T09:00:21+00:00",
        "2024-05-02T09:00:23+00:00",
        2.0,
    )


def build(waivers: bool = True) -> RunResults:
    results = RunResults(
        tool_version="0.1.0",
        started="2024-05-02T09:00:00+00:00",
        finished="2024-05-02T09:00:23+00:00",
        seed=1234,
        options={"insecure": False, "read_only": True, "timeout_ms": 15000},
        results=(consent(), registries(), mediator()),
        product={"name": "Acme Registry <b>Suite</b>", "version": "2.3.1"},
    )
    return apply_waivers(results, WAIVERS, TODAY) if waivers else results


def with_body(results: RunResults, body: str) -> RunResults:
    """`results` with one more case in its first BB, whose answer body is `body`."""
    bb = results.results[0]
    extra = dataclasses.replace(
        bb.cases[0],
        case_id="consent::odd-body",
        exchanges=(Exchange("request", RecordedRequest("GET", "http://x/odd", ()), RecordedResponse(200, (), body)),),
    )
    return dataclasses.replace(
        results, results=(dataclasses.replace(bb, cases=(*bb.cases, extra)), *results.results[1:])
    )


def platform_counts(ndjson: str) -> dict[tuple[str, str], tuple[int, int]]:
    """Read Cucumber Messages the way the GovStack compliance platform does, independently of our writer.

    Features are grouped by their `@method=` and `@endpoint=` tags; a test case passes when none of its
    steps FAILED. Returns (passed, failed) per (method, endpoint).
    """
    import json

    docs: dict[str, dict[str, str]] = {}
    pickles: dict[str, str] = {}
    cases: dict[str, str] = {}
    started: dict[str, str] = {}
    statuses: dict[str, list[str]] = {}
    for line in ndjson.splitlines():
        if not line.strip():
            continue
        m = json.loads(line)
        if "gherkinDocument" in m:
            g = m["gherkinDocument"]
            tags = {
                t["name"].split("=", 1)[0]: t["name"].split("=", 1)[1] for t in g["feature"]["tags"] if "=" in t["name"]
            }
            docs[g["uri"]] = tags
        elif "pickle" in m:
            pickles[m["pickle"]["id"]] = m["pickle"]["uri"]
        elif "testCase" in m:
            cases[m["testCase"]["id"]] = m["testCase"]["pickleId"]
        elif "testCaseStarted" in m:
            started[m["testCaseStarted"]["id"]] = m["testCaseStarted"]["testCaseId"]
        elif "testStepFinished" in m:
            s = m["testStepFinished"]
            statuses.setdefault(s["testCaseStartedId"], []).append(s["testStepResult"]["status"])
    out: dict[tuple[str, str], tuple[int, int]] = {}
    for started_id, case_id in started.items():
        tags = docs[pickles[cases[case_id]]]
        key = (tags["@method"], tags["@endpoint"])
        passed, failed = out.get(key, (0, 0))
        if "FAILED" in statuses.get(started_id, []):
            failed += 1
        else:
            passed += 1
        out[key] = (passed, failed)
    return out
