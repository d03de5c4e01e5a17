"""`AsyncPolicyTransport`: the httpx transport that paces, retries and waits (the steps, and what the
sync and async transports share, are in `_transport.py`)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterable, Callable

import httpx

from ._errors import redact_url
from ._guards import REDIRECTS_EXTENSION, BodyReader, Limits
from ._http import mark_read
from ._primitives import AsyncSleep, async_sleep
from ._ratelimit import AsyncOffloadedLimiter, RateLimiter
from ._retry import RetryPolicy, WaitHintParser
from ._transport import BUFFER_EXTENSION, _PolicyCore

__all__ = ["AsyncPolicyTransport", "read_bounded"]


async def read_bounded(reader: BodyReader, response: httpx.Response, chunks: AsyncIterable[bytes]) -> bytes:
    """The whole body of `response` through `reader` (bounded in decoded size and by the deadline):
    its `content` when it was built in memory (MockTransport, a cassette), else every chunk of `chunks`
    (the raw stream, undecoded: `reader` decodes)."""
    if response.is_stream_consumed:
        return reader.of_content(response.content)
    async for chunk in chunks:
        reader.feed(chunk)
    return reader.finish()


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
        limits: :class:`~craftapis.Limits` (decoded body size of buffered responses, redirects).
        follow_redirects: follow redirects under craftapis' policy (`_guards.redirect_request`: to
            another origin only a GET/HEAD, stripped of every credential header); False returns them.

    Every phase of every attempt's timeout is capped at the time left before
    ``RetryPolicy.deadline``, and a buffered body is read (and decoded) here, bounded in size and
    checked against the deadline between chunks: the deadline bounds the whole call.
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
        limits: Limits | None = None,
        follow_redirects: bool = True,
    ) -> None:
        super().__init__(retry, limiter, wait_hint, clock, limits, follow_redirects)
        self.transport = transport if transport is not None else httpx.AsyncHTTPTransport()
        self._sleep = sleep
        # a limiter that waits on the network (Redis): reserve awaited on a worker thread, observe
        # posted there, so a slow Redis never holds the event loop (the sync twin: always None)
        self._offload = AsyncOffloadedLimiter.wrap(self.limiter)
        if self._offload is not None:
            self.limiter = self._offload

    async def _wait(self, seconds: float) -> None:
        await self._sleep(seconds)
        self._slept(seconds)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        policy, idempotent, rewind = self._prepare(request)
        if rewind or self.follow_redirects:  # retries and 307/308 resend the body
            await request.aread()
        start = self._clock()
        trail: list[str | None] = []
        current = request
        while True:
            response = await self._attempts(current, policy, idempotent, start)
            try:
                following = self._next_hop(current, response, len(trail))
            except BaseException:
                await response.aclose()
                raise
            if following is None:
                break
            await response.aclose()
            trail.append(redact_url(following.url))
            current = following
        if trail:
            response.extensions = {**response.extensions, REDIRECTS_EXTENSION: trail}
        return response

    async def _attempts(
        self, request: httpx.Request, policy: RetryPolicy, idempotent: bool | None, start: float
    ) -> httpx.Response:
        attempt = 0
        while True:
            attempt += 1
            while (
                wait := self._slot(request, policy, start)
                if self._offload is None
                else self._granted(request, await self._offload.areserve(request), policy, start)
            ) > 0.0:
                await self._wait(wait)
            self._cap_timeout(request, policy, start)
            body = b""  # read when `failed` (or buffered)
            try:
                response = await self.transport.handle_async_request(request)
                status = response.status_code
                failed = status == 429 or status in policy.retry_statuses  # its wait hint is in the body
                if failed or BUFFER_EXTENSION in request.extensions:
                    reader = self._reader(request, response, policy, start)
                    try:
                        # the raw stream itself: aiter_raw's chunker and context add nothing here
                        body = await read_bounded(reader, response, response.stream)  # type: ignore[arg-type]
                    finally:
                        if type(response) is not httpx.Response:
                            await response.aclose()  # a subclass's own (a user transport's lease ...)
                        elif not response.is_closed:
                            # what `aclose()` does, less its `request_context` (a generator-based context
                            # manager per call), which binds an error to the response's request (none
                            # yet, or a user client's): `_send_once` binds every error to the request
                            # craftapis sent
                            response.is_closed = True
                            await response.stream.aclose()  # type: ignore[union-attr]
                    response = mark_read(reader.replay(body), body)
            except httpx.TransportError as exc:
                decision = self._on_error(request, policy, idempotent, attempt, start, exc)
                if not decision.retry:
                    raise
            except BaseException:
                self.limiter.observe(request, None)
                raise
            else:
                if not failed:  # read or not, the answer to return
                    self.limiter.observe(request, response)
                    return response
                decision, response = self._on_read(
                    request, response, body, policy, idempotent, attempt, start
                )
                if not decision.retry:
                    return response
            self._retrying()
            if decision.wait > 0.0:
                await self._wait(decision.wait)

    async def aclose(self) -> None:
        if self._offload is not None:
            self._offload.close()
        await self.transport.aclose()
