"""Definitions a request cannot tell apart (payments' `POST /callback` in three files): no product is blamed
for the spec's ambiguity, and a product wrong under every definition still is.

Two files define `POST /callback` with different bodies and answers. The product reads the body to
decide, as a real one must, and answers in the first file's shape. Before, every case of the second
definition failed on the first definition's documented answer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from servers import serve
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from verdict_helpers import failed_names

from govstack_conform.contracts.load import load_spec_files
from govstack_conform.engine.options import RunOptions
from govstack_conform.engine.results import BBResult, Outcome
from govstack_conform.engine.run.session import Target, run

ONE = """\
openapi: 3.0.3
info: {title: Callbacks one, version: "1"}
paths:
  /callback:
    post:
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [alpha]
              additionalProperties: false
              properties:
                alpha: {type: string, minLength: 2, maxLength: 10}
      responses:
        '200':
          description: taken
          content:
            application/json:
              schema:
                type: object
                required: [kind]
                properties:
                  kind: {type: string, enum: [one]}
        '400': {description: refused}
"""

TWO = (
    ONE.replace("Callbacks one", "Callbacks two")
    .replace(
        "required: [alpha]\n              additionalProperties: false\n              properties:\n"
        "                alpha: {type: string, minLength: 2, maxLength: 10}",
        "required: [beta]\n              additionalProperties: false\n              properties:\n"
        "                beta: {type: integer, minimum: 1, maximum: 99}",
    )
    .replace(
        "required: [kind]\n                properties:\n                  kind: {type: string, enum: [one]}",
        "required: [status]\n                properties:\n                  status: {type: string}",
    )
)


def product(*, lax: bool = False) -> Starlette:
    """Takes either body; answers in the first file's shape (it cannot know which one was meant)."""

    async def callback(request: Request) -> JSONResponse:
        try:
            body: Any = await request.json()
        except ValueError:
            return JSONResponse({"message": "not JSON"}, 400)
        one = isinstance(body, dict) and set(body) == {"alpha"} and isinstance(body["alpha"], str)
        one = one and 2 <= len(body["alpha"]) <= 10
        two = isinstance(body, dict) and set(body) == {"beta"} and type(body["beta"]) is int and 1 <= body["beta"] <= 99
        if one or two or (lax and isinstance(body, dict)):
            return JSONResponse({"kind": "one"})
        return JSONResponse({"message": "invalid callback"}, 400)

    return Starlette(routes=[Route("/callback", callback, methods=["POST"])])


def _run(tmp_path: Path, app: Starlette) -> BBResult:
    (tmp_path / "one.yaml").write_text(ONE)
    (tmp_path / "two.yaml").write_text(TWO)
    contract = load_spec_files([str(tmp_path / "one.yaml"), str(tmp_path / "two.yaml")])
    assert sorted(o.key for o in contract.operations) == ["POST /callback (one.yaml)", "POST /callback (two.yaml)"]
    with serve(app) as url:
        return run([Target(contract, url)], RunOptions(concurrency=2)).results[0]


def test_a_product_that_cannot_tell_twins_apart_is_not_blamed(tmp_path: Path) -> None:
    bb = _run(tmp_path, product())
    assert failed_names(bb) == set()
    settled = [
        k for c in bb.cases for k in c.checks if "cannot be told apart" in k.message and k.outcome is Outcome.PASSED
    ]
    assert settled and all("POST /callback (one.yaml) documents" in k.message for k in settled)


def test_accepting_input_invalid_for_every_twin_is_still_blamed(tmp_path: Path) -> None:
    bb = _run(tmp_path, product(lax=True))  # takes any object, e.g. {} or an extra property
    assert "invalid_input_rejected" in failed_names(bb)
