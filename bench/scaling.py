"""Scaling: generated contracts of 10, 100, 1 000 and 5 000 operations, planned and run end to end.

Run by hand: python bench/scaling.py [--sizes 10,100,1000,5000] [--keep DIR]

Each contract is written as one OpenAPI 3.0 file of CRUD resources with realistic schemas: shared
components through $ref (an address with a pattern and an enum, money with a currency enum and a
minimum, contacts with email and phone formats), nested objects, arrays of objects, enums, formats
(uuid, date-time, email, double), readOnly fields, paged list queries and one error schema; bearer
security. Per size, each step runs in its own process: load and plan (CPU and peak RSS of planning
alone), then `govstack-conform run --spec` against the contract's mock in another process (wall, CPU,
peak RSS, and the bytes of results.json and the journal). Printed per size, with per-case figures, so
that the growth is shown, not assumed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from common import TOKEN, Mock, measure

OPS_PER_RESOURCE = 5
ERROR = {"$ref": "#/components/schemas/Error"}
ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "format": "uuid"}}


def _components(resources: int) -> dict[str, Any]:
    shared: dict[str, Any] = {
        "Error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "integer", "minimum": 400, "maximum": 599}, "message": {"type": "string"}},
        },
        "Address": {
            "type": "object",
            "required": ["city", "country"],
            "properties": {
                "street": {"type": "string", "maxLength": 80},
                "city": {"type": "string", "minLength": 1, "maxLength": 40},
                "postalCode": {"type": "string", "pattern": "^[0-9]{5}$"},
                "country": {"type": "string", "enum": ["EE", "KE", "RW", "DJ", "ZM"]},
            },
        },
        "Money": {
            "type": "object",
            "required": ["currency", "amount"],
            "properties": {
                "currency": {"type": "string", "enum": ["EUR", "KES", "RWF", "USD"]},
                "amount": {"type": "number", "format": "double", "minimum": 0},
            },
        },
        "Contact": {
            "type": "object",
            "required": ["email"],
            "properties": {
                "email": {"type": "string", "format": "email"},
                "phone": {"type": "string", "pattern": "^\\+[0-9]{7,14}$"},
            },
        },
    }
    for i in range(resources):
        shared[f"Item{i}"] = {
            "type": "object",
            "required": ["name", "status", "price"],
            "properties": {
                "id": {"type": "string", "format": "uuid", "readOnly": True},
                "name": {"type": "string", "minLength": 1, "maxLength": 64},
                "status": {"type": "string", "enum": ["active", "inactive", "pending"]},
                "createdAt": {"type": "string", "format": "date-time", "readOnly": True},
                "tags": {"type": "array", "maxItems": 5, "items": {"type": "string", "maxLength": 20}},
                "address": {"$ref": "#/components/schemas/Address"},
                "price": {"$ref": "#/components/schemas/Money"},
                "contacts": {"type": "array", "maxItems": 3, "items": {"$ref": "#/components/schemas/Contact"}},
                "meta": {
                    "type": "object",
                    "properties": {
                        "source": {"type": "string"},
                        "version": {"type": "integer", "minimum": 1},
                        "flags": {"type": "object", "properties": {"archived": {"type": "boolean"}}},
                    },
                },
            },
        }
    return shared


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _operations(i: int) -> list[tuple[str, str, dict[str, Any]]]:
    item = {"$ref": f"#/components/schemas/Item{i}"}
    errors = {"400": {"description": "bad input", "content": _json(ERROR)}}
    missing = {"404": {"description": "not found", "content": _json(ERROR)}}
    page = {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": item}, "total": {"type": "integer", "minimum": 0}},
    }
    listing = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["active", "inactive", "pending"]}},
    ]
    body = {"required": True, "content": _json(item)}
    one = f"/items{i}/{{id}}"
    return [
        (f"/items{i}", "post", {"requestBody": body,
                                "responses": {"201": {"description": "made", "content": _json(item)}, **errors}}),
        (f"/items{i}", "get", {"parameters": listing,
                               "responses": {"200": {"description": "page", "content": _json(page)}, **errors}}),
        (one, "get", {"parameters": [ID], "responses": {"200": {"description": "one", "content": _json(item)},
                                                          **missing}}),
        (one, "put", {"parameters": [ID], "requestBody": body,
                      "responses": {"200": {"description": "changed", "content": _json(item)}, **errors, **missing}}),
        (one, "delete", {"parameters": [ID], "responses": {"204": {"description": "gone"}, **missing}}),
    ]  # fmt: skip


def contract(operations: int) -> dict[str, Any]:
    """An OpenAPI document with exactly `operations` operations (CRUD resources, the last one partial)."""
    resources = -(-operations // OPS_PER_RESOURCE)
    paths: dict[str, dict[str, Any]] = {}
    count = 0
    for i in range(resources):
        for path, method, op in _operations(i):
            if count == operations:
                break
            paths.setdefault(path, {})[method] = {"operationId": f"{method}Item{i}{'One' if '{' in path else ''}",
                                                  **op}  # fmt: skip
            count += 1
    return {
        "openapi": "3.0.3",
        "info": {"title": f"scaling {operations}", "version": "1.0"},
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": _components(resources),
        },
    }


_PLAN = """
import json, sys, time
from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.plan.planner import plan_contract
t0 = time.process_time()
contract = load_spec_files([sys.argv[1]])
t1 = time.process_time()
cases = plan_contract(contract)
t2 = time.process_time()
print(json.dumps({"load": t1 - t0, "plan": t2 - t1, "cases": len(cases)}))
"""


def one_size(operations: int, root: Path) -> dict[str, Any]:
    spec = root / f"scaling-{operations}.json"
    spec.write_text(json.dumps(contract(operations)), encoding="utf-8")
    planned = measure([sys.executable, "-c", _PLAN, str(spec)])
    figures = json.loads(planned.stdout.strip().splitlines()[-1])
    out = root / f"out-{operations}"
    with Mock(["--spec", str(spec)]) as mock:
        cmd = [sys.executable, "-m", "govstack_conform", "run", "--spec", str(spec), "--target", mock.url]
        ran = measure([*cmd, "--token", "env:BENCH_TOKEN", "--out", str(out), "--quiet"], env={"BENCH_TOKEN": TOKEN})
        requests = mock.requests
    size = {name: (out / name).stat().st_size if (out / name).is_file() else 0
            for name in ("results.json", ".run-journal.ndjson")}  # fmt: skip
    return {"operations": operations, "plan_peak_mb": planned.peak_mb, **figures, "run": ran, "requests": requests,
            "results_mb": size["results.json"] / 1e6, "journal_mb": size[".run-journal.ndjson"] / 1e6}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000,5000", help="operation counts, comma-separated")
    parser.add_argument("--keep", type=Path, help="write the contracts and outputs here (default: a temp folder)")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(
        f"{'ops':>5} {'cases':>6} {'load':>6} {'plan CPU':>8} {'plan RSS':>8} {'run wall':>8} {'run CPU':>8} "
        f"{'requests':>8} {'run RSS':>8} {'results':>8} {'journal':>8}  per case: plan, run CPU, RSS, results"
    )
    with tempfile.TemporaryDirectory() as tmp:
        root = args.keep or Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            m = one_size(n, root)
            ran, cases = m["run"], max(m["cases"], 1)
            print(
                f"{n:>5} {m['cases']:>6} {m['load']:>5.2f}s {m['plan']:>7.2f}s {m['plan_peak_mb']:>6.0f}MB "
                f"{ran.wall_s:>7.1f}s {ran.cpu_s:>7.1f}s {m['requests']:>8} {ran.peak_mb:>6.0f}MB "
                f"{m['results_mb']:>6.1f}MB {m['journal_mb']:>6.1f}MB  "
                f"{m['plan'] / cases * 1000:.2f} ms, {ran.cpu_s / cases * 1000:.2f} ms, "
                f"{ran.peak_mb * 1024 / cases:.0f} KB, {m['results_mb'] * 1e3 / cases:.1f} KB"
                + ("" if ran.code in (0, 1) else f"  (run exit {ran.code})"),
                flush=True,
            )
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
