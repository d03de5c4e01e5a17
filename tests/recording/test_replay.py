"""The committed live-scenario cassettes (tests/<api>/cassettes/live/): complete, described by their
metadata, replayed offline by both clients, and checked against the fakes.

Today they are synthetic (recorded from the fakes with `scripts/record.py --synthetic`); a
maintainer with real credentials replaces them with `nox -s record -- --api ...`, and then
`test_fake_matches_cassette` reports every field the real answers have and the fakes lack.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import yaml

from .cassettes import API_VERSIONS, KEY
from .drift import drift
from .recorder import live_dir, replay
from .scenarios import APIS

CASES = [
    (api.name, scenario.name)
    for api in APIS.values()
    for scenario in api.scenarios
    if (live_dir(api.name) / f"{scenario.name}.yaml").exists()
]


def test_every_read_scenario_has_a_cassette() -> None:
    for api in APIS.values():
        have = {p.stem for p in live_dir(api.name).glob("*.yaml")}
        reads = {s.name for s in api.scenarios if not s.write}
        writes = {s.name for s in api.scenarios if s.write}
        assert reads <= have, (api.name, sorted(reads - have))
        assert have <= reads | writes, (api.name, sorted(have - reads - writes))
    assert len(CASES) >= 33


@pytest.mark.parametrize(("api", "scenario"), CASES)
def test_metadata(api: str, scenario: str) -> None:
    meta = yaml.safe_load((live_dir(api) / f"{scenario}.yaml").read_text())["metadata"][KEY]
    assert meta["source"] in ("live", "synthetic", "base-url")
    assert dt.datetime.fromisoformat(meta["recorded_at"]).tzinfo is not None
    assert (meta["api"], meta["api_version"], meta["scenario"]) == (api, API_VERSIONS[api], scenario)
    assert isinstance(meta["spec_version"], str) and meta["spec_version"]
    assert meta["rerecord"] == {
        "live": f"nox -s record -- --api {api} --scenario {scenario}",
        "synthetic": f"python scripts/record.py --api {api} --synthetic --scenario {scenario}",
    }


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("api", "scenario"), CASES)
async def test_replays_offline(api: str, scenario: str, mode: str) -> None:
    """Record mode `none`: every request the client sends must be in the cassette, and the
    scenario must reach the summary it reached while recording."""
    spec = APIS[api]
    summary, meta = await replay(spec, spec.scenario(scenario), live_dir(api) / f"{scenario}.yaml", mode)
    assert summary == meta["result"]


@pytest.mark.parametrize(("api", "scenario"), CASES)
def test_fake_matches_cassette(api: str, scenario: str) -> None:
    """Every recorded request, sent to the fake: the fields the recorded answer has and the fake's
    lacks are drift (re-record the fake's answers after `nox -s record` revealed them)."""
    cassette: Path = live_dir(api) / f"{scenario}.yaml"
    found = drift(api, cassette)
    assert not found.missing, (
        f"{cassette} has fields the fake in tests/{api}/ does not send; teach the fake:\n  "
        + "\n  ".join(found.missing)
        + ("\nnot comparable:\n  " + "\n  ".join(found.uncomparable) if found.uncomparable else "")
    )
    if yaml.safe_load(cassette.read_text())["metadata"][KEY]["source"] == "synthetic":
        assert not found.uncomparable, found.uncomparable  # the fake answered these itself
