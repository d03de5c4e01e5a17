"""The proxy path's head bound: with `HTTP_PROXY` set (and `trust_env`, the default), sync and async
clients send through httpx's own client. A proxy dripping the response head (two bytes every 0.2 s,
each read well within timeout=1) must not hold the call past its 3 s deadline: `APITimeoutError`, its
cause httpx's `ReadTimeout` worded as on craftapis' own wire. The proxy is a loopback server answering
absolute-form requests; the API's own address is a closed port, so only the proxy can answer."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.faults.apis import Api

from ._drip import dripping_head, ends_at_the_deadline, is_answered, make, slow_head
from .server import HostileServer
from .test_environment import _closed_port

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def proxy(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    with HostileServer(api.app()) as server:
        monkeypatch.setenv("HTTP_PROXY", server.url)
        yield server


async def test_a_dripping_head_through_a_proxy_ends_at_the_deadline(
    api: Api, proxy: HostileServer, mode: str
) -> None:
    target = _closed_port()
    _method, path = api.read_request
    proxy.always(dripping_head(), path=target + path)
    await ends_at_the_deadline(api, make(api, mode, target))
    assert any(s.path == target + path for s in proxy.seen), [s.path for s in proxy.seen]


async def test_a_slow_head_through_a_proxy_within_the_read_timeout_is_answered(
    api: Api, proxy: HostileServer, mode: str
) -> None:
    target = _closed_port()
    _method, path = api.read_request
    proxy.always(slow_head(proxy), path=target + path)
    await is_answered(api, make(api, mode, target))
    assert sum(1 for s in proxy.seen if s.path == target + path) == 1
