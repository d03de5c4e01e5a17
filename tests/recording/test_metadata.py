"""Every cassette of the project says where it came from, when, and for which API version."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from .cassettes import API_VERSIONS, KEY, api_of

TESTS = Path(__file__).parents[1]
CASSETTES = sorted(TESTS.glob("*/cassettes/**/*.yaml"))


def test_there_are_cassettes_in_every_api_folder() -> None:
    assert {api_of(c) for c in CASSETTES} == set(API_VERSIONS)
    assert len(CASSETTES) >= 120


@pytest.mark.parametrize("cassette", CASSETTES, ids=lambda p: str(p.relative_to(TESTS)))
def test_cassette_metadata(cassette: Path) -> None:
    meta = yaml.safe_load(cassette.read_text()).get("metadata", {}).get(KEY)
    assert meta, f"{cassette} has no craftapis metadata: re-record it (see its folder's README.md)"
    api = api_of(cassette)
    assert meta["api"] == api and meta["api_version"] == API_VERSIONS[api]
    assert meta["source"] in ("synthetic", "live", "base-url")
    # the spec the client was generated from when it was recorded (a later re-pin does not void it)
    assert isinstance(meta["spec_version"], str) and meta["spec_version"]
    assert dt.datetime.fromisoformat(meta["recorded_at"]) <= dt.datetime.now(dt.UTC)
    assert meta["recorded_from"] and meta["rerecord"] and all(meta["rerecord"].values())


def test_spec_version_comes_from_the_lock() -> None:
    from .cassettes import spec_version

    assert spec_version("modrinth").startswith("v2.")
    assert spec_version("postal") == "v1-craftapis.1"
    assert spec_version("builtbybit").startswith(("sha256:", "v"))
