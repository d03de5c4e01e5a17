"""`AsyncAPIClient`, the base of every API client: the one place that sends (`_send`, `call`, `request`),
streams (`_stream`, for downloads) and closes. What it shares with its twin is in `_base.py`."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping, Sequence
from types import TracebackType
from typing import Any, Self, TypedDict, Unpack

import httpx

from ._async_http import AsyncLeanClient, build_async_client
from ._async_transport import AsyncPolicyTransport, read_bounded
from ._base import QueryParams, _ClientCore, _request_of
from ._files import error_reader
from ._guards import Limits
from ._http import mark_read
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy

__all__ = ["AsyncAPIClient", "AsyncClientOptions"]


class AsyncClientOptions(TypedDict, total=False):
    """The options every client takes, declared once (each client's `__init__` takes `**options`).

    Attributes:
        headers: extra default headers sent with every request.
        timeout: seconds or an `httpx.Timeout` (default 30 s, 10 s to connect).
        retry: the `RetryPolicy` (default: the API's own, see each client).
        rate_limiter: the client-side `RateLimiter` (default: the API's own); pass one to share it.
        http_client: your own `httpx.AsyncClient` to send through (proxies, TLS); never closed by craftapis.
        transport: an `httpx.AsyncBaseTransport` to send through instead (not with `http_client`).
        limits: a `craftapis.Limits`: the largest decoded body of a JSON call (64 MiB) and the redirects
            followed in one call (10). The whole call, body included, is bounded by `RetryPolicy.deadline`.
        trust_env: honour `HTTP_PROXY`/`HTTPS_PROXY`/`ALL_PROXY`/`NO_PROXY` (default True; httpx itself
            ignores them whenever a transport is given, and craftapis always gives one).
    """

    headers: Mapping[str, str] | None
    timeout: httpx.Timeout | float | None
    retry: RetryPolicy | None
    rate_limiter: RateLimiter | None
    http_client: httpx.AsyncClient | None
    transport: httpx.AsyncBaseTransport | None
    limits: Limits | None
    trust_env: bool | None


class AsyncAPIClient(_ClientCore):
    """Base of the API clients: sends with auth, retries, pacing and error mapping; closes only what it
    created; a context manager (`async with client: ...`)."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        auth: httpx.Auth | None = None,
        **options: Unpack[AsyncClientOptions],
    ) -> None:
        self._setup(
            base_url=base_url,
            auth=auth,
            headers=options.get("headers"),
            timeout=options.get("timeout"),
            retry=options.get("retry"),
            rate_limiter=options.get("rate_limiter"),
            limits=options.get("limits"),
        )
        profile = self._profile

        def policy(inner: httpx.AsyncBaseTransport, follow_redirects: bool) -> httpx.AsyncBaseTransport:
            return AsyncPolicyTransport(
                inner,
                retry=self.retry,
                limiter=self.rate_limiter,
                wait_hint=profile.wait_hint,
                limits=self.limits,
                follow_redirects=follow_redirects,
            )

        self._http: AsyncLeanClient = build_async_client(
            base_url=self.base_url,
            policy=policy,
            http_client=options.get("http_client"),
            transport=options.get("transport"),
            timeout=self.timeout,
            headers=self._headers,
            follow_redirects=profile.follow_redirects,
            trust_env=options.get("trust_env") is not False,
        )

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: QueryParams = None,
        json: object = None,
        content: str | bytes | Iterable[bytes] | AsyncIterable[bytes] | None = None,
        data: Mapping[str, object] | None = None,
        files: Mapping[str, object] | Sequence[tuple[str, object]] | None = None,
        headers: Mapping[str, str] | None = None,
        auth: httpx.Auth | None = None,
        check: bool = True,
    ) -> httpx.Response:
        """Send one request with auth, retries, pacing and error mapping (raises `APIError` on an error;
        `check=False` returns error responses instead)."""
        kwargs = {"method": method, "url": url, "params": params, "json": json}
        kwargs.update(content=content, data=data, files=files, headers=headers)
        response, _ = await self._send(kwargs, auth=auth, check=check)
        return response

    async def _send(
        self, kwargs: dict[str, Any], *, auth: httpx.Auth | None = None, check: bool = True
    ) -> tuple[httpx.Response, Any]:
        """Send `kwargs` (httpx request arguments); (response, its decoded body when errors were looked for)."""
        http = self._http
        options = self._call_options()
        outgoing = self._outgoing(kwargs, options=options)
        try:
            request = http.template.build(**outgoing, timeout=options.timeout)
            response = await http.send_lean(request, auth or self._auth)
        except httpx.TransportError as exc:
            request = _request_of(exc) or httpx.Request(kwargs["method"], self.base_url + kwargs["url"])
            raise self._connection_error(request, exc) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:  # DecodingError, a Location httpx cannot parse ...
            raise self._http_error(kwargs["method"], self.base_url + kwargs["url"], exc) from exc
        self._record(response)
        return response, (self._check(response) if check else None)

    @contextlib.asynccontextmanager
    async def _stream(
        self, kwargs: dict[str, Any], *, auth: httpx.Auth | None = None
    ) -> AsyncIterator[httpx.Response]:
        """A streamed response (downloads), closed when the block ends; an error status is read and raised
        as its `APIError`. Without `auth`, no `Authorization` header is sent (not even one from `headers=`)."""
        started = time.monotonic()
        timeout = self._timeout_for_call()
        request = self._http.build_request(
            **self._outgoing(kwargs, buffer=False),
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        if auth is None:
            request.headers.pop("Authorization", None)
        try:
            response = await self._http.send(request, stream=True, auth=auth)
        except httpx.TransportError as exc:
            raise self._connection_error(request, exc) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise self._http_error(request.method, str(request.url), exc) from exc
        self._record(response)
        try:
            if response.status_code >= 300:  # read bounded in size and time, as buffered bodies are
                options = self._call_options()
                policy = options.retry if options.retry is not None else self.retry
                reader = error_reader(response, self.limits, policy, started)
                body = await read_bounded(reader, response, response.aiter_raw())
                self._check(mark_read(reader.replay(body), body))
            yield response
        finally:
            await response.aclose()

    async def call(self, operation: str, /, **kwargs: object) -> object:
        """Call a generated operation by its module path, e.g. `await call("projects.get_project", id_slug="x")`."""
        module = self._module(operation)
        response, body = await self._send(self._kwargs(module, kwargs))
        return self._parse(module, response, body)

    async def aclose(self) -> None:
        """Close the connections craftapis opened (never an `http_client=` of yours)."""
        await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()
