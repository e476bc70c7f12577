"""Test data: real values from the candidate that replace generated ones.

A generated identifier almost never names a record the candidate holds, so a read of it answers 404
and proves little. Test data files supply identifiers (and whole bodies) that exist in the product:

- our fixtures format (YAML or JSON), per BB::

    parameters: {policyId: "p-1"}              # any operation, matched by parameter name
    operations:
      configPolicyRead:                         # operationId, or "GET /config/policy/{policyId}/"
        parameters: {revisionId: "r-7"}
        body: {...}                             # replaces the generated request body

    disposable:                                 # records the run may change or delete
      parameters: {policyId: "p-scratch"}
      operations:
        resetCache: {}                          # an operation that names no record may be sent

- GovStack harness files (testDefaultParameters.json / testCustomParameters.json): a flat
  ``{KEY: value}`` mapping. Keys match parameter names case-insensitively (also ignoring ``_`` and
  ``-``, so ``REGISTRY_NAME`` fills ``registryName``), and ``${KEY}`` placeholders anywhere inside
  fixture values are replaced by these values.

Values under `parameters` and `operations` (and every harness key) are kept: no case changes or deletes
the records they name. Values under `disposable` (same shape) are used only by the cases that change or
delete a record (docs/data-safety.md), and only where the run cannot create the record itself; a harness
value becomes disposable by naming it there, e.g. ``disposable: {parameters: {policyId: "${POLICY_ID}"}}``.

Files are merged in the order given; a later file wins. A bad file is a ConfigError naming the file.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from govstack_conform.contracts.model import Contract, Operation
from govstack_conform.errors import ConfigError

_PLACEHOLDER = re.compile(r"\$\{([^}]+)\}")
_STRUCTURED_KEYS = frozenset({"parameters", "operations", "disposable"})


def _norm(name: str) -> str:
    """Loose key for matching harness keys to parameter names: case, '_' and '-' ignored."""
    return re.sub(r"[_\-\s]", "", name).lower()


@dataclass(frozen=True)
class OperationData:
    """Test data for one operation: parameter values and, optionally, the whole request body."""

    parameters: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False


@dataclass(frozen=True)
class TestData:
    """Merged test data of one or more files. Empty TestData() supplies nothing."""

    __test__ = False  # not a pytest class

    parameters: Mapping[str, Any] = field(default_factory=dict)
    operations: Mapping[str, OperationData] = field(default_factory=dict)
    variables: Mapping[str, Any] = field(default_factory=dict)  # flat harness keys
    sources: tuple[str, ...] = ()
    # The `disposable` section: records that cases which change or delete records may act on.
    disposable_parameters: Mapping[str, Any] = field(default_factory=dict)
    disposable_operations: Mapping[str, OperationData] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(
            self.parameters or self.operations or self.variables or self.disposable_parameters
            or self.disposable_operations
        )  # fmt: skip

    def _operation(self, op: Operation) -> OperationData | None:
        return _entry(self.operations, op)

    def disposable_entry(self, op: Operation) -> OperationData | None:
        """The operation's entry under `disposable.operations`: what it acts on may be changed or deleted."""
        return _entry(self.disposable_operations, op)

    def lookup_disposable(self, op: Operation | None, name: str) -> Any | None:
        """A disposable value for parameter `name` of `op`: its `disposable.operations` entry first, then
        `disposable.parameters` (matched as in lookup_param). None when the file marks none disposable."""
        entry = self.disposable_entry(op) if op is not None else None
        for table in (entry.parameters if entry else {}, self.disposable_parameters):
            found = _find(table, name)
            if found is not None:
                return found
        return None

    def lookup_param(self, op: Operation, name: str) -> Any | None:
        """The test value for parameter `name` of `op`, or None when none is supplied.

        Order: the operation's own entry, then global `parameters`, then harness keys; within each,
        the exact name first, then case-insensitive, then the loose match.
        """
        entry = self._operation(op)
        for table in (entry.parameters if entry else {}, self.parameters, self.variables):
            found = _find(table, name)
            if found is not None:
                return found
        return None

    def lookup_body(self, op: Operation) -> tuple[bool, Any]:
        """(True, body) when test data supplies the whole request body of `op`."""
        entry = self._operation(op)
        if entry is not None and entry.has_body:
            return True, entry.body
        return False, None

    def unknown_operations(self, contract: Contract) -> list[str]:
        """Operation keys in the test data that name no operation of `contract` (likely typos)."""
        known = {op.key for op in contract.operations} | {op.operation_id for op in contract.operations}
        return sorted({k for k in (*self.operations, *self.disposable_operations) if k not in known})


def _entry(table: Mapping[str, OperationData], op: Operation) -> OperationData | None:
    for key in (op.operation_id, op.key):
        if key and key in table:
            return table[key]
    return None


def _find(table: Mapping[str, Any], name: str) -> Any | None:
    if name in table:
        return table[name]
    lower = name.lower()
    for k in sorted(table):
        if k.lower() == lower:
            return table[k]
    loose = _norm(name)
    for k in sorted(table):
        if _norm(k) == loose:
            return table[k]
    return None


def _read(path: Path) -> Any:
    """The file's data, read bounded (size, YAML alias bombs, nesting) as every file the tool reads."""
    from govstack_conform.contracts.bounded import DATA_LIMIT, Unreadable, load_data

    if not path.exists() and not path.is_symlink():
        raise ConfigError(f"{path}: test data file not found")
    try:
        return load_data(path, "json" if path.suffix.lower() == ".json" else "yaml", DATA_LIMIT, "a test data file")
    except Unreadable as e:
        raise ConfigError(f"{path}: {e}") from None


