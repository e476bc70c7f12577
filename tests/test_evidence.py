"""Evidence bundles: contents, HAR 1.2, signing, and detection of every kind of tampering."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path

import pytest
import report_fixture as fx
import typer
from typer.testing import CliRunner

from govstack_conform.cli import report as cli_report
from govstack_conform.errors import ReportError, UsageError
from govstack_conform.report.evidence.bundle import keygen, verify, write_evidence

CONFIG = {
    "target": "http://127.0.0.1:8002/registries",
    "auth": {"type": "bearer", "token": fx.SECRET},
    "headers": {"X-Api-Key": fx.SECRET, "Information-Mediator-Client": "eGovStack/GOV/90000009/demo"},
    "timeout_ms": 15000,
    "note": f"token is {fx.SECRET}",
}


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return keygen(tmp_path_factory.mktemp("keys"))


def _specs(tmp: Path) -> dict[str, tuple[Path, str]]:
    import hashlib

    out = {}
    for b in fx.build().results:
        for s in b.spec_files:
            local = tmp / "specs" / s.path
            local.parent.mkdir(parents=True, exist_ok=True)
            local.write_text(f"openapi: 3.0.1 # stand-in for {s.path}\n")
            out[s.path] = (local, hashlib.sha256(local.read_bytes()).hexdigest())
    return out


def _bundle(tmp: Path, key: Path | None) -> Path:
    out = tmp / "bundle"
    write_evidence(out, fx.build(), None, _specs(tmp), CONFIG, key, secrets=[fx.SECRET])
    return out


def test_bundle_contents(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    out = _bundle(tmp_path, keys[0])
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "MANIFEST.sha256",
        "MANIFEST.sha256.sig",
        "config.json",
        "exchanges.har",
        "results.json",
        "signer.pub.pem",
        "spec-hashes.json",
    ]
    har = json.loads((out / "exchanges.har").read_text())["log"]
    assert har["version"] == "1.2" and har["creator"]["name"] == "govstack-conform"
    n = sum(len(c.exchanges) for b in fx.build().results for c in b.cases)
    assert len(har["entries"]) == n
    for e in har["entries"]:
        assert {"startedDateTime", "time", "request", "response", "cache", "timings"} <= set(e)
        assert {"method", "url", "httpVersion", "headers", "queryString", "cookies", "headersSize", "bodySize"} <= set(
            e["request"]
        )
    timeout = [e for e in har["entries"] if e["response"]["status"] == 0]
    assert len(timeout) == 1 and "timed out" in timeout[0]["response"]["_error"]
    specs = json.loads((out / "spec-hashes.json").read_text())["spec_files"]
    assert [s["path"] for s in specs] == sorted(s for s in _specs(tmp_path / "x"))
    config = json.loads((out / "config.json").read_text())
    assert config["auth"] == {"type": "bearer", "token": "[REDACTED]"}
    assert config["headers"]["X-Api-Key"] == "[REDACTED]"
    assert config["headers"]["Information-Mediator-Client"] == "eGovStack/GOV/90000009/demo"
    assert config["note"] == "token is [REDACTED]"
    lines = (out / "MANIFEST.sha256").read_text().splitlines()
    assert [line.split("  ")[1] for line in lines] == [
        "config.json",
        "exchanges.har",
        "results.json",
        "spec-hashes.json",
    ]
    for p in out.rglob("*"):
        assert fx.SECRET.encode() not in p.read_bytes(), p.name
    v = verify(out, keys[1])
    assert v.ok and v.signature == "valid" and v.pinned and v.checked == 4


def test_spec_file_that_does_not_match_its_hash_is_refused(tmp_path: Path) -> None:
    specs = _specs(tmp_path)
    path, _ = next(iter(specs.values()))
    path.write_text("changed after the run\n")
    with pytest.raises(ReportError, match="has sha256"):
        write_evidence(tmp_path / "b", fx.build(), None, specs, {}, None)


@pytest.mark.parametrize(
    "tamper", ["changed", "missing", "added", "bad-signature", "other-key", "nested-added", "manifest-edited"]
)
def test_tampering_is_detected(tmp_path: Path, keys: tuple[Path, Path], tamper: str) -> None:
    out = _bundle(tmp_path, keys[0])
    assert verify(out, keys[1]).ok
    if tamper == "changed":
        data = json.loads((out / "results.json").read_text())
        data["results"][1]["cases"][0]["verdict"] = "passed"
        (out / "results.json").write_text(json.dumps(data, indent=2))
    elif tamper == "missing":
        (out / "exchanges.har").unlink()
    elif tamper == "added":
        (out / "extra.txt").write_text("slipped in")
    elif tamper == "nested-added":
        (out / "sub").mkdir()
        (out / "sub" / "x.json").write_text("{}")
    elif tamper == "bad-signature":
        sig = bytearray(base64.b64decode((out / "MANIFEST.sha256.sig").read_bytes()))
        sig[0] ^= 1
        (out / "MANIFEST.sha256.sig").write_bytes(base64.b64encode(bytes(sig)))
    elif tamper == "other-key":  # re-signed by someone else: fine without a pin, refused with one
        other = keygen(tmp_path / "other")
        out2 = tmp_path / "resigned"
        write_evidence(out2, fx.build(), None, _specs(tmp_path / "s2"), CONFIG, other[0])
        unpinned = verify(out2)
        assert unpinned.ok and not unpinned.pinned
        v = verify(out2, keys[1])
        assert not v.ok and v.signature == "invalid"
        return
    elif tamper == "manifest-edited":  # hashes updated to match a changed file: only the signature catches it
        (out / "config.json").write_text("{}\n")
        import hashlib

        lines = (out / "MANIFEST.sha256").read_text().splitlines()
        digest = hashlib.sha256(b"{}\n").hexdigest()
        lines = [f"{digest}  config.json" if line.endswith("config.json") else line for line in lines]
        (out / "MANIFEST.sha256").write_text("\n".join(lines) + "\n")
    v = verify(out, keys[1])
    assert not v.ok
    expected = {
        "changed": (["results.json"], [], []),
        "missing": ([], ["exchanges.har"], []),
        "added": ([], [], ["extra.txt"]),
        "nested-added": ([], [], ["sub/x.json"]),
        "bad-signature": ([], [], []),
        "manifest-edited": ([], [], []),
    }[tamper]
    assert (v.changed, v.missing, v.added) == expected
    if tamper in ("bad-signature", "manifest-edited"):
        assert v.signature == "invalid"


def test_unsigned_bundle_and_pinned_key(tmp_path: Path, keys: tuple[Path, Path]) -> None:
    out = _bundle(tmp_path, None)
    v = verify(out)
    assert v.ok and v.signature == "unsigned"
    v = verify(out, keys[1])
    assert not v.ok and "no signature" in v.problems[0]


def test_keygen_permissions_and_no_overwrite(tmp_path: Path) -> None:
    priv, pub = keygen(tmp_path / "k")
    assert stat.S_IMODE(priv.stat().st_mode) == 0o600
    assert priv.read_text().startswith("-----BEGIN PRIVATE KEY-----")
    assert pub.read_text().startswith("-----BEGIN PUBLIC KEY-----")
    with pytest.raises(UsageError, match="refusing to overwrite"):
        keygen(tmp_path / "k")
    with pytest.raises(UsageError, match=r"not an Ed25519 public key|not a PEM public key"):
        verify(_bundle(tmp_path, priv), priv)  # a private key where a public one is expected


def _root() -> typer.Typer:
    root = typer.Typer()

    @root.callback()
    def _cb() -> None:
        pass

    cli_report.register(root)
    return root


def test_cli_keygen_and_verify(tmp_path: Path) -> None:
    runner = CliRunner()
    r = runner.invoke(_root(), ["evidence", "keygen", "--out", str(tmp_path / "k")])
    assert r.exit_code == 0, r.output
    priv = tmp_path / "k" / "evidence-signing-key.pem"
    pub = tmp_path / "k" / "evidence-signing-key.pub.pem"
    out = _bundle(tmp_path, priv)
    r = runner.invoke(_root(), ["evidence", "verify", str(out), "--public-key", str(pub)])
    assert r.exit_code == 0 and "OK: 4 files checked" in r.output and "pinned key" in r.output
    (out / "config.json").write_text("{}")
    r = runner.invoke(_root(), ["evidence", "verify", str(out), "--json"])
    assert r.exit_code == 1
    assert json.loads(r.output)["changed"] == ["config.json"]
    r = runner.invoke(_root(), ["evidence", "verify", str(tmp_path / "nope")])
    assert r.exit_code == 2 and "not a directory" in r.output
