"""Cassettes and mocks that hook httpx's own transport keep working over the fast transports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from loopback import unused_port

from .rawserver import RawServer, ok


async def test_vcrpy_records_then_replays_without_the_server(
    make_client: Any, raw_server: RawServer, tmp_path: Path
) -> None:
    cassette = str(tmp_path / "fast.yaml")
    raw_server.script(ok(b'{"recorded": true}'))
    client = make_client()
    with vcr.use_cassette(cassette, record_mode="once"):
        recorded = await client.get(raw_server.url + "/v2/project/x")
    assert recorded.json() == {"recorded": True}
    assert len(raw_server.requests) == 1  # recording went to the server, through httpx's transport

    url = raw_server.url
    raw_server.stop()
    with vcr.use_cassette(cassette, record_mode="none"):
        replayed = await client.get(url + "/v2/project/x")
    assert replayed.json() == {"recorded": True}
    assert len(raw_server.requests) == 1  # replayed from the cassette, not sent


async def test_a_patched_httpx_transport_receives_the_requests(
    make_client: Any, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []

    def fake(self: Any, request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"mocked": True})

    async def afake(self: Any, request: httpx.Request) -> httpx.Response:
        return fake(self, request)

    if kind == "sync":
        monkeypatch.setattr(httpx.HTTPTransport, "handle_request", fake)
    else:
        monkeypatch.setattr(httpx.AsyncHTTPTransport, "handle_async_request", afake)
    client = make_client()
    url = f"http://127.0.0.1:{unused_port()}/nothing-listens-here"
    response = await client.get(url)
    assert response.json() == {"mocked": True}
    assert seen == [url]

    monkeypatch.undo()  # unpatched again: the fast path sends for real (and finds nobody there)
    with pytest.raises(httpx.ConnectError):
        await client.get(url)


async def test_a_patched_httpcore_pool_receives_the_requests(
    make_client: Any, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # respx mocks one level lower, in httpcore's connection pool
    import httpcore

    def fake(self: Any, request: httpcore.Request) -> httpcore.Response:
        return httpcore.Response(
            200, headers=[(b"content-type", b"application/json")], content=b'{"pool": 1}'
        )

    async def afake(self: Any, request: httpcore.Request) -> httpcore.Response:
        return fake(self, request)

    if kind == "sync":
        monkeypatch.setattr(httpcore.ConnectionPool, "handle_request", fake)
    else:
        monkeypatch.setattr(httpcore.AsyncConnectionPool, "handle_async_request", afake)
    client = make_client()
    response = await client.get(f"http://127.0.0.1:{unused_port()}/")
    assert response.json() == {"pool": 1}
