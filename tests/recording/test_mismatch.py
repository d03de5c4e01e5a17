"""A cassette a client change no longer matches fails naming the request that differed, the closest
recorded one, and the command that re-records the cassette."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from vcr.errors import CannotOverwriteExistingCassetteException

from tests import conftest

from .cassettes import mismatch_note, replay_vcr
from .recorder import live_dir, replay
from .scenarios import APIS


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_changed_request_names_itself_and_the_rerecord_command(tmp_path: Path, mode: str) -> None:
    cassette = tmp_path / "project.yaml"
    shutil.copy(live_dir("modrinth") / "project.yaml", cassette)
    text = cassette.read_text()
    cassette.write_text(text.replace("project: sodium", "project: lithium"))  # as if the client changed
    api = APIS["modrinth"]
    with pytest.raises(CannotOverwriteExistingCassetteException) as caught:
        await replay(api, api.scenario("project"), cassette, mode)
    note = mismatch_note(caught.value)
    assert note is not None
    assert "GET https://api.modrinth.com/v2/project/lithium matches no interaction of project.yaml" in note
    assert "closest recorded request: GET https://api.modrinth.com/v2/project/sodium" in note
    assert "differs in path: /v2/project/lithium != /v2/project/sodium" in note
    assert "live: nox -s record -- --api modrinth --scenario project" in note
    assert "synthetic: python scripts/record.py --api modrinth --synthetic --scenario project" in note


def test_a_suite_cassette_names_its_pytest_rerecord_command() -> None:
    from craftapis.builtbybit import BuiltByBit

    cassette = (
        Path(__file__).parents[1] / "builtbybit" / "cassettes" / "test_cassettes" / "test_health[sync].yaml"
    )
    with (
        replay_vcr().use_cassette(str(cassette)),
        BuiltByBit(token="x") as client,
        pytest.raises(CannotOverwriteExistingCassetteException) as caught,
    ):
        client.analytics()
    note = mismatch_note(caught.value)
    assert note is not None and "GET https://api.builtbybit.com/v2/analytics" in note
    assert "synthetic: pytest tests/builtbybit/test_cassettes.py --record-mode=rewrite" in note
    narrowed = mismatch_note(caught.value, "test_health")
    assert narrowed is not None
    assert (
        "synthetic: pytest tests/builtbybit/test_cassettes.py --record-mode=rewrite -k test_health"
        in narrowed
    )


def test_the_failing_test_carries_the_note() -> None:
    """tests/conftest.py's pytest_runtest_call wrapper adds the note to the test's exception,
    also when the client wrapped vcrpy's error in its own."""
    api = APIS["modrinth"]
    cassette = live_dir("modrinth") / "project.yaml"
    try:
        with replay_vcr().use_cassette(str(cassette)):
            client = api.make("sync", {"MODRINTH_TOKEN": "x"}, None)
            try:
                client.get_project("lithium")
            finally:
                client.close()
    except CannotOverwriteExistingCassetteException as error:
        try:
            raise RuntimeError("a client's own error") from error
        except RuntimeError as wrapped:
            outer = wrapped
    hook = conftest.pytest_runtest_call(item=None)  # type: ignore[arg-type]  # no item: no -k
    next(hook)
    with pytest.raises(RuntimeError) as caught:
        hook.throw(outer)
    notes = getattr(caught.value, "__notes__", [])
    assert len(notes) == 1 and "project/lithium" in notes[0] and "nox -s record -- --api modrinth" in notes[0]


def test_anything_else_gets_no_note() -> None:
    assert mismatch_note(ValueError("unrelated")) is None
