"""--shard I/N: a deterministic split whose merged results equal one unsharded run (real engine, real mock)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from pathlib import Path

import pytest

from govstack_conform.assessment.compliance import assess
from govstack_conform.assessment.gate import gate
from govstack_conform.contracts import load as contracts
from govstack_conform.contracts.model import Contract
from govstack_conform.engine.cases import Case
from govstack_conform.engine.credentials import Credentials
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.plan.shard import parse_shard, shard
from govstack_conform.engine.results import RunResults, Verdict
from govstack_conform.engine.run.session import Target, plan_target, run
from govstack_conform.errors import ConfigError
from govstack_conform.mock import MockOptions
from govstack_conform.mock.server import serve_in_thread
from govstack_conform.report.compare import merge

OPTIONS = RunOptions(credentials=Credentials(bearer="tok-9"), concurrency=4)


@pytest.fixture(scope="module")
def contract(corpus_dir: Path) -> Contract:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GOVSTACK_CONFORM_SPECS", str(corpus_dir))
        return contracts.load_contract("consent@main")


@pytest.fixture(scope="module")
def cases(contract: Contract) -> tuple[Case, ...]:
    return plan_target(Target(contract, "http://127.0.0.1:1"), OPTIONS)


def _run(contract: Contract, cases: tuple[Case, ...] | None) -> RunResults:
    """A fresh product per job, as each CI job starts its own service container at the same URL."""
    with serve_in_thread(contract, MockOptions(token="tok-9", validate_requests=False)) as server:
        results = run([Target(contract, server.base_url, cases=cases)], OPTIONS)
    same_url = tuple(dataclasses.replace(b, target="http://product:8080") for b in results.results)
    return dataclasses.replace(results, results=same_url)


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1/0", "1", "a/b", "1/2/3", "-1/2", ""])
def test_bad_shard_specs_are_config_errors(spec: str) -> None:
    with pytest.raises(ConfigError, match="--shard"):
        parse_shard(spec)


def test_shards_partition_the_plan_deterministically_and_keep_operations_whole(cases: tuple[Case, ...]) -> None:
    assert parse_shard(" 2 / 3 ") == (2, 3)
    for n in (1, 2, 3, 7):
        parts = [shard(cases, f"{i}/{n}") for i in range(1, n + 1)]
        ids = [c.case_id for p in parts for c in p]
        assert sorted(ids) == sorted(c.case_id for c in cases)  # every case exactly once
        assert len(ids) == len(set(ids))
        for p in parts:  # plan order kept inside a shard
            assert [c.case_id for c in p] == [c.case_id for c in cases if c in p]
        owner = {c.operation: i for i, p in enumerate(parts) for c in p}
        assert all(c.operation in owner and c in parts[owner[c.operation]] for c in cases)
        assert parts == [shard(cases, f"{i}/{n}") for i in range(1, n + 1)]  # deterministic
    assert shard(cases, "1/1") == list(cases)
    # balanced: with 3 shards no shard carries more than half the requests of the suite
    loads = [sum(len(c.steps) for c in shard(cases, f"{i}/3")) for i in (1, 2, 3)]
    assert max(loads) <= sum(loads) / 2, loads
    # independent of input order: a job that lists the same cases differently gets the same shard
    rev = tuple(reversed(cases))
    assert {c.case_id for c in shard(rev, "2/3")} == {c.case_id for c in shard(cases, "2/3")}


def test_merged_shards_equal_an_unsharded_run(contract: Contract, cases: tuple[Case, ...]) -> None:
    whole = _run(contract, None)
    parts = [_run(contract, tuple(shard(cases, f"{i}/3"))) for i in (1, 2, 3)]
    merged, warnings = merge(parts)
    assert warnings == []
    (bb_whole,), (bb_merged,) = whole.results, merged.results
    by_id_whole = {c.case_id: c.verdict for c in bb_whole.cases}
    by_id_merged = {c.case_id: c.verdict for c in bb_merged.cases}
    assert by_id_merged == by_id_whole
    # not vacuous: the sabotaged product fails some cases and passes others
    assert Counter(by_id_whole.values())[Verdict.FAILED] > 0
    assert Counter(by_id_whole.values())[Verdict.PASSED] > 0
    # operations are judged whole in one shard, so their verdicts and the compliance figures agree too
    assert {o.key: o.verdict for o in bb_merged.operations} == {o.key: o.verdict for o in bb_whole.operations}
    a, b = assess(whole).bbs[0], assess(merged).bbs[0]
    assert (a.compliance_pct, a.level, a.case_counts) == (b.compliance_pct, b.level, b.case_counts)
    assert gate(assess(merged)).exit_code is gate(assess(whole)).exit_code
    checks_whole = {(c.case_id, k.check, k.outcome) for c in bb_whole.cases for k in c.checks}
    checks_merged = {(c.case_id, k.check, k.outcome) for c in bb_merged.cases for k in c.checks}
    assert checks_merged == checks_whole
