"""The response-head bound on httpcore's network streams, and the proxy path that needs it.

With a proxy variable set (and ``trust_env``), sync and async clients send through httpx's own client
(its proxy routing, NO_PROXY included), whose connections read a response head a byte at a time for as
long as each read beats the read timeout. A server dripping header bytes would hold the call past
``RetryPolicy.deadline``. As on craftapis' own wires (`_wire.py`, `_aiowire.py`), the whole head must
arrive within the request's read timeout (which the policy caps at the time left in the call), else
``httpx.ReadTimeout`` worded as theirs.

How: every pool of that httpx client (each proxy mount and the direct transport) gets a network backend
(`AsyncHeadBoundBackend`) whose streams share one head budget per request: the transport begins it
(`async_begin_head`) and ends it, and a stream's reads take it from `task_head`, the per-request state
of this world (`_primitives.py`: a context variable for tasks, which share a thread; a thread-local for
threads). A CONNECT tunnel's own answer counts towards the same budget. Only the head: the body is the
policy's (`BodyReader`, `DownloadWatch`).

The sync code is generated from the async by `scripts/unasync.py` (the twin's header names its source);
the sync `HeadBoundBackend` is also the sync wire's (`_wire.WireTransport`, which begins and ends the
head itself).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from ._async_http import AsyncClientTransport
from ._primitives import async_begin_head, async_end_head, task_head

__all__ = ["AsyncHeadBoundBackend", "AsyncHeadBoundStream", "AsyncProxyTransport"]


class AsyncHeadBoundStream(httpcore.AsyncNetworkStream):
    """A connection's socket stream whose reads during a response head share that head's budget."""

    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        head = task_head.get()
        budget = head.budget
        if budget is None:
            return await self._inner.read(max_bytes, timeout)
        now = time.monotonic()
        until = head.until
        if until is None:
            head.until = until = now + budget
        left = until - now
        # a read that times out with the head's bound (within a millisecond: `until - now` need not give
        # `budget` back exactly) is an ordinary read timeout, reported as httpcore reports it
        if timeout is not None and timeout <= left + 0.001:
            return await self._inner.read(max_bytes, timeout)
        if left > 0.0:
            try:
                return await self._inner.read(max_bytes, left)
            except httpcore.ReadTimeout:
                pass
        raise httpcore.ReadTimeout(
            f"the response head (status line and headers) did not arrive within the {budget:g} s read timeout"
        )

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return AsyncHeadBoundStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class AsyncHeadBoundBackend(httpcore.AsyncNetworkBackend):
    """A network backend whose streams are wrapped in `AsyncHeadBoundStream`."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend) -> None:
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        stream = await self._inner.connect_tcp(host, port, timeout, local_address, socket_options)
        return AsyncHeadBoundStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - craftapis connects over TCP
        return AsyncHeadBoundStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - only between connect retries
        await self._inner.sleep(seconds)


class AsyncProxyTransport(AsyncClientTransport):
    """`httpx.AsyncClient(trust_env=True)` (owned) whose every response head is bounded by the read timeout."""

    def __init__(self, timeout: httpx.Timeout) -> None:
        client = httpx.AsyncClient(trust_env=True, timeout=timeout)
        for transport in [client._transport, *client._mounts.values()]:
            pool = getattr(transport, "_pool", None)
            if pool is not None and hasattr(pool, "_network_backend"):
                pool._network_backend = AsyncHeadBoundBackend(pool._network_backend)
        super().__init__(client, owned=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout")
        token = async_begin_head(timeout.get("read") if isinstance(timeout, dict) else None)
        try:
            return await super().handle_async_request(request)
        finally:
            async_end_head(token)
