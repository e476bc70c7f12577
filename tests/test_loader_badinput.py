"""Bad input to the loader: each gives a one-line defect or SpecError, never a traceback, read or fetch."""

from __future__ import annotations

import contextlib
import os
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from govstack_conform.contracts import schemas
from govstack_conform.contracts.loader import (
    LoadedDocument,
    fetch_spec,
    load_document,
    load_files,
    load_url,
    require_readable,
)
from govstack_conform.contracts.loader import refs as refs_module
from govstack_conform.contracts.model import Severity
from govstack_conform.errors import SpecError

SPEC_HEAD = "openapi: 3.0.3\ninfo: {title: T, version: '1'}\n"


def _unreadable(ld: LoadedDocument, *needles: str) -> str:
    assert ld.document is None and ld.operations == ()
    (d,) = ld.defects
    assert d.code == "unreadable" and d.severity is Severity.ERROR
    assert "\n" not in d.message and len(d.message) < 300
    for n in needles:
        assert n in d.message, d.message
    with pytest.raises(SpecError) as exc:
        require_readable(ld)
    assert str(exc.value) == d.message
    return d.message


def test_missing_file(tmp_path: Path) -> None:
    _unreadable(load_document(tmp_path / "nope.yaml", "nope.yaml"), "nope.yaml", "no such file")


def test_directory(tmp_path: Path) -> None:
    _unreadable(load_document(tmp_path, "dir"), "is a directory")


def test_binary_file(tmp_path: Path) -> None:
    f = tmp_path / "logo.yaml"
    f.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    _unreadable(load_document(f, "logo.yaml"), "binary file")


def test_non_utf8_text(tmp_path: Path) -> None:
    f = tmp_path / "latin.yaml"
    f.write_bytes(SPEC_HEAD.encode() + "x: caf\xe9\n".encode("latin-1"))
    _unreadable(load_document(f, "latin.yaml"), "not UTF-8")


def test_billion_laughs(tmp_path: Path) -> None:
    text = SPEC_HEAD + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    f = tmp_path / "bomb.yaml"
    f.write_text(text)
    _unreadable(load_document(f, "bomb.yaml"), "alias")  # refused from the node graph, before any expansion


def test_recursive_yaml_alias(tmp_path: Path) -> None:
    f = tmp_path / "loop.yaml"
    f.write_text(SPEC_HEAD + "paths: &p {/x: *p}\n")
    _unreadable(load_document(f, "loop.yaml"), "refers to itself")


def test_hundred_megabyte_file_is_refused_by_size(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    f = tmp_path / "huge.yaml"
    with f.open("wb") as fh:
        fh.truncate(100 * 1024 * 1024)  # sparse: no disk space used
    opened: list[str] = []
    real_open = Path.open

    def spy(self: Path, *a: Any, **kw: Any) -> Any:
        opened.append(str(self))
        return real_open(self, *a, **kw)

    monkeypatch.setattr(Path, "open", spy)
    _unreadable(load_document(f, "huge.yaml"), "105 MB", "20 MB limit")
    assert str(f) not in opened  # refused by stat, not read


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("name: shopping list\nitems: [milk, eggs]\n", "no 'openapi' field"),
        ("Here is the spec you asked for, in prose.\n", "plain text"),
        ("- a\n- b\n", "list"),
        ('swagger: "2.0"\ninfo: {title: T, version: "1"}\npaths: {}\n', "Swagger 2.0"),
        ("openapi: 2.5.0\npaths: {}\n", "unsupported OpenAPI version"),
        ("a: [unclosed\n", "not valid YAML or JSON"),
        ("", "empty"),
        ("openapi: 3.0.0\nx: !!python/object:os.system {}\n", "could not determine a constructor"),
        ("openapi: 3.0.0\n---\nopenapi: 3.0.0\n", "not valid YAML"),
    ],
)
def test_not_openapi(tmp_path: Path, text: str, needle: str) -> None:
    f = tmp_path / "thing.yaml"
    f.write_text(text)
    _unreadable(load_document(f, "thing.yaml"), needle)


def test_broken_json_says_where(tmp_path: Path) -> None:
    f = tmp_path / "spec.json"
    f.write_text('{"openapi": "3.0.0",\n "paths": {,}}')
    _unreadable(load_document(f, "spec.json"), "not valid JSON", "line 2")


def test_deeply_nested_json(tmp_path: Path) -> None:
    f = tmp_path / "deep.json"
    f.write_text('{"openapi": "3.0.0", "x": ' + "[" * 100_000 + "]" * 100_000 + "}")
    _unreadable(load_document(f, "deep.json"), "nested too deeply")


