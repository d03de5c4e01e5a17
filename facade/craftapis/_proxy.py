"""The proxy path's response-head bound: with a proxy variable set (and ``trust_env``), sync and async
clients send through httpx's own client (its proxy routing, NO_PROXY included), whose connections read
a response head a byte at a time for as long as each read beats the read timeout. A server dripping
header bytes would hold the call past ``RetryPolicy.deadline``. As on craftapis' own wires
(`_wire.py`, `_aiohttp_transport.py`), the whole head must arrive within the request's read timeout
(which the policy caps at the time left in the call), else ``httpx.ReadTimeout`` worded as theirs.

How: every pool of that httpx client (each proxy mount and the direct transport) gets a network
backend whose streams share one head budget per request (sync: `_wire`'s thread-local one; async: a
context variable, as httpcore reads in the calling task). A CONNECT tunnel's own answer counts
towards the same budget. Only the head: the body is the policy's (`BodyReader`, `DownloadWatch`).
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx

from ._async_http import AsyncClientTransport
from ._sync_http import ClientTransport
from ._wire import _head, _HeadBoundBackend

__all__ = ["AsyncProxyTransport", "ProxyTransport"]


def _head_error(budget: float) -> httpcore.ReadTimeout:
    return httpcore.ReadTimeout(
        f"the response head (status line and headers) did not arrive within the {budget:g} s read timeout"
    )


def _pools(client: httpx.Client | httpx.AsyncClient) -> Iterable[Any]:
    for transport in [client._transport, *client._mounts.values()]:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_network_backend"):
            yield pool


class ProxyTransport(ClientTransport):
    """`httpx.Client(trust_env=True)` (owned) whose every response head is bounded by the read timeout."""

    def __init__(self, timeout: httpx.Timeout) -> None:
        client = httpx.Client(trust_env=True, timeout=timeout)
        for pool in _pools(client):
            pool._network_backend = _HeadBoundBackend(pool._network_backend)
        super().__init__(client, owned=True)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout")
        head = _head
        head.budget = timeout.get("read") if isinstance(timeout, dict) else None
        head.until = None
        try:
            return super().handle_request(request)
        finally:
            head.budget = None


class _AsyncHead:
    __slots__ = ("budget", "until")

    def __init__(self, budget: float | None) -> None:
        self.budget = budget
        self.until: float | None = None


_async_head: contextvars.ContextVar[_AsyncHead | None] = contextvars.ContextVar(
    "craftapis_proxy_head", default=None
)


class _AsyncHeadBoundStream(httpcore.AsyncNetworkStream):
    """`_wire._HeadBoundStream` for httpcore's async streams: reads during a head share its budget."""

    def __init__(self, inner: httpcore.AsyncNetworkStream) -> None:
        self._inner = inner

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        head = _async_head.get()
        budget = head.budget if head is not None else None
        if head is None or budget is None:
            return await self._inner.read(max_bytes, timeout)
        now = time.monotonic()
        until = head.until
        if until is None:
            head.until = until = now + budget
        left = until - now
        if timeout is not None and timeout <= left + 0.001:
            return await self._inner.read(max_bytes, timeout)
        if left > 0.0:
            try:
                return await self._inner.read(max_bytes, left)
            except httpcore.ReadTimeout:
                pass
        raise _head_error(budget)

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        await self._inner.write(buffer, timeout)

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        return _AsyncHeadBoundStream(await self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _AsyncBackend(httpcore.AsyncNetworkBackend):
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
        return _AsyncHeadBoundStream(stream)

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.AsyncNetworkStream:  # pragma: no cover - proxies are reached over TCP
        return _AsyncHeadBoundStream(await self._inner.connect_unix_socket(path, timeout, socket_options))

    async def sleep(self, seconds: float) -> None:  # pragma: no cover - only between connect retries
        await self._inner.sleep(seconds)


class AsyncProxyTransport(AsyncClientTransport):
    """`httpx.AsyncClient(trust_env=True)` (owned) whose every response head is bounded by the read timeout."""

    def __init__(self, timeout: httpx.Timeout) -> None:
        client = httpx.AsyncClient(trust_env=True, timeout=timeout)
        for pool in _pools(client):
            pool._network_backend = _AsyncBackend(pool._network_backend)
        super().__init__(client, owned=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout")
        token = _async_head.set(_AsyncHead(timeout.get("read") if isinstance(timeout, dict) else None))
        try:
            return await super().handle_async_request(request)
        finally:
            _async_head.reset(token)
