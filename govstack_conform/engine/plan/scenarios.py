"""The BBs' own Gherkin scenarios, matched to the planned cases that test the same thing.

GovStack's harness keeps its scenarios beside each release's spec (`<bb>/<ref>/features/*.feature` in the
spec store). Each feature names its operation in `@method=` and `@endpoint=` tags; each scenario's steps
say the status it expects. A planned case covers a scenario only when it sends the same operation and
expects the same class of outcome (success, a refusal of invalid input, a refused credential, a refused
method), and when that expectation can really be demanded: a success on an item path proves nothing when
our identifier was generated (404 is then no fault), so only a case that reads what it created counts.
Everything else is accounted for with the reason it is not covered. The features are parsed with the
official Gherkin parser, never by hand.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from gherkin.parser import Parser
from gherkin.token_scanner import TokenScanner

from govstack_conform import datagen
from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.engine.cases import Case, CaseKind, Expect
from govstack_conform.engine.inband import reports_errors_in_body
from govstack_conform.engine.plan.request import CREDENTIAL
from govstack_conform.engine.plan.safety import changes_records
from govstack_conform.engine.plan.workflows import UNIQUE_VALUE
from govstack_conform.engine.testdata import OperationData, TestData

_STATUS = re.compile(r"\bstatus(?: code)?(?: of| is| should be)? \"?(\d{3})\b", re.IGNORECASE)
_NEGATIVE_NAME = re.compile(r"^(not able|unable|could not|cannot|is unable)\b", re.IGNORECASE)
# Features whose @method/@endpoint tags name another operation than their steps exercise (all of workflow
# 23Q4's are tagged with a list path): the operation the steps name, and why.
_OVERRIDES: dict[str, tuple[str, str]] = {
    "workflow/23Q4/features/start-instance.feature": (
        "POST /processes/{processId}/start",
        "tagged GET .../instances, but its steps start a process instance",
    ),
    "workflow/23Q4/features/stop-instance.feature": (
        "POST /instances/{instanceId}/stop",
        "tagged GET .../instances, but its steps stop an instance",
    ),
    "workflow/23Q4/features/detail-instance.feature": (
        "GET /instances/{instanceId}",
        "tagged GET .../instances, but its steps read one instance",
    ),
    "workflow/23Q4/features/detail-process.feature": (
        "GET /processes/{processId}",
        "tagged GET .../processes, but its steps read one process",
    ),
}


@dataclass(frozen=True)
class Scenario:
    """One Scenario or Scenario Outline of a feature file."""

    file: str  # store-relative path, "consent/23Q4.1/features/data_agreement.feature"
    line: int
    name: str
    method: str
    endpoint: str
    statuses: tuple[int, ...]
    negative: bool  # tagged @negative or named as a refusal ("Unable to ...")

    @property
    def ref(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Coverage:
    """What covers a scenario: the case ids, or why none does (and the operation it was matched to)."""

    scenario: Scenario
    cases: tuple[str, ...]
    reason: str = ""
    operation: str = ""
    note: str = ""


def parse_feature(text: str, file: str) -> list[Scenario]:
    doc = Parser().parse(TokenScanner(text))
    feature: Any = doc.get("feature")  # the parser's TypedDicts do not type the children: read as plain JSON
    if not feature:
        return []
    tags = {t["name"].split("=", 1)[0]: t["name"].split("=", 1)[1] for t in feature["tags"] if "=" in t["name"]}
    out = []
    children = [c for c in feature["children"] if "scenario" in c]
    for rule in (c["rule"] for c in feature["children"] if "rule" in c):
        children.extend(c for c in rule["children"] if "scenario" in c)
    for child in children:
        sc = child["scenario"]
        text_all = " ".join(step["text"] for step in sc["steps"])
        codes = tuple(int(c) for c in _STATUS.findall(text_all))
        sc_tags = {t["name"].lower() for t in sc["tags"]}
        out.append(
            Scenario(
                file=file,
                line=int(sc["location"]["line"]),
                name=sc["name"].strip(),
                method=tags.get("@method", "").upper(),
                endpoint=tags.get("@endpoint", ""),
                statuses=codes,
                negative="@negative" in sc_tags or bool(_NEGATIVE_NAME.match(sc["name"].strip())),
            )
        )
    return out


@functools.lru_cache(maxsize=64)
def release_scenarios(root: str, bb: str, ref: str) -> tuple[Scenario, ...]:
    """Every scenario of the release's feature files in the spec store at `root` (none when it has no features)."""
    folder = Path(root) / bb / ref / "features"
    if not folder.is_dir():
        return ()
    out: list[Scenario] = []
    for path in sorted(folder.glob("*.feature")):
        out.extend(parse_feature(path.read_text(encoding="utf-8"), f"{bb}/{ref}/features/{path.name}"))
    return tuple(out)


