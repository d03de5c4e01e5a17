"""Fixtures of the hostile-server tests: sync/async twins, a hostile server per API, the other origin."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.apis import Api

# the same sync/async twins and per-API parametrisation as the fault matrix (defined once there)
from tests.faults.conftest import api, mode

from .server import HostileServer, Recorder

__all__ = ["api", "elsewhere", "hostile", "mode"]


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
