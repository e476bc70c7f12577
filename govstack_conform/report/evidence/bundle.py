"""Evidence bundles: what was sent and received, against which exact specs and config, sealed by hashes.

Layout of a bundle directory:
  exchanges.har      every exchange of the run as HAR 1.2 (credentials redacted)
  results.json       the full results (as `report render --format json` writes them)
  spec-hashes.json   store path and sha256 of every spec file the run used
  config.json        the effective configuration, secrets redacted
  MANIFEST.sha256    `sha256  path` per file above (the `sha256sum -c` format)
  MANIFEST.sha256.sig  (signed bundles) base64 Ed25519 signature of MANIFEST.sha256
  signer.pub.pem       (signed bundles) the signer's public key, for convenience only: pin it with
                       `evidence verify --public-key`, or anyone who edits the bundle can re-sign it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govstack_conform.assessment.compliance import assess
from govstack_conform.engine.results import Exchange, RunResults
from govstack_conform.errors import ReportError, UsageError
from govstack_conform.redact import Redactor
from govstack_conform.report.formats.json import JsonFormat, dumps
from govstack_conform.report.redact import redact_results

MANIFEST = "MANIFEST.sha256"
SIGNATURE = "MANIFEST.sha256.sig"
SIGNER = "signer.pub.pem"
UNSEALED = frozenset({MANIFEST, SIGNATURE, SIGNER})
PRIVATE_NAME = "evidence-signing-key.pem"
PUBLIC_NAME = "evidence-signing-key.pub.pem"


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# ---- HAR ---------------------------------------------------------------------------------------------


def _har_entry(x: Exchange, started: str, comment: str) -> dict[str, Any]:
    r = x.request
    ctype = next((v for k, v in r.headers if k.lower() == "content-type"), "")
    request: dict[str, Any] = {
        "method": r.method,
        "url": r.url,
        "httpVersion": "HTTP/1.1",
        "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in r.headers],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(urlsplit(r.url).query, keep_blank_values=True)],
        "headersSize": -1,
        "bodySize": -1 if r.body is None else len(r.body.encode("utf-8", "surrogatepass")),
    }
    if r.body is not None:
        request["postData"] = {"mimeType": ctype, "text": r.body}
    entry: dict[str, Any] = {
        "startedDateTime": started,
        "time": 0.0,
        "request": request,
        "cache": {},
        "comment": comment,
    }
    if x.response is not None:
        p = x.response
        rtype = next((v for k, v in p.headers if k.lower() == "content-type"), "")
        entry["time"] = p.elapsed_ms
        entry["response"] = {
            "status": p.status,
            "statusText": "",
            "httpVersion": p.http_version,
            "cookies": [],
            "headers": [{"name": k, "value": v} for k, v in p.headers],
            "content": {
                "size": -1 if p.body is None else len(p.body.encode("utf-8", "surrogatepass")),
                "mimeType": rtype,
                **({"text": p.body} if p.body is not None else {}),
            },
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
        }
        if p.body_truncated:
            entry["response"]["content"]["comment"] = "body truncated by govstack-conform"
    else:  # HAR has no "no response"; status 0 is what browsers record for a failed request
        entry["response"] = {
            "status": 0,
            "statusText": "",
            "httpVersion": "",
            "cookies": [],
            "headers": [],
            "content": {"size": 0, "mimeType": ""},
            "redirectURL": "",
            "headersSize": -1,
            "bodySize": -1,
            "_error": x.error or "no response",
        }
    entry["timings"] = {"send": 0, "wait": entry["time"], "receive": 0}
    return entry


def build_har(results: RunResults) -> dict[str, Any]:
    """HAR 1.2 of every exchange in `results` (redact the results first)."""
    entries = []
    for bb in results.results:
        for c in bb.cases:
            for x in c.exchanges:
                entries.append(_har_entry(x, bb.started or results.started, f"{bb.bb}@{bb.ref} {c.case_id} {x.step}"))
    return {
        "log": {
            "version": "1.2",
            "creator": {"name": "govstack-conform", "version": results.tool_version},
            "pages": [],
            "entries": entries,
        }
    }


# ---- writing -----------------------------------------------------------------------------------------


KEY_LIMIT = 64 * 1024  # a PEM key is a few hundred bytes


def _key_bytes(path: Path, what: str) -> bytes:
    """A key file's bytes, read bounded (a FIFO or /dev/zero named as a key cannot make the tool read forever)."""
    from govstack_conform.contracts.bounded import Unreadable
    from govstack_conform.contracts.loader.parse import read_bytes

    if not path.exists() and not path.is_symlink():
        raise UsageError(f"{what} not found: {path}")
    try:
        return read_bytes(path, KEY_LIMIT, "a key file")[0]
    except Unreadable as exc:
        raise UsageError(f"{what} {path}: {exc}") from None


