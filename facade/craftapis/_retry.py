"""Retry decisions, as a pure function of what happened.

:class:`RetryPolicy` answers "retry? after how long?" from the attempt number, the
method, the response or exception, the time spent so far and the server's wait hint.
It never sleeps and never reads a clock: the transports do the waiting, so the same
decision logic drives the sync and the async transport.

The wait-hint parsers below are small pure functions, one per form a server uses to say
"wait this long"; a per-API adapter combines the ones its API speaks with
:func:`first_hint`, :func:`header_hint` and :func:`body_hint`. Malformed values never
raise: they yield ``None``.
"""

from __future__ import annotations

import dataclasses
import email.utils
import math
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any, Protocol, cast

import httpx

__all__ = [
    "RetryDecision",
    "RetryPolicy",
    "WaitHintParser",
    "body_hint",
    "first_hint",
    "header_hint",
    "modrinth_body_millis",
    "ratelimit_reset_header",
    "retry_after_header",
    "retry_after_millis",
    "retry_after_ms_header",
    "standard_wait_hint",
]

# Errors raised before the request reached the server: retrying cannot repeat a side effect.
_NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# Errors that a retry cannot fix (they are raised by the client itself).
_NEVER_RETRY_ERRORS = (httpx.LocalProtocolError, httpx.UnsupportedProtocol)
_NUMBER = re.compile(r"\s*(\d{1,15}(?:\.\d{1,9})?)\s*")
_MODRINTH_WAIT = re.compile(r"retry after\s+(\d{1,15}(?:\.\d{1,9})?)\s*(?:milliseconds|millis|ms)\b", re.I)
_BODY_SCAN_LIMIT = 4096


