"""Finding 11 (proxy environment) and the `Limits` knob, through every client, sync and async.

httpx ignores `HTTP(S)_PROXY`/`NO_PROXY` whenever it is given `transport=`, and craftapis always gives
one; craftapis routes through httpx's own proxy handling when such a variable is set and `trust_env`
is on (the default). The proxy here is a loopback server answering like the API (absolute-form
requests); the API's own address is a closed port, so a request that skipped the proxy would fail.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from craftapis import APIConnectionError, Limits, ResponseTooLargeError

from tests.faults.apis import Api, close, fast_retry, resolve

from .server import HostileServer, Raw, response


def _closed_port(host: str = "127.0.0.3") -> str:
    with socket.socket() as sock:
        sock.bind((host, 0))
        port = sock.getsockname()[1]
    return f"http://{host}:{port}"


@pytest.fixture
def proxy(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[HostileServer]:
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ):
        monkeypatch.delenv(name, raising=False)
    with HostileServer(api.app()) as server:
        monkeypatch.setenv("HTTP_PROXY", server.url)
        yield server


async def test_http_proxy_from_the_environment_is_used(api: Api, proxy: HostileServer, mode: str) -> None:
    target = _closed_port()
    client = api.make(mode, target, retry=fast_retry(api.default_retry, max_attempts=1))
    try:
        await resolve(api.read(client))
    finally:
        await close(client)
    method, path = api.read_request
    assert [(s.method, s.path) for s in proxy.seen if s.path.startswith(target)][-1][0] == method
    assert any(s.path == target + path for s in proxy.seen), [s.path for s in proxy.seen]


async def test_no_proxy_and_trust_env_false_bypass_the_proxy(
    api: Api, proxy: HostileServer, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = _closed_port()
    for kwargs, no_proxy in (({}, "127.0.0.3"), ({"trust_env": False}, None)):
        if no_proxy:
            monkeypatch.setenv("NO_PROXY", no_proxy)
        else:
            monkeypatch.delenv("NO_PROXY", raising=False)
        client = api.make(mode, target, retry=fast_retry(api.default_retry, max_attempts=1), **kwargs)
        try:
            with pytest.raises(APIConnectionError):  # straight to the closed port
                await resolve(api.read(client))
        finally:
            await close(client)
    assert proxy.seen == []


async def test_max_body_size_is_a_knob_named_in_its_error(api: Api, mode: str) -> None:
    with HostileServer(api.app()) as server:
        _method, path = api.read_request
        server.script(Raw(response(200, b"[" + b" " * 5000 + b"]")), path=path)
        client = api.make(mode, server.url, limits=Limits(max_body_size=4096))
        try:
            with pytest.raises(ResponseTooLargeError, match=r"Limits.max_body_size \(4096 bytes\)") as caught:
                await resolve(api.read(client))
            assert "raise Limits(max_body_size=...)" in str(caught.value)
            assert await resolve(api.read(client)) is not None  # the next, normal answer is fine
        finally:
            await close(client)


def test_limits_reject_nonsense() -> None:
    with pytest.raises(ValueError, match="max_body_size"):
        Limits(max_body_size=0)
    with pytest.raises(ValueError, match="max_redirects"):
        Limits(max_redirects=-1)
