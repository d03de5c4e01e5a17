"""Issue 10, finding 8: one hostile 429 must not poison the limiter every later call shares.

Before: after `X-RateLimit-Reset: 999999`, a Modrinth body asking for ~10^15 ms or BuiltByBit's
`Retry-After: 999999999`, the first call failed fast but every later call failed at once ("client-
side rate limiter asks to wait 1000000.0 s") until the process restarted. After: the call that met
the wait fails with a `RateLimitError` naming the wait and the cap (`RetryPolicy.max_retry_after`),
the limiter does not adopt a wait longer than its `max_server_wait`, and the next call reaches the
server and succeeds.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from craftapis import APIError, RateLimitError, RetryPolicy
from craftapis._ratelimit import BucketRateLimiter, HeaderRateLimiter
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit
from craftapis.modrinth import AsyncModrinth, Modrinth
from loopback import LoopbackServer, Reply

from tests.faults.apis import close, resolve

UA = "craftapis-tests/hostile/1.0 (tests@example.invalid)"
TOKEN = "hostileTOKENvalue123"

MODRINTH_POISONS = {
    "reset-header": Reply(
        429,
        {"error": "ratelimit_error", "description": "rate limit exceeded"},
        headers={"x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "999999"},
    ),
    "body-millis": Reply(
        429,
        {
            "error": "ratelimit_error",
            "description": "rate limit exceeded; retry after 999999999999999 milliseconds",
        },
    ),
}


def _modrinth(mode: str, url: str) -> Any:
    cls = Modrinth if mode == "sync" else AsyncModrinth
    return cls(user_agent=UA, base_url=url, retry=RetryPolicy(max_attempts=2, initial_backoff=0.01))


def _builtbybit(mode: str, url: str) -> Any:
    cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
    return cls(token=TOKEN, base_url=url, retry=RetryPolicy(max_attempts=2, initial_backoff=0.01))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def _poisoned_then_healthy(client: Any, server: LoopbackServer, path: str) -> RateLimitError:
    started = time.monotonic()
    with pytest.raises(RateLimitError) as caught:
        await resolve(client.request("GET", path))
    assert time.monotonic() - started < 5.0, "the poisoned call must fail fast, not sleep the wait"
    # The next calls reach the server (nothing blocks them client-side) and succeed.
    started = time.monotonic()
    for _ in range(3):
        response = await resolve(client.request("GET", path))
        assert response.status_code == 200
    assert time.monotonic() - started < 5.0
    assert server.statuses() == [429, 200, 200, 200], server.statuses()
    return caught.value


@pytest.mark.parametrize("poison", sorted(MODRINTH_POISONS))
async def test_modrinth_429_with_an_absurd_wait_fails_one_call_only(
    mode: str, poison: str, loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.script(MODRINTH_POISONS[poison])
    client = _modrinth(mode, loopback.url)
    try:
        with caplog.at_level(logging.WARNING, logger="craftapis.ratelimit"):
            error = await _poisoned_then_healthy(client, loopback, "/project/x")
    finally:
        await close(client)
    text = str(error)
    assert error.retry_after is not None and error.retry_after > 999_000
    assert "max_retry_after" in text and "60" in text, text  # names the cap ...
    assert f"wait {error.retry_after:.3f} s" in text, text  # ... and the wait asked
    assert any("max_server_wait" in r.getMessage() for r in caplog.records)


async def test_builtbybit_retry_after_999999999_ms_fails_one_call_only(
    mode: str, loopback: LoopbackServer
) -> None:
    loopback.script(
        Reply(
            429,
            {"result": "error", "error": {"code": "RateLimitError", "message": "slow down"}},
            headers={"Retry-After": "999999999"},
        )
    )
    client = _builtbybit(mode, loopback.url)
    try:
        error = await _poisoned_then_healthy(client, loopback, "/v2/resources")
    finally:
        await close(client)
    assert error.retry_after == pytest.approx(999_999.999)
    assert "max_retry_after" in str(error) and "wait 999999.999 s" in str(error), str(error)
    assert TOKEN not in str(error) and TOKEN not in repr(error)


def test_a_long_wait_within_the_cap_still_blocks_everyone() -> None:
    """The cap is a knob, not a hole: a wait up to `max_server_wait` is adopted for every caller."""
    import httpx

    limiter = BucketRateLimiter(max_server_wait=600.0)
    request = httpx.Request("GET", "https://api.builtbybit.com/v2/x")
    assert limiter.reserve(request) == 0.0
    limiter.observe(request, httpx.Response(429), wait_hint=500.0)
    assert limiter.reserve(httpx.Request("GET", "https://api.builtbybit.com/v2/y")) == pytest.approx(
        500, abs=1
    )
    default = BucketRateLimiter()
    assert default.reserve(request) == 0.0
    default.observe(request, httpx.Response(429), wait_hint=500.0)
    assert default.reserve(httpx.Request("GET", "https://api.builtbybit.com/v2/y")) == 0.0  # the probe
    assert default.reserve(httpx.Request("GET", "https://api.builtbybit.com/v2/z")) > 0  # one at a time


def test_a_reset_longer_than_the_window_is_clamped() -> None:
    """A 200 saying `x-ratelimit-reset: 999999` cannot stall the limiter past the API's window either."""
    import httpx

    now = [0.0]
    limiter = HeaderRateLimiter(limit=2, window=60.0, clock=lambda: now[0])
    request = httpx.Request("GET", "https://api.modrinth.com/v2/x")
    assert limiter.reserve(request) == 0.0
    limiter.observe(
        request,
        httpx.Response(
            200,
            headers={"x-ratelimit-limit": "2", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "999999"},
        ),
    )
    wait = limiter.reserve(httpx.Request("GET", "https://api.modrinth.com/v2/x"))
    assert 0 < wait <= 61.0


