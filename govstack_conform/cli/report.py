"""`report render|merge|diff|compare`, `publish` and `evidence verify|keygen`: option parsing and printing only."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from govstack_conform.cli.common import err, guarded, out
from govstack_conform.cli.names import DEFAULT_TEST_SUITE, FORMAT_NAMES
from govstack_conform.errors import UsageError
from govstack_conform.exitcodes import EXIT_CODE_HELP, ExitCode

if TYPE_CHECKING:
    from govstack_conform.report.publish import Upload

app = typer.Typer(
    help=f"Render, merge and compare compliance reports.\n\n{EXIT_CODE_HELP}",
    no_args_is_help=True,
    rich_markup_mode=None,
)
evidence_app = typer.Typer(
    help="Check evidence bundles and make signing keys.", no_args_is_help=True, rich_markup_mode=None
)

FORMAT_HELP = f"Comma-separated formats: {', '.join(FORMAT_NAMES)}, or all."
Results = Annotated[Path, typer.Argument(metavar="RESULTS.json", help="A results.json written by `run`.")]


def _say(text: str) -> None:
    out.print(text, markup=False, emoji=False, highlight=False)


def _warn(text: str) -> None:
    err.print(f"govstack-conform: warning: {text}", markup=False, emoji=False, highlight=False)


@app.command("render")
@guarded
def render_cmd(
    results: Results,
    out_dir: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Directory to write into.")],
    formats: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "json,junit,html,md",
) -> None:
    """Write reports from a results.json: results.json, junit.xml, report.html, summary.md, cucumber.ndjson,
    compliance-form.json. Exit 0 once written, whatever the verdict."""
    from govstack_conform.engine.results import read_json
    from govstack_conform.report.render import render

    for path in render(read_json(results), [formats], out_dir):
        _say(str(path))


@app.command("merge")
@guarded
def merge_cmd(
    inputs: Annotated[list[Path], typer.Argument(metavar="RESULTS.json...", help="Two or more results files.")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Directory to write into.")],
    formats: Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)] = "json",
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Fail (exit 2) instead of warning when the same case appears with different results in two inputs.",
        ),
    ] = False,
) -> None:
    """Merge results of several BBs, runs or CI shards into one product report (DIR/results.json plus
    --format). Results of the same BB, release and target join. A case present in several inputs keeps the
    result of the LAST input given, with a warning (so a re-run shard given last replaces the flaky one);
    --strict makes that an error. Inputs that used different spec files for the same path are an error."""
    from govstack_conform.engine.results import read_json, write_json
    from govstack_conform.report.compare import merge
    from govstack_conform.report.formats.base import get_formats
    from govstack_conform.report.render import render

    names = [n for n in formats.split(",") if n.strip() and n.strip() != "json"]
    get_formats(names)  # an unknown format is said before anything is written
    merged, warnings = merge([read_json(p) for p in inputs])
    if strict and any("appears more than once" in w for w in warnings):
        raise UsageError(next(w for w in warnings if "appears more than once" in w) + " (--strict)")
    for w in warnings:
        _warn(w)
    write_json(merged, out_dir / "results.json")
    written = [out_dir / "results.json"]
    if names:
        written += render(merged, names, out_dir)
    for path in written:
        _say(str(path))


@app.command("diff")
@guarded
def diff_cmd(
    old: Annotated[Path, typer.Argument(metavar="OLD.json", help="results.json of the earlier run.")],
    new: Annotated[Path, typer.Argument(metavar="NEW.json", help="results.json of the later run.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """What got better or worse between two runs, regressions first: API level, compliance %, every
    operation and case verdict (after waivers), matched by BB release and case id whatever the target URL.
    A case that passed and is now failing, missing or passing only by waiver is a regression, and so is a
    BB release missing from NEW. Exit 1 when there is at least one regression, else 0."""
    from govstack_conform.engine.results import read_json
    from govstack_conform.report.compare import diff

    d = diff(read_json(old), read_json(new))
    if as_json:
        _say(json.dumps(d.to_dict(), indent=2, ensure_ascii=False))
    else:
        for c in d.changes:
            _say(f"{c.kind.upper():<11} {c.bb} {c.item}: {c.old} -> {c.new}")
        _say(f"{len(d.regressions)} regressions, {len(d.improvements)} improvements, {len(d.changes)} changes")
    if d.regressions:
        raise typer.Exit(int(ExitCode.NONCONFORMANT))


@app.command("compare")
@guarded
def compare_cmd(
    inputs: Annotated[
        list[Path], typer.Argument(metavar="RESULTS.json...", help="One results file per candidate, in column order.")
    ],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", metavar="DIR", help="Write comparison.html, .md and .csv here (default: print Markdown)."
        ),
    ] = None,
    names: Annotated[
        list[str] | None,
        typer.Option(
            "--name",
            metavar="LABEL",
            help="Column name of each candidate, once per results file in the same order "
            "(default: the product name from its config, else its target).",
        ),
    ] = None,
) -> None:
    """Candidates side by side, for procurement: one column per candidate; rows per BB release (verdict,
    coverage, API level, REQUIRED compliance %), per requirement level, per failed check and per operation,
    with the figures each candidate's own report states. Each cell links to that candidate's report.html
    beside its results.json (else to the results.json). Candidates tested on different releases (or spec
    files) of a BB are shown apart, never compared. Exit 0 once written, whatever the verdicts."""
    from govstack_conform.report.comparison import build, load, render_markdown, write

    candidates = load(inputs, names or ())
    base = out_dir if out_dir is not None else Path.cwd()
    comparison = build(candidates, base)
    for note in comparison.notes:
        _warn(note)
    if out_dir is None:
        out.file.write(render_markdown(comparison).decode("utf-8"))
        return
    for path in write(comparison, out_dir):
        _say(str(path))


@guarded
def publish_cmd(
    results: Results,
    url: Annotated[str, typer.Option("--url", help="The compliance platform's base URL.")],
    api_key: Annotated[
        str,
        typer.Option("--api-key", metavar="env:VAR", help="Name the environment variable holding the key, as env:VAR."),
    ],
    test_app: Annotated[str, typer.Option("--test-app", help="Product name as the platform shows it.")],
    branch: Annotated[str, typer.Option("--branch", help="Source branch the product was built from.")],
    version: Annotated[str, typer.Option("--version", help="Product version.")],
    test_suite: Annotated[str, typer.Option("--test-suite", help="Test suite name.")] = DEFAULT_TEST_SUITE,
    product_name: Annotated[
        str | None,
        typer.Option(
            "--product-name", help="Name for the META file (default: the results' product name, else --test-app)."
        ),
    ] = None,
) -> None:
    """Upload the Cucumber report of each BB in RESULTS.json to the GovStack compliance platform
    (POST /report/upload, one upload per BB). The API key is read from the environment and never printed."""
    from govstack_conform.engine.results import read_json
    from govstack_conform.report.publish import publish, resolve_api_key

    key = resolve_api_key(api_key)

    def done(up: Upload) -> None:
        _say(f"uploaded {up.label} as {up.building_block}: HTTP {up.status}, {up.passed} passed, {up.failed} failed")

    publish(read_json(results), url, key, test_app, branch, version, test_suite, product_name, on_upload=done)


@evidence_app.command("verify")
@guarded
def verify_cmd(
    bundle: Annotated[Path, typer.Argument(metavar="DIR", help="An evidence bundle directory.")],
    public_key: Annotated[
        Path | None, typer.Option("--public-key", metavar="FILE", help="Require a valid signature by this Ed25519 key.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Check every file's sha256 against MANIFEST.sha256, name changed/missing/added files, and check the
    signature (with --public-key: required and pinned). Exit 0 intact, 1 tampered or badly signed."""
    from govstack_conform.report.evidence import bundle as ev

    v = ev.verify(bundle, public_key)
    if as_json:  # JSON is plain ASCII (control characters escaped): written whole, not laid out by rich
        out.file.write(ev.as_json(v) + "\n")
    else:
        for line in v.lines():
            _say(line)
        _say(f"{'OK' if v.ok else 'FAILED'}: {v.checked} files checked")
    if not v.ok:
        raise typer.Exit(int(ExitCode.NONCONFORMANT))


@evidence_app.command("keygen")
@guarded
def keygen_cmd(
    out_dir: Annotated[Path, typer.Option("--out", "-o", metavar="DIR", help="Directory for the key files.")],
) -> None:
    """Make an Ed25519 signing keypair (PEM) for `run --evidence DIR --sign KEY`; the private key is
    written mode 0600. Existing files are never overwritten."""
    from govstack_conform.report.evidence import bundle as ev

    priv, pub = ev.keygen(out_dir)
    _say(f"private key: {priv}")
    _say(f"public key:  {pub}")


def register(root: typer.Typer) -> None:
    """Attach `report`, `publish` and `evidence` to the root app."""
    root.add_typer(app, name="report")
    root.command("publish")(publish_cmd)
    root.add_typer(evidence_app, name="evidence")
