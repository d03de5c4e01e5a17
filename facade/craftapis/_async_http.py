"""`build_async_client`: the httpx client craftapis sends through, with its policy transport in front
(what the seam is and why, in `_http.py`)."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from ._http import AsyncDefaultTransport, LeanCookies, RequestTemplate, log_response, unbind

__all__ = [
    "ACCEPT_ENCODING",
    "AsyncClientTransport",
    "AsyncLeanClient",
    "build_async_client",
    "proxy_environment",
]

#: Only the encodings `_guards.BodyReader` decodes with a bound on the decoded size.
ACCEPT_ENCODING = "gzip, deflate"


def proxy_environment() -> bool:
    """Whether a proxy variable (`HTTP_PROXY`, `HTTPS_PROXY`, `ALL_PROXY`, lower or upper case) is set."""
    return any(scheme in ("http", "https", "all") for scheme in urllib.request.getproxies_environment())


def _headers(headers: dict[str, str]) -> dict[str, str]:
    if any(k.lower() == "accept-encoding" for k in headers):
        return headers
    return {"Accept-Encoding": ACCEPT_ENCODING, **headers}


class AsyncLeanClient(httpx.AsyncClient):
    """The `httpx.AsyncClient` craftapis builds for itself: `LeanCookies` and `unbind` (in `_http.py`),
    and `send_lean`, the send path of every JSON call (issue 12).

    `send_lean` sends a request built by `template` (`RequestTemplate`: the base URL, default headers and
    timeout prepared once) straight to the policy transport, doing what `send()` does for a craftapis
    client (this client's cookies, its event hooks, an auth flow, httpx's INFO log line, reading the
    body, `elapsed`) and skipping what such a client never uses: base-URL merging and re-parsing, auth
    resolution from the URL, httpx's redirect machinery (off: the policy transport follows redirects)
    and the bound stream. Downloads (`_stream`) still go through `send()`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = LeanCookies(self._cookies)
        self.template = RequestTemplate(self.base_url, self.headers, self.timeout)
        self.policy: httpx.AsyncBaseTransport = kwargs["transport"]

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        response = await super().send(request, **kwargs)
        unbind(response)
        return response

    async def send_lean(self, request: httpx.Request, auth: httpx.Auth | None) -> httpx.Response:
        """Send `request` as `send(request, auth=auth)` would for a craftapis client, body read."""
        if self.is_closed:
            raise RuntimeError("Cannot send a request, as the client has been closed.")
        if self._cookies:
            self._cookies.set_cookie_header(request)
        start = time.perf_counter()
        response = await (self._send_once(request) if auth is None else self._send_authed(request, auth))
        try:
            await response.aread()
        except BaseException:
            await response.aclose()
            raise
        response.elapsed = timedelta(0, time.perf_counter() - start)  # (days, seconds): no keyword to parse
        return response

    async def _send_once(self, request: httpx.Request) -> httpx.Response:
        hooks = self.event_hooks
        for hook in hooks["request"]:
            await hook(request)
        try:
            response = await self.policy.handle_async_request(request)
        except httpx.RequestError as exc:
            exc.request = request  # as httpx's Client binds it
            raise
        response.request = request
        self._cookies.extract_cookies(response)
        log_response(request, response)
        try:
            for hook in hooks["response"]:
                await hook(response)
        except BaseException:
            await response.aclose()
            raise
        return response

    async def _send_authed(self, request: httpx.Request, auth: httpx.Auth) -> httpx.Response:
        """httpx's auth loop (`Client._send_handling_auth`): the flow may answer a response with a new
        request (OAuth2 refresh on a 401), whose predecessor is read and closed."""
        flow = auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                response = await self._send_once(request)
                try:
                    try:
                        following = await flow.asend(response)
                    except StopAsyncIteration:
                        return response
                    await response.aread()
                    request = following
                except BaseException:
                    await response.aclose()
                    raise
        finally:
            await flow.aclose()


class AsyncClientTransport(httpx.AsyncBaseTransport):
    """Sends through a user's `httpx.AsyncClient`, so their settings apply under craftapis' policy.

    Always with `follow_redirects=False`, which overrides the client's own setting: redirects are the
    policy transport's to follow or refuse. `owned=True` (a client craftapis made) closes it too."""

    def __init__(self, client: httpx.AsyncClient, *, owned: bool = False) -> None:
        self._client = client
        self._owned = owned

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self._client.send(request, stream=True, follow_redirects=False)

    async def aclose(self) -> None:  # the user's client is theirs to close
        if self._owned:
            await self._client.aclose()


def build_async_client(
    *,
    base_url: str,
    policy: Callable[[httpx.AsyncBaseTransport, bool], httpx.AsyncBaseTransport],
    http_client: httpx.AsyncClient | None,
    transport: httpx.AsyncBaseTransport | None,
    timeout: httpx.Timeout,
    headers: dict[str, str],
    follow_redirects: bool = True,
    trust_env: bool = True,
) -> AsyncLeanClient:
    """An `httpx.AsyncClient` whose transport applies `policy(inner, follow_redirects)` (a callable
    wrapping an inner transport). The policy transport follows redirects itself; httpx never does.

    With `trust_env` and a proxy variable set, the inner transport is an `httpx.AsyncClient` built with
    `trust_env=True`, so httpx's own proxy routing (NO_PROXY included) applies: httpx ignores the proxy
    environment whenever it is given `transport=`, and the outer client always is. Its response heads
    are bounded by the read timeout as on craftapis' own wire (`_async_proxy.py`)."""
    if http_client is not None and transport is not None:
        raise TypeError("pass either http_client= or transport=, not both")
    inner: httpx.AsyncBaseTransport
    if http_client is not None:
        inner = AsyncClientTransport(http_client)
    elif transport is not None:
        inner = transport
    elif trust_env and proxy_environment():
        from ._async_proxy import AsyncProxyTransport  # imports this module (AsyncClientTransport)

        inner = AsyncProxyTransport(timeout)
    else:
        inner = AsyncDefaultTransport()
    return AsyncLeanClient(
        base_url=base_url,
        transport=policy(inner, follow_redirects),
        timeout=timeout,
        headers=_headers(headers),
        follow_redirects=False,
        trust_env=False,
    )
