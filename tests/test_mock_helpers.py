"""Shared by the mock tests: build a valid request for an operation, and judge a response body.

Deliberately independent of the engine: the mock is tested as a product, from the contract alone.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx

from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import build_contract
from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.datagen import generate, generate_parameter
from govstack_conform.engine.plan.wire import query_pairs
from govstack_conform.mock import Credentials, MockOptions, MockServer, serve_in_thread
from govstack_conform.mock.responses import pick_media
from govstack_conform.mock.validate import is_json


@dataclass
class Req:
    method: str
    path: str
    params: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    content: bytes | None = None

    def send(self, client: httpx.Client) -> httpx.Response:
        return client.request(
            self.method, self.path, params=self.params or None, headers=self.headers, content=self.content
        )


def text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(text(v) for v in value)
    return str(value)


def auth_headers(contract: Contract, op: Operation, creds: Credentials) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Credentials for the operation's first security alternative."""
    headers: dict[str, str] = {}
    query: list[tuple[str, str]] = []
    for name, _ in op.security[0] if op.security else ():
        s = contract.security_schemes.get(name)
        if s is None or s.type == "mutualTLS":
            continue
        if s.type == "apiKey" and s.param_name:
            if s.location == "header":
                headers[s.param_name] = creds.api_key
            elif s.location == "query":
                query.append((s.param_name, creds.api_key))
            elif s.location == "cookie":
                headers["Cookie"] = f"{s.param_name}={creds.api_key}"
        elif s.type == "http" and (s.scheme or "").lower() == "basic":
            headers["Authorization"] = "Basic " + base64.b64encode(f"user:{creds.token}".encode()).decode()
        else:
            headers["Authorization"] = f"Bearer {creds.token}"
    return headers, query


def valid_request(contract: Contract, op: Operation, creds: Credentials, seed: int = 0) -> Req:
    """A request the contract says is valid; raises GenerationError/SchemaUnusable when none can be built."""
    headers, query = auth_headers(contract, op, creds)
    path = op.path.partition("?")[0]
    for k, v in parse_qsl(op.path.partition("?")[2]):
        query.append((k, v))
    for p in op.parameters:
        if p.location != "path" and not p.required:
            continue
        if (p.location, p.name) in {("header", k) for k in headers} | {("query", k) for k, _ in query}:
            continue
        value = generate_parameter(contract, p, seed=seed)
        if p.location == "path":
            path = path.replace("{" + p.name + "}", quote(text(value), safe=""))
        elif p.location == "query":  # objects as OpenAPI serializes them, nested members by bracket nesting
            query.extend(query_pairs(p, value))
        elif p.location == "header" and p.name.lower() not in ("authorization", "content-type", "accept"):
            headers[p.name] = text(value)
        elif p.location == "cookie":
            headers["Cookie"] = f"{p.name}={text(value)}"
    content = None
    body = op.request_body
    if body is not None and body.content:
        media = next((m for m in body.content if is_json(m.media_type)), None)
        if media is not None:
            value = {} if media.schema is None else generate(contract, media.schema, seed=seed, direction="request")
            content = json.dumps(value).encode()
            headers["Content-Type"] = media.media_type if "*" not in media.media_type else "application/json"
        elif body.required:
            media = body.content[0]
            headers["Content-Type"] = media.media_type.replace("*", "x")
            content = b"a=1" if "form" in media.media_type else b"data"
    return Req(op.method, path, query, headers, content)


def body_problems(contract: Contract, op: Operation, response: httpx.Response) -> list[str]:
    """Why a response body does not meet the documented schema ([] when it does or cannot be judged)."""
    if response.status_code in (204, 304):
        return ["204/304 with a body"] if response.content else []
    documented = op.response_for(response.status_code)
    media = pick_media(documented)
    if media is None or media.schema is None or not is_json(media.media_type):
        return []
    try:
        value = json.loads(response.content)
    except ValueError:
        return [f"not JSON: {response.content[:80]!r}"]
    try:
        return [v.message for v in schemas.validate(contract, media.schema, value, direction="response")]
    except schemas.SchemaUnusable:
        return []


def contract_of(folder: Path, text: str) -> Contract:
    """The contract of one OpenAPI text written into `folder` (a test's own small spec)."""
    path = folder / "spec.yaml"
    path.write_text(text)
    return build_contract("spec", "local", "Test spec", [("spec.yaml", path)], root=folder)


@contextmanager
def mock_client(contract: Contract, options: MockOptions | None = None) -> Iterator[tuple[MockServer, httpx.Client]]:
    """The mock of `contract` served for real on 127.0.0.1, and a client for it."""
    with (
        serve_in_thread(contract, options or MockOptions()) as server,
        httpx.Client(base_url=server.base_url, timeout=10) as client,
    ):
        yield server, client
