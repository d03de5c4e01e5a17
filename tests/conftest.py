"""Shared fixtures. Keep this small: fixtures used by one directory live next to its tests."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_ROOT = Path(__file__).resolve().parents[1]
# Import craftapis (and craftapis_generated) from the source tree when not installed.
for _path in (_ROOT / "facade", _ROOT / "generated"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))
# tests/ itself holds shared helpers such as loopback.py. It goes LAST: its folders `secrets/` and
# `typing/` would otherwise shadow the standard library's modules of those names (redis-py imports
# `secrets` and got the tests package instead).
_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

from loopback import LoopbackServer  # noqa: E402


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A scripted HTTP server on 127.0.0.1, started for one test (see tests/loopback.py)."""
    server = LoopbackServer().start()
    try:
        yield server
    finally:
        server.stop()


# -- cassettes: metadata on every cassette, and a useful message when one no longer matches ----------


def pytest_recording_configure(config: pytest.Config, vcr: Any) -> None:
    """pytest-recording's own persister (which merges extra cassettes named in the marker) drops
    vcrpy's cassette metadata; no test here names extra cassettes, so vcrpy's own persister,
    which keeps it, takes its place."""
    from vcr.persisters.filesystem import FilesystemPersister

    if not getattr(vcr.persister, "extra_paths", None):
        vcr.register_persister(FilesystemPersister)


@pytest.fixture(autouse=True)
def _cassette_metadata(request: pytest.FixtureRequest) -> None:
    """Every cassette a `pytest.mark.vcr` test uses carries `craftapis:` metadata (source,
    recorded_at, api, api_version, how to re-record; see tests/recording/cassettes.py). Recording
    stores it; replay (record mode `none`) fails with vcrpy's MissingMetadataError without it."""
    if request.node.get_closest_marker("vcr") is None:
        return
    from tests.recording.cassettes import KEY, api_of, suite_metadata

    cassette = request.getfixturevalue("vcr")
    if cassette is None:
        return
    path = Path(str(cassette._path))
    api = api_of(path)
    if api is not None:
        cassette.get_metadata(KEY, suite_metadata(api, path))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test whose request no cassette interaction matches fails with a note naming the request,
    the closest recorded one, and the command that re-records the cassette."""
    try:
        return (yield)
    except BaseException as exc:
        from tests.recording.cassettes import mismatch_note

        note = mismatch_note(exc, getattr(item, "originalname", None))
        if note is not None and note not in getattr(exc, "__notes__", ()):
            exc.add_note(note)
        raise
