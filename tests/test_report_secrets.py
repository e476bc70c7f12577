"""A secret in any place the runner records it appears in no output file: every format and the evidence."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import report_fixture as fx

from govstack_conform.engine.results import RunResults
from govstack_conform.report.evidence.bundle import write_evidence
from govstack_conform.report.render import render


def _leaky() -> RunResults:
    """The realistic set, plus the secret in every place a careless runner or candidate could put it."""
    r = fx.build()
    bb = r.results[1]
    case = bb.cases[0]
    x = case.exchanges[0]
    req = dataclasses.replace(
        x.request,
        url=x.request.url + f"&access_token={fx.SECRET}",
        headers=(*x.request.headers, ("Cookie", f"session={fx.SECRET}"), ("X-Api-Key", fx.SECRET)),
        body=f'{{"password": "{fx.SECRET}"}}',
    )
    resp = dataclasses.replace(x.response, body=f'{{"echo": "Bearer {fx.SECRET}"}}')  # type: ignore[arg-type]
    check = dataclasses.replace(case.checks[1], message=f"value '{fx.SECRET}' is not an integer")
    case = dataclasses.replace(
        case,
        exchanges=(dataclasses.replace(x, request=req, response=resp),),
        checks=(case.checks[0], check, *case.checks[2:]),
        reason=f"see {fx.SECRET}",
    )
    bb = dataclasses.replace(bb, cases=(case, *bb.cases[1:]), target=f"http://user:{fx.SECRET}@127.0.0.1:8002/r")
    options = {**r.options, "api_token": fx.SECRET, "headers": {"Authorization": f"Basic {fx.SECRET}"}}
    return dataclasses.replace(r, results=(r.results[0], bb, r.results[2]), options=options)


def _scan(root: Path) -> list[str]:
    hits = []
    for p in root.rglob("*"):
        if p.is_file() and fx.SECRET.encode() in p.read_bytes():
            hits.append(str(p.relative_to(root)))
    return hits


def test_known_secret_appears_in_no_output(tmp_path: Path) -> None:
    results = _leaky()
    render(results, ["all"], tmp_path / "reports", secrets=[fx.SECRET])
    write_evidence(
        tmp_path / "evidence", results, None, {}, {"token": fx.SECRET, "x": f"a{fx.SECRET}b"}, None, secrets=[fx.SECRET]
    )
    assert len(list((tmp_path / "reports").iterdir())) == 6
    assert _scan(tmp_path) == []


def test_credential_fields_are_redacted_by_name_even_when_the_value_is_unknown(tmp_path: Path) -> None:
    results = _leaky()
    # Without the value, only what lives in credential-bearing fields can be found: drop the free-text echoes.
    bb = results.results[1]
    case = bb.cases[0]
    x = case.exchanges[0]
    quiet = dataclasses.replace(
        case,
        exchanges=(
            dataclasses.replace(
                x,
                # X-Session-Token is secret by the engine's rule (a name with "token"), though no well-known header
                request=dataclasses.replace(
                    x.request, body="{}", headers=(*x.request.headers, ("X-Session-Token", fx.SECRET))
                ),
                response=dataclasses.replace(x.response, body="{}"),
            ),
        ),  # type: ignore[arg-type]
        checks=fx.registries().cases[0].checks,
        reason=None,
    )
    results = dataclasses.replace(
        results, results=(results.results[0], dataclasses.replace(bb, cases=(quiet, *bb.cases[1:])), results.results[2])
    )
    render(results, ["all"], tmp_path / "reports")
    write_evidence(tmp_path / "evidence", results, None, {}, {"client_secret": fx.SECRET}, None)
    assert _scan(tmp_path) == []


def test_config_redaction_keeps_descriptions_and_drops_values() -> None:
    from govstack_conform.redact import REDACTED, Redactor

    config = {
        "auth": {"bearer": True, "api_key": {"name": "X-Api-Key", "in": "header"}, "oauth2_client_credentials": None},
        "headers": [["Authorization", "Bearer abc"], ["X-Trace", "1"]],
        "api_key": {"value": "k-1"},
        "client_secret": "s-1",
        "read_only": True,
        "seed": 7,
    }
    assert Redactor().value(config) == {
        "auth": {"bearer": True, "api_key": {"name": "X-Api-Key", "in": "header"}, "oauth2_client_credentials": None},
        "headers": [["Authorization", REDACTED], ["X-Trace", "1"]],
        "api_key": {"value": REDACTED},
        "client_secret": REDACTED,
        "read_only": True,
        "seed": 7,
    }
