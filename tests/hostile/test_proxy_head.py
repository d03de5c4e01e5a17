"""The proxy path's head bound: with `HTTP_PROXY` set (and `trust_env`, the default), sync and async
clients send through httpx's own client. A proxy dripping the response head (two bytes every 0.2 s,
each read well within timeout=1) must not hold the call past its 3 s deadline: `APITimeoutError`, its
cause httpx's `ReadTimeout` worded as on craftapis' own wire. The proxy is a loopback server answering
absolute-form requests; the API's own address is a closed port, so only the proxy can answer."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from craftapis import APITimeoutError

from tests.faults.apis import Api, close, fast_retry, resolve

from .server import HostileServer, Raw, Seen, response
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
    proxy.always(Raw(response(200, b"{}", {"X-Pad": "p" * 1000}), drip=(2, 0.2)), path=target + path)
    client = api.make(mode, target, timeout=1.0, retry=fast_retry(api.default_retry, deadline=3.0))
    started = time.monotonic()
    try:
        with pytest.raises(APITimeoutError) as caught:
            await resolve(api.read(client))
    finally:
        await close(client)
    elapsed = time.monotonic() - started
    assert elapsed < 3.0 + 1.0, f"the call ran {elapsed:.1f} s under a 3 s deadline"
    assert any(s.path == target + path for s in proxy.seen), [s.path for s in proxy.seen]
    assert isinstance(caught.value.__cause__, httpx.ReadTimeout), repr(caught.value.__cause__)
    assert str(caught.value.__cause__).startswith(
        "the response head (status line and headers) did not arrive within the "
    ), str(caught.value.__cause__)


async def test_a_slow_head_through_a_proxy_within_the_read_timeout_is_answered(
    api: Api, proxy: HostileServer, mode: str
) -> None:
    target = _closed_port()
    _method, path = api.read_request

    def slow_head(seen: Seen) -> Raw:
        whole = proxy._normal(seen)
        end = whole.index(b"\r\n\r\n") + 4
        return Raw(whole[:end], drip=(max(1, end // 10), 0.05), tail=whole[end:])

    proxy.always(slow_head, path=target + path)
    client = api.make(mode, target, timeout=1.0, retry=fast_retry(api.default_retry, deadline=3.0))
    try:
        assert await resolve(api.read(client)) is not None
    finally:
        await close(client)
    assert sum(1 for s in proxy.seen if s.path == target + path) == 1
