"""PolicyTransport and AsyncPolicyTransport against a real loopback server.

Most tests run twice, through the sync and the async transport (the ``mode`` fixture),
with an injected sleep that records waits instead of sleeping.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import random
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from craftapis._async_transport import AsyncPolicyTransport
from craftapis._context import call_options, current_call_options
from craftapis._errors import APIError, RateLimitError, ServerError
from craftapis._ratelimit import BucketRateLimiter, HeaderRateLimiter
from craftapis._retry import (
    RetryPolicy,
    WaitHintParser,
    body_hint,
    first_hint,
    header_hint,
    modrinth_body_millis,
    ratelimit_reset_header,
    retry_after_millis,
)
from craftapis._sync_transport import PolicyTransport
from loopback import FixedWindow, LoopbackServer, Reply, unused_port

MODRINTH_HINT: WaitHintParser = first_hint(
    body_hint(modrinth_body_millis), header_hint(ratelimit_reset_header)
)
BUILTBYBIT_HINT: WaitHintParser = header_hint(retry_after_millis)


def modrinth_429(millis: int) -> Reply:
    return Reply(
        429,
        {
            "error": "ratelimit_error",
            "description": f"rate limit exceeded; retry after {millis} milliseconds",
        },
        headers={"x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "5"},
    )


class Harness:
    """One client over a policy transport, sync or async, with a recording sleep."""

    def __init__(
        self,
        mode: str,
        base_url: str,
        *,
        real_sleep: bool = False,
        timeout: float = 5.0,
        clock: Any = None,
        on_sleep: Any = None,
        **kwargs: Any,
    ) -> None:
        self.mode = mode
        self.sleeps: list[float] = []
        kwargs.setdefault("retry", RetryPolicy(rng=random.Random(42)))
        if clock is not None:
            kwargs["clock"] = clock
        self.transport: PolicyTransport | AsyncPolicyTransport
        if mode == "sync":

            def sleep(seconds: float) -> None:
                self.sleeps.append(seconds)
                if on_sleep is not None:
                    on_sleep(seconds)
                if real_sleep:
                    time.sleep(seconds)

            self.transport = PolicyTransport(sleep=sleep, **kwargs)
            self.sync = httpx.Client(transport=self.transport, base_url=base_url, timeout=timeout)
        else:

            async def asleep(seconds: float) -> None:
                self.sleeps.append(seconds)
                if on_sleep is not None:
                    on_sleep(seconds)
                if real_sleep:
                    await asyncio.sleep(seconds)

            self.transport = AsyncPolicyTransport(sleep=asleep, **kwargs)
            self.aio = httpx.AsyncClient(transport=self.transport, base_url=base_url, timeout=timeout)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        if self.mode == "sync":
            return self.sync.request(method, url, **kwargs)
        return await self.aio.request(method, url, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def close(self) -> None:
        if self.mode == "sync":
            self.sync.close()
        else:
            await self.aio.aclose()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def make(mode: str, loopback: LoopbackServer) -> AsyncIterator[Any]:
    made: list[Harness] = []

    def factory(**kwargs: Any) -> Harness:
        harness = Harness(mode, kwargs.pop("base_url", loopback.url), **kwargs)
        made.append(harness)
        return harness

    yield factory
    for harness in made:
        await harness.close()


# -- retries and wait hints ----------------------------------------------------------------------


async def test_retries_transient_statuses_then_succeeds(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(503), Reply(502), Reply(200, {"n": 1}))
    client = make()
    response = await client.get("/project/x")
    assert response.status_code == 200 and response.json() == {"n": 1}
    assert loopback.statuses() == [503, 502, 200]
    stats = client.transport.stats
    assert (stats.requests, stats.attempts, stats.retries, stats.throttled) == (1, 3, 2, 0)
    assert len(client.sleeps) == 2
    assert 0.0 <= client.sleeps[0] <= 0.5 and 0.0 <= client.sleeps[1] <= 1.0  # full-jitter bounds
    assert stats.waits == 2 and stats.slept == pytest.approx(sum(client.sleeps))


async def test_success_is_passed_through_unread(make: Any, loopback: LoopbackServer) -> None:
    client = make()
    if client.mode == "sync":
        with client.sync.stream("GET", "/big") as response:
            assert response.status_code == 200 and response.read() == b'{"ok": true}'
    else:
        async with client.aio.stream("GET", "/big") as response:
            assert response.status_code == 200 and await response.aread() == b'{"ok": true}'
    assert client.sleeps == [] and client.transport.stats.attempts == 1


async def test_retry_after_seconds(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(429, headers={"Retry-After": "2"}), Reply(200))
    client = make()
    assert (await client.get("/x")).status_code == 200
    assert client.sleeps == [2.0]
    assert client.transport.stats.throttled == 1


async def test_retry_after_http_date(make: Any, loopback: LoopbackServer) -> None:
    when = email.utils.formatdate(time.time() + 4, usegmt=True)
    loopback.script(Reply(503, headers={"Retry-After": when}), Reply(200))
    client = make()
    assert (await client.get("/x")).status_code == 200
    assert len(client.sleeps) == 1 and 2.5 <= client.sleeps[0] <= 4.0  # HTTP dates have 1 s resolution


async def test_retry_after_ms_header(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(503, headers={"retry-after-ms": "1500", "Retry-After": "9"}), Reply(200))
    client = make()
    assert (await client.get("/x")).status_code == 200
    assert client.sleeps == [1.5]


async def test_builtbybit_retry_after_is_milliseconds(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(429, {"result": "error"}, headers={"Retry-After": "1500"}), Reply(200))
    client = make(wait_hint=BUILTBYBIT_HINT, limiter=BucketRateLimiter())
    assert (await client.get("/x")).status_code == 200
    assert client.sleeps[0] == 1.5


async def test_modrinth_body_then_reset_header(make: Any, loopback: LoopbackServer) -> None:
    no_description = Reply(429, {"error": "ratelimit_error"}, headers={"x-ratelimit-reset": "2"})
    loopback.script(modrinth_429(750), no_description, Reply(200))
    client = make(wait_hint=MODRINTH_HINT)
    assert (await client.get("/x")).status_code == 200
    assert client.sleeps == [0.75, 3.0]  # body first; else the truncated reset + 1 s


async def test_max_attempts_returns_the_final_response(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(*[Reply(503, {"error": "down"})] * 5)
    client = make(retry=RetryPolicy(max_attempts=3, rng=random.Random(1)))
    response = await client.get("/x")
    assert response.status_code == 503 and response.json() == {"error": "down"}
    assert loopback.count() == 3 and client.transport.stats.retries == 2
    assert response.extensions["craftapis.attempts"] == 3
    assert "gave up after 3" in response.extensions["craftapis.retry_reason"]
    assert isinstance(APIError.from_response(response), ServerError)


async def test_wait_longer_than_max_retry_after_is_not_slept(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(429, {"error": "ratelimit_error"}, headers={"Retry-After": "120"}), Reply(200))
    client = make()
    response = await client.get("/x")
    assert response.status_code == 429 and client.sleeps == [] and loopback.count() == 1
    err = APIError.from_response(response)
    assert isinstance(err, RateLimitError) and err.retry_after == 120.0
    assert "retry after 120 s" in str(err)


async def test_deadline_refuses_a_wait_past_it(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(503, headers={"Retry-After": "2"}), Reply(200))
    client = make(retry=RetryPolicy(deadline=1.0))
    response = await client.get("/x")
    assert response.status_code == 503 and loopback.count() == 1
    assert "deadline" in response.extensions["craftapis.retry_reason"]


async def test_deadline_spans_all_attempts(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(*[Reply(503)] * 10)
    fake = {"now": 0.0}

    def advance(seconds: float) -> None:
        fake["now"] += seconds

    client = make(
        retry=RetryPolicy(max_attempts=10, deadline=2.0, jitter=False),
        clock=lambda: fake["now"],
        on_sleep=advance,
    )
    response = await client.get("/x")
    # Backoff 0.5 then 1.0 fit in 2 s; the next (2.0) would end at 3.5 s.
    assert response.status_code == 503 and client.sleeps == [0.5, 1.0] and loopback.count() == 3


# -- what is retried -----------------------------------------------------------------------------


async def test_writes_are_not_retried_unless_idempotent(make: Any, loopback: LoopbackServer) -> None:
    client = make()
    loopback.script(Reply(503))
    assert (await client.request("POST", "/v", content=b"payload")).status_code == 503
    assert loopback.count() == 1

    loopback.script(Reply(503), Reply(201))
    with call_options(idempotent=True):
        response = await client.request("PATCH", "/v", content=b"payload")
    assert response.status_code == 201
    assert [r.body for r in loopback.requests[1:]] == [b"payload", b"payload"]

    loopback.script(Reply(503), Reply(204))
    marked = await client.request("DELETE", "/v", extensions={"craftapis.idempotent": True})
    assert marked.status_code == 204 and loopback.count() == 5


async def test_call_options_beat_the_request_extension(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(503), Reply(200))
    client = make()
    with call_options(idempotent=False):
        response = await client.get("/x", extensions={"craftapis.idempotent": True})
    assert response.status_code == 503 and loopback.count() == 1


async def test_429_is_resent_for_any_method(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(429, headers={"Retry-After": "0"}), Reply(201))
    client = make()
    assert (await client.request("POST", "/v", json={"a": 1})).status_code == 201
    assert [r.body for r in loopback.requests] == [b'{"a":1}', b'{"a":1}']


async def test_streamed_request_body_is_rewound(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(503), Reply(200))
    client = make()

    if client.mode == "sync":
        content: Any = iter([b"part1-", b"part2"])
    else:

        async def agen() -> AsyncIterator[bytes]:
            yield b"part1-"
            yield b"part2"

        content = agen()
    with call_options(idempotent=True):
        assert (await client.request("PUT", "/v", content=content)).status_code == 200
    assert [r.body for r in loopback.requests] == [b"part1-part2", b"part1-part2"]


async def test_connection_refused_is_retried_then_raised(make: Any) -> None:
    client = make(base_url=f"http://127.0.0.1:{unused_port()}", retry=RetryPolicy(max_attempts=3))
    with pytest.raises(httpx.ConnectError):
        await client.request("POST", "/v", content=b"x")  # never sent: safe to retry even a POST
    stats = client.transport.stats
    assert (stats.attempts, stats.retries) == (3, 2) and len(client.sleeps) == 2


async def test_read_timeout_is_retried(make: Any, loopback: LoopbackServer) -> None:
    # 0.5 s, not 0.2: on a loaded 2-core machine the immediate second answer (a new connection) once
    # took longer than 0.2 s and the call made a third attempt; the slow answer still overruns it 4x
    loopback.script(Reply(200, {"slow": True}, delay=2.0), Reply(200, {"slow": False}))
    client = make(timeout=0.5)
    response = await client.get("/x")
    assert response.json() == {"slow": False} and client.transport.stats.attempts == 2


async def test_read_timeout_of_a_write_is_raised(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(200, delay=1.0), Reply(200))
    client = make(timeout=0.2)
    with pytest.raises(httpx.ReadTimeout):
        await client.request("POST", "/x", content=b"maybe processed")
    assert client.transport.stats.attempts == 1


async def test_timeouts_not_retried_when_disabled(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(200, delay=1.0), Reply(200))
    client = make(timeout=0.2, retry=RetryPolicy(retry_on_timeouts=False))
    with pytest.raises(httpx.TimeoutException):
        await client.get("/x")
    assert client.transport.stats.attempts == 1


async def test_reset_mid_body_of_an_error_is_retried(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(503, "x" * 5000, reset_after=100), Reply(200))
    client = make()
    assert (await client.get("/x")).status_code == 200
    assert client.transport.stats.attempts == 2


async def test_reset_mid_body_of_a_success(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(200, "y" * 5000, reset_after=100), Reply(200, "fine"))
    client = make()
    # By default a 200 is handed over unread (streaming works), so a reset while the
    # client reads it is the caller's error ...
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        await client.get("/x")
    # ... unless the request asks the transport to buffer the body, which makes it retryable.
    loopback.script(Reply(200, "y" * 5000, reset_after=100), Reply(200, "fine"))
    response = await client.get("/x", extensions={"craftapis.buffer": True})
    assert response.text == "fine"


# -- per-call overrides --------------------------------------------------------------------------


async def test_call_options_retry_override_and_nesting(make: Any, loopback: LoopbackServer) -> None:
    client = make()
    loopback.script(Reply(503), Reply(200))
    with call_options(retry=RetryPolicy(max_attempts=1)):
        with call_options(idempotent=True):
            assert current_call_options().retry is not None
            assert (await client.get("/x")).status_code == 503
        assert current_call_options().idempotent is None
    assert current_call_options().retry is None
    assert (await client.get("/x")).status_code == 200


async def test_call_options_timeout(make: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(200, delay=1.0))
    client = make(timeout=10.0, retry=RetryPolicy(max_attempts=1))
    with call_options(timeout=0.2), pytest.raises(httpx.ReadTimeout):
        await client.get("/x")


async def test_call_options_flow_into_tasks() -> None:
    seen: list[bool | None] = []

    async def child() -> None:
        seen.append(current_call_options().idempotent)

    with call_options(idempotent=True):
        await asyncio.gather(asyncio.create_task(child()), child())
    await asyncio.create_task(child())
    assert seen == [True, True, None]


# -- limiter integration -------------------------------------------------------------------------


async def test_limiter_wait_past_the_deadline_raises(make: Any, loopback: LoopbackServer) -> None:
    # A wait this long is adopted for everyone only when the limiter's cap allows it (issue 10, finding 8).
    limiter = BucketRateLimiter(max_server_wait=1000.0)
    blocked = httpx.Request("GET", loopback.url)
    assert limiter.reserve(blocked) == 0.0
    limiter.observe(blocked, httpx.Response(429), wait_hint=500.0)
    client = make(limiter=limiter)
    with pytest.raises(RateLimitError) as caught:
        await client.get("/x?token=SECRET")
    assert caught.value.retry_after == pytest.approx(500.0, abs=1.0)
    assert "SECRET" not in str(caught.value) and loopback.count() == 0
    # Reads are blocked; writes are another bucket.
    assert (await client.request("POST", "/x")).status_code == 200


async def test_a_429_blocks_the_bucket_and_the_retry_waits_for_it(
    make: Any, loopback: LoopbackServer
) -> None:
    loopback.script(Reply(429, headers={"Retry-After": "300"}), Reply(200))
    limiter = BucketRateLimiter()
    client = make(limiter=limiter, wait_hint=BUILTBYBIT_HINT, real_sleep=True)
    started = time.monotonic()
    assert (await client.get("/x")).status_code == 200
    assert time.monotonic() - started >= 0.3
    assert client.sleeps[0] == pytest.approx(0.3)


class CountingLimiter:
    def __init__(self) -> None:
        self.granted = 0
        self.observed: list[int | None] = []

    def reserve(self, request: httpx.Request) -> float:
        self.granted += 1
        return 0.0

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        self.observed.append(None if response is None else response.status_code)


async def test_every_granted_slot_is_observed_once(make: Any, loopback: LoopbackServer) -> None:
    limiter = CountingLimiter()
    client = make(limiter=limiter, timeout=0.2)
    loopback.script(Reply(503), Reply(200, delay=1.0), Reply(200))
    await client.get("/x")
    refused = make(
        limiter=limiter, base_url=f"http://127.0.0.1:{unused_port()}", retry=RetryPolicy(max_attempts=2)
    )
    with pytest.raises(httpx.ConnectError):
        await refused.get("/x")
    assert limiter.granted == len(limiter.observed) == 5
    assert limiter.observed == [503, None, 200, None, None]


async def test_cancelled_request_releases_its_slot(loopback: LoopbackServer) -> None:
    loopback.script(Reply(200, delay=2.0))
    limiter = HeaderRateLimiter()
    async with httpx.AsyncClient(
        transport=AsyncPolicyTransport(limiter=limiter), base_url=loopback.url
    ) as client:
        task = asyncio.create_task(client.get("/slow"))
        await asyncio.sleep(0.2)
        assert limiter.in_flight == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert limiter.in_flight == 0


async def test_debug_log_redacts_the_url(
    make: Any, loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.script(Reply(503), Reply(200))
    client = make()
    with caplog.at_level(logging.DEBUG, logger="craftapis"):
        await client.get("/x?access_token=hunter2&page=3", headers={"Authorization": "mrp_TOPSECRET"})
    text = caplog.text
    assert "retrying GET" in text and "page=3" in text and "access_token=REDACTED" in text
    assert "hunter2" not in text and "mrp_TOPSECRET" not in text


def test_default_inner_transports_and_close() -> None:
    sync = PolicyTransport()
    assert isinstance(sync.transport, httpx.HTTPTransport)
    sync.close()
    aio = AsyncPolicyTransport()
    assert isinstance(aio.transport, httpx.AsyncHTTPTransport)
    asyncio.run(aio.aclose())


# -- acceptance: pacing against a Modrinth-style fixed window -------------------------------------

LIMIT, WINDOW, TOTAL, WORKERS = 20, 2.0, 60, 8
# With fixed 2 s windows of 20 requests, the 60th request can at best be sent at the start of
# the third window, i.e. 4.0 s after the first one. Allow 1.25x: at most 5.0 s from the first
# send to the last response, and not a single 429.
THEORETICAL_MINIMUM = (TOTAL // LIMIT - (1 if TOTAL % LIMIT == 0 else 0)) * WINDOW
assert THEORETICAL_MINIMUM == 4.0
ALLOWED = 1.25 * THEORETICAL_MINIMUM


def check_pacing(
    loopback: LoopbackServer, window: FixedWindow, elapsed: float, statuses: list[int], label: str
) -> None:
    print(
        f"\n{label}: {len(statuses)} requests in {elapsed:.3f} s "
        f"(minimum {THEORETICAL_MINIMUM} s, ratio {elapsed / THEORETICAL_MINIMUM:.3f}), "
        f"429s seen by server: {window.rejected}, per window: {window.counts}"
    )
    assert statuses == [200] * TOTAL
    assert window.rejected == 0 and loopback.count(429) == 0
    assert sum(window.counts.values()) == TOTAL and max(window.counts.values()) <= LIMIT
    assert elapsed <= ALLOWED
    assert elapsed >= THEORETICAL_MINIMUM - 0.05  # sanity: the server really limited


@pytest.mark.slow
async def test_acceptance_async_tasks_pace_without_429(loopback: LoopbackServer) -> None:
    window = FixedWindow(limit=LIMIT, window=WINDOW)
    loopback.rate_limit = window
    transport = AsyncPolicyTransport(limiter=HeaderRateLimiter(), wait_hint=MODRINTH_HINT)
    statuses: list[int] = []
    left = TOTAL

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal left
        while left > 0:
            left -= 1
            statuses.append((await client.get("/v2/project/sodium")).status_code)

    async with httpx.AsyncClient(transport=transport, base_url=loopback.url) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(client) for _ in range(WORKERS)))
        elapsed = time.monotonic() - started
    assert transport.stats.throttled == 0 and transport.stats.retries == 0
    check_pacing(loopback, window, elapsed, statuses, "async, 8 tasks")


@pytest.mark.slow
def test_acceptance_threads_pace_without_429(loopback: LoopbackServer) -> None:
    window = FixedWindow(limit=LIMIT, window=WINDOW)
    loopback.rate_limit = window
    transport = PolicyTransport(limiter=HeaderRateLimiter(), wait_hint=MODRINTH_HINT)
    statuses: list[int] = []
    lock = threading.Lock()
    left = [TOTAL]

    def take() -> bool:
        with lock:
            if left[0] <= 0:
                return False
            left[0] -= 1
            return True

    def worker(client: httpx.Client) -> None:
        while take():
            status = client.get("/v2/project/sodium").status_code
            with lock:
                statuses.append(status)

    with httpx.Client(transport=transport, base_url=loopback.url) as client:
        threads = [threading.Thread(target=worker, args=(client,)) for _ in range(WORKERS)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    assert transport.stats.throttled == 0 and transport.stats.retries == 0
    check_pacing(loopback, window, elapsed, statuses, "threads, 8 threads")


def test_an_already_read_retryable_response_is_retried_not_crashed() -> None:
    # Regression (found by the Prism contract check): MockTransport and user transports may return
    # responses whose body was read when they were built; iter_raw() then raised StreamConsumed.
    import httpx as _httpx
    from craftapis._retry import RetryPolicy as _RetryPolicy
    from craftapis._sync_transport import PolicyTransport as _PolicyTransport

    calls: list[int] = []

    def handler(request: _httpx.Request) -> _httpx.Response:
        calls.append(1)
        return (
            _httpx.Response(500, json={"error": "x"})
            if len(calls) == 1
            else _httpx.Response(200, json={"ok": 1})
        )

    policy = _RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0)
    transport = _PolicyTransport(_httpx.MockTransport(handler), retry=policy, sleep=lambda s: None)
    with _httpx.Client(transport=transport) as client:
        response = client.get("http://127.0.0.1:1/x")
    assert response.status_code == 200 and response.json() == {"ok": 1}
    assert len(calls) == 2


async def test_an_already_read_retryable_response_is_retried_not_crashed_async() -> None:
    import httpx as _httpx
    from craftapis._async_transport import AsyncPolicyTransport as _AsyncPolicyTransport
    from craftapis._retry import RetryPolicy as _RetryPolicy

    calls: list[int] = []

    def handler(request: _httpx.Request) -> _httpx.Response:
        calls.append(1)
        return _httpx.Response(503, json={}) if len(calls) == 1 else _httpx.Response(200, json={"ok": 1})

    async def no_sleep(seconds: float) -> None:
        return None

    policy = _RetryPolicy(max_attempts=2, initial_backoff=0.0, max_backoff=0.0)
    transport = _AsyncPolicyTransport(_httpx.MockTransport(handler), retry=policy, sleep=no_sleep)
    async with _httpx.AsyncClient(transport=transport) as client:
        response = await client.get("http://127.0.0.1:1/x")
    assert response.status_code == 200 and len(calls) == 2
