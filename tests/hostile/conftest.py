"""Fixtures of the hostile-server tests: sync/async twins, a hostile server per API, the other origin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.apis import APIS, Api

from .server import HostileServer, Recorder


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=APIS, ids=[api.name for api in APIS])
def api(request: pytest.FixtureRequest) -> Api:
    result: Api = request.param
    return result


@pytest.fixture
def hostile(api: Api) -> Iterator[HostileServer]:
    """`api`'s fake behind a raw-socket server on 127.0.0.1, ready to have hostile answers scripted."""
    with HostileServer(api.app()) as server:
        yield server


@pytest.fixture
def elsewhere() -> Iterator[Recorder]:
    """The other origin (127.0.0.2): records every byte it receives."""
    with Recorder(host="127.0.0.2") as server:
        yield server