def load_private_key(path: Path) -> Ed25519PrivateKey:
    raw = _key_bytes(path, "signing key")
    try:
        key = serialization.load_pem_private_key(raw, password=None)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not an unencrypted PEM private key: {exc}") from None
    except UnsupportedAlgorithm:
        raise UsageError(f"{path} is not an Ed25519 key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path} is not an Ed25519 key")
    return key


def load_public_key(path: Path) -> Ed25519PublicKey:
    raw = _key_bytes(path, "public key")
    try:
        key = serialization.load_pem_public_key(raw)
    except (ValueError, TypeError) as exc:
        raise UsageError(f"{path} is not a PEM public key: {exc}") from None
    except UnsupportedAlgorithm:
        raise UsageError(f"{path} is not an Ed25519 public key") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path} is not an Ed25519 public key")
    return key


def _public_pem(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PublicKey) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "sha256:" + _sha256(raw)[:32]


def keygen(out_dir: Path) -> tuple[Path, Path]:
    """A new Ed25519 keypair as PEM files; the private one readable by its owner only. Never overwrites."""
    out_dir.mkdir(parents=True, exist_ok=True)
    priv_path, pub_path = out_dir / PRIVATE_NAME, out_dir / PUBLIC_NAME
    for p in (priv_path, pub_path):
        if p.exists():
            raise UsageError(f"{p} already exists; refusing to overwrite a key")
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(priv_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(pem)
    os.chmod(priv_path, 0o600)
    pub_path.write_bytes(_public_pem(key.public_key()))
    return priv_path, pub_path


def write_evidence(
    out_dir: Path,
    results: RunResults,
    exchanges_har: Mapping[str, Any] | None,
    spec_files: Mapping[str, tuple[Path, str]],
    effective_config: Mapping[str, Any],
    sign_key: Path | None = None,
    secrets: Iterable[str] = (),
) -> list[Path]:
    """Write a bundle into `out_dir` (which must be empty or absent); returns the files written.

    `exchanges_har`: a HAR the runner built, or None to build it from the results' exchanges.
    `spec_files`: store path -> (local file, expected sha256); each file is hashed again and a mismatch
    is an error, so the bundle never vouches for a spec that was not the one used.
    `secrets`: known secret values; they are redacted everywhere and the written bytes are scanned for them.
    """
    secrets = [s for s in secrets if s]
    key = load_private_key(sign_key) if sign_key else None
    if out_dir.exists() and any(out_dir.iterdir()):
        raise ReportError(f"evidence directory {out_dir} is not empty")
    redactor = Redactor(secrets)
    safe = redact_results(results, secrets)
    har = redactor.value(dict(exchanges_har)) if exchanges_har is not None else build_har(safe)
    specs = []
    for store_path, (local, expected) in sorted(spec_files.items()):
        try:
            actual = _sha256(local.read_bytes())
        except OSError as exc:
            raise ReportError(f"cannot hash spec file {local}: {exc.strerror or exc}") from None
        if actual != expected.lower():
            raise ReportError(f"spec file {store_path} has sha256 {actual}, expected {expected}")
        specs.append({"path": store_path, "sha256": actual, "size": local.stat().st_size})
    files = {
        "exchanges.har": dumps(har),
        "results.json": JsonFormat().render(safe, assess(safe)),
        "spec-hashes.json": dumps({"spec_files": specs}),
        "config.json": dumps(redactor.value(dict(effective_config))),
    }
    forms = [f.encode("utf-8", "surrogatepass") for f in redactor.forms]
    for name, data in files.items():
        if any(f in data for f in forms):
            raise ReportError(f"refusing to write evidence: a secret survived redaction in {name}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
        written.append(out_dir / name)
    manifest = "".join(f"{_sha256(data)}  {name}\n" for name, data in sorted(files.items())).encode()
    (out_dir / MANIFEST).write_bytes(manifest)
    written.append(out_dir / MANIFEST)
    if key is not None:
        sig = base64.b64encode(key.sign(manifest)) + b"\n"
        (out_dir / SIGNATURE).write_bytes(sig)
        (out_dir / SIGNER).write_bytes(_public_pem(key.public_key()))
        written += [out_dir / SIGNATURE, out_dir / SIGNER]
    return written


# ---- verification ------------------------------------------------------------------------------------


@dataclass
class Verification:
    changed: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    signature: str = "unsigned"  # unsigned | valid | invalid
    signer: str | None = None
    pinned: bool = False
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added or self.problems) and self.signature != "invalid"

    def lines(self, most: int = 1000) -> list[str]:
        """What a person reads: at most `most` files of each kind (`--json` lists every one)."""
        out: list[str] = []
        for kind, names in (("changed", self.changed), ("missing", self.missing), ("added", self.added)):
            out += [f"{kind}: {p}" for p in names[:most]]
            if len(names) > most:
                out.append(f"{kind}: and {len(names) - most} more (--json lists them all)")
        out += self.problems[:most]
        if len(self.problems) > most:
            out.append(f"and {len(self.problems) - most} more problems (--json lists them all)")
        if self.signature == "valid":
            pin = "pinned key" if self.pinned else "key shipped in the bundle, NOT pinned (use --public-key)"
            out.append(f"signature valid ({self.signer}, {pin})")
        elif self.signature == "invalid":
            out.append("signature INVALID")
        else:
            out.append("not signed")
        return out


MANIFEST_LIMIT = 256 * 1024 * 1024
_HEX = frozenset("0123456789abcdefABCDEF")


def _files(root: Path) -> dict[str, bool]:
    """Every file under `root`: relative POSIX path -> whether it is a regular file (not a symlink); one walk."""
    found: dict[str, bool] = {}
    stack = [(str(root), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            for e in entries:
                rel = prefix + e.name
                if e.is_dir(follow_symlinks=False):
                    stack.append((e.path, rel + "/"))
                else:
                    found[rel] = e.is_file(follow_symlinks=False)
    return found


def _entry(line: str) -> tuple[str, str] | None:
    """(name, digest) of a manifest line; None when malformed or naming a path outside the bundle."""
    digest, sep, name = line.partition("  ")
    if not sep or not name or len(digest) != 64 or not _HEX.issuperset(digest):
        return None
    if name.startswith("/") or "\x00" in name or "/../" in f"/{name}/":
        return None
    return name, digest


# A well-formed line, found in the whole text at once (a million lines take a fraction of a second), and
# what sends a manifest down the line-by-line path that names each malformed line.
_LINE = re.compile(r"^([0-9a-fA-F]{64})  ([^\n\r]+)$", re.MULTILINE)
_ODD = ("  /", "/..", "  ..", "\x00", "\r")  # an absolute path, a '..' segment (or a name merely like one)


def _entries(text: str, v: Verification) -> dict[str, str]:
    """name -> sha256 (hex, either case) of every manifest line; each malformed line noted in `v.problems`."""
    lines = text.splitlines()
    found = _LINE.findall(text)
    if len(found) == len(lines) and not any(odd in text for odd in _ODD):
        return {name: digest for digest, name in found}
    entries: dict[str, str] = {}
    for n, line in enumerate(lines, 1):
        entry = _entry(line)
        if entry is None:
            v.problems.append(f"{MANIFEST} line {n} is malformed")
        else:
            entries[entry[0]] = entry[1]
    return entries


def _file_sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def verify(bundle: Path, public_key: Path | None = None) -> Verification:
    """Check every hash in the manifest, look for added files, and check the signature.

    Linear in the manifest's lines and the bundle's files: one walk lists the files, each entry costs
    a dictionary lookup, and only files that exist are hashed (streamed, never held whole)."""
    from govstack_conform.contracts.bounded import Unreadable
    from govstack_conform.contracts.loader.parse import read_bytes

    if not bundle.is_dir():
        raise UsageError(f"{bundle} is not a directory")
    pinned = load_public_key(public_key) if public_key else None
    v = Verification()
    present = _files(bundle)
    mpath = bundle / MANIFEST
    if not present.get(MANIFEST):
        v.missing.append(MANIFEST)
        v.added = sorted(p for p in present if p not in UNSEALED)
        return v
    try:
        manifest, _stamp = read_bytes(mpath, MANIFEST_LIMIT, "an evidence manifest")
    except Unreadable as exc:
        raise ReportError(f"{mpath}: {exc}") from None
    entries = _entries(manifest.decode("utf-8", "replace"), v)
    v.missing = sorted(name for name in entries if not present.get(name))
    for name in sorted(name for name in entries if present.get(name)):
        v.checked += 1
        if _file_sha256(bundle / name) != entries[name].lower():
            v.changed.append(name)
    v.added = sorted(p for p in present if p not in entries and p not in UNSEALED)
    spath, kpath = bundle / SIGNATURE, bundle / SIGNER
    if spath.exists():
        try:
            key = pinned or load_public_key(kpath)
            sig = base64.b64decode(_key_bytes(spath, "signature").strip(), validate=True)
            key.verify(sig, manifest)
            v.signature, v.signer, v.pinned = "valid", fingerprint(key), pinned is not None
        except (InvalidSignature, ValueError, UsageError):
            v.signature = "invalid"
    elif pinned is not None:
        v.problems.append(f"no signature ({SIGNATURE}) although a public key was given")
    return v


def summary(v: Verification) -> dict[str, Any]:
    return {
        "ok": v.ok,
        "checked": v.checked,
        "changed": v.changed,
        "missing": v.missing,
        "added": v.added,
        "problems": v.problems,
        "signature": v.signature,
        "signer": v.signer,
        "pinned": v.pinned,
    }


def as_json(v: Verification) -> str:
    return json.dumps(summary(v), indent=2)