@dataclass(frozen=True, slots=True)
class RetryDecision:
    """The answer of :meth:`RetryPolicy.decide`: whether to retry, after how many seconds, and why."""

    retry: bool
    wait: float
    reason: str


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When and how long to retry. Every field can be overridden; the defaults are:

    ``max_attempts=4``
        Total tries, the first included: three retries ride out a short outage or a
        deploy without making a bot hang.
    ``initial_backoff=0.5`` / ``max_backoff=8.0``
        Full-jitter exponential backoff: the n-th retry waits
        ``uniform(0, min(max_backoff, initial_backoff * 2**(n-1)))`` seconds, which
        spreads concurrent clients out (AWS "full jitter").
    ``max_retry_after=60.0``
        A server-requested wait longer than this is not slept: the request fails with
        the final response (mapped to :class:`~craftapis.RateLimitError` by the facade,
        carrying ``retry_after``) so a bot never hangs silently.
    ``deadline=120.0``
        Budget, in seconds, for all attempts and waits of one call: no retry is
        scheduled whose wait would end past it.
    ``retry_statuses={408, 429, 500, 502, 503, 504}``
        Transient statuses. 501 and other 5xx are not retried: they do not go away.
    ``retry_on_connection_errors=True`` / ``retry_on_timeouts=True``
        Transport errors (refused, reset, protocol errors; timeouts) are retried.
    ``safe_methods={"GET", "HEAD", "OPTIONS"}``
        Methods retried by default. Other methods (POST, PATCH, PUT, DELETE) are
        retried only when the call is marked idempotent (``call_options(idempotent=True)``
        or the ``craftapis.idempotent`` request extension), except when the request is
        known not to have been acted on: see ``unsent_statuses`` and connection errors.
    ``unsent_statuses={429}``
        Statuses meaning the server rejected the request without acting on it, so any
        method may be resent. Rate limiters (Modrinth's, BuiltByBit's) reject before the
        handler runs. Set to ``frozenset()`` to never resend a non-idempotent request.
        Likewise ``ConnectError``/``ConnectTimeout``/``PoolTimeout`` happen before
        the request is sent and are retried for every method.
    ``jitter=True``
        Full jitter; ``False`` waits the whole computed backoff (deterministic).
    ``rng``
        The :class:`random.Random` used for jitter; inject a seeded one for tests.
    """

    max_attempts: int = 4
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    max_retry_after: float = 60.0
    deadline: float = 120.0
    retry_statuses: frozenset[int] = frozenset({408, 429, 500, 502, 503, 504})
    retry_on_connection_errors: bool = True
    retry_on_timeouts: bool = True
    safe_methods: frozenset[str] = frozenset({"GET", "HEAD", "OPTIONS"})
    unsent_statuses: frozenset[int] = frozenset({429})
    jitter: bool = True
    rng: random.Random = field(default_factory=random.Random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (the first try counts)")
        for name in ("initial_backoff", "max_backoff", "max_retry_after", "deadline"):
            value = getattr(self, name)
            if not value >= 0:  # also rejects NaN
                raise ValueError(f"{name} must be >= 0, got {value!r}")

    def copy_with(self, **changes: object) -> RetryPolicy:
        """A copy with some fields changed (``dataclasses.replace``)."""
        return dataclasses.replace(self, **cast("dict[str, Any]", changes))

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number ``attempt`` (1-based), jitter applied."""
        exponent = min(max(attempt - 1, 0), 64)
        cap = min(self.max_backoff, self.initial_backoff * 2.0**exponent)
        return self.rng.uniform(0.0, cap) if self.jitter else cap

    def may_resend(self, method: str, idempotent: bool | None) -> bool:
        """Whether a request that may have reached the server can be sent again."""
        if idempotent is not None:
            return idempotent
        return method.upper() in self.safe_methods

    def _classify_error(self, error: Exception) -> tuple[bool, bool, str]:
        """(retryable, certainly not sent, description) for an exception."""
        name = type(error).__name__
        if isinstance(error, _NEVER_RETRY_ERRORS) or not isinstance(error, httpx.TransportError):
            return False, False, f"{name} is not retryable"
        if isinstance(error, httpx.TimeoutException):
            if not self.retry_on_timeouts:
                return False, False, f"{name}: timeouts are not retried (retry_on_timeouts=False)"
        elif not self.retry_on_connection_errors:
            return (
                False,
                False,
                f"{name}: connection errors are not retried (retry_on_connection_errors=False)",
            )
        return True, isinstance(error, _NOT_SENT_ERRORS), name

    def decide(
        self,
        *,
        attempt: int,
        method: str,
        idempotent: bool | None,
        response: httpx.Response | None,
        error: Exception | None,
        elapsed: float,
        wait_hint: float | None,
    ) -> RetryDecision:
        """Whether to retry after attempt number ``attempt`` (1-based) failed, and after how long.

        ``error`` is the exception the attempt raised (it wins over ``response``);
        ``elapsed`` is the time spent since the first attempt started; ``wait_hint``
        is the server-requested wait in seconds, if any. A hint replaces the computed
        backoff (the wait is never shorter than the server asked); a hint longer than
        ``max_retry_after`` or a wait ending past ``deadline`` means no retry.
        """
        if error is not None:
            retryable, not_sent, what = self._classify_error(error)
            if not retryable:
                return RetryDecision(False, 0.0, what)
        elif response is not None:
            status = response.status_code
            if status not in self.retry_statuses:
                return RetryDecision(False, 0.0, f"status {status} is not retryable")
            not_sent = status in self.unsent_statuses
            what = f"status {status}"
        else:
            return RetryDecision(False, 0.0, "neither a response nor an error")

        if attempt >= self.max_attempts:
            return RetryDecision(False, 0.0, f"{what}; gave up after {attempt} attempt(s)")
        if not not_sent and not self.may_resend(method, idempotent):
            return RetryDecision(
                False, 0.0, f"{what}; {method} is not retried unless the call is marked idempotent"
            )
        if wait_hint is not None:
            if not math.isfinite(wait_hint) or wait_hint > self.max_retry_after:
                return RetryDecision(
                    False,
                    0.0,
                    f"{what}; server asked to wait {wait_hint:.3f} s, more than max_retry_after "
                    f"({self.max_retry_after} s)",
                )
            wait = max(0.0, wait_hint)
            source = "server hint"
        else:
            wait = self.backoff(attempt)
            source = "backoff"
        if elapsed + wait > self.deadline:
            return RetryDecision(
                False,
                0.0,
                f"{what}; waiting {wait:.3f} s would pass the {self.deadline} s deadline "
                f"({elapsed:.3f} s spent)",
            )
        return RetryDecision(
            True, wait, f"{what}; retry {attempt} of {self.max_attempts - 1} after {wait:.3f} s ({source})"
        )


# ---------------------------------------------------------------------------------------------
# Wait-hint parsers: pure functions over headers or body text. They never raise.


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None and not isinstance(headers, httpx.Headers):
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


