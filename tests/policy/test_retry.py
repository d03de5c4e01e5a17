"""RetryPolicy.decide and the wait-hint parsers: pure, no clock, no network."""

from __future__ import annotations

import email.utils
import random

import httpx
import pytest
from craftapis._retry import (
    RetryDecision,
    RetryPolicy,
    body_hint,
    first_hint,
    header_hint,
    modrinth_body_millis,
    ratelimit_reset_header,
    retry_after_header,
    retry_after_millis,
    retry_after_ms_header,
    standard_wait_hint,
)

NOW = 1_700_000_000.0  # a fixed wall-clock time for HTTP dates


def headers(**values: str) -> httpx.Headers:
    return httpx.Headers({k.replace("_", "-"): v for k, v in values.items()})


def response(status: int, **values: str) -> httpx.Response:
    return httpx.Response(status, headers=headers(**values))


def decide(policy: RetryPolicy, **kwargs: object) -> RetryDecision:
    args: dict[str, object] = {
        "attempt": 1,
        "method": "GET",
        "idempotent": None,
        "response": None,
        "error": None,
        "elapsed": 0.0,
        "wait_hint": None,
    }
    args.update(kwargs)
    return policy.decide(**args)  # type: ignore[arg-type]


# -- wait-hint parsers ---------------------------------------------------------------------------


class TestRetryAfterHeader:
    def test_delta_seconds(self) -> None:
        assert retry_after_header(headers(retry_after="3"), NOW) == 3.0
        assert retry_after_header(headers(retry_after=" 0 "), NOW) == 0.0

    def test_fractional_seconds_are_accepted(self) -> None:
        assert retry_after_header(headers(retry_after="1.5"), NOW) == 1.5

    def test_http_date(self) -> None:
        date = email.utils.formatdate(NOW + 10, usegmt=True)
        assert retry_after_header(headers(retry_after=date), NOW) == pytest.approx(10.0)

    def test_http_date_in_the_past_is_zero(self) -> None:
        date = email.utils.formatdate(NOW - 100, usegmt=True)
        assert retry_after_header(headers(retry_after=date), NOW) == 0.0

    def test_plain_dict_is_case_insensitive(self) -> None:
        assert retry_after_header({"Retry-After": "7"}, NOW) == 7.0

    @pytest.mark.parametrize(
        "value", ["", "soon", "-1", "1e3", "inf", "nan", "9" * 40, "Mon, 99 Foo 2020", "3 s"]
    )
    def test_malformed_is_none(self, value: str) -> None:
        assert retry_after_header(headers(retry_after=value), NOW) is None

    def test_missing_is_none(self) -> None:
        assert retry_after_header(headers(), NOW) is None


class TestMillisecondForms:
    def test_retry_after_ms_header(self) -> None:
        assert retry_after_ms_header(headers(retry_after_ms="1500")) == 1.5
        assert retry_after_ms_header(headers(retry_after_ms="12.5")) == 0.0125
        assert retry_after_ms_header(headers(retry_after_ms="x")) is None
        assert retry_after_ms_header(headers()) is None

    def test_builtbybit_retry_after_is_milliseconds(self) -> None:
        assert retry_after_millis(headers(retry_after="2500")) == 2.5
        assert retry_after_millis(headers(retry_after="0")) == 0.0

    def test_builtbybit_retry_after_rejects_dates_and_garbage(self) -> None:
        date = email.utils.formatdate(NOW, usegmt=True)
        assert retry_after_millis(headers(retry_after=date)) is None
        assert retry_after_millis(headers(retry_after="-5")) is None
        assert retry_after_millis(headers()) is None


class TestModrinthForms:
    def test_reset_header_adds_a_margin(self) -> None:
        # Whole seconds, truncated: the true reset is in [r, r + 1).
        assert ratelimit_reset_header(headers(x_ratelimit_reset="0")) == 1.0
        assert ratelimit_reset_header(headers(x_ratelimit_reset="5")) == 6.0
        assert ratelimit_reset_header(headers(x_ratelimit_reset="5"), margin=0.25) == 5.25

    @pytest.mark.parametrize("value", ["", "-1", "soon", "1e2"])
    def test_reset_header_malformed(self, value: str) -> None:
        assert ratelimit_reset_header(headers(x_ratelimit_reset=value)) is None

    def test_body_millis(self) -> None:
        body = (
            '{"error":"ratelimit_error","description":"rate limit exceeded; retry after 1234 milliseconds"}'
        )
        assert modrinth_body_millis(body) == pytest.approx(1.234)
        assert modrinth_body_millis(body.encode()) == pytest.approx(1.234)

    @pytest.mark.parametrize(
        "body",
        [
            "",
            "not json",
            '{"error":"ratelimit_error"}',
            '{"error":"ratelimit_error","description":"rate limit exceeded; retry after soon"}',
            b"\xff\xfe\x00garbage",
        ],
    )
    def test_body_malformed(self, body: str | bytes) -> None:
        assert modrinth_body_millis(body) is None


