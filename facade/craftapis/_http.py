"""The one seam between craftapis and its HTTP library (httpx today).

Everything that builds an HTTP client lives here, so replacing httpx (e.g. by its fork httpx2) is a
change to this module and `_transport.py`, not to every API client.

Redirects are followed; httpx drops `Authorization` when a redirect leaves the origin.

A client craftapis creates gets `PolicyTransport` (retries, pacing) around the user's transport or
httpx's own. A client the *user* passes in keeps doing the I/O (their proxies, TLS, mounts, hooks);
craftapis puts its policy in front of it through `ClientTransport` and never closes it.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from ._errors import redact_url

__all__ = ["DEFAULT_TIMEOUT", "AsyncClientTransport", "ClientTransport", "build_async_client", "build_client"]


class _RedactURLs(logging.Filter):
    """httpx logs every request's full URL at INFO; query parameters such as BuiltByBit's `nonce`
    are secrets to craftapis, so URLs in httpx's log records are redacted like ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and any(isinstance(a, httpx.URL) for a in record.args):
            record.args = tuple(redact_url(str(a)) if isinstance(a, httpx.URL) else a for a in record.args)
        return True


logging.getLogger("httpx").addFilter(_RedactURLs())

#: Finite by default: a bot must never hang forever on a dead connection. Connect fails fast;
#: reads allow for Modrinth's version lists (over 1 MB) on slow links.
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)


class ClientTransport(httpx.BaseTransport):
    """Sends through a user's `httpx.Client`, so their settings apply under craftapis' policy."""

    def __init__(self, client: httpx.Client) -> None:
        self._client = client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self._client.send(request, stream=True)

    def close(self) -> None:  # the user's client is theirs to close
        pass


class AsyncClientTransport(httpx.AsyncBaseTransport):
    """The async twin of `ClientTransport`."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, stream=True)

    async def aclose(self) -> None:
        pass


def build_client(
    *,
    base_url: str,
    policy: Any,
    http_client: httpx.Client | None,
    transport: httpx.BaseTransport | None,
    timeout: httpx.Timeout,
    headers: dict[str, str],
    follow_redirects: bool = True,
) -> httpx.Client:
    """An httpx.Client whose transport applies `policy` (a callable wrapping an inner transport)."""
    if http_client is not None and transport is not None:
        raise TypeError("pass either http_client= or transport=, not both")
    inner: httpx.BaseTransport
    if http_client is not None:
        inner = ClientTransport(http_client)
    else:
        inner = transport if transport is not None else httpx.HTTPTransport()
    return httpx.Client(
        base_url=base_url,
        transport=policy(inner),
        timeout=timeout,
        headers=headers,
        follow_redirects=follow_redirects,
    )


def build_async_client(
    *,
    base_url: str,
    policy: Any,
    http_client: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
    headers: dict[str, str],
    follow_redirects: bool = True,
) -> httpx.AsyncClient:
    """The async twin of `build_client`."""
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