def store_root(contract: Contract) -> str | None:
    """The spec store the contract was read from: where a document's path ends with its store key."""
    for doc in contract.documents.values():
        if doc.path and doc.key.startswith(f"{contract.bb}/{contract.ref}/"):
            path = doc.path.replace("\\", "/")
            if path.endswith("/" + doc.key):
                return path[: -len(doc.key) - 1]
    return None


def _norm(segment: str) -> str:
    return "{}" if segment.startswith("{") else segment.replace("-", "").replace("_", "").lower()


def _segments(path: str) -> list[str]:
    return [_norm(s) for s in path.partition("?")[0].strip("/").split("/") if s]


def match_operation(contract: Contract, method: str, endpoint: str) -> tuple[Operation | None, str]:
    """The contract's operation the feature names, and a note when matched despite a spelling or a prefix
    (`update-entries` for `updateEntries`; the mediator's `/{instance}/{class}/{member}/{app}` in front)."""
    want = _segments(endpoint)
    note = ""
    for op in sorted(contract.operations, key=lambda o: o.key):
        if op.method != method:
            continue
        have = _segments(op.path)
        if have == want:
            exact = op.path.partition("?")[0].rstrip("/").lower() == endpoint.rstrip("/").lower()
            return op, "" if exact else f"the feature spells the path {endpoint}"
        if len(have) == len(want) + 1 and have[1:] == want and have[0] != "{}":
            return op, f"the feature calls {endpoint}, below the contract's /{op.path.strip('/').split('/')[0]}"
        if want[:4] == ["{}"] * 4 and want[4:] == have and have:
            note = f"the feature calls {endpoint}: the operation through the information mediator"
            return op, note
    return None, note


def _unmatched_filters(cases: Sequence[Case], op: Operation, scenario: Scenario) -> tuple[str, ...]:
    """Sent cases filtering `op`'s list by a value no record holds, on the parameter the scenario names
    ("... because provided fileId was not found": 200 and an empty list)."""
    words = {w.lower() for w in re.findall(r"[A-Za-z_]+", scenario.name)}
    return tuple(
        c.case_id
        for c in cases
        if c.operation == op.key
        and not c.untestable
        and not c.skip
        and (name := c.steps[0].unmatched_filter) is not None
        and name.lower() in words
    )


def _identifying(op: Operation) -> bool:
    return any(p.location == "path" or (p.location == "query" and p.required) for p in op.parameters)


def _expect_of(status: int) -> Expect | None:
    if 200 <= status < 400:
        return Expect.SUCCESS
    if status in (401, 403):
        return Expect.AUTH_REFUSED
    if status == 405:
        return Expect.METHOD_REFUSED
    if 400 <= status < 500:
        return Expect.CLIENT_ERROR
    return None


def _covering(cases: Sequence[Case], op: Operation, expect: Expect) -> tuple[list[str], list[str]]:
    """(ids of cases that check `expect` on `op`, why those that would are not sent: untestable, or held back
    for data safety; a case that is not sent covers nothing)."""
    ids: list[str] = []
    blocked: list[str] = []
    for c in cases:
        if expect is Expect.METHOD_REFUSED:
            hit = c.kind is CaseKind.METHOD and c.steps[0].request.path == op.path
        elif expect is Expect.SUCCESS and c.kind is CaseKind.POSITIVE:
            hit = c.operation == op.key and not (_identifying(op) and "generated-id" in c.tags)
            hit = hit and c.steps[0].unmatched_filter is None  # a filter selecting nothing is another scenario
        elif expect in (Expect.SUCCESS, Expect.CLIENT_ERROR) and c.kind is CaseKind.STATEFUL:
            hit = _fills_ids(c, op, expect)  # a workflow step refused on what the workflow itself created
        elif expect is Expect.CLIENT_ERROR:
            hit = c.kind is CaseKind.NEGATIVE and c.operation == op.key
        elif expect is Expect.AUTH_REFUSED:
            hit = c.kind is CaseKind.SECURITY and c.operation == op.key
        else:
            hit = False
        if hit and c.untestable:
            blocked.append(f"untestable: {c.untestable}")
        elif hit and c.skip:
            blocked.append(c.skip)
        elif hit:
            ids.append(c.case_id)
    return ids, blocked


def _fills_ids(case: Case, op: Operation, expect: Expect = Expect.SUCCESS) -> bool:
    """A sequence step on `op` that expects `expect` names only what the sequence itself created or captured: every
    path parameter and required query parameter is a captured value (`${...}`) or the workflow's own unique value."""
    required = {p.name for p in op.parameters if p.location == "query" and p.required}
    for s in case.steps:
        if s.operation != op.key or s.expect is not expect:
            continue
        named = [v for _, v in s.request.path_params] + [v for k, v in s.request.query if k in required]
        if all("${" in v or UNIQUE_VALUE.search(v) for v in named):
            return True
    return False


