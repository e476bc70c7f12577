"""The mock product: a Starlette app that answers every operation of a contract like a correct product.

Order of judgement per request, as a real product would do it: route (404 / 405), security (401 /
403), parameters and body (415 / documented 4xx), then the answer, from state where the operation
reads or writes a stored resource. Everything derived from the contract (routes, roles, security
locations) is computed once when the app is built; bodies and headers are generated on first use.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from govstack_conform.contracts.model import Contract, MediaType, Operation
from govstack_conform.datagen import merge_json
from govstack_conform.mock import listing, prefer
from govstack_conform.mock import responses as R
from govstack_conform.mock.lenient import lenient, unenforced
from govstack_conform.mock.options import Credentials, Journal, MockOptions, log
from govstack_conform.mock.router import Router
from govstack_conform.mock.security import Guard
from govstack_conform.mock.state import (
    Record,
    Role,
    Store,
    content_answer,
    echo,
    find_id,
    get_at,
    id_candidates,
    infer_roles,
    overlay,
    with_id,
)
from govstack_conform.mock.validate import Rejection, check_parameters, read_body
from govstack_conform.mock.variants import choose

access_log = logging.getLogger("govstack_conform.mock.access")
MAX_BODY = 16 * 1024 * 1024


class MockApp:
    """The ASGI endpoint behind the Starlette app; `app.state.mock` in the built app."""

    def __init__(self, contract: Contract, options: MockOptions) -> None:
        self.contract = contract
        self.options = options
        self.credentials = Credentials.from_options(options)
        self.journal = Journal()
        self.router = Router(contract.operations)
        operations = [op for route in self.router.routes for ops in route.variants.values() for op in ops]
        self.roles: dict[str, Role] = infer_roles(operations)
        self.guard = Guard(contract.security_schemes, self.credentials, self.journal)
        self.bodies = R.Bodies(contract, options.seed, self.journal)
        self.unenforced = unenforced(contract)  # lint's findings in request schemas, said at start
        for d in self.unenforced:
            self.journal.once(f"spec defect, not enforced on requests: {d.file}#{d.pointer}: {d.message} [{d.code}]")
        self.judged = lenient(contract)  # what requests are validated against
        self.store = Store(seed=options.seed)
        self._skip = {op.key: self._key_locations(op) for op in operations}
        self._free: dict[str, bool] = {}  # list operation -> whether its list schema is free of count rules
        self._item_json: dict[int, tuple[Any, bytes]] = {}  # id(listed item) -> (item, its JSON)

    def _key_locations(self, op: Operation) -> frozenset[tuple[str, str]]:
        """apiKey locations of the operation's security: the guard judges them, not the parameter schema."""
        out = set()
        for alternative in op.security:
            for name, _ in alternative:
                s = self.contract.security_schemes.get(name)
                if s is not None and s.type == "apiKey" and s.location and s.param_name:
                    out.add((s.location, s.param_name.lower()))
        return frozenset(out)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except Exception:
            log.exception("mock failed on %s %s", request.method, request.url.path)
            response = JSONResponse({"error": "Internal Server Error", "message": "the mock failed"}, 500)
        if self.options.delay_ms:
            await asyncio.sleep(self.options.delay_ms / 1000)
        access_log.info("%s %s %d", request.method, request.url.path, response.status_code)
        await response(scope, receive, send)

    def _within_base(self, path: str) -> str | None:
        """The request path below the base path (None: outside it)."""
        base = self.options.base_path
        if not base:
            return path
        if path == base:
            return "/"
        return path[len(base) :] if path.startswith(base + "/") else None

    # -- answers -------------------------------------------------------------------------------

    def _plain(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse({"error": R.reason(status), "message": message}, status, headers=headers)

    def _error(self, op: Operation, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        media_type, content = self.bodies.error(op, status, message)
        all_headers = dict(headers or {})
        if self.options.send_required_headers:
            all_headers.update(self.bodies.headers(op, op.response_for(status)))
        return Response(content, status, headers=all_headers, media_type=media_type)

    def _rejected(self, op: Operation, rejection: Rejection) -> Response:
        return self._error(op, 415 if rejection.unsupported_media else R.error_status(op), rejection.message)

    def _success(
        self, op: Operation, status: int, media: MediaType | None, value: Any, items_at: tuple[Any, ...] | None = None
    ) -> Response:
        """The answer; `items_at`: where the listed items stand in `value` (their JSON is remembered)."""
        response = op.response_for(status)
        headers = self.bodies.headers(op, response) if self.options.send_required_headers else {}
        if media is None or status in (204, 304) or (status < 200 or status >= 600):
            return Response(b"", status, headers=headers)
        media_type = media.media_type
        if "*" in media_type:
            media_type = "text/plain" if isinstance(value, str | bytes) else "application/json"
        if items_at is not None:
            content = R.encode_list(media, value, items_at, self._item_json)
        else:
            content = R.encode(media, value)
        return Response(content, status, headers=headers, media_type=media_type)

    # -- the request ---------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        scope = request.scope
        raw_path = scope.get("raw_path") or scope["path"].encode()
        path = self._within_base(raw_path.decode("latin-1").split("?", 1)[0])
        if path is None:
            return self._plain(404, f"{request.url.path} is outside the base path {self.options.base_path}")
        query: dict[str, list[str]] = {}
        for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True):
            query.setdefault(k, []).append(v)
        match = self.router.match(request.method, path, query)
        if match is None:
            return self._plain(404, f"no operation at {request.url.path}")
        if match.operation is None:
            if not self.options.method_not_allowed:  # the sloppy router: any method reaches a handler
                ops = match.route.operations
                return self._plain_success(ops.get("GET") or next(iter(ops.values())), request, {}, {})
            return self._plain(
                405, f"{request.method} not allowed on {match.route.template}", {"Allow": match.route.allow}
            )
        op = match.operation
        headers = request.headers
        cookies = request.cookies
        if match.tied:  # definitions the URL cannot tell apart: the request's content decides
            op = choose(
                self.judged, match.tied, match.params, query, headers, cookies, await request.body(), self.journal
            )
        if self.options.enforce_auth:
            single = {k: v[-1] for k, v in query.items()}
            denial = self.guard.check(op, headers, single, cookies)
            if denial is not None:
                status = R.auth_status(op, denial.wrong)
                extra = {"WWW-Authenticate": denial.challenge} if status == 401 else {}
                return self._error(op, status, denial.message, extra)
        raw = await request.body()
        check = self.options.validate_requests
        if check:
            rejection = check_parameters(
                self.judged,
                op,
                match.params,
                query,
                headers,
                cookies,
                self.journal,
                self._skip.get(op.key, frozenset()),
            )
            if rejection is not None:
                return self._rejected(op, rejection)
        body, rejection = read_body(self.judged, op, headers.get("content-type"), raw, self.journal, validate=check)
        if rejection is not None:
            return self._rejected(op, rejection)
        blocked = op.blocked("operation")
        if blocked is not None:
            self.journal.once(f"{op.key}: spec defect, answered as documented as possible: {blocked.message}")
        try:
            preference = prefer.parse(headers.get("prefer"))
            if preference is not None:
                return self._preferred(op, preference, request)
        except prefer.Unmet as exc:
            return self._plain(400, str(exc))
        role = self.roles.get(op.key) if self.options.keep_state else None
        if role is None:
            answer = self._plain_success(op, request, match.params, query)
            if op.method == "POST" and self.options.keep_state:
                self._keep_named(answer)
            return answer
        if role.id_in == "body":  # registry style: the record and the query are in the body
            status, media, base = self._parts(op, request, match.params, create=role.kind == "create")
            got = content_answer(self.store, role, base, body, match.params, lambda v: self.bodies.valid(media, v))
            if got is not None and not got.found and 404 in R.documented(op):
                return self._error(op, 404, f"no {role.hint} record matches the query")
            return self._success(op, status, media, base if got is None else got.body)
        return self._stateful(op, role, match.params, query, body, request)

    def _parts(
        self, op: Operation, request: Request, params: Mapping[str, str], *, create: bool = False
    ) -> tuple[int, MediaType | None, Any]:
        """Status, media type and body of the usual answer, the path parameters echoed where fields name them."""
        status = R.success_status(op, create=create)
        if status >= 300:
            self.journal.once(f"{op.key}: no 2xx documented; answering the documented {status}")
        response = op.response_for(status)
        media = R.pick_media(response, request.headers.get("accept"))
        value = self.bodies.body(op, response, media) if response is not None else None
        return status, media, echo(value, params, lambda v: self.bodies.valid(media, v))

    def _preferred(self, op: Operation, preference: prefer.Preference, request: Request) -> Response:
        """The documented answer the client asked for with `Prefer`; state is left as it is."""
        choice = prefer.choose(op, preference, R.success_status(op))
        media = choice.media or R.pick_media(choice.response, request.headers.get("accept"))
        if choice.example is not None:
            value = choice.example.value
            if self.bodies.valid(media, value) is False:
                self.journal.once(f"{op.key}: example {choice.example.name!r} served as asked, though off its schema")
        else:
            value = self.bodies.body(op, choice.response, media)
        answer = self._success(op, choice.status, media, value)
        answer.headers["Preference-Applied"] = preference.applied
        return answer

    def _plain_success(
        self, op: Operation, request: Request, params: Mapping[str, str], query: Mapping[str, list[str]]
    ) -> Response:
        status, media, value = self._parts(op, request, params)
        at = listing.find_list(value, None, "") if op.method == "GET" and query else None
        if at is not None:  # a list of what the mock does not store: the generated items, shaped by the query
            lst = listing.Listing(value, at, Role("list", "", None, "none", ""), lambda v: self.bodies.valid(media, v))
            q = listing.read_query(op, query, listing.item_fields(lst.template))
            # a filter keeps the generated items that hold its value: no record is made up to match an
            # unknown one (an empty list is an answer too, not a reason to answer the unfiltered items)
            shaped = lst.answer(lst.template, q)
            value = value if shaped is None else shaped
        return self._success(op, status, media, value)

    def _keep_named(self, answer: Response) -> None:
        """A POST outside any collection whose answer names a stored kind's id at its top level
        (`POST /services/{serviceId}/applications` answering a `fileId`) created that resource: it is readable."""
        try:
            value = json.loads(bytes(answer.body))
        except ValueError:
            return
        if not isinstance(value, dict) or not 200 <= answer.status_code < 300:
            return
        for role in self.roles.values():
            rid = value.get(role.id_param or "") if role.kind == "read" and role.id_in == "path" else None
            if (
                isinstance(rid, str | int)
                and not isinstance(rid, bool)
                and self.store.get(role.resource, str(rid)) is None
            ):
                self.store.put(role.resource, str(rid), Record(value))

    def _adopt(self, op: Operation, role: Role, items: list[Any], scope: Mapping[str, str]) -> None:
        """The items of the first list answered become stored resources: ids a list shows are readable."""
        if not self.store.adopt_once(role.resource):
            return
        for item in items:
            bare = listing.is_bare_id(item)
            at = None if bare else find_id(item, role.id_param, role.hint)
            rid = str(item) if bare else None if at is None else str(get_at(item, at))
            if rid is None or self.store.get(role.resource, rid) or self.store.was_deleted(role.resource, rid):
                continue
            self.store.put(role.resource, rid, Record({} if bare else item, {op.key: item}, dict(scope)))

    def _list(
        self,
        op: Operation,
        role: Role,
        params: Mapping[str, str],
        query: Mapping[str, list[str]],
        answer: tuple[int, MediaType | None, Any],
    ) -> Response:
        """The stored resources of the collection, filtered and paged as the query says."""
        status, media, base = answer
        at = listing.find_list(base, role.id_param, role.hint)
        if at is None:
            return self._success(op, status, media, base)
        free = self._free.get(op.key)
        if free is None:
            free = self._free[op.key] = listing.count_free(self.contract, media.schema if media else None, at)
        lst = listing.Listing(base, at, role, lambda v: self.bodies.valid(media, v), free)
        scope = {k: v for k, v in params.items() if k != role.id_param}
        self._adopt(op, role, lst.template, scope)
        views = [
            view
            for rid, record in self.store.records(role.resource)
            if record.within(scope) and (view := lst.view(op.key, rid, record)) is not None
        ]
        fields = listing.item_fields([*views, *lst.template]) if query else set()
        body = lst.answer(views, listing.read_query(op, query, fields))
        if body is None:
            self.journal.once(f"{op.key}: the stored items do not fit the list's schema; answering the generated list")
        if body is None:
            return self._success(op, status, media, base)
        return self._success(op, status, media, body, items_at=at)

    def _not_found(self, op: Operation, role: Role, rid: str) -> Response | None:
        """404 when the resource was deleted here, or when the spec documents 404 for an unknown id."""
        if self.store.was_deleted(role.resource, rid) or 404 in R.documented(op):
            return self._error(op, 404, f"no {role.hint} with id {rid!r}")
        return None

    def _stateful(
        self,
        op: Operation,
        role: Role,
        params: Mapping[str, str],
        query: dict[str, list[str]],
        body: Any,
        request: Request,
    ) -> Response:
        status, media, base = self._parts(op, request, params, create=role.kind == "create")

        def judge(value: Any) -> bool | None:
            return self.bodies.valid(media, value)

        if role.kind == "list":
            return self._list(op, role, params, query, (status, media, base))

        id_path = find_id(base, role.id_param, role.hint)
        rid: Any
        if role.kind == "create":
            n = self.store.next_number()
            view = overlay(base, id_path, body, judge)
            if id_path is not None:
                view = with_id(view, id_path, id_candidates(get_at(view, id_path), None, self.store.seed, n), judge)
                rid = get_at(view, id_path)
            elif (sent := find_id(body, role.id_param, role.hint)) is not None:
                rid = get_at(body, sent)
            else:  # the answer names no id: the Location header is the only way back to the resource
                rid = id_candidates("", None, self.store.seed, n)[0]
            scope = {k: v for k, v in params.items() if k != role.id_param}
            self.store.put(role.resource, str(rid), Record(source=body, served={op.key: view}, scope=scope))
            answer = self._success(op, status, media, view)
            location = role.location(params, str(rid))
            if location is not None and "location" not in answer.headers:
                answer.headers["Location"] = self.options.base_path + location
            return answer

        if role.id_in == "path":
            rid = params.get(role.id_param or "")
        else:
            values = query.get(role.id_param or "")
            rid = values[-1] if values else None
        if rid is None:
            return self._success(op, status, media, base)
        record = self.store.get(role.resource, rid)

        if role.kind == "delete":
            if self.store.delete(role.resource, rid):
                return self._success(op, status, media, base)
            return self._not_found(op, role, rid) or self._success(op, status, media, base)

        if record is None and (role.kind != "replace" or 404 in R.documented(op)):
            missing = self._not_found(op, role, rid)
            if missing is not None:
                return missing
            if role.kind == "read" or role.kind == "update":
                view = (
                    with_id(base, id_path, id_candidates(get_at(base, id_path), rid, 0, 0), judge) if id_path else base
                )
                return self._success(op, status, media, view)

        if role.kind == "read":
            assert record is not None
            view = record.served.get(op.key)
            if view is None:
                view = next((v for v in record.served.values() if judge(v) is True), None)
                if view is None:
                    view = overlay(base, id_path, record.source, judge)
                    if id_path:
                        view = with_id(view, id_path, id_candidates(get_at(view, id_path), rid, 0, 0), judge)
                record.served[op.key] = view
            return self._success(op, status, media, view)

        # replace (PUT on the item: creates when unknown) or update (PATCH)
        source = body
        if record is not None and (role.kind == "update" or body is None):
            source = merge_json(record.source, body) if body is not None else record.source
        view = overlay(base, id_path, source, judge)
        if id_path:
            view = with_id(view, id_path, id_candidates(get_at(view, id_path), rid, 0, 0), judge)
        scope = dict(record.scope) if record is not None else {k: v for k, v in params.items() if k != role.id_param}
        self.store.put(role.resource, rid, Record(source=source, served={op.key: view}, scope=scope))
        return self._success(op, status, media, view)


def build_app(contract: Contract, options: MockOptions | None = None) -> Starlette:
    """A Starlette app serving `contract` at the spec's paths; the MockApp is at `app.state.mock`."""
    mock = MockApp(contract, options or MockOptions())
    app = Starlette(routes=[Route("/{path:path}", endpoint=mock, max_body_size=MAX_BODY)])
    app.state.mock = mock
    return app
