"""`specs` commands: list, show, lint, pull. Parsing and printing only; the work is in catalog/store/pull/contracts."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from govstack_conform.cli.common import err, guarded, out
from govstack_conform.cli.names import ENV_CACHE, ENV_SPECS
from govstack_conform.errors import StoreError, UsageError
from govstack_conform.exitcodes import EXIT_CODE_HELP

if TYPE_CHECKING:
    from govstack_conform.contracts.model import Contract, Operation, SpecDefect
    from govstack_conform.contracts.pull import ProgressFn

app = typer.Typer(
    help=f"Inspect, lint and fetch GovStack contracts (GovSpecs).\n\n{EXIT_CODE_HELP}",
    no_args_is_help=True,
    rich_markup_mode=None,
)

_METHOD_ORDER = {m: i for i, m in enumerate(("GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"))}

SPECS_HELP = (
    f"Read contracts from this spec store directory (laid out <bb>/<ref>/<file>) instead of ${ENV_SPECS} "
    f"or the user cache (relocatable with ${ENV_CACHE})."
)
JSON_HELP = "Print JSON (stable: sorted and deterministic) instead of text."
SPEC_HELP = "An OpenAPI file or URL to use as a contract outside the catalog (a draft, a vendor's own). Repeatable."


def _print(text: str) -> None:
    out.print(text, markup=False, emoji=False, highlight=False)


def _print_json(data: Any) -> None:
    _print(json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))


def _sorted_ops(contract: Contract) -> list[Operation]:
    return sorted(contract.operations, key=lambda o: (o.path, _METHOD_ORDER.get(o.method, 99), o.source_file))


def _all_defects(contract: Contract) -> list[SpecDefect]:
    from govstack_conform.contracts.summary import all_defects

    return all_defects(contract)


def _security(op: Operation) -> list[list[dict[str, Any]]]:
    return [[{"scheme": name, "scopes": list(scopes)} for name, scopes in alt] for alt in op.security]


def _security_text(op: Operation) -> str:
    if not op.security:
        return "none declared"
    alts = []
    for alt in op.security:
        parts = [name + (f"[{' '.join(scopes)}]" if scopes else "") for name, scopes in alt]
        alts.append(" + ".join(parts) if parts else "anonymous")
    return " or ".join(alts)


# --- list ---------------------------------------------------------------------------------------------------------


@app.command("list")
@guarded
def list_cmd(
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    specs: Annotated[Path | None, typer.Option("--specs", metavar="DIR", help=SPECS_HELP)] = None,
) -> None:
    """List every building block: title, releases (default marked *), and its default release's files,
    operations and spec defects. Releases missing from the spec store show '-' (run `specs pull`)."""
    from govstack_conform.contracts.catalog import load_catalog
    from govstack_conform.contracts.store import resolve_store
    from govstack_conform.contracts.summary import ReleaseSummary, summarize

    catalog = load_catalog()
    store = resolve_store(specs)
    rows: list[dict[str, Any]] = []
    for bb in catalog.bbs:
        release = bb.default_release
        try:
            counted: ReleaseSummary | None = summarize(bb, release, store=store)
        except StoreError:
            counted = None
        rows.append(
            {
                "bb": bb.key,
                "title": bb.title,
                "platform_id": bb.platform_id,
                "default": release.ref,
                "releases": [r.ref for r in bb.releases],
                "files": len(release.files),
                "available": counted is not None,
                "operations": counted.operations if counted else None,
                "defects": counted.defects if counted else None,
            }
        )
    if as_json:
        _print_json({"building_blocks": rows, "store": {"root": str(store.root), "source": store.source.value}})
        return
    table = [["BB", "TITLE", "RELEASES (* default)", "FILES", "OPERATIONS", "DEFECTS"]]
    for r in rows:
        refs = " ".join(("*" if ref == r["default"] else "") + ref for ref in r["releases"])
        dash = "-"
        table.append(
            [r["bb"], r["title"], refs, str(r["files"]), str(r["operations"]), str(r["defects"])]
            if r["available"]
            else [r["bb"], r["title"], refs, str(r["files"]), dash, dash]
        )
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        _print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    _print(f"spec store: {store.describe()}")
    if not all(r["available"] for r in rows):
        _print("releases shown '-' are not in the spec store: run `govstack-conform specs pull`")


# --- show ---------------------------------------------------------------------------------------------------------


def _op_json(op: Operation) -> dict[str, Any]:
    required = [p for p in op.parameters if p.required]
    body = op.request_body
    return {
        "key": op.key,
        "method": op.method,
        "path": op.path,
        "fixed_query": [list(kv) for kv in op.fixed_query],
        "operation_id": op.operation_id,
        "summary": op.summary,
        "required_parameters": [{"name": p.name, "in": p.location} for p in required if p.location != "header"],
        "required_headers": [p.name for p in required if p.location == "header"],
        "request_body": None
        if body is None
        else {"required": body.required, "media_types": sorted(m.media_type for m in body.content)},
        "security": _security(op),
        "source_file": op.source_file,
        "pointer": op.pointer,
        "defects": len(op.defects),
    }


def _one_contract(selector: str | None, spec: list[str] | None, specs: Path | None) -> Contract:
    if bool(selector) == bool(spec):
        raise UsageError("name one building block (BB[@REF]) or give --spec FILE_OR_URL")
    from govstack_conform.contracts.load import load_selected

    return load_selected([selector] if selector else [], spec or [], specs_option=specs)[0]


@app.command("show")
@guarded
def show_cmd(
    selector: Annotated[
        str | None, typer.Argument(metavar="BB[@REF]", help="Building block, e.g. consent@23Q4.")
    ] = None,
    spec: Annotated[list[str] | None, typer.Option("--spec", metavar="FILE_OR_URL", help=SPEC_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    specs: Annotated[Path | None, typer.Option("--specs", metavar="DIR", help=SPECS_HELP)] = None,
) -> None:
    """Show every operation of a contract: method, path, operationId, required parameters and headers,
    request body, security and source file."""
    contract = _one_contract(selector, spec, specs)
    ops = _sorted_ops(contract)
    if as_json:
        _print_json(
            {
                "contract": contract.label,
                "title": contract.title,
                "files": sorted(contract.documents),
                "operations": [_op_json(op) for op in ops],
            }
        )
        return
    _print(f"{contract.label}: {contract.title} - {len(ops)} operations from {len(contract.documents)} file(s)")
    for op in ops:
        j = _op_json(op)
        _print("")
        _print(op.key + (f"  ({op.operation_id})" if op.operation_id else ""))
        params = ", ".join(f"{p['name']} ({p['in']})" for p in j["required_parameters"]) or "-"
        _print(f"    required parameters: {params}")
        _print(f"    required headers:    {', '.join(j['required_headers']) or '-'}")
        if j["request_body"] is not None:
            rb = j["request_body"]
            _print(
                f"    request body:        {'required' if rb['required'] else 'optional'} "
                f"({', '.join(rb['media_types']) or 'no media type'})"
            )
        _print(f"    security:            {_security_text(op)}")
        _print(f"    source:              {op.source_file}#{op.pointer}")
        if op.defects:
            _print(f"    spec defects:        {len(op.defects)} (see `specs lint`)")


# --- lint ---------------------------------------------------------------------------------------------------------


@app.command("lint")
@guarded
def lint_cmd(
    selectors: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="BB[@REF]", help="Building blocks to lint; none (and no --spec) lints every default release."
        ),
    ] = None,
    spec: Annotated[list[str] | None, typer.Option("--spec", metavar="FILE_OR_URL", help=SPEC_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help=JSON_HELP)] = False,
    specs: Annotated[Path | None, typer.Option("--specs", metavar="DIR", help=SPECS_HELP)] = None,
) -> None:
    """Report every defect of GovStack's specs with file and JSON pointer. Defects are findings about the specs,
    so the exit code is 0 whenever the contracts load; 3 when a --spec file cannot be read at all."""
    from govstack_conform.contracts.catalog import load_catalog
    from govstack_conform.contracts.load import load_selected

    chosen = list(selectors or [])
    if not chosen and not spec:
        chosen = [bb.key for bb in load_catalog().bbs]
    contracts = load_selected(chosen, spec or [], specs_option=specs)
    if as_json:
        _print_json(
            {
                "contracts": [
                    {
                        "contract": c.label,
                        "title": c.title,
                        "files": sorted(c.documents),
                        "operations": len(c.operations),
                        "defects": [d.to_dict() for d in _all_defects(c)],
                    }
                    for c in contracts
                ]
            }
        )
        return
    for c in contracts:
        defects = _all_defects(c)
        counts = {s: sum(1 for d in defects if d.severity.value == s) for s in ("error", "warning", "info")}
        summary = ", ".join(f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n) or "no defects"
        _print(f"{c.label}: {len(c.operations)} operations, {summary}")
        for d in defects:
            where = f"{d.file}#{d.pointer}" if d.pointer else d.file
            _print(f"  {d.severity.value:<7} {where}: {d.message} [{d.code}]")


# --- pull ---------------------------------------------------------------------------------------------------------


@contextmanager
def _progress(total: int) -> Iterator[ProgressFn | None]:
    """A progress bar on stderr for many files (only on a terminal; logs stay clean)."""
    if total < 5 or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    with Progress(TextColumn("pulling"), BarColumn(), MofNCompleteColumn(), console=err, transient=True) as bar:
        task = bar.add_task("pull", total=total)

        def step(_path: str, done: int, _total: int) -> None:
            bar.update(task, completed=done)

        yield step


@app.command("pull")
@guarded
def pull_cmd(
    selectors: Annotated[
        list[str] | None,
        typer.Argument(metavar="BB[@REF]", help="Releases to fetch (a bare BB means its default release); none: all."),
    ] = None,
    mirror: Annotated[
        str | None,
        typer.Option(
            "--mirror",
            metavar="DIR_OR_URL",
            help="Fetch from a copy laid out like the GovSpecs (<mirror>/<bb>/<ref>/<file>), a directory or base "
            "URL, instead of GitHub. Works offline from a directory.",
        ),
    ] = None,
    specs: Annotated[
        Path | None,
        typer.Option(
            "--specs", metavar="DIR", help=f"Write into this directory instead of the user cache (${ENV_CACHE})."
        ),
    ] = None,
) -> None:
    """Download the catalog's contract files at their pinned commits and verify each sha256. Nothing is written
    unless every requested file verified, so a failed pull leaves the store as it was (exit 3)."""
    from govstack_conform.contracts.catalog import load_catalog
    from govstack_conform.contracts.pull import pull, select_files
    from govstack_conform.contracts.store import cache_specs_dir

    files = select_files(load_catalog(), list(selectors or []))
    dest = specs.expanduser() if specs is not None else cache_specs_dir()
    with _progress(len(files)) as progress:
        result = pull(files, dest, mirror=mirror, progress=progress)
    _print(f"pulled {len(result.fetched)} file(s), {len(result.present)} already present, into {result.dest}")
    if specs is None and os.environ.get(ENV_SPECS):
        err.print(
            f"note: {ENV_SPECS} is set, so other commands read {os.environ[ENV_SPECS]}, not the cache just filled",
            markup=False,
            highlight=False,
        )