class TestCombinators:
    def test_first_non_none_wins(self) -> None:
        modrinth = first_hint(body_hint(modrinth_body_millis), header_hint(ratelimit_reset_header))
        body = {
            "error": "ratelimit_error",
            "description": "rate limit exceeded; retry after 250 milliseconds",
        }
        with_body = httpx.Response(429, json=body, headers={"x-ratelimit-reset": "3"})
        assert modrinth(with_body) == pytest.approx(0.25)
        without_body = httpx.Response(429, json={"error": "x"}, headers={"x-ratelimit-reset": "3"})
        assert modrinth(without_body) == 4.0
        assert modrinth(httpx.Response(429)) is None

    def test_body_hint_on_an_unread_response_is_none(self) -> None:
        unread = httpx.Response(429, stream=httpx.ByteStream(b"retry after 5 milliseconds"))
        assert body_hint(modrinth_body_millis)(unread) is None

    def test_standard_prefers_retry_after_ms(self) -> None:
        assert standard_wait_hint(response(429, retry_after="3", retry_after_ms="1200")) == 1.2
        assert standard_wait_hint(response(503, retry_after="3")) == 3.0
        assert standard_wait_hint(response(503)) is None


# -- decide --------------------------------------------------------------------------------------


class TestDecide:
    def test_defaults(self) -> None:
        policy = RetryPolicy()
        assert policy.max_attempts == 4
        assert policy.initial_backoff == 0.5
        assert policy.max_backoff == 8.0
        assert policy.max_retry_after == 60.0
        assert policy.deadline == 120.0
        assert policy.retry_statuses == frozenset({408, 429, 500, 502, 503, 504})
        assert policy.safe_methods == frozenset({"GET", "HEAD", "OPTIONS"})

    @pytest.mark.parametrize("status", [200, 201, 204, 301, 400, 401, 403, 404, 409, 410, 422, 501])
    def test_non_retryable_statuses(self, status: int) -> None:
        assert not decide(RetryPolicy(), response=response(status)).retry

    @pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
    def test_retryable_statuses(self, status: int) -> None:
        decision = decide(RetryPolicy(), response=response(status))
        assert decision.retry and decision.wait >= 0.0 and str(status) in decision.reason

    def test_backoff_bounds_with_seeded_random(self) -> None:
        policy = RetryPolicy(rng=random.Random(1234), max_attempts=100)
        for attempt in range(1, 10):
            cap = min(8.0, 0.5 * 2 ** (attempt - 1))
            waits = [decide(policy, attempt=attempt, response=response(503)).wait for _ in range(300)]
            assert all(0.0 <= w <= cap for w in waits)
            assert max(waits) > 0.8 * cap  # full jitter covers the whole range ...
            assert min(waits) < 0.2 * cap  # ... from near zero

    def test_seeded_random_is_reproducible(self) -> None:
        first = [RetryPolicy(rng=random.Random(7)).backoff(n) for n in range(1, 6)]
        second = [RetryPolicy(rng=random.Random(7)).backoff(n) for n in range(1, 6)]
        assert first == second

    def test_no_jitter_is_the_cap(self) -> None:
        policy = RetryPolicy(jitter=False)
        assert [policy.backoff(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0, 8.0]

    def test_huge_attempt_numbers_do_not_overflow(self) -> None:
        assert RetryPolicy(jitter=False).backoff(10_000) == 8.0

    def test_max_attempts(self) -> None:
        policy = RetryPolicy(max_attempts=3)
        assert decide(policy, attempt=1, response=response(503)).retry
        assert decide(policy, attempt=2, response=response(503)).retry
        final = decide(policy, attempt=3, response=response(503))
        assert not final.retry and "3 attempt" in final.reason
        assert not decide(RetryPolicy(max_attempts=1), response=response(503)).retry

    def test_wait_hint_replaces_backoff(self) -> None:
        policy = RetryPolicy(rng=random.Random(0))
        assert decide(policy, response=response(503), wait_hint=3.0).wait == 3.0
        # Longer than max_backoff is fine: the server knows best, up to max_retry_after.
        assert decide(policy, response=response(429), wait_hint=30.0).wait == 30.0
        assert decide(policy, response=response(429), wait_hint=0.0).wait == 0.0

    def test_wait_hint_longer_than_max_retry_after_is_not_slept(self) -> None:
        decision = decide(RetryPolicy(max_retry_after=60.0), response=response(429), wait_hint=61.0)
        assert not decision.retry and "max_retry_after" in decision.reason
        assert not decide(RetryPolicy(), response=response(429), wait_hint=float("inf")).retry

    def test_deadline(self) -> None:
        policy = RetryPolicy(deadline=10.0)
        assert decide(policy, response=response(503), elapsed=5.0, wait_hint=4.0).retry
        late = decide(policy, response=response(503), elapsed=7.0, wait_hint=4.0)
        assert not late.retry and "deadline" in late.reason
        assert not decide(policy, response=response(503), elapsed=10.5).retry

    @pytest.mark.parametrize("method", ["POST", "PATCH", "PUT", "DELETE"])
    def test_writes_are_not_retried_unless_idempotent(self, method: str) -> None:
        policy = RetryPolicy()
        refused = decide(policy, method=method, response=response(503))
        assert not refused.retry and "idempotent" in refused.reason
        assert decide(policy, method=method, idempotent=True, response=response(503)).retry
        assert not decide(policy, method=method, error=httpx.ReadError("reset")).retry
        assert decide(policy, method=method, idempotent=True, error=httpx.ReadError("reset")).retry

    def test_idempotent_false_forbids_even_get(self) -> None:
        assert not decide(RetryPolicy(), method="GET", idempotent=False, response=response(503)).retry

    def test_safe_methods_are_case_insensitive(self) -> None:
        assert decide(RetryPolicy(), method="get", response=response(503)).retry

    def test_429_means_not_acted_on_so_writes_may_be_resent(self) -> None:
        assert decide(RetryPolicy(), method="POST", response=response(429), wait_hint=1.0).retry
        strict = RetryPolicy(unsent_statuses=frozenset())
        assert not decide(strict, method="POST", response=response(429), wait_hint=1.0).retry

    @pytest.mark.parametrize("error", [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow")])
    def test_unsent_errors_are_retried_for_any_method(self, error: Exception) -> None:
        assert decide(RetryPolicy(), method="POST", error=error).retry

    @pytest.mark.parametrize(
        "error",
        [
            httpx.ReadError("x"),
            httpx.RemoteProtocolError("x"),
            httpx.WriteError("x"),
            httpx.ConnectError("x"),
        ],
    )
    def test_connection_errors(self, error: Exception) -> None:
        assert decide(RetryPolicy(), error=error).retry
        assert not decide(RetryPolicy(retry_on_connection_errors=False), error=error).retry

    @pytest.mark.parametrize(
        "error",
        [httpx.ReadTimeout("x"), httpx.WriteTimeout("x"), httpx.ConnectTimeout("x"), httpx.PoolTimeout("x")],
    )
    def test_timeouts(self, error: Exception) -> None:
        assert decide(RetryPolicy(), error=error).retry
        off = decide(RetryPolicy(retry_on_timeouts=False), error=error)
        assert not off.retry and "timeout" in off.reason

    @pytest.mark.parametrize(
        "error",
        [httpx.LocalProtocolError("x"), httpx.UnsupportedProtocol("x"), ValueError("x"), KeyError("x")],
    )
    def test_other_errors_are_not_retried(self, error: Exception) -> None:
        assert not decide(RetryPolicy(), error=error).retry

    def test_error_wins_over_response(self) -> None:
        decision = decide(RetryPolicy(), response=response(200), error=httpx.ReadError("x"))
        assert decision.retry

    def test_nothing_to_decide(self) -> None:
        assert not decide(RetryPolicy()).retry

    def test_validation(self) -> None:
        with pytest.raises(ValueError):
            RetryPolicy(max_attempts=0)
        with pytest.raises(ValueError):
            RetryPolicy(initial_backoff=-1)
        with pytest.raises(ValueError):
            RetryPolicy(deadline=float("nan"))

    def test_copy_with_and_frozen(self) -> None:
        policy = RetryPolicy()
        changed = policy.copy_with(max_attempts=2)
        assert changed.max_attempts == 2 and policy.max_attempts == 4
        with pytest.raises(AttributeError):
            policy.max_attempts = 3  # type: ignore[misc]
        assert RetryPolicy() == RetryPolicy()  # the Random does not take part in equality
