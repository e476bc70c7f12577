"""`mock` command: serve a BB release's contract as a correct product on a local port."""

from __future__ import annotations

import logging

import typer

from govstack_conform.cli.common import err, guarded, out
from govstack_conform.errors import UsageError
from govstack_conform.exitcodes import ExitCode


@guarded
def mock(
    bb: str = typer.Argument(None, metavar="BB[@REF]", help="Building block release to serve, e.g. consent@main."),
    spec: list[str] = typer.Option(  # noqa: B008
        None, "--spec", help="Serve this OpenAPI file or URL instead of (or as) the BB's contract; repeatable."
    ),
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8080, "--port", help="Port to listen on (0 picks a free one)."),
    token: str = typer.Option(None, "--token", help="Bearer token (and basic-auth password) to accept."),
    api_key: str = typer.Option(None, "--api-key", help="API key every apiKey scheme accepts."),
    seed: int = typer.Option(0, "--seed", help="Seed of generated bodies and ids (same seed, same data)."),
    no_auth: bool = typer.Option(False, "--no-auth", help="Accept requests without credentials (security ignored)."),
    no_validate: bool = typer.Option(False, "--no-validate", help="Answer without validating requests."),
    base_path: str = typer.Option("", "--base-path", metavar="PREFIX", help="Serve under this path prefix."),
    delay: int = typer.Option(0, "--delay", metavar="MS", help="Wait MS milliseconds before every answer."),
    show_credentials: bool = typer.Option(
        False, "--show-credentials", help="Also print credentials given with --token/--api-key."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log every request (method, path, status)."),
) -> None:
    """Serve every operation of a BB release like a correct product: develop against it, or test the tester.

    Requests are validated, declared security is enforced, resources created are kept in memory.
    Generated credentials are printed at start. A `Prefer: code=NNN` (or `example=NAME`) request
    header asks for that documented response. Ctrl-C stops it. See docs/mock.md.
    """
    from govstack_conform.contracts import load as contracts
    from govstack_conform.mock import MockOptions, MockServer, serve_forever
    from govstack_conform.mock import options as mock_options

    if not bb and not spec:
        raise UsageError("name a building block (e.g. consent@main) or give --spec FILE")
    if not 0 <= port <= 65535:
        raise UsageError(f"--port {port} is not a port number")
    if bb and spec:
        raise UsageError("name a building block or give --spec FILE, not both")
    from govstack_conform.contracts.http_url import check_host
    from govstack_conform.engine.credentials import check_no_control

    check_host(host, "--host")
    for value, what in ((token, "--token"), (api_key, "--api-key")):
        check_no_control(value, what)
    prefix, wait = mock_options.base_path(base_path), mock_options.delay(delay)
    contract = contracts.load_contract(bb) if bb and not spec else contracts.load_spec_files(spec)
    options = MockOptions(
        validate_requests=not no_validate,
        enforce_auth=not no_auth,
        token=token or None,
        api_key=api_key or None,
        seed=seed,
        base_path=prefix,
        delay_ms=wait,
    )

    logging.basicConfig(level=logging.WARNING, format="mock: %(message)s")
    if verbose:
        logging.getLogger("govstack_conform.mock.access").setLevel(logging.INFO)

    def started(server: MockServer) -> None:
        creds = server.credentials
        ops = len({op.key for op in contract.operations})
        url = server.base_url + options.base_path
        out.print(f"Mock of {contract.label} ({ops} operations) listening on {url}", markup=False)
        if not options.enforce_auth:
            out.print("  security not enforced (--no-auth): requests need no credentials", markup=False)
        else:
            if "token" in creds.generated or show_credentials:
                out.print(f"  bearer token / basic password: {creds.token}", markup=False)
            if "api_key" in creds.generated or show_credentials:
                out.print(f"  API key: {creds.api_key}", markup=False)
        if not options.validate_requests:
            out.print("  requests not validated (--no-validate)", markup=False)
        if options.delay_ms:
            out.print(f"  every answer delayed by {options.delay_ms} ms (--delay)", markup=False)
        if server.app.unenforced:
            n = len(server.app.unenforced)
            out.print(f"  {n} spec defect(s) lint flags not enforced on requests (listed above)", markup=False)
        out.print("Press Ctrl-C to stop.", markup=False)

    try:
        serve_forever(contract, options, host=host, port=port, on_started=started)
    except KeyboardInterrupt:
        err.print("mock stopped", markup=False)
        raise typer.Exit(int(ExitCode.INTERRUPTED)) from None
