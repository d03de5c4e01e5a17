"""Fixtures for the socket transports: byte-scripted servers and a client that is sync or async."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from craftapis._fasttransport import AsyncFastHTTPTransport, FastHTTPTransport

from .rawserver import RawServer


class EitherClient:
    """One httpx client over FastHTTPTransport or AsyncFastHTTPTransport, used the same way by tests.

    The sync client blocks the test's event loop while it waits; the servers run in threads,
    so that is harmless.
    """

    def __init__(self, kind: str, **transport: Any) -> None:
        self.kind = kind
        timeout = transport.pop("timeout", 5.0)
        if kind == "sync":
            self.transport: Any = FastHTTPTransport(**transport)
            self.sync: httpx.Client | None = httpx.Client(transport=self.transport, timeout=timeout)
            self.aio: httpx.AsyncClient | None = None
        else:
            self.transport = AsyncFastHTTPTransport(**transport)
            self.sync = None
            self.aio = httpx.AsyncClient(transport=self.transport, timeout=timeout)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self.sync is not None:
            return self.sync.request(method, url, **kwargs)
        assert self.aio is not None
        return await self.aio.request(method, url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def chunks(self, url: str, *, stop_after: int | None = None) -> list[bytes]:
        """Stream a body; with ``stop_after``, stop reading (and close) after that many chunks."""
        out: list[bytes] = []
        if self.sync is not None:
            with self.sync.stream("GET", url) as response:
                for chunk in response.iter_raw():
                    out.append(chunk)
                    if stop_after is not None and len(out) >= stop_after:
                        break
            return out
        assert self.aio is not None
        async with self.aio.stream("GET", url) as response:
            async for chunk in response.aiter_raw():
                out.append(chunk)
                if stop_after is not None and len(out) >= stop_after:
                    break
        return out

    async def close(self) -> None:
        if self.sync is not None:
            self.sync.close()
        if self.aio is not None:
            await self.aio.aclose()


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make_client(kind: str) -> AsyncIterator[Any]:
    made: list[EitherClient] = []

    def make(**transport: Any) -> EitherClient:
        client = EitherClient(kind, **transport)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


@pytest.fixture
def raw_server() -> Iterator[RawServer]:
    server = RawServer().start()
    try:
        yield server
    finally:
        server.stop()