def test_validation() -> None:
    with pytest.raises(ValueError, match="max_server_wait"):
        HeaderRateLimiter(max_server_wait=-1)
    with pytest.raises(ValueError, match="max_server_wait"):
        BucketRateLimiter(max_server_wait=float("nan"))


async def test_modrinth_honours_retry_after_on_a_503(mode: str, loopback: LoopbackServer) -> None:
    """Before: Modrinth ignored `Retry-After` (a 503 asking for 999999 s was retried after 10 ms)."""
    loopback.script(Reply(503, {"error": "maintenance"}, headers={"Retry-After": "1"}), Reply(200))
    client = _modrinth(mode, loopback.url)
    try:
        assert (await resolve(client.request("GET", "/project/x"))).status_code == 200
        gap = loopback.requests[1].at - loopback.requests[0].at
        assert gap >= 0.9, f"retried after {gap:.3f} s, before the 1 s the server asked for"
        # A wait past max_retry_after is not slept and not retried: the call fails now.
        loopback.script(Reply(503, {"error": "maintenance"}, headers={"Retry-After": "999999"}), Reply(200))
        started = time.monotonic()
        with pytest.raises(APIError) as caught:
            await resolve(client.request("GET", "/project/y"))
        assert time.monotonic() - started < 2.0
        assert caught.value.status_code == 503
        assert loopback.statuses() == [503, 200, 503]
        # and the next call is not held back by it
        assert (await resolve(client.request("GET", "/project/z"))).status_code == 200
    finally:
        await close(client)


def test_the_reset_header_is_no_wait_on_a_5xx() -> None:
    import httpx
    from craftapis.modrinth._profile import modrinth_wait_hint

    headers = {"x-ratelimit-reset": "59"}
    assert modrinth_wait_hint(httpx.Response(503, headers=headers)) is None
    assert modrinth_wait_hint(httpx.Response(429, headers=headers)) == 60.0
    assert modrinth_wait_hint(httpx.Response(503, headers={**headers, "Retry-After": "3"})) == 3.0
