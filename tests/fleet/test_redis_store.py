"""The Redis store itself: atomic shared state, TTLs, hashed budget names, and Redis going away.

Proof 4 of issue 15: with Redis killed mid-run the limiter paces in-process with exactly one
WARNING, and takes the shared state up again when Redis returns (on the same port).
"""

from __future__ import annotations

import logging
import threading
import time

import httpx
import pytest
from craftapis._ratelimit import (
    REDIS_URL_ENV,
    BucketRateLimiter,
    HeaderRateLimiter,
    RedisRateLimiter,
    RedisStore,
    default_rate_limiter,
)
from craftapis.builtbybit import BuiltByBit
from craftapis.modrinth import Modrinth
from loopback import FixedWindow, LoopbackServer

from .redis_server import RedisServer

UA = "craftapis-tests/fleet/1.0 (tests@example.invalid)"
TOKEN = "storeTOKENneverStored42"


def _keys(server: RedisServer) -> dict[bytes, bytes]:
    import redis

    client = redis.Redis.from_url(server.url)
    try:
        return {key: client.get(key) or b"" for key in client.scan_iter("*")}
    finally:
        client.close()


def test_two_limiters_on_one_redis_share_one_429(redis_server: RedisServer) -> None:
    """Every process learns from one 429: a block observed by one limiter holds for the other."""
    first = RedisRateLimiter(redis_server.url, policy=BucketRateLimiter())
    second = RedisRateLimiter(redis_server.url, policy=BucketRateLimiter())
    request = httpx.Request(
        "GET", "https://api.builtbybit.com/v2/x", headers={"Authorization": f"Token {TOKEN}"}
    )
    assert first.reserve(request) == 0.0
    first.observe(request, httpx.Response(429), wait_hint=5.0)
    other = httpx.Request(
        "GET", "https://api.builtbybit.com/v2/y", headers={"Authorization": f"Token {TOKEN}"}
    )
    assert second.reserve(other) == pytest.approx(5.0, abs=0.5)
    # Another token is another budget; writes are another bucket.
    stranger = httpx.Request(
        "GET", "https://api.builtbybit.com/v2/y", headers={"Authorization": "Token other"}
    )
    assert second.reserve(stranger) == 0.0
    write = httpx.Request(
        "POST", "https://api.builtbybit.com/v2/y", headers={"Authorization": f"Token {TOKEN}"}
    )
    assert second.reserve(write) == 0.0
    keys = _keys(redis_server)
    assert keys and all(key.startswith(b"craftapis:ratelimit:bucket:api.builtbybit.com:") for key in keys)
    blob = b" ".join([*keys, *keys.values()])
    assert TOKEN.encode() not in blob and b"other" not in blob  # only digests of the tokens
    first.close()
    second.close()


def test_state_expires(redis_server: RedisServer) -> None:
    import redis

    limiter = RedisRateLimiter(redis_server.url, policy=HeaderRateLimiter())
    request = httpx.Request("GET", "https://api.modrinth.com/v2/x")
    assert limiter.reserve(request) == 0.0
    client = redis.Redis.from_url(redis_server.url)
    ttl = client.pttl("craftapis:ratelimit:header:api.modrinth.com")
    assert 60_000 < ttl <= 200_000  # the window and the lease of a slot a dead process holds
    client.close()
    limiter.close()


def test_concurrent_reservations_never_overshoot(redis_server: RedisServer) -> None:
    """Atomic reserve: 8 limiters (one per thread, as 8 processes would be) over one budget of 30."""
    now_window = FixedWindow(limit=30, window=60.0)
    granted: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        limiter = RedisRateLimiter(redis_server.url, policy=HeaderRateLimiter(limit=30))
        count = 0
        for _ in range(10):
            request = httpx.Request("GET", "https://api.modrinth.com/v2/x")
            if limiter.reserve(request) == 0.0:
                count += 1
                verdict = now_window.admit(time.monotonic())
                assert isinstance(verdict, dict)
                limiter.observe(request, httpx.Response(200, headers=verdict))
        with lock:
            granted.append(count)
        limiter.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(granted) == 30 and now_window.rejected == 0


