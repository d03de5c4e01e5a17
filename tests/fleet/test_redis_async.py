"""Async clients never wait on Redis on their event loop: a `blocking` limiter (`RedisRateLimiter`) is
reserved on a worker thread and observed there in order, and the async events consumer makes its lease
calls there too. With a Redis that stalls, other tasks on the loop keep running; the sync path still
calls the limiter on the calling thread. A handler outliving its lease keeps it (the heartbeat)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from typing import Any

import httpx
import pytest
from craftapis import RedisRateLimiter

from tests.faults.apis import MODRINTH, close, resolve
from tests.hostile.server import HostileServer

from .events_feed import EventsFeed
from .redis_server import RedisServer, StalledRedis


async def _longest_pause(work: Awaitable[Any]) -> tuple[Any, float]:
    """(the result of `work`, the longest time the event loop did not run a 10 ms ticker meanwhile)."""
    longest = 0.0
    done = asyncio.Event()

    async def tick() -> None:
        nonlocal longest
        last = time.monotonic()
        while not done.is_set():
            await asyncio.sleep(0.01)
            now = time.monotonic()
            longest = max(longest, now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.03)  # the ticker runs before the work starts (its first step may block)
    try:
        return await work, longest
    finally:
        done.set()
        await ticker


class _Recording:
    """A limiter that records which thread calls it, and in which order."""

    def __init__(self, blocking: bool) -> None:
        self.blocking = blocking
        self.calls: list[tuple[str, str]] = []

    def reserve(self, request: httpx.Request) -> float:
        time.sleep(0.05)  # a slow network round trip
        self.calls.append(("reserve", threading.current_thread().name))
        return 0.0

    def observe(
        self, request: httpx.Request, response: Any, now: Any = None, *, wait_hint: Any = None
    ) -> None:
        time.sleep(0.05)
        self.calls.append(("observe", threading.current_thread().name))


async def test_a_stalled_redis_does_not_stall_an_async_clients_event_loop() -> None:
    """Redis accepts and never answers: each command waits out the socket timeout (0.4 s, tried twice)
    before the limiter falls back to pacing in-process. Before: the loop stood still that long."""
    with StalledRedis() as redis, HostileServer(MODRINTH.app()) as api:
        limiter = RedisRateLimiter(redis.url, socket_timeout=0.4)
        client = MODRINTH.make("async", api.url, rate_limiter=limiter)
        try:

            async def calls() -> list[Any]:
                return [await MODRINTH.read(client) for _ in range(3)]

            results, pause = await _longest_pause(calls())
        finally:
            await close(client)
        assert redis.commands  # the limiter did ask the stalled Redis
    assert [r.id for r in results] == ["AABBCCDD"] * 3  # served, paced in-process meanwhile
    assert limiter.store.outages == 1 and limiter.store.fallbacks >= 1
    assert pause < 0.3, f"the event loop stood still {pause:.2f} s while Redis stalled"


async def test_a_blocking_limiter_runs_off_the_loop_in_order_and_others_on_it() -> None:
    blocking, plain = _Recording(blocking=True), _Recording(blocking=False)
    with HostileServer(MODRINTH.app()) as api:
        for limiter in (blocking, plain):
            client = MODRINTH.make("async", api.url, rate_limiter=limiter)
            try:
                for _ in range(2):
                    await MODRINTH.read(client)
                await asyncio.sleep(0.2)  # the last observe is posted, not awaited
            finally:
                await close(client)
    loop_thread = threading.current_thread().name
    assert [op for op, _ in blocking.calls] == ["reserve", "observe"] * 2
    assert {thread for _, thread in blocking.calls} == {blocking.calls[0][1]} != {loop_thread}
    assert blocking.calls[0][1].startswith("craftapis-ratelimit")
    assert plain.calls == [("reserve", loop_thread), ("observe", loop_thread)] * 2  # no thread hop


async def test_a_sync_client_calls_a_blocking_limiter_on_its_own_thread() -> None:
    limiter = _Recording(blocking=True)
    with HostileServer(MODRINTH.app()) as api:
        client = MODRINTH.make("sync", api.url, rate_limiter=limiter)
        try:
            await resolve(MODRINTH.read(client))
        finally:
            await close(client)
    assert limiter.calls == [
        ("reserve", threading.current_thread().name),
        ("observe", threading.current_thread().name),
    ]


async def test_an_async_client_spends_the_shared_budget_in_redis(redis_server: RedisServer) -> None:
    import redis

    limiter = RedisRateLimiter(redis_server.url)
    with HostileServer(MODRINTH.app()) as api:
        client = MODRINTH.make("async", api.url, rate_limiter=limiter)
        try:
            await MODRINTH.read(client)
        finally:
            await close(client)
    keys = redis.Redis.from_url(redis_server.url).keys("craftapis:ratelimit:*")
    assert len(keys) == 1 and keys[0].startswith(b"craftapis:ratelimit:header:")
    assert limiter.store.fallbacks == 0 and limiter.store.outages == 0


# -- event leases ---------------------------------------------------------------------------------


async def test_a_stalled_redis_does_not_stall_the_async_events_consumer() -> None:
    """Leases fail open after the socket timeout; meanwhile the loop runs on."""
    from craftapis import RetryPolicy
    from craftapis.builtbybit import AsyncBuiltByBit, AsyncEventsConsumer, RedisEventLeases

    handled: list[int] = []
    with StalledRedis() as redis, EventsFeed(2) as feed:
        client = AsyncBuiltByBit(
            token="stalledRedisTOKEN", base_url=feed.url, retry=RetryPolicy(initial_backoff=0.01)
        )

        async def handle(event: Any) -> None:
            handled.append(event.event_id)

        leases = RedisEventLeases(redis.url, key="stalled", socket_timeout=0.3)
        consumer = AsyncEventsConsumer(client, handle, leases=leases, batch_size=2, batch_delay=0.0)
        try:
            _, pause = await _longest_pause(consumer.run(stop_when_idle=True))
        finally:
            await client.aclose()
        assert redis.commands
        assert not feed.pending
    assert handled == [1, 2]
    assert pause < 0.3, f"the event loop stood still {pause:.2f} s while Redis stalled"


def test_while_redis_is_away_leases_fail_open_at_once() -> None:
    """A stalled Redis costs one call the socket timeout (tried twice); the next ones, until
    reconnect_interval has passed, fail open at once instead of each waiting as long."""
    from craftapis.builtbybit import RedisEventLeases

    with StalledRedis() as redis:
        leases = RedisEventLeases(redis.url, key="away", socket_timeout=0.3, reconnect_interval=30.0)
        started = time.monotonic()
        taken = [leases.acquire(event_id) for event_id in range(1, 6)]
        leases.extend(1)
        leases.completed([1, 2])
        elapsed = time.monotonic() - started
        assert redis.commands
    assert taken == [True] * 5  # fail open
    assert elapsed < 2 * 0.3 + 0.5, f"five lease calls took {elapsed:.2f} s against a stalled Redis"


# -- heartbeat ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_a_handler_outliving_its_lease_keeps_it(redis_server: RedisServer, mode: str) -> None:
    """The lease lasts 0.5 s, the handler 1.5 s: without the heartbeat a rival consumer could take the
    event 0.5 s in, while it is still being handled."""
    from craftapis.builtbybit import (
        AsyncBuiltByBit,
        AsyncEventsConsumer,
        BuiltByBit,
        EventsConsumer,
        RedisEventLeases,
    )

    rival = RedisEventLeases(redis_server.url, key="heartbeat", lease=0.5)
    rival_got: list[bool] = []
    with EventsFeed(1) as feed:
        leases = RedisEventLeases(redis_server.url, key="heartbeat", lease=0.5, heartbeat=0.1)
        if mode == "sync":
            sync_client = BuiltByBit(token="heartbeatTOKEN", base_url=feed.url)

            def handle(event: Any) -> None:
                for _ in range(15):
                    time.sleep(0.1)
                    rival_got.append(rival.acquire(event.event_id))

            EventsConsumer(sync_client, handle, leases=leases, batch_delay=0.0).run(stop_when_idle=True)
            sync_client.close()
        else:
            async_client = AsyncBuiltByBit(token="heartbeatTOKEN", base_url=feed.url)

            async def ahandle(event: Any) -> None:
                for _ in range(15):
                    await asyncio.sleep(0.1)
                    rival_got.append(rival.acquire(event.event_id))

            await AsyncEventsConsumer(async_client, ahandle, leases=leases, batch_delay=0.0).run(
                stop_when_idle=True
            )
            await async_client.aclose()
        assert not feed.pending and feed.completions[1] == 1
    assert rival_got == [False] * 15
    assert rival.acquire(1) is False  # done, for every consumer


def test_the_heartbeat_stops_when_the_handler_raises(redis_server: RedisServer) -> None:
    from craftapis.builtbybit import RedisEventLeases
    from craftapis.builtbybit._leases import Heartbeat, LeaseCalls

    leases = RedisEventLeases(redis_server.url, key="crash", lease=0.5, heartbeat=0.05)
    rival = RedisEventLeases(redis_server.url, key="crash", lease=0.5)
    calls = LeaseCalls(leases)
    assert calls.acquire(7)
    beat = calls.heartbeat(7)
    assert isinstance(beat, Heartbeat)
    with pytest.raises(RuntimeError, match="handler crashed"), beat:
        time.sleep(0.3)
        raise RuntimeError("handler crashed")
    beats = beat.beats
    assert beats >= 3
    time.sleep(0.7)  # past the lease: nothing renews it any more
    assert beat.beats == beats
    assert rival.acquire(7) is True


def test_heartbeat_must_be_below_the_lease() -> None:
    pytest.importorskip("redis")
    from craftapis.builtbybit import RedisEventLeases

    for bad in (0, -1.0, 60.0, 90.0):
        with pytest.raises(ValueError, match="heartbeat must be > 0 and below lease"):
            RedisEventLeases("redis://127.0.0.1:1/0", lease=60.0, heartbeat=bad)
    assert RedisEventLeases("redis://127.0.0.1:1/0", lease=60.0).heartbeat == 20.0


def test_leaving_the_heartbeat_does_not_wait_for_a_renewal_under_way() -> None:
    """The async consumer leaves the heartbeat on its event loop: a renewal stuck on a slow Redis must
    not hold it."""
    from craftapis.builtbybit._leases import Heartbeat

    renewing = threading.Event()

    def slow_renewal() -> None:
        renewing.set()
        time.sleep(0.5)

    with Heartbeat(slow_renewal, 0.01):
        assert renewing.wait(2.0)
        left = time.monotonic()
    assert time.monotonic() - left < 0.1


async def test_a_call_racing_the_close_of_its_worker_still_runs() -> None:
    """A request still in flight as its client closes posts its observe to a worker that was just
    shut down: it runs on a new one instead of turning the finished request into a RuntimeError."""
    from craftapis._redis_client import Offload

    offload = Offload("craftapis-test")
    offload._worker().shutdown()  # what close() does, seen by a caller that read the worker before
    ran = threading.Event()
    offload.post(ran.set)
    assert await offload.call(lambda: 42) == 42
    assert ran.wait(2.0)
    offload.close()


def test_the_sync_offloaded_limiter_is_a_transparent_wrapper() -> None:
    """The sync twin of AsyncOffloadedLimiter is never made by the sync transport (``wrap`` gives None);
    made by hand, every call goes straight to the limiter on the calling thread, nothing is a stub."""
    from craftapis._ratelimit import OffloadedLimiter

    limiter = _Recording(blocking=True)
    assert OffloadedLimiter.wrap(limiter) is None
    wrapper = OffloadedLimiter(limiter)
    request = httpx.Request("GET", "https://api.modrinth.com/v2/project/x")
    assert wrapper.reserve(request) == wrapper.areserve(request) == limiter.reserve(request)
    wrapper.observe(request, None, wait_hint=None)
    wrapper.close()
    me = threading.current_thread().name
    assert limiter.calls == [("reserve", me)] * 3 + [("observe", me)]
    assert repr(wrapper).startswith("OffloadedLimiter(")
