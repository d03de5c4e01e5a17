"""The async clients' default transport (`_http.AsyncDefaultTransport`: craftapis' own wire,
`_aiowire.AsyncWireTransport`) reports failures as httpx's own transport does, so craftapis' errors
say what really happened."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from craftapis import APIConnectionError, APITimeoutError, RetryPolicy
from craftapis._async_base import AsyncAPIClient
from craftapis._base import ApiProfile
from craftapis._http import AsyncDefaultTransport

PROFILE = ApiProfile(name="aio", package="craftapis_generated.modrinth", base_url="http://127.0.0.1:9")
ONE_TRY = RetryPolicy(max_attempts=1)


class Client(AsyncAPIClient):
    _profile = PROFILE


async def _serve(answer: bytes | None, *, close: bool = True) -> AsyncIterator[str]:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        if answer is None:  # silent: the client must time out
            await asyncio.sleep(5)
        else:
            writer.write(answer)
            await writer.drain()
        if close:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


@pytest.fixture
async def cut_mid_body() -> AsyncIterator[str]:
    async for url in _serve(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"partial":'):
        yield url


@pytest.fixture
async def silent() -> AsyncIterator[str]:
    async for url in _serve(None):
        yield url


@pytest.fixture
async def malformed() -> AsyncIterator[str]:
    # a chunk whose data is longer than its size says (the CVE-2025-43859 class): h11 rejects it too
    async for url in _serve(
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"
    ):
        yield url


async def test_a_connection_broken_mid_body_is_a_connection_error_not_a_timeout(cut_mid_body: str) -> None:
    async with Client(base_url=cut_mid_body, retry=ONE_TRY) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.request("GET", "/x")
    assert not isinstance(caught.value, APITimeoutError), caught.value
    assert "could not connect or the connection broke" in str(caught.value)


async def test_a_silent_server_is_a_timeout(silent: str) -> None:
    async with Client(base_url=silent, retry=ONE_TRY, timeout=0.3) as client:
        with pytest.raises(APITimeoutError):
            await client.request("GET", "/x")


async def test_a_closed_port_is_a_connection_error() -> None:
    async with Client(base_url="http://127.0.0.1:9", retry=ONE_TRY) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.request("GET", "/x")
    assert not isinstance(caught.value, APITimeoutError)


async def test_a_malformed_chunked_body_is_refused(malformed: str) -> None:
    async with Client(base_url=malformed, retry=ONE_TRY) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.request("GET", "/x")
    assert not isinstance(caught.value, APITimeoutError)


async def test_async_clients_use_it_by_default() -> None:
    async with Client() as client:
        from craftapis._aiowire import AsyncWireTransport

        inner = client._http._transport.transport  # under AsyncPolicyTransport
        assert isinstance(inner, AsyncWireTransport)
        assert isinstance(AsyncDefaultTransport(), AsyncWireTransport)
