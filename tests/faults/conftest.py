"""Fixtures of the fault matrix: the sync/async twins and each API's fake on a fault server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .apis import APIS, Api
from .servers import FaultServer


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=APIS, ids=[api.name for api in APIS])
def api(request: pytest.FixtureRequest) -> Api:
    result: Api = request.param
    return result


@pytest.fixture
def server(api: Api) -> Iterator[FaultServer]:
    """`api`'s fake on 127.0.0.1, ready to have faults scripted."""
    with FaultServer(api.app()) as running:
        yield running