def cover(contract: Contract, cases: Sequence[Case], scenario: Scenario) -> Coverage:
    """The cases that test what the scenario tests, or the reason none does."""
    method, endpoint, note = scenario.method, scenario.endpoint, ""
    override = _OVERRIDES.get(scenario.file)
    if override is not None:
        method, _, endpoint = override[0].partition(" ")
        note = override[1]
    if not method or not endpoint:
        return Coverage(scenario, (), "the feature names no operation (@method/@endpoint tags)")
    op, matched = match_operation(contract, method, endpoint)
    note = note or matched
    if op is None:
        return Coverage(scenario, (), f"calls {method} {endpoint}, which the contract does not define")
    if not scenario.statuses:
        return Coverage(scenario, (), "states no status to expect", op.key, note)
    status = scenario.statuses[-1]
    expect = _expect_of(status)
    if expect is None:
        return Coverage(scenario, (), f"expects {status}, which no conformance check demands", op.key, note)
    if op.response_for(status) is None and expect is not Expect.METHOD_REFUSED:
        documented = ", ".join(r.status for r in op.responses)
        why = f"expects {status}, which the contract does not document for {op.key} ({documented})"
        return Coverage(scenario, (), why, op.key, note)
    if scenario.negative and expect is Expect.SUCCESS and reports_errors_in_body(contract, op):
        # the contract reports invalid input in a 2xx body: our negative cases demand exactly that refusal
        expect = Expect.CLIENT_ERROR
        note = note or "the contract reports errors in the 200 body; our negative cases accept that refusal"
    if scenario.negative and expect is Expect.SUCCESS and (filtered := _unmatched_filters(cases, op, scenario)):
        return Coverage(scenario, filtered, "", op.key, note or "a list filtered by a value no record holds")
    if scenario.negative and expect is Expect.SUCCESS:
        why = (
            f"sends input it calls invalid (or unknown) and expects {status} with the error in the body; "
            "no case checks an error reported in a success answer"
        )
        return Coverage(scenario, (), why, op.key, note)
    ids, blocked = _covering(cases, op, expect)
    if ids:
        return Coverage(scenario, tuple(ids), "", op.key, note)
    if blocked:
        return Coverage(scenario, (), f"our cases for it are not sent: {blocked[0]}", op.key, note)
    if expect is Expect.SUCCESS and _identifying(op):
        why = f"needs data only the candidate has: an existing record named in {op.key}'s path or required query"
        return Coverage(scenario, (), why, op.key, note)
    return Coverage(scenario, (), f"no planned case of {op.key} expects {expect.value}", op.key, note)


def coverage(contract: Contract, cases: Sequence[Case]) -> list[Coverage]:
    root = store_root(contract)
    if root is None:
        return []
    return [cover(contract, cases, s) for s in release_scenarios(root, contract.bb, contract.ref)]


NEEDS_DATA = "needs data only the candidate has"
_NOT_OURS = "on a record the run did not create"


def wants_candidate_data(cov: Coverage) -> bool:
    """Whether the scenario is left uncovered only because the run cannot name a record the candidate holds."""
    return cov.reason.startswith(NEEDS_DATA) or (
        cov.reason.startswith("our cases for it are not sent") and _NOT_OURS in cov.reason
    )


def candidate_testdata(contract: Contract, cases: Sequence[Case], found: Sequence[Coverage]) -> TestData:
    """Test data naming what the candidate holds for each operation a scenario needs it for: schema-valid
    stand-ins for the identifiers (path, required query) and required credential headers a vendor's --fixtures
    file or the harness's testCustomParameters.json names; kept for reads, `disposable` for changes."""
    wanted = {c.operation for c in found if c.operation and wants_candidate_data(c)}
    kept: dict[str, OperationData] = {}
    disposable: dict[str, OperationData] = {}
    for key in sorted(wanted):
        op = contract.operation(key)
        if op is None or not any(
            c.operation == key and c.kind is CaseKind.POSITIVE and not c.untestable for c in cases
        ):
            continue
        named: dict[str, Any] = {}
        for p in op.parameters:
            if p.location == "path" or (p.required and (p.location == "query" or CREDENTIAL.search(p.name))):
                try:
                    named[p.name] = datagen.generate_parameter(contract, p, seed=f"candidate|{key}")
                except datagen.GenerationError:
                    continue
        (disposable if changes_records(op) else kept)[key] = OperationData(parameters=named)
    return TestData(
        operations=kept, disposable_operations=disposable, sources=("stand-ins for the candidate's records",)
    )


def with_covers(contract: Contract, cases: Sequence[Case]) -> Sequence[Case]:
    """The cases, each carrying the scenarios it covers as `<file>:<line> <name>` (no feature path holds a space):
    the reports show the name without reading a feature file again."""
    found: dict[str, list[str]] = {}
    for cov in coverage(contract, cases):
        for cid in cov.cases:
            found.setdefault(cid, []).append(f"{cov.scenario.ref} {' '.join(cov.scenario.name.split())}".rstrip())
    if not found:
        return cases
    return [replace(c, covers=tuple(found[c.case_id])) if c.case_id in found else c for c in cases]
