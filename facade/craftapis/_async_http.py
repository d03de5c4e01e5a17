"""`build_async_client`: the httpx client craftapis sends through, with its policy transport in front
(what the seam is and why, in `_http.py`)."""

from __future__ import annotations

from collections.abc import Callable

import httpx

__all__ = ["AsyncClientTransport", "build_async_client"]


class AsyncClientTransport(httpx.AsyncBaseTransport):
    """Sends through a user's `httpx.AsyncClient`, so their settings apply under craftapis' policy."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, stream=True)

    async def aclose(self) -> None:  # the user's client is theirs to close
        pass


def build_async_client(
    *,
    base_url: str,
    policy: Callable[[httpx.AsyncBaseTransport], httpx.AsyncBaseTransport],
    http_client: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
    headers: dict[str, str],
    follow_redirects: bool = True,
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose transport applies `policy` (a callable wrapping an inner transport)."""
    if http_client is not None and transport is not None:
        raise TypeError("pass either http_client= or transport=, not both")
    inner: httpx.AsyncBaseTransport
    if http_client is not None:
        inner = AsyncClientTransport(http_client)
    else:
        inner = transport if transport is not None else httpx.AsyncHTTPTransport()
    return httpx.AsyncClient(
        base_url=base_url,
        transport=policy(inner),
        timeout=timeout,
        headers=headers,
        follow_redirects=follow_redirects,
    )