def test_redis_url_from_the_environment(redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REDIS_URL_ENV, redis_server.url)
    limiter = default_rate_limiter(None, HeaderRateLimiter)
    assert isinstance(limiter, RedisRateLimiter) and isinstance(limiter.policy, HeaderRateLimiter)
    assert limiter.store.available
    limiter.close()  # type: ignore[attr-defined]
    monkeypatch.delenv(REDIS_URL_ENV)
    assert isinstance(default_rate_limiter(None, HeaderRateLimiter), HeaderRateLimiter)
    with pytest.raises(ValueError, match=REDIS_URL_ENV):
        RedisRateLimiter()


def test_the_redis_password_stays_out_of_reprs_and_logs() -> None:
    store = RedisStore("redis://user:hunter2secret@127.0.0.1:1/0", socket_timeout=0.1)
    assert "hunter2secret" not in repr(store) and "hunter2secret" not in store.where
    store.close()


def test_redis_going_away_mid_run_falls_back_with_one_warning_and_comes_back(
    loopback: LoopbackServer, redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.rate_limit = FixedWindow(limit=20, window=1.0, style="modrinth")
    limiter = RedisRateLimiter(redis_server.url, policy=HeaderRateLimiter(), reconnect_interval=0.2)
    client = Modrinth(user_agent=UA, base_url=loopback.url, rate_limiter=limiter)
    store = limiter.store
    failures: list[Exception] = []
    phase = {"n": 0}
    lock = threading.Lock()

    def crawl(count: int) -> None:
        for i in range(count):
            try:
                client.request("GET", f"/project/p{i}")
            except Exception as error:  # any failure fails the test
                with lock:
                    failures.append(error)

    def run(count: int) -> None:
        threads = [threading.Thread(target=crawl, args=(count,)) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        phase["n"] += 1

    with caplog.at_level(logging.INFO, logger="craftapis.ratelimit"):
        run(10)  # 40 requests with Redis
        assert store.available and store.fallbacks == 0
        port = redis_server.port
        redis_server.stop()
        run(10)  # 40 more while Redis is away: paced in-process
        assert not store.available and store.fallbacks > 0
        redis_server.port = port
        redis_server.start()
        time.sleep(0.3)  # past reconnect_interval
        before = store.fallbacks
        run(5)  # Redis is back: the shared state again
        assert store.available and store.fallbacks == before
    client.close()
    assert failures == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "unavailable" in r.getMessage()]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]
    assert "in this process only" in warnings[0].getMessage()
    assert any(r.levelno == logging.INFO and "answers again" in r.getMessage() for r in caplog.records)
    assert store.outages == 1
    assert b"craftapis:ratelimit:header:127.0.0.1" in _keys(redis_server)  # the state is in Redis again
    statuses = loopback.statuses()
    assert statuses.count(200) == 100


