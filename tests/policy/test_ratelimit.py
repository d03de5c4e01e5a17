"""Limiters: bookkeeping with a fake clock, then correctness under threads and asyncio tasks."""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from craftapis._ratelimit import (
    BucketRateLimiter,
    HeaderRateLimiter,
    NoRateLimiter,
    RateLimiter,
    read_write_bucket,
)
from craftapis._retry import modrinth_body_millis, retry_after_millis
from loopback import FixedWindow, Reply


class FakeClock:
    def __init__(self, now: float = 100.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def get() -> httpx.Request:
    return httpx.Request("GET", "https://api.example.com/v2/project/x")


def post() -> httpx.Request:
    return httpx.Request("POST", "https://api.example.com/v2/project")


def modrinth(remaining: int, reset: int, limit: int = 10, status: int = 200) -> httpx.Response:
    return httpx.Response(
        status,
        headers={
            "x-ratelimit-limit": str(limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(reset),
        },
    )


def grant(limiter: RateLimiter, request: httpx.Request | None = None) -> httpx.Request:
    request = request or get()
    assert limiter.reserve(request) == 0.0
    return request


def test_protocol() -> None:
    for limiter in (NoRateLimiter(), HeaderRateLimiter(), BucketRateLimiter()):
        assert isinstance(limiter, RateLimiter)
    no = NoRateLimiter()
    assert all(no.reserve(get()) == 0.0 for _ in range(1000))
    no.observe(get(), httpx.Response(429))
    assert no.reserve(get()) == 0.0


class TestHeaderRateLimiter:
    def test_before_any_header_the_configured_cap_applies(self) -> None:
        clock = FakeClock()
        limiter = HeaderRateLimiter(limit=3, window=10.0, clock=clock)
        requests = [grant(limiter) for _ in range(3)]
        for request in requests:
            limiter.observe(request, httpx.Response(200))  # no headers
        assert limiter.reserve(get()) == pytest.approx(10.0)
        clock.advance(4.0)
        assert limiter.reserve(get()) == pytest.approx(6.0)
        clock.advance(6.0)
        grant(limiter)

    def test_default_cap_is_modrinths(self) -> None:
        limiter = HeaderRateLimiter(clock=FakeClock())
        assert limiter.limit == 300
        for _ in range(300):
            grant(limiter)
        assert limiter.reserve(get()) > 0.0

    def test_remaining_and_reset_drive_the_wait(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        first = grant(limiter)
        clock.advance(0.1)
        limiter.observe(first, modrinth(remaining=3, reset=10))
        assert limiter.limit == 10
        for remaining in (2, 1, 0):
            limiter.observe(grant(limiter), modrinth(remaining=remaining, reset=9))
        # Window used up: wait until the latest possible end, min(receive time + reset + 1).
        assert limiter.boundary == pytest.approx((10.0, 10.1))
        assert limiter.reserve(get()) == pytest.approx(10.0)

    def test_in_flight_requests_are_counted(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock, poll_interval=0.01)
        first = grant(limiter)
        limiter.observe(first, modrinth(remaining=5, reset=30))
        in_flight = [grant(limiter) for _ in range(5)]
        assert limiter.in_flight == 5
        # Five issued since the last header that said 5 remain: the sixth must wait ...
        assert 0.0 < limiter.reserve(get()) <= 0.01  # ... briefly: answers may show a slot was counted twice
        limiter.observe(in_flight[0], modrinth(remaining=4, reset=30))
        assert limiter.reserve(get()) > 0.0
        for request in in_flight[1:]:
            limiter.observe(request, modrinth(remaining=0, reset=30))
        assert limiter.reserve(get()) == pytest.approx(31.0)  # now only the window's end helps

    def test_double_counted_slots_are_freed_when_answers_arrive(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        limiter.observe(grant(limiter), modrinth(remaining=8, reset=30))
        batch = [grant(limiter) for _ in range(4)]
        # The server had already counted all four when it answered the first one: 4 remain.
        limiter.observe(batch[0], modrinth(remaining=4, reset=30))
        grant(limiter)  # 4 remaining - 3 in flight: the limiter assumes the worst ...
        assert limiter.reserve(get()) > 0.0
        for request in batch[1:]:
            limiter.observe(request, modrinth(remaining=5, reset=30))  # out of order, older news
        assert limiter.remaining == 4
        for _ in range(3):  # ... and hands the double-counted slots out once the answers are in
            grant(limiter)
        assert limiter.reserve(get()) > 0.0

    def test_boundary_estimate_narrows(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)

        def exchange(sent: float, received: float, reset: int) -> None:
            clock.now = sent
            request = grant(limiter)
            clock.now = received
            limiter.observe(request, modrinth(remaining=9, reset=reset, limit=100))

        exchange(0.0, 0.1, 5)  # boundary in [5.0, 6.1)
        assert limiter.boundary == pytest.approx((5.0, 6.1))
        exchange(0.5, 0.6, 4)  # [4.5, 5.6)
        assert limiter.boundary == pytest.approx((5.0, 5.6))
        exchange(1.2, 1.3, 3)  # [4.2, 5.3)
        assert limiter.boundary == pytest.approx((5.0, 5.3))

    def test_contradicting_news_replaces_the_estimate(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        limiter.observe(grant(limiter), modrinth(remaining=9, reset=5, limit=100))
        clock.now = 1.0
        limiter.observe(grant(limiter), modrinth(remaining=50, reset=20, limit=100))  # e.g. a token bucket
        assert limiter.boundary == pytest.approx((21.0, 22.0))
        assert limiter.remaining == 50

    def test_a_new_window_starts_after_the_boundary(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        for remaining in (2, 1, 0):
            limiter.observe(grant(limiter), modrinth(remaining=remaining, reset=1, limit=3))
        wait = limiter.reserve(get())
        assert wait == pytest.approx(2.0)
        clock.advance(wait)
        requests = [grant(limiter) for _ in range(3)]  # the full limit again
        assert limiter.reserve(get()) > 0.0
        for request in requests:
            limiter.observe(request, modrinth(remaining=2, reset=1, limit=3))

    def test_stragglers_from_an_old_window_are_ignored(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        limiter.observe(grant(limiter), modrinth(remaining=5, reset=0, limit=6))  # window ends by 1.0
        late = grant(limiter)
        clock.now = 1.5  # past the boundary: a new window
        fresh = grant(limiter)
        limiter.observe(late, modrinth(remaining=0, reset=0, limit=6))  # old window's news
        assert limiter.remaining is None
        limiter.observe(fresh, modrinth(remaining=5, reset=0, limit=6))
        assert limiter.remaining == 5

    def test_requests_sent_while_the_boundary_was_uncertain_count_in_the_next_window(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        limiter.observe(grant(limiter), modrinth(remaining=9, reset=1, limit=4))  # end in [1.0, 2.0)
        clock.now = 1.5  # maybe already in the next window
        uncertain = grant(limiter)
        clock.now = 2.5
        for _ in range(3):
            grant(limiter)
        assert limiter.reserve(get()) > 0.0  # 3 + the uncertain one = the limit of 4
        limiter.observe(uncertain, modrinth(remaining=3, reset=0, limit=4))

    def test_429_blocks_everyone_then_probes(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock, poll_interval=0.05)
        limiter.observe(grant(limiter), modrinth(remaining=50, reset=30, limit=100))
        other = grant(limiter)
        limiter.observe(grant(limiter), modrinth(remaining=0, reset=30, limit=100, status=429), wait_hint=2.0)
        assert limiter.blocked_until == pytest.approx(2.0)
        assert limiter.reserve(get()) == pytest.approx(2.0)
        assert limiter.reserve(post()) == pytest.approx(2.0)
        limiter.observe(other, modrinth(remaining=49, reset=30, limit=100))  # older news: ignored
        assert limiter.remaining == 0
        clock.now = 2.0
        # Modrinth's 429 says when one request may go; reset says when the bucket is full.
        assert limiter.reserve(get()) == pytest.approx(29.0)
        clock.now = 31.0
        probe = grant(limiter)
        assert limiter.reserve(get()) == pytest.approx(0.05)  # one at a time until the probe answers
        limiter.observe(probe, modrinth(remaining=99, reset=0, limit=100))
        grant(limiter)
        grant(limiter)

    def test_429_without_hint_uses_reset_or_default(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        limiter.observe(grant(limiter), modrinth(remaining=0, reset=4, status=429))
        assert limiter.blocked_until == pytest.approx(5.0)
        bare = HeaderRateLimiter(clock=clock, default_retry_after=3.0)
        bare.observe(grant(bare), httpx.Response(429))
        assert bare.blocked_until == pytest.approx(3.0)

    def test_failed_probe_lets_another_go(self) -> None:
        clock = FakeClock(0.0)
        limiter = HeaderRateLimiter(clock=clock)
        limiter.observe(grant(limiter), httpx.Response(429), wait_hint=1.0)
        clock.now = 1.0
        probe = grant(limiter)
        assert limiter.reserve(get()) > 0.0
        limiter.observe(probe, None)  # it raised (connection error)
        grant(limiter)

    def test_malformed_headers_are_ignored(self) -> None:
        limiter = HeaderRateLimiter(clock=FakeClock())
        bad = httpx.Response(
            200,
            headers={"x-ratelimit-limit": "-3", "x-ratelimit-remaining": "lots", "x-ratelimit-reset": "1e9"},
        )
        limiter.observe(grant(limiter), bad)
        assert limiter.limit == 300 and limiter.remaining is None and limiter.boundary is None

    def test_each_answer_is_learnt_from_its_own_header_values(self) -> None:
        # The limiter keeps the last raw value of each header and its parse: a value that comes back,
        # one that changes, and one that becomes malformed must each be read as that answer says.
        limiter = HeaderRateLimiter(clock=FakeClock())
        seen = []
        for limit in ("10", "10", "20", "10", "oops", "20", "20"):
            response = httpx.Response(
                200,
                headers={"x-ratelimit-limit": limit, "x-ratelimit-remaining": "5", "x-ratelimit-reset": "30"},
            )
            limiter.observe(grant(limiter), response)
            seen.append(limiter.limit)
        assert seen == [10, 10, 20, 10, 10, 20, 20]
        other = HeaderRateLimiter(clock=FakeClock())
        other.observe(grant(other), modrinth(remaining=1, reset=5, limit=7))
        assert other.limit == 7 and other.remaining is not None

        with pytest.raises(ValueError):
            HeaderRateLimiter(limit=0)
        with pytest.raises(ValueError):
            HeaderRateLimiter(window=0)


class TestBucketRateLimiter:
    def test_default_buckets(self) -> None:
        assert read_write_bucket(get()) == "READ"
        assert read_write_bucket(httpx.Request("HEAD", "https://x/")) == "READ"
        for method in ("POST", "PATCH", "PUT", "DELETE"):
            assert read_write_bucket(httpx.Request(method, "https://x/")) == "WRITE"

    def test_no_pacing_without_rates(self) -> None:
        limiter = BucketRateLimiter(clock=FakeClock())
        for _ in range(1000):
            limiter.observe(grant(limiter, post()), httpx.Response(200))

    def test_429_blocks_only_its_bucket(self) -> None:
        clock = FakeClock(0.0)
        limiter = BucketRateLimiter(clock=clock)
        writes = [grant(limiter, post()) for _ in range(3)]
        limiter.observe(writes[0], httpx.Response(429, headers={"Retry-After": "1500"}), wait_hint=1.5)
        assert limiter.blocked_until("WRITE") == pytest.approx(1.5)
        assert limiter.reserve(post()) == pytest.approx(1.5)  # every write waits ...
        grant(limiter, get())  # ... reads keep going
        clock.now = 1.0
        assert limiter.reserve(post()) == pytest.approx(0.5)
        for request in writes[1:]:
            limiter.observe(request, httpx.Response(200))  # in flight before the 429: no effect

    def test_after_a_block_one_probe_goes_first(self) -> None:
        clock = FakeClock(0.0)
        limiter = BucketRateLimiter(clock=clock, poll_interval=0.05)
        limiter.observe(grant(limiter, post()), httpx.Response(429), wait_hint=1.0)
        clock.now = 1.0
        probe = grant(limiter, post())
        assert limiter.reserve(post()) == pytest.approx(0.05)
        limiter.observe(probe, httpx.Response(201))
        grant(limiter, post())
        grant(limiter, post())

    def test_429_without_hint_uses_default(self) -> None:
        clock = FakeClock(0.0)
        limiter = BucketRateLimiter(clock=clock, default_retry_after=2.0)
        limiter.observe(grant(limiter, post()), httpx.Response(429))
        assert limiter.reserve(post()) == pytest.approx(2.0)

    def test_token_bucket_rates(self) -> None:
        clock = FakeClock(0.0)
        limiter = BucketRateLimiter(clock=clock, rates={"READ": (2, 1.0)})
        grant(limiter)
        grant(limiter)
        assert limiter.reserve(get()) == pytest.approx(0.5)
        clock.advance(0.5)
        grant(limiter)
        assert limiter.reserve(get()) == pytest.approx(0.5)
        for _ in range(50):
            grant(limiter, post())  # WRITE has no rate

    def test_custom_buckets(self) -> None:
        clock = FakeClock(0.0)
        limiter = BucketRateLimiter(clock=clock, bucket_of=lambda request: request.url.path.split("/")[1])
        a = httpx.Request("GET", "https://x/a/1")
        limiter.observe(grant(limiter, a), httpx.Response(429), wait_hint=5.0)
        assert limiter.reserve(httpx.Request("GET", "https://x/a/2")) == pytest.approx(5.0)
        grant(limiter, httpx.Request("GET", "https://x/b/1"))

    def test_validation(self) -> None:
        with pytest.raises(ValueError):
            BucketRateLimiter(rates={"READ": (0, 1.0)})


# -- concurrency: a simulated server, real clock, threads and tasks --------------------------------

LATENCY = 0.002


def to_response(verdict: Reply | dict[str, str]) -> httpx.Response:
    if isinstance(verdict, Reply):
        return httpx.Response(verdict.status, json=verdict.body, headers=verdict.headers)
    return httpx.Response(200, headers=verdict)


class Recorder:
    """Grant times per bucket and the 429 blocks, to check that no grant falls inside a block."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.grants: list[tuple[float, str]] = []
        self.blocks: list[tuple[float, float, str]] = []

    def granted(self, bucket: str) -> None:
        with self.lock:
            self.grants.append((time.monotonic(), bucket))

    def blocked(self, start: float, end: float, bucket: str) -> None:
        with self.lock:
            self.blocks.append((start, end, bucket))

    def violations(self) -> list[tuple[float, str]]:
        return [
            (t, b)
            for t, b in self.grants
            for start, end, bucket in self.blocks
            if b == bucket and start + 0.0005 < t < end - 0.0005
        ]


def header_exchange(
    limiter: HeaderRateLimiter, window: FixedWindow, request: httpx.Request
) -> httpx.Response:
    response = to_response(window.admit(time.monotonic()))
    time.sleep(LATENCY)
    hint = modrinth_body_millis(response.text) if response.status_code == 429 else None
    limiter.observe(request, response, wait_hint=hint)
    return response


def test_header_limiter_under_threads() -> None:
    window = FixedWindow(limit=12, window=1.0)
    limiter = HeaderRateLimiter()
    statuses: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(6):
            request = get()
            while (wait := limiter.reserve(request)) > 0:
                time.sleep(wait)
            status = header_exchange(limiter, window, request).status_code
            with lock:
                statuses.append(status)

    started = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    assert statuses.count(429) == 0 and window.rejected == 0
    assert len(statuses) == 36 and max(window.counts.values()) <= 12
    assert sorted(window.counts) == [0, 1, 2]  # 36 requests need three windows, and got them
    assert elapsed < 3.5


async def test_header_limiter_under_asyncio_tasks() -> None:
    window = FixedWindow(limit=12, window=1.0)
    limiter = HeaderRateLimiter()
    statuses: list[int] = []

    async def worker() -> None:
        for _ in range(6):
            request = get()
            while (wait := limiter.reserve(request)) > 0:
                await asyncio.sleep(wait)
            response = to_response(window.admit(time.monotonic()))
            await asyncio.sleep(LATENCY)
            hint = modrinth_body_millis(response.text) if response.status_code == 429 else None
            limiter.observe(request, response, wait_hint=hint)
            statuses.append(response.status_code)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(6)))
    elapsed = time.monotonic() - started
    assert statuses.count(429) == 0 and window.rejected == 0
    assert len(statuses) == 36 and max(window.counts.values()) <= 12
    assert sorted(window.counts) == [0, 1, 2]
    assert elapsed < 3.5


def test_bucket_limiter_under_threads_respects_blocks_per_bucket() -> None:
    # BuiltByBit discloses nothing: the limiter learns only from 429 + Retry-After (ms).
    windows = {
        "READ": FixedWindow(limit=6, window=0.4, style="builtbybit"),
        "WRITE": FixedWindow(4, 0.4, "builtbybit"),
    }
    limiter = BucketRateLimiter(poll_interval=0.01)
    recorder = Recorder()
    done: dict[str, int] = {"READ": 0, "WRITE": 0}
    lock = threading.Lock()

    def worker(method: str) -> None:
        for _ in range(5):
            request = httpx.Request(method, "https://api.builtbybit.com/v2/x")
            bucket = read_write_bucket(request)
            while True:
                while (wait := limiter.reserve(request)) > 0:
                    time.sleep(wait)
                recorder.granted(bucket)
                response = to_response(windows[bucket].admit(time.monotonic()))
                time.sleep(LATENCY)
                hint = retry_after_millis(response.headers) if response.status_code == 429 else None
                now = time.monotonic()
                limiter.observe(request, response, now, wait_hint=hint)
                if response.status_code != 429:
                    break
                assert hint is not None
                recorder.blocked(now, now + hint, bucket)
            with lock:
                done[bucket] += 1

    threads = [threading.Thread(target=worker, args=(m,)) for m in ["GET"] * 4 + ["POST"] * 4]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert done == {"READ": 20, "WRITE": 20}
    assert recorder.blocks, "the scenario should have provoked at least one 429"
    assert recorder.violations() == []
    # Only requests already in flight when a block began can be rejected: at most one per thread per block.
    for bucket, window in windows.items():
        assert window.rejected <= 4 * len([b for b in recorder.blocks if b[2] == bucket])