def _ref_spec(ref: str) -> str:
    return SPEC_HEAD + (
        "paths:\n"
        "  /leak:\n"
        "    get:\n"
        "      responses:\n"
        "        '200':\n"
        "          description: ok\n"
        "          content:\n"
        "            application/json:\n"
        f"              schema: {{$ref: '{ref}'}}\n"
        "  /fine:\n"
        "    get:\n"
        "      responses:\n"
        "        '200': {description: ok, content: {application/json: {schema: {type: string}}}}\n"
    )


@pytest.fixture
def read_spy(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every file the resolver asks the parser to read."""
    seen: list[Path] = []
    real = refs_module.read_document

    def spy(path: Path) -> Any:
        seen.append(path)
        return real(path)

    monkeypatch.setattr(refs_module, "read_document", spy)
    return seen


@pytest.mark.parametrize(
    ("ref", "needle"),
    [
        ("../../etc/passwd", "leaves the spec's folder"),
        ("../../../../../../../../etc/passwd#/x", "leaves the spec's folder"),
        ("/etc/passwd", "absolute path"),
        ("file:///etc/passwd", "file: scheme"),
    ],
)
def test_refs_leaving_the_root_are_refused_without_reading(
    tmp_path: Path, read_spy: list[Path], ref: str, needle: str
) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc" / "passwd").write_text("root: x\n")  # a readable decoy just outside the root
    spec_dir = tmp_path / "specs" / "bb"
    spec_dir.mkdir(parents=True)
    f = spec_dir / "spec.yaml"
    f.write_text(_ref_spec(ref))
    ld = load_document(f, "bb/spec.yaml")
    assert read_spy == []
    assert ld.extra_documents == ()
    (d,) = [d for d in ld.defects if d.code == "external-ref-refused"]
    assert needle in d.message and ref in d.message and "\n" not in d.message
    assert d.severity is Severity.ERROR and d.operation == "GET /leak" and d.aspect == "response:200"
    fine = next(op for op in ld.operations if op.key == "GET /fine")
    assert fine.defects == () and len(ld.operations) == 2


def test_symlink_out_of_the_root_is_refused(tmp_path: Path, read_spy: list[Path]) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("Pet: {type: object}\n")
    root = tmp_path / "spec"
    root.mkdir()
    (root / "pets.yaml").symlink_to(outside)
    (root / "spec.yaml").write_text(_ref_spec("pets.yaml#/Pet"))
    ld = load_document(root / "spec.yaml", "spec.yaml")
    assert read_spy == []
    assert any(d.code == "external-ref-refused" and d.operation == "GET /leak" for d in ld.defects)


def test_http_ref_is_never_fetched(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    attempts: list[Any] = []

    def no_network(*args: Any, **kwargs: Any) -> Any:
        attempts.append(args)
        raise AssertionError("the loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    f = tmp_path / "spec.yaml"
    f.write_text(_ref_spec("https://example.com/schemas/pet.yaml#/Pet"))
    contract = load_files([f])
    assert attempts == []
    (d,) = [d for d in contract.defects if d.code == "external-ref-refused"]
    assert "never fetched" in d.message and d.aspect == "response:200" and d.operation == "GET /leak"
    op = contract.operation("GET /leak")
    assert op is not None and op.blocked("response:200") is d
    # the validator layer refuses it too, with no fetch: the registry has no retrieve function
    schema = op.responses[0].content[0].schema
    assert schema is not None
    with pytest.raises(schemas.SchemaUnusable):
        schemas.validate(contract, schema, {"name": "x"})
    assert attempts == []


def test_external_ref_beside_the_spec_resolves(tmp_path: Path) -> None:
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "pets.yaml").write_text(
        "Pet:\n  type: object\n  required: [name]\n  properties:\n    name: {type: string}\n"
        "    tag: {$ref: '#/Tag'}\n"
        "Tag: {type: string, maxLength: 3}\n"
        "Limit: {name: limit, in: query, schema: {type: integer, maximum: 10}}\n"
    )
    f = tmp_path / "spec.yaml"
    f.write_text(
        _ref_spec("common/pets.yaml#/Pet").replace(
            "    get:\n      responses:\n        '200':\n          description: ok\n",
            "    get:\n      parameters: [{$ref: 'common/pets.yaml#/Limit'}]\n"
            "      responses:\n        '200':\n          description: ok\n",
            1,
        )
    )
    contract = load_files([f])
    assert set(contract.documents) == {"spec.yaml", "common/pets.yaml"}
    assert [d for d in contract.defects if d.severity is Severity.ERROR] == []
    op = contract.operation("GET /leak")
    assert op is not None
    (limit,) = op.parameters
    assert limit.name == "limit" and limit.schema is not None and limit.schema.doc == "common/pets.yaml"
    assert limit.schema.pointer == "/Limit/schema"
    assert schemas.validate(contract, limit.schema, 11, direction="request")
    schema = op.responses[0].content[0].schema
    assert schema is not None
    assert schemas.validate(contract, schema, {"name": "rex", "tag": "dog"}) == []
    (v,) = schemas.validate(contract, schema, {"name": "rex", "tag": "doggo"})
    assert v.schema_file == "common/pets.yaml" and v.schema_pointer == "/Tag/maxLength"
    assert v.instance_pointer == "/tag"


def test_missing_external_file_is_a_dangling_ref(tmp_path: Path) -> None:
    f = tmp_path / "spec.yaml"
    f.write_text(_ref_spec("nothere.yaml#/Pet"))
    ld = load_document(f, "spec.yaml")
    (d,) = [d for d in ld.defects if d.code == "dangling-ref"]
    assert "nothere.yaml" in d.message and "no such file" in d.message and d.aspect == "response:200"


def test_recursive_schema_loads_and_validates(tmp_path: Path) -> None:
    f = tmp_path / "tree.yaml"
    f.write_text(
        SPEC_HEAD + "paths:\n  /tree:\n    get:\n      responses:\n        200:\n          description: ok\n"
        "          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Node'}\n"
        "components:\n  schemas:\n    Node:\n      type: object\n      required: [name]\n      properties:\n"
        "        name: {type: string}\n        children: {type: array, items: {$ref: '#/components/schemas/Node'}}\n"
    )
    contract = load_files([f])
    assert contract.defects == ()
    op = contract.operation("GET /tree")
    assert op is not None
    schema = op.responses[0].content[0].schema
    assert schema is not None and schema.pointer == "/paths/~1tree/get/responses/200/content/application~1json/schema"
    good = {"name": "a", "children": [{"name": "b", "children": [{"name": "c", "children": []}]}]}
    assert schemas.validate(contract, schema, good) == []
    bad = {"name": "a", "children": [{"name": "b", "children": [{"name": 3}]}]}
    (v,) = schemas.validate(contract, schema, bad)
    assert v.instance_pointer == "/children/0/children/0/name"
    assert v.schema_pointer == "/components/schemas/Node/properties/name/type"


def test_load_files_keys_are_relative_to_the_common_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    for sub, path in (("a", "/one"), ("b", "/two")):
        (tmp_path / sub / "spec.yaml").write_text(
            SPEC_HEAD + f"paths:\n  {path}:\n    get:\n      responses: {{'204': {{description: none}}}}\n"
        )
    contract = load_files([tmp_path / "a" / "spec.yaml", tmp_path / "b" / "spec.yaml"], bb="mine", ref="draft")
    assert contract.label == "mine@draft" and contract.title == "T"
    assert sorted(contract.documents) == ["a/spec.yaml", "b/spec.yaml"]
    assert {op.key: op.source_file for op in contract.operations} == {
        "GET /one": "a/spec.yaml",
        "GET /two": "b/spec.yaml",
    }


def test_repeated_loads_are_cached_until_the_file_changes(tmp_path: Path) -> None:
    f = tmp_path / "spec.yaml"
    f.write_text(SPEC_HEAD + "paths:\n  /a:\n    get:\n      responses: {'204': {description: none}}\n")
    first = load_document(f, "spec.yaml")
    assert load_document(f, "spec.yaml") is first
    f.write_text(SPEC_HEAD + "paths:\n  /b:\n    get:\n      responses: {'204': {description: none}}\n")
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    second = load_document(f, "spec.yaml")
    assert second is not first and [op.key for op in second.operations] == ["GET /b"]


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server calls it by this name
        if self.path == "/spec.yaml":
            body = (
                SPEC_HEAD + "paths:\n  /remote:\n    get:\n      responses: {'204': {description: none}}\n"
            ).encode()
        elif self.path == "/huge.yaml":
            body = b"x" * (64 * 1024)
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gives up on purpose
            self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_spec_by_url(server: str) -> None:
    contract = load_url(f"{server}/spec.yaml")
    assert [op.key for op in contract.operations] == ["GET /remote"]
    assert contract.operations[0].source_file == "spec.yaml"


def test_spec_by_url_errors_are_one_line(server: str) -> None:
    with pytest.raises(SpecError, match="HTTP 404"):
        fetch_spec(f"{server}/missing.yaml")
    with pytest.raises(SpecError, match="limit"):
        fetch_spec(f"{server}/huge.yaml", max_bytes=1024)
    with pytest.raises(SpecError, match="not an http"):
        fetch_spec("ftp://127.0.0.1/spec.yaml")
