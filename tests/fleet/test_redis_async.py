"""Async clients never wait on Redis on their event loop: a `blocking` limiter (`RedisRateLimiter`) is
reserved on a worker thread and observed there in order. With a Redis that stalls, other tasks on the
loop keep running; the sync path still calls the limiter on the calling thread."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from typing import Any

import httpx
from craftapis import RedisRateLimiter

from tests.faults.apis import MODRINTH, close, resolve
from tests.hostile.server import HostileServer

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
