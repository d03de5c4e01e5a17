"""`AsyncPolicyTransport`: the httpx transport that paces, retries and waits (the steps, and what the
sync and async transports share, are in `_transport.py`)."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx

from ._primitives import AsyncSleep, async_sleep
from ._ratelimit import RateLimiter
from ._retry import RetryPolicy, WaitHintParser
from ._transport import _PolicyCore

__all__ = ["AsyncPolicyTransport"]


class AsyncPolicyTransport(_PolicyCore, httpx.AsyncBaseTransport):
    """An httpx transport adding pacing and retries around ``transport``.

    Args:
        transport: the transport that really sends (default ``httpx.AsyncHTTPTransport()``).
        retry: the default :class:`RetryPolicy` (``call_options(retry=...)`` overrides it per call).
        limiter: a :class:`RateLimiter` shared by every request through this transport.
        wait_hint: reads the server's requested wait from a failed response
            (default: ``retry-after-ms``, then ``Retry-After`` seconds or date).
        sleep: how to wait (default: ``craftapis._primitives.async_sleep``).
        clock: a monotonic clock for the deadline (default :func:`time.monotonic`).
    """

    def __init__(
        self,
        transport: httpx.AsyncBaseTransport | None = None,
        *,
        retry: RetryPolicy | None = None,
        limiter: RateLimiter | None = None,
        wait_hint: WaitHintParser | None = None,
        sleep: AsyncSleep = async_sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(retry, limiter, wait_hint, clock)
        self.transport = transport if transport is not None else httpx.AsyncHTTPTransport()
        self._sleep = sleep

    async def _wait(self, seconds: float) -> None:
        await self._sleep(seconds)
        self._slept(seconds)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy, idempotent, rewind = self._prepare(request)
        if rewind:
            await request.aread()
        start = self._clock()
        attempt = 0
        while True:
            attempt += 1
            while (wait := self._slot(request, policy, start)) > 0.0:
                await self._wait(wait)
            raw: bytes | None = None
            try:
                response = await self.transport.handle_async_request(request)
                if self._must_read(request, response, policy):
                    try:
                        if response.is_stream_consumed:  # built in memory (MockTransport, ...): already read
                            raw = response.content
                        else:
                            raw = b"".join([chunk async for chunk in response.aiter_raw()])
                    finally:
                        await response.aclose()
            except httpx.TransportError as exc:
                decision = self._on_error(request, policy, idempotent, attempt, start, exc)
                if not decision.retry:
                    raise
            except BaseException:
                self.limiter.observe(request, None)
                raise
            else:
                if raw is None:
                    self.limiter.observe(request, response)
                    return response
                maybe, response = self._on_read(request, response, raw, policy, idempotent, attempt, start)
                if maybe is None or not maybe.retry:
                    return response
                decision = maybe
            self._retrying()
            if decision.wait > 0.0:
                await self._wait(decision.wait)

    async def aclose(self) -> None:
        await self.transport.aclose()