def _number(value: str | None) -> float | None:
    """A non-negative decimal number, or ``None`` (signs, exponents, inf and nan are malformed)."""
    if value is None:
        return None
    match = _NUMBER.fullmatch(value)
    if match is None:
        return None
    number = float(match.group(1))
    return number if math.isfinite(number) else None


def retry_after_header(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds from a standard ``Retry-After`` header: delta-seconds or an HTTP-date.

    ``now`` is the current wall-clock time (``time.time()`` if omitted); a date in the
    past yields ``0.0``.
    """
    raw = _header(headers, "retry-after")
    if raw is None:
        return None
    seconds = _number(raw)
    if seconds is not None:
        return seconds
    try:
        when = email.utils.parsedate_to_datetime(raw.strip())
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when is None:  # older Pythons returned None for unparseable dates
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        target = when.timestamp()
    except (OverflowError, ValueError, OSError):
        return None
    current = time.time() if now is None else now
    return max(0.0, target - current)


def retry_after_ms_header(headers: Mapping[str, str]) -> float | None:
    """Seconds from an OpenAI-style ``retry-after-ms`` header (milliseconds)."""
    millis = _number(_header(headers, "retry-after-ms"))
    return None if millis is None else millis / 1000.0


def retry_after_millis(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header whose number is **milliseconds** (BuiltByBit)."""
    millis = _number(_header(headers, "retry-after"))
    return None if millis is None else millis / 1000.0


def ratelimit_reset_header(headers: Mapping[str, str], margin: float = 1.0) -> float | None:
    """Seconds from Modrinth's ``x-ratelimit-reset`` plus ``margin``.

    The header holds whole seconds, truncated (it can be ``0``): the real reset is in
    ``[value, value + 1)``, so the default margin of one second makes the wait safe.
    """
    seconds = _number(_header(headers, "x-ratelimit-reset"))
    return None if seconds is None else seconds + margin


def modrinth_body_millis(body: str | bytes) -> float | None:
    """Seconds from Modrinth's 429 body.

    The body is ``{"error": "ratelimit_error", "description": "rate limit exceeded;
    retry after N milliseconds"}``; the sentence is searched in the raw text.
    """
    if isinstance(body, bytes | bytearray):
        text = bytes(body[:_BODY_SCAN_LIMIT]).decode("utf-8", "replace")
    else:
        text = body[:_BODY_SCAN_LIMIT]
    match = _MODRINTH_WAIT.search(text)
    if match is None:
        return None
    millis = float(match.group(1))
    return millis / 1000.0 if math.isfinite(millis) else None


class WaitHintParser(Protocol):
    """Reads a server-requested wait, in seconds, from a (read) response; ``None`` if absent."""

    def __call__(self, response: httpx.Response, /) -> float | None: ...


def header_hint(parse: Callable[[Mapping[str, str]], float | None]) -> WaitHintParser:
    """Adapt a header parser (such as :func:`retry_after_millis`) to a :class:`WaitHintParser`."""

    def hint(response: httpx.Response, /) -> float | None:
        return parse(response.headers)

    hint.__name__ = hint.__qualname__ = f"header_hint({getattr(parse, '__name__', parse)!s})"
    return hint


def body_hint(parse: Callable[[str], float | None]) -> WaitHintParser:
    """Adapt a body-text parser (such as :func:`modrinth_body_millis`) to a :class:`WaitHintParser`.

    Yields ``None`` when the body has not been read.
    """

    def hint(response: httpx.Response, /) -> float | None:
        try:
            text = response.text
        except httpx.ResponseNotRead:
            return None
        return parse(text)

    hint.__name__ = hint.__qualname__ = f"body_hint({getattr(parse, '__name__', parse)!s})"
    return hint


def first_hint(*parsers: WaitHintParser) -> WaitHintParser:
    """Combine parsers: the first one that finds a hint wins."""

    def hint(response: httpx.Response, /) -> float | None:
        for parse in parsers:
            value = parse(response)
            if value is not None:
                return value
        return None

    return hint


#: The default: ``retry-after-ms`` if present, else a standard ``Retry-After`` (seconds or date).
standard_wait_hint: WaitHintParser = first_hint(
    header_hint(retry_after_ms_header), header_hint(retry_after_header)
)
