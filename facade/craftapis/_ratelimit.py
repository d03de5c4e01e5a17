"""Proactive pacing, shared by every concurrent request of one client.

A limiter is pure bookkeeping behind a :class:`threading.Lock` that is held for a few
arithmetic operations only, never across a sleep or an await; so one limiter serves
threads and asyncio tasks alike. The caller (the policy transport) does the sleeping:

1. ``wait = limiter.reserve(request)``. ``0.0`` means a slot was taken and the
   request may be sent now. A positive value means "sleep that long, then ask again":
   nothing was taken, so a waiter re-checks against whatever was learnt meanwhile (a
   429 elsewhere, a narrower window estimate) instead of firing on a stale promise.
2. After the attempt, ``limiter.observe(request, response)`` exactly once for every
   granted slot (``response=None`` when the attempt raised), with the server's wait
   hint when it answered 429.

Limiters take an injectable ``clock`` (``time.monotonic`` by default); ``observe``
uses it too unless given ``now``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Final, Protocol, runtime_checkable

import httpx

__all__ = [
    "BucketRateLimiter",
    "HeaderRateLimiter",
    "NoRateLimiter",
    "RateLimiter",
    "read_write_bucket",
]

_HEADER_TAG: Final = "craftapis.ratelimit.header"
_BUCKET_TAG: Final = "craftapis.ratelimit.bucket"
_READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_MIN_WAIT: Final = 0.001


@runtime_checkable
class RateLimiter(Protocol):
    """What the policy transports need from a limiter (see the module documentation)."""

    def reserve(self, request: httpx.Request) -> float:
        """``0.0``: a slot is taken, send now. ``> 0``: sleep that many seconds, then call again."""
        ...

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        """Feed back the outcome of a granted request (``response=None`` if it raised).

        ``wait_hint`` is the server-requested wait in seconds (parsed by the API's
        wait-hint parser) when the response is a 429.
        """
        ...


class NoRateLimiter:
    """Never waits."""

    __slots__ = ()

    def reserve(self, request: httpx.Request) -> float:
        return 0.0

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        return None

    def __repr__(self) -> str:
        return "NoRateLimiter()"


def _digits(value: bytes | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 12:
        return None
    return int(value)


class HeaderRateLimiter:
    """Paces requests from ``x-ratelimit-limit``/``-remaining``/``-reset`` headers (Modrinth).

    The server is modelled as a fixed window of ``limit`` requests that ends at a
    boundary ``B``. Each response received at time ``t`` for a request sent at ``s``,
    saying ``reset = r`` (whole seconds, truncated, possibly 0), proves
    ``B`` is in ``[s + r, t + r + 1)``; the limiter intersects these intervals to narrow
    the estimate, and treats the window as over only once the upper end has passed.
    Within a window it grants at most ``min(limit - sent, remaining - in_flight)``:
    ``remaining`` is the lowest value the server reported and ``in_flight`` counts the
    requests issued whose responses have not arrived, so concurrent callers cannot
    overshoot (a request counted twice only delays, it never overshoots). Requests
    granted while the boundary was uncertain are counted in the next window too.

    A 429 blocks the whole limiter for the server's wait (``wait_hint``, else the reset
    header plus one second, else ``default_retry_after``); the window after a 429 starts
    with a single probe request, because a 429 means the model was wrong (another
    client on the same IP, or a token-bucket server whose window is not fixed).

    Before any header has been seen, requests go freely up to ``limit`` per ``window``
    seconds (default: Modrinth's 300 per 60 s). Later the limit comes from the header,
    and ``window`` only caps the guessed length of a window nothing is known about yet.

    Modrinth's real limiter is a GCRA (token bucket) whose ``reset`` is the time until the
    bucket is full again: treating that as a window boundary is conservative (the bucket
    is full by then) and gives the same long-run rate.
    """

    def __init__(
        self,
        *,
        limit: int = 300,
        window: float = 60.0,
        limit_header: str = "x-ratelimit-limit",
        remaining_header: str = "x-ratelimit-remaining",
        reset_header: str = "x-ratelimit-reset",
        default_retry_after: float = 1.0,
        poll_interval: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        if not window > 0 or not poll_interval > 0 or not default_retry_after >= 0:
            raise ValueError("window and poll_interval must be > 0, default_retry_after >= 0")
        self._lock = threading.Lock()
        self._clock = clock
        self._limit = limit
        self._window = float(window)
        # header name (lower-case bytes) -> slot in the (limit, remaining, reset) triple
        self._header_slots = {
            limit_header.lower().encode("ascii"): 0,
            remaining_header.lower().encode("ascii"): 1,
            reset_header.lower().encode("ascii"): 2,
        }
        self._default_retry_after = float(default_retry_after)
        self._poll = float(poll_interval)
        self._max_reset: int | None = None  # largest reset seen: bounds the window length
        # The current window ("epoch") and what is known about it.
        self._epoch = 0
        self._origin: float | None = None  # when it started (guessed), if anything was sent
        self._lo: float | None = None  # its end lies in [lo, hi) ...
        self._hi: float | None = None  # ... once a response has said so
        self._remaining: int | None = None  # lowest remaining reported in it
        self._sent = 0  # requests granted in it (including carried ones)
        self._in_flight = 0  # requests granted in it, not yet observed
        self._grants: list[float] = []  # grant times of its requests still in flight
        self._exhausted = False  # a 429 was seen in it
        # The previous window: requests granted after its `lo` may count in this one.
        self._prev_lo: float | None = None
        self._carried = 0  # of those, how many are still in flight
        self._blocked_until = 0.0
        self._probe = False  # one request at a time until the server answers

    # -- inspection (for tests and debugging) --------------------------------------------------

    @property
    def limit(self) -> int:
        """The limit per window (configured until a header says otherwise)."""
        return self._limit

    @property
    def boundary(self) -> tuple[float, float] | None:
        """The interval ``[lo, hi)`` holding the current window's end, if a response has told."""
        with self._lock:
            if self._lo is None or self._hi is None:
                return None
            return (self._lo, self._hi)

    @property
    def remaining(self) -> int | None:
        """The lowest ``remaining`` the server reported in the current window."""
        return self._remaining

    @property
    def in_flight(self) -> int:
        """Requests granted in the current window whose responses are not observed yet."""
        return self._in_flight

    @property
    def blocked_until(self) -> float:
        """Clock time before which nothing is sent (after a 429)."""
        return self._blocked_until

    def __repr__(self) -> str:
        return (
            f"HeaderRateLimiter(limit={self._limit}, window={self._window}, remaining={self._remaining}, "
            f"in_flight={self._in_flight}, boundary={(self._lo, self._hi)})"
        )

    # -- bookkeeping (call with the lock held) ---------------------------------------------------

    def _period(self) -> float:
        if self._max_reset is None:
            return self._window
        return min(self._window, self._max_reset + 1.0)

    def _end(self) -> float | None:
        if self._hi is not None:
            return self._hi
        if self._origin is not None:
            return self._origin + self._period()
        return None

    def _roll(self, now: float) -> None:
        end = self._end()
        if end is None or now < end:
            return
        # A request whose answer matched the estimate was counted before the boundary; one
        # still in flight and sent after `lo` may count in the new window: carry it over.
        lo = self._lo
        carry = 0
        if lo is not None and now < end + self._period():
            carry = sum(1 for t in self._grants if t > lo)
        self._prev_lo = lo
        self._carried = carry
        self._epoch += 1
        self._origin = end if now < end + self._period() else None
        self._lo = self._hi = None
        self._remaining = None
        self._sent = carry
        self._in_flight = 0
        self._grants = []
        if self._exhausted:
            self._probe = True
        self._exhausted = False

    def _available(self) -> int:
        if self._probe:
            return 0 if self._in_flight or self._carried else 1
        available = self._limit - self._sent
        if self._remaining is not None:
            available = min(available, self._remaining - self._in_flight - self._carried)
        return available

    # -- the protocol --------------------------------------------------------------------------

    def reserve(self, request: httpx.Request) -> float:
        with self._lock:
            now = self._clock()
            if now < self._blocked_until:
                return self._blocked_until - now
            self._roll(now)
            if self._available() > 0:
                self._sent += 1
                self._in_flight += 1
                if self._origin is None:
                    self._origin = now
                self._grants.append(now)
                request.extensions[_HEADER_TAG] = (self._epoch, now)
                return 0.0
            end = self._end()
            wait = end - now if end is not None else self._poll
            if (self._in_flight or self._carried) and (
                self._probe
                or self._hi is None
                or (self._sent < self._limit and (self._remaining is None or self._remaining > self._carried))
            ):
                # An outstanding response may reveal the window, or free a slot that was
                # counted both in `remaining` and as in flight: look again soon.
                wait = min(wait, self._poll)
            return max(wait, _MIN_WAIT)

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        tag = request.extensions.pop(_HEADER_TAG, None)
        limit = remaining = reset = None
        if response is not None:  # parse outside the lock
            found: list[bytes | None] = [None, None, None]
            slots = self._header_slots
            for name, value in response.headers.raw:  # one pass, no decoding
                slot = slots.get(name.lower())
                if slot is not None:
                    found[slot] = value
            limit, remaining, reset = _digits(found[0]), _digits(found[1]), _digits(found[2])
        with self._lock:
            if now is None:
                now = self._clock()
            self._roll(now)
            if tag is not None:
                epoch, sent_at = tag
            else:  # not granted by this limiter: its data is still worth having
                epoch, sent_at = self._epoch, now
            current = epoch == self._epoch
            if tag is not None:
                if current:
                    self._in_flight = max(0, self._in_flight - 1)
                    if sent_at in self._grants:
                        self._grants.remove(sent_at)
                elif (
                    epoch == self._epoch - 1
                    and self._carried
                    and self._prev_lo is not None
                    and sent_at > self._prev_lo
                ):
                    self._carried -= 1
            if response is None:
                return  # nothing learnt; a failed probe frees the way for another one
            if limit is not None and limit > 0:
                self._limit = limit
            if reset is not None and (self._max_reset is None or reset > self._max_reset):
                self._max_reset = reset

            if response.status_code == 429:
                if wait_hint is None or not wait_hint >= 0:
                    wait_hint = reset + 1.0 if reset is not None else self._default_retry_after
                until = now + wait_hint
                if until > self._blocked_until:
                    self._blocked_until = until
                # Whatever window we thought we were in is exhausted and ends when the block does.
                self._remaining = 0
                self._lo = self._hi = max(until, self._hi or until)
                if self._origin is None:
                    self._origin = now
                self._exhausted = True
                return

            if not current or self._exhausted:
                return  # a straggler from an older window, or older news than a 429
            if self._probe:
                self._probe = False
            if reset is not None:
                lo = sent_at + reset
                hi = now + reset + 1.0
                if self._lo is None or self._hi is None or lo >= self._hi or hi <= self._lo:
                    # First news of this window, or news that contradicts the estimate: newest wins.
                    self._lo, self._hi = lo, hi
                    if remaining is not None:
                        self._remaining = remaining
                    return
                self._lo = max(self._lo, lo)
                self._hi = min(self._hi, hi)
            if remaining is not None and (self._remaining is None or remaining < self._remaining):
                self._remaining = remaining


def read_write_bucket(request: httpx.Request) -> str:
    """BuiltByBit's split: ``"READ"`` for GET, HEAD and OPTIONS, ``"WRITE"`` for everything else."""
    return "READ" if request.method in _READ_METHODS else "WRITE"


class _Bucket:
    __slots__ = ("blocked_until", "capacity", "probe", "probe_in_flight", "rate", "tokens", "updated")

    def __init__(self, rate: float | None, capacity: float, now: float) -> None:
        self.rate = rate  # tokens per second, or None: no proactive pacing
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now
        self.blocked_until = 0.0
        self.probe = False
        self.probe_in_flight = False


class BucketRateLimiter:
    """Separate buckets chosen per request (BuiltByBit: READ and WRITE), blocked on 429.

    ``bucket_of(request)`` names the bucket (default :func:`read_write_bucket`). When a
    bucket gets a 429 it is blocked for the server's wait (``wait_hint``: BuiltByBit's
    ``Retry-After`` in milliseconds, parsed by the API's wait-hint parser; else
    ``default_retry_after`` seconds) for *every* request in that bucket, while the other
    buckets keep going; when the block ends, one probe request goes first and the rest
    follow once it succeeds.

    ``rates`` optionally paces a bucket proactively: ``{"WRITE": (10, 60.0)}`` allows
    10 requests per 60 s as a token bucket (bursts of up to 10). BuiltByBit publishes no
    limits, so there is no default.
    """

    def __init__(
        self,
        *,
        bucket_of: Callable[[httpx.Request], str] = read_write_bucket,
        rates: Mapping[str, tuple[float, float]] | None = None,
        default_retry_after: float = 1.0,
        poll_interval: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not poll_interval > 0 or not default_retry_after >= 0:
            raise ValueError("poll_interval must be > 0 and default_retry_after >= 0")
        self._rates: dict[str, tuple[float, float]] = {}
        for name, (count, per) in (rates or {}).items():
            if not count > 0 or not per > 0:
                raise ValueError(f"rate for bucket {name!r} must be positive, got {count}/{per}")
            self._rates[name] = (float(count), float(per))
        self._lock = threading.Lock()
        self._bucket_of = bucket_of
        self._default_retry_after = float(default_retry_after)
        self._poll = float(poll_interval)
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}

    def __repr__(self) -> str:
        return f"BucketRateLimiter(rates={self._rates!r})"

    def _bucket(self, name: str, now: float) -> _Bucket:
        bucket = self._buckets.get(name)
        if bucket is None:
            rate = self._rates.get(name)
            bucket = _Bucket(None, 1.0, now) if rate is None else _Bucket(rate[0] / rate[1], rate[0], now)
            self._buckets[name] = bucket
        return bucket

    def blocked_until(self, name: str) -> float:
        """Clock time before which the bucket ``name`` sends nothing (0.0 if not blocked)."""
        with self._lock:
            bucket = self._buckets.get(name)
            return bucket.blocked_until if bucket is not None else 0.0

    def reserve(self, request: httpx.Request) -> float:
        name = self._bucket_of(request)
        with self._lock:
            now = self._clock()
            bucket = self._bucket(name, now)
            if now < bucket.blocked_until:
                return bucket.blocked_until - now
            if bucket.probe and bucket.probe_in_flight:
                return self._poll
            if bucket.rate is not None:
                tokens = min(bucket.capacity, bucket.tokens + (now - bucket.updated) * bucket.rate)
                bucket.updated = now
                if tokens < 1.0:
                    bucket.tokens = tokens
                    return max((1.0 - tokens) / bucket.rate, _MIN_WAIT)
                bucket.tokens = tokens - 1.0
            probe = bucket.probe
            if probe:
                bucket.probe_in_flight = True
            request.extensions[_BUCKET_TAG] = (name, probe)
            return 0.0

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        tag = request.extensions.pop(_BUCKET_TAG, None)
        name, probe = tag if tag is not None else (self._bucket_of(request), False)
        with self._lock:
            if now is None:
                now = self._clock()
            bucket = self._bucket(name, now)
            if probe:
                bucket.probe_in_flight = False
            if response is None:
                return
            if response.status_code == 429:
                if wait_hint is None or not wait_hint >= 0:
                    wait_hint = self._default_retry_after
                until = now + wait_hint
                if until > bucket.blocked_until:
                    bucket.blocked_until = until
                bucket.probe = True
                if bucket.rate is not None:
                    bucket.tokens = 0.0
                    bucket.updated = until
            elif probe:
                bucket.probe = False