def test_clients_bind_a_redis_limiter_to_their_own_pacing(
    redis_server: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`rate_limiter=RedisRateLimiter(url)` and `CRAFTAPIS_REDIS_URL` give each API its usual pacing."""
    shared = RedisRateLimiter(redis_server.url)
    modrinth = Modrinth(user_agent=UA, rate_limiter=shared)
    bbb = BuiltByBit(token=TOKEN, rate_limiter=shared)
    assert isinstance(modrinth.rate_limiter, RedisRateLimiter)
    assert isinstance(modrinth.rate_limiter.policy, HeaderRateLimiter)
    assert isinstance(bbb.rate_limiter, RedisRateLimiter)
    assert isinstance(bbb.rate_limiter.policy, BucketRateLimiter)
    assert modrinth.rate_limiter.store is bbb.rate_limiter.store is shared.store  # one connection pool
    monkeypatch.setenv(REDIS_URL_ENV, redis_server.url)
    from_env = Modrinth(user_agent=UA)
    assert isinstance(from_env.rate_limiter, RedisRateLimiter) and from_env.rate_limiter.store.available
    for client in (modrinth, bbb, from_env):
        client.close()
    shared.close()


def test_a_state_this_version_cannot_read_starts_the_budget_afresh(redis_server: RedisServer) -> None:
    import redis

    client = redis.Redis.from_url(redis_server.url)
    client.set("craftapis:ratelimit:header:api.modrinth.com", b'["written by another version"]')
    client.close()
    limiter = RedisRateLimiter(redis_server.url, policy=HeaderRateLimiter())
    assert limiter.reserve(httpx.Request("GET", "https://api.modrinth.com/v2/x")) == 0.0
    assert limiter.store.available
    limiter.close()


def test_event_leases_are_exclusive_expire_and_end_in_done(redis_server: RedisServer) -> None:
    from craftapis.builtbybit import RedisEventLeases

    one = RedisEventLeases(redis_server.url, key="feed", lease=0.3)
    two = RedisEventLeases(redis_server.url, key="feed", lease=0.3)
    assert one.acquire(7) and not two.acquire(7)  # held by a live consumer
    assert one.acquire(7)  # its own lease: renewed
    time.sleep(0.4)
    assert two.acquire(7)  # expired (its holder died): redelivered
    one.release(7)  # not one's any more: no effect
    assert not one.acquire(7)
    two.completed([7])
    assert not one.acquire(7) and not two.acquire(7)  # done for everyone
    keys = _keys(redis_server)
    assert set(keys) == {b"craftapis:events:{feed:7}:done"}  # the lease and done keys share one slot
    one.close()
    two.close()


def test_a_dead_process_frees_what_it_held_after_the_lease() -> None:
    """A probe or a slot granted to a process that died (never observed) is freed after a minute."""
    now = [0.0]
    bucket = BucketRateLimiter(clock=lambda: now[0], poll_interval=0.05)
    first = httpx.Request("GET", "https://api.builtbybit.com/v2/x")
    assert bucket.reserve(first) == 0.0
    bucket.observe(first, httpx.Response(429), wait_hint=1.0)
    now[0] = 1.0
    assert bucket.reserve(httpx.Request("GET", "https://api.builtbybit.com/v2/x")) == 0.0  # the probe ...
    assert bucket.reserve(httpx.Request("GET", "https://api.builtbybit.com/v2/x")) == 0.05  # ... dies
    now[0] = 62.0
    assert bucket.reserve(httpx.Request("GET", "https://api.builtbybit.com/v2/x")) == 0.0  # another probe
    header = HeaderRateLimiter(limit=3, window=600.0, clock=lambda: now[0])
    for _ in range(3):
        assert header.reserve(httpx.Request("GET", "https://api.modrinth.com/v2/x")) == 0.0  # never observed
    assert header.in_flight == 3 and header.reserve(httpx.Request("GET", "https://api.modrinth.com/v2/x")) > 0
    now[0] = 123.0
    header.reserve(httpx.Request("GET", "https://api.modrinth.com/v2/x"))
    assert header.in_flight <= 1


def test_a_ready_redis_client_can_be_given(redis_server: RedisServer) -> None:
    import redis

    client = redis.Redis.from_url(redis_server.url)
    store = RedisStore(client=client, prefix="mine:")
    limiter = RedisRateLimiter(store=store, policy=HeaderRateLimiter(), key="egress-a")
    assert limiter.reserve(httpx.Request("GET", "https://api.modrinth.com/v2/x")) == 0.0
    assert f":{redis_server.port}/0" in store.where
    assert set(_keys(redis_server)) == {b"mine:header:egress-a"}  # key= names the budget
    with pytest.raises(ValueError, match="exactly one"):
        RedisStore(redis_server.url, client=client)
    client.close()
