"""The catalog against the real GovSpecs corpus, its selection rules, and its shape validation."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest
import yaml

from govstack_conform.contracts.catalog import load_catalog, parse_catalog, parse_selector
from govstack_conform.errors import CatalogError
from govstack_conform.exitcodes import ExitCode

OPENAPI_KINDS = {"openapi", "openapi-gitbook-asset", "openapi-test", "openapi-other"}


@pytest.fixture(scope="module")
def raw_catalog() -> Any:
    from importlib import resources

    return yaml.safe_load(resources.files("govstack_conform._specs").joinpath("catalog.yaml").read_text())


def _spec_entries(manifest: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in manifest if e["kind"] in OPENAPI_KINDS]


def test_every_manifest_bb_and_release_is_catalogued(manifest: list[dict[str, Any]]) -> None:
    catalog = load_catalog()
    wanted = {(e["bb"], e["ref"]) for e in manifest}
    have = {(bb.key, r.ref) for bb in catalog.bbs for r in bb.releases}
    assert wanted == have
    assert len(catalog.bbs) == 13


def test_every_manifest_spec_file_is_either_in_the_contract_or_excluded_with_a_reason(
    manifest: list[dict[str, Any]],
) -> None:
    catalog = load_catalog()
    for bb in catalog.bbs:
        for release in bb.releases:
            in_manifest = {e["file"] for e in _spec_entries(manifest) if (e["bb"], e["ref"]) == (bb.key, release.ref)}
            included = [f.store_path for f in release.files]
            excluded = [x.store_path for x in release.excluded]
            assert sorted(included + excluded) == sorted(in_manifest), f"{bb.key}@{release.ref}"
            assert all(x.reason.strip() for x in release.excluded)


def test_catalog_files_match_the_corpus_bytes_and_the_manifest(
    corpus_dir: Path, manifest: list[dict[str, Any]]
) -> None:
    by_file = {e["file"]: e for e in manifest}
    catalog = load_catalog()
    count = 0
    for bb in catalog.bbs:
        for release in bb.releases:
            for f in release.files:
                data = (corpus_dir / f.store_path).read_bytes()
                assert hashlib.sha256(data).hexdigest() == f.sha256, f.store_path
                assert f.size == len(data)
                entry = by_file[f.store_path]
                assert (entry["repo"], entry["commit"], entry["source_path"]) == (f.repo, f.commit, f.source_path)
                assert release.commit == f.commit
                count += 1
    assert count == sum(len(r.files) for bb in catalog.bbs for r in bb.releases) > 100


def test_defaults_are_published_releases_and_ids_follow_the_platform() -> None:
    for bb in load_catalog().bbs:
        assert bb.default_ref != "main", bb.key
        assert bb.default_release.ref == bb.default_ref
        assert bb.platform_id == f"bb-{bb.key}"
        assert bb.repo == f"GovStackWorkingGroup/bb-{bb.key}"
        assert bb.note and bb.title


def test_choices_recorded_for_the_ambiguous_releases() -> None:
    catalog = load_catalog()
    dr = catalog.get("digital-registries").release("23Q4")
    names = [Path(f.store_path).name for f in dr.files]
    assert names == [
        "GovStack_Digital_registries_BB_Data_API_template-1.3.0.json",
        "GovStack_Digital_registries_BB_Database_API_template-1.3.0.yaml",
    ]
    assert "gitbook-assets/" in dr.files[1].store_path
    assert "JSON" in dr.note
    wallet = catalog.get("wallet").default_release
    assert [f.source_path for f in wallet.files] == ["spec/.gitbook/assets/wallet-bb (1).yaml"]
    gis = catalog.get("gis").default_release
    assert len(gis.files) == 8 and all("gitbook-assets" not in f.store_path for f in gis.files)
    payments = catalog.get("payments").default_release
    assert not any("/test/" in f.store_path for f in payments.files)
    assert any(f.store_path.endswith("billInquiryBillerResponse.yml") for f in payments.files)


def test_get_accepts_platform_ids_and_any_case() -> None:
    catalog = load_catalog()
    assert catalog.get("BB-Consent").key == "consent"
    assert catalog.get("Digital-Registries").key == "digital-registries"
    bb, release = catalog.select("CONSENT@23q4")
    assert (bb.key, release.ref) == ("consent", "23Q4")
    bb, release = catalog.select("information-mediator")
    assert release.ref == "1.1.0"


def test_unknown_bb_or_release_suggests_the_closest() -> None:
    catalog = load_catalog()
    with pytest.raises(CatalogError, match="did you mean 'consent'") as e:
        catalog.get("consnt")
    assert e.value.exit_code == ExitCode.USAGE
    with pytest.raises(CatalogError, match=r"did you mean '23Q4'.*releases: main, 23Q4"):
        catalog.select("gis@23Q5")


@pytest.mark.parametrize("text", ["", "@23Q4", "consent@", "  "])
def test_malformed_selectors(text: str) -> None:
    with pytest.raises(CatalogError, match="malformed"):
        parse_selector(text)


def test_parse_selector() -> None:
    assert parse_selector("consent") == ("consent", None)
    assert parse_selector(" payments@1.0-QA ") == ("payments", "1.0-QA")


def test_raw_url_quotes_spaces_in_source_paths() -> None:
    payments = load_catalog().get("payments").release("23Q4")
    f = next(f for f in payments.files if f.store_path.endswith("AccountLookup.yml"))
    assert f.raw_url == (
        f"https://raw.githubusercontent.com/GovStackWorkingGroup/bb-payments/{f.commit}/api/G2P%20API%20YAMLs/AccountLookup.yml"
    )


def test_profiles_carry_the_harness_defaults() -> None:
    catalog = load_catalog()
    for bb in catalog.bbs:
        assert bb.profile.latency_ms == 15000
    assert catalog.get("digital-registries").profile.headers == {
        "Information-Mediator-Client": "eGovStack/GOV/90000009/digitalregistries"
    }
    assert "Information-Mediator-Client" in catalog.get("registration").profile.headers
    assert "X-GovStack-Client" in catalog.get("information-mediator").profile.headers
    assert catalog.get("consent").profile.headers == {}


def _mutate(raw: Any, path: list[Any], value: Any) -> Any:
    data = copy.deepcopy(raw)
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is KeyError:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return data


FILE0 = ["building_blocks", "consent", "releases", "23Q4", "files", 0]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["version"], 2, "unsupported catalog version"),
        ([*FILE0, "sha256"], "abc", "sha256"),
        ([*FILE0, "store"], "consent/23Q4/../../etc/passwd", "plain relative path"),
        ([*FILE0, "store"], "gis/23Q4/consent-openapi.yaml", "must start with 'consent/23Q4/'"),
        ([*FILE0, "size"], -1, "non-negative"),
        ([*FILE0, "extra"], 1, "unknown key extra"),
        ([*FILE0, "source"], KeyError, "missing source"),
        (["building_blocks", "consent", "default"], "24Q1", "not one of its releases"),
        (["building_blocks", "consent", "releases", "23Q4", "commit"], "main", "commit"),
        (["building_blocks", "consent", "releases", "23Q4", "files"], [], "non-empty list"),
        (["building_blocks", "consent", "platform_id"], "bb-gis", "platform ids are not unique"),
        (["building_blocks"], [], "non-empty mapping"),
    ],
)
def test_catalog_shape_errors_name_the_place(raw_catalog: Any, path: list[Any], value: Any, message: str) -> None:
    parse_catalog(raw_catalog)  # the untouched catalog is valid
    with pytest.raises(CatalogError, match=message) as e:
        parse_catalog(_mutate(raw_catalog, path, value))
    assert str(e.value).startswith("catalog: ")


def test_profile_shape_errors(raw_catalog: Any) -> None:
    with pytest.raises(CatalogError, match="latency_ms"):
        parse_catalog(raw_catalog, {"consent": {"latency_ms": "fast"}})
    with pytest.raises(CatalogError, match="headers"):
        parse_catalog(raw_catalog, {"consent": {"headers": {"Bad Header": "x"}}})
    with pytest.raises(CatalogError, match="names no building block"):
        parse_catalog(raw_catalog, {"nope": {}})
    parsed = parse_catalog(raw_catalog, {"consent": {"headers": {"X-A": "1"}, "latency_ms": 500}})
    assert parsed.get("consent").profile.headers == {"X-A": "1"}
    assert parsed.get("consent").profile.latency_ms == 500