def _jsonable(value: Any, path: Path, where: str) -> Any:
    """YAML may yield dates and non-string keys; test data must be plain JSON values."""
    import datetime as dt

    if isinstance(value, dict):
        return {str(k): _jsonable(v, path, f"{where}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v, path, f"{where}/{i}") for i, v in enumerate(value)]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise ConfigError(f"{path}: value at {where or '/'} is not a JSON value ({type(value).__name__})")


def _substitute(value: Any, variables: Mapping[str, Any], path: Path, where: str) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, variables, path, f"{where}/{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, variables, path, f"{where}/{i}") for i, v in enumerate(value)]
    if not isinstance(value, str) or "${" not in value:
        return value

    def lookup(key: str) -> Any:
        found = _find(variables, key)
        if found is None:
            raise ConfigError(f"{path}: placeholder ${{{key}}} at {where or '/'} names no test parameter")
        return found

    whole = _PLACEHOLDER.fullmatch(value)
    if whole:  # "${N}" alone keeps the value's type (a number stays a number)
        return lookup(whole.group(1))
    return _PLACEHOLDER.sub(lambda m: str(lookup(m.group(1))), value)


Section = tuple[dict[str, Any], dict[str, OperationData]]  # (parameters, operations)


def _structured(data: dict[str, Any], path: Path) -> tuple[Section, Section]:
    """The kept (parameters, operations) and the `disposable` ones."""
    unknown = sorted(set(data) - _STRUCTURED_KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown top-level key {unknown[0]!r} (expected 'parameters', 'operations', 'disposable')"
        )
    disposable = data.get("disposable") or {}
    if not isinstance(disposable, dict):
        raise ConfigError(f"{path}: 'disposable' must be a mapping with 'parameters' and/or 'operations'")
    bad = sorted(set(disposable) - {"parameters", "operations"})
    if bad:
        raise ConfigError(f"{path}: disposable: unknown key {bad[0]!r} (expected 'parameters', 'operations')")
    return _section(data, path, ""), _section(disposable, path, "disposable/")


def _section(data: dict[str, Any], path: Path, where: str) -> Section:
    params = data.get("parameters") or {}
    if not isinstance(params, dict):
        raise ConfigError(f"{path}: '{where}parameters' must be a mapping of parameter name to value")
    ops_raw = data.get("operations") or {}
    if not isinstance(ops_raw, dict):
        raise ConfigError(f"{path}: '{where}operations' must be a mapping of operationId or 'METHOD /path' to entries")
    ops: dict[str, OperationData] = {}
    for key, entry in ops_raw.items():
        if entry is None and where:  # `resetCache:` alone marks an operation that names no record
            entry = {}
        if not isinstance(entry, dict):
            raise ConfigError(f"{path}: {where}operations/{key} must be a mapping with 'parameters' and/or 'body'")
        bad = sorted(set(entry) - {"parameters", "body"})
        if bad:
            raise ConfigError(
                f"{path}: {where}operations/{key}: unknown key {bad[0]!r} (expected 'parameters', 'body')"
            )
        op_params = entry.get("parameters") or {}
        if not isinstance(op_params, dict):
            raise ConfigError(f"{path}: {where}operations/{key}/parameters must be a mapping")
        ops[_op_key(key)] = OperationData(parameters=op_params, body=entry.get("body"), has_body="body" in entry)
    return params, ops


def _merge(into: Section, more: Section) -> None:
    """A later file's section over an earlier one's: parameters by name, operations entry by entry."""
    params, ops = into
    params.update(more[0])
    for key, entry in more[1].items():
        before = ops.get(key)
        if before is None:
            ops[key] = entry
        else:
            ops[key] = OperationData(
                parameters={**before.parameters, **entry.parameters},
                body=entry.body if entry.has_body else before.body,
                has_body=entry.has_body or before.has_body,
            )


def _op_key(key: str) -> str:
    """'get /a' and 'GET  /a' both mean 'GET /a'; operationIds stay as they are."""
    parts = key.split(None, 1)
    if len(parts) == 2 and parts[1].startswith("/"):
        return f"{parts[0].upper()} {parts[1].strip()}"
    return key


def load_testdata(paths: Sequence[Path]) -> TestData:
    """Read and merge test data files (later files win); ConfigError on any bad file."""
    variables: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    parsed: list[tuple[Path, dict[str, Any], bool]] = []
    for path in paths:
        path = Path(path)
        raw = _read(path)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: test data must be a mapping at the top level, not {type(raw).__name__}")
        data = _jsonable(raw, path, "")
        structured = bool(_STRUCTURED_KEYS & set(data))
        if not structured:
            for k, v in data.items():
                if isinstance(v, dict | list):
                    raise ConfigError(f"{path}: {k}: flat test parameter values must be scalars")
            variables.update(data)
            origin.update(dict.fromkeys(data, path))
        parsed.append((path, data, structured))

    # Harness keys may themselves use ${KEY}; resolve them against the merged set (one level deep).
    resolved_vars = {k: _substitute(v, variables, origin[k], f"/{k}") for k, v in variables.items()}
    kept: Section = ({}, {})
    disposable: Section = ({}, {})
    for path, data, structured in parsed:
        if not structured:
            continue
        data = _substitute(data, resolved_vars, path, "")
        k, d = _structured(data, path)
        _merge(kept, k)
        _merge(disposable, d)
    return TestData(
        parameters=MappingProxyType(kept[0]),
        operations=MappingProxyType(kept[1]),
        variables=MappingProxyType(resolved_vars),
        sources=tuple(str(p) for p in paths),
        disposable_parameters=MappingProxyType(disposable[0]),
        disposable_operations=MappingProxyType(disposable[1]),
    )
