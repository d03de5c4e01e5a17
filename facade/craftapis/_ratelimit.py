"""Proactive pacing, shared by every concurrent request of one client (or of a whole fleet).

A limiter is pure bookkeeping over a *state* kept in a :class:`LimiterStore`: the default
:class:`MemoryStore` holds it in this process behind a :class:`threading.Lock` that is held
for a few arithmetic operations only, never across a sleep or an await, so one limiter
serves threads and asyncio tasks alike. :class:`RedisStore` (``pip install
"craftapis[redis]"``) holds the same state in Redis, so any number of processes and hosts
spend one API budget: see :class:`RedisRateLimiter`. The caller (the policy transport)
does the sleeping:

1. ``wait = limiter.reserve(request)``. ``0.0`` means a slot was taken and the
   request may be sent now. A positive value means "sleep that long, then ask again":
   nothing was taken, so a waiter re-checks against whatever was learnt meanwhile (a
   429 elsewhere, a narrower window estimate) instead of firing on a stale promise.
2. After the attempt, ``limiter.observe(request, response)`` exactly once for every
   granted slot (``response=None`` when the attempt raised), with the server's wait
   hint when it answered 429.

A server's wait is adopted for everyone only up to ``max_server_wait`` seconds (default
60): a longer one (``X-RateLimit-Reset: 999999``, ``Retry-After: 999999999``) fails the
call that met it (``RetryPolicy.max_retry_after`` decides that, with a
:class:`~craftapis.RateLimitError` naming the wait and the cap) but does not block later
calls, which go on after a single probe request.

Limiters take an injectable ``clock`` (``time.monotonic`` by default) for the memory
store; ``observe`` uses it too unless given ``now``. A shared store has its own clock
(Redis' ``TIME``), the same for every process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Protocol, Self, TypeVar, Unpack, cast, runtime_checkable

import httpx

from ._http import header_index
from ._redis_client import Offload, RedisClient, RedisStoreOptions, connect

__all__ = [
    "REDIS_URL_ENV",
    "BucketRateLimiter",
    "HeaderRateLimiter",
    "LimiterState",
    "LimiterStore",
    "MemoryStore",
    "NoRateLimiter",
    "RateLimiter",
    "RedisRateLimiter",
    "RedisStore",
    "StoreUnavailable",
    "default_rate_limiter",
    "read_write_bucket",
]

logger = logging.getLogger("craftapis.ratelimit")

#: The environment variable naming the Redis every client's limiter shares when no
#: ``rate_limiter=`` is given (``redis://host:6379/0``; ``rediss://`` for TLS).
REDIS_URL_ENV: Final = "CRAFTAPIS_REDIS_URL"

_HEADER_TAG: Final = "craftapis.ratelimit.header"
_BUCKET_TAG: Final = "craftapis.ratelimit.bucket"
_READ_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_MIN_WAIT: Final = 0.001
_DEFAULT_KEY: Final = "default"
#: How long a granted request may stay unanswered before its slot is presumed lost (a process
#: that died holding it): a dead process frees what it held after this many seconds.
_LEASE: Final = 60.0


@runtime_checkable
class RateLimiter(Protocol):
    """What the policy transports need from a limiter (see the module documentation).

    A limiter whose calls wait on the network sets a class attribute ``blocking = True`` (as
    :class:`RedisRateLimiter` does): async clients then never call it on their event loop
    (:class:`AsyncOffloadedLimiter`). Sync clients call every limiter directly.
    """

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
        """Always ``0.0``: no pacing."""
        return 0.0

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        """Nothing to learn: no pacing."""
        return None

    def __repr__(self) -> str:
        return "NoRateLimiter()"


class AsyncOffloadedLimiter:
    """A ``blocking`` limiter as an async policy transport uses it, so the event loop never waits on
    the network: ``await areserve(request)`` runs the limiter's ``reserve`` on an :class:`Offload`
    worker thread of its own; ``observe`` is posted there (its result is nobody's), in order, so the
    next ``areserve`` sees it. ``wrap`` gives None for a limiter that is not ``blocking``. A
    :class:`RateLimiter` itself (``reserve`` calls the limiter on the calling thread)."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.inner = limiter
        self.offload = Offload("craftapis-ratelimit")

    @classmethod
    def wrap(cls, limiter: RateLimiter) -> Self | None:
        """An offloaded `limiter` if it is ``blocking``, else None (called directly: it is cheap)."""
        return cls(limiter) if getattr(limiter, "blocking", False) else None

    def reserve(self, request: httpx.Request) -> float:
        """The limiter's ``reserve`` on the calling thread (blocking; async code awaits ``areserve``)."""
        return self.inner.reserve(request)

    async def areserve(self, request: httpx.Request) -> float:
        """The limiter's ``reserve``, on the worker thread, awaited."""
        return await self.offload.call(self.inner.reserve, request)

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        """The limiter's ``observe``, posted to the worker thread (not waited for)."""
        self.offload.post(self.inner.observe, request, response, now, wait_hint=wait_hint)

    def close(self) -> None:
        """End the worker thread once what is queued ran (the limiter itself stays open)."""
        self.offload.close()

    def __repr__(self) -> str:
        return f"AsyncOffloadedLimiter({self.inner!r})"


class OffloadedLimiter:
    """The sync twin of :class:`AsyncOffloadedLimiter` (the sync transport is generated from the
    async one): a sync client calls its limiter on its own thread, which blocks anyway, so nothing
    is offloaded and ``wrap`` gives None. Made by hand it is a transparent wrapper: every call goes
    straight to the limiter, on the calling thread."""

    def __init__(self, limiter: RateLimiter) -> None:
        self.inner = limiter

    @classmethod
    def wrap(cls, limiter: RateLimiter) -> Self | None:
        """None: sync callers call every limiter directly."""
        return None

    def reserve(self, request: httpx.Request) -> float:
        """The limiter's ``reserve``."""
        return self.inner.reserve(request)

    def areserve(self, request: httpx.Request) -> float:
        """The limiter's ``reserve`` (the name the generated sync transport calls)."""
        return self.inner.reserve(request)

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        """The limiter's ``observe``."""
        self.inner.observe(request, response, now, wait_hint=wait_hint)

    def close(self) -> None:
        """Nothing of its own to end (the limiter itself stays open)."""

    def __repr__(self) -> str:
        return f"OffloadedLimiter({self.inner!r})"


# -------------------------------------------------------------------------------------------------
# Stores: where a limiter's state lives.


class LimiterState(Protocol):
    """A limiter's state: mutable, JSON-serialisable, and able to say how long it is worth keeping."""

    uid: str

    def dumps(self) -> str:
        """The state as a JSON text (for shared stores)."""
        ...

    def ttl(self, now: float) -> float:
        """Seconds after ``now`` for which the state still matters (a shared store expires it then)."""
        ...


_S = TypeVar("_S", bound=LimiterState)
_T = TypeVar("_T")


class StoreUnavailable(RuntimeError):
    """A shared store could not be reached (the limiter then paces in this process only)."""


class LimiterStore(Protocol):
    """Where limiter state lives; ``apply`` runs one atomic read-modify-write on one key.

    ``apply(key, new, load, fn)`` gives ``fn(state, now)`` the state stored under ``key`` (a
    fresh ``new()`` when there is none, ``load(text)`` reads a stored one) and the store's
    clock, keeps what ``fn`` made of the state, and returns what ``fn`` returned. No other
    ``apply`` on the same key interleaves with it, in this process or (for a shared store)
    any other. ``shared`` says whether other processes see the state: a limiter on a shared
    store names its budgets by key (see :class:`RedisRateLimiter`).
    """

    shared: bool

    def apply(
        self, key: str, new: Callable[[], _S], load: Callable[[str], _S], fn: Callable[[_S, float], _T]
    ) -> _T:
        """Run ``fn(state, now)`` atomically on the state under ``key``; return its result."""
        ...


class MemoryStore:
    """The default store: states in a dict of this process, one lock, ``clock`` for time."""

    shared = False

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._states: dict[str, Any] = {}

    def apply(
        self, key: str, new: Callable[[], _S], load: Callable[[str], _S], fn: Callable[[_S, float], _T]
    ) -> _T:
        """See :class:`LimiterStore`: one read-modify-write of ``key`` under this store's lock."""
        with self._lock:
            state = self._states.get(key)
            if state is None:
                state = self._states[key] = new()
            return fn(state, self._clock())

    def peek(self, key: str) -> LimiterState | None:
        """The state under ``key`` (or None), for inspection; do not mutate it."""
        with self._lock:
            return self._states.get(key)

    def __repr__(self) -> str:
        return f"MemoryStore(keys={len(self._states)})"


def _new_uid() -> str:
    return os.urandom(6).hex()


def _digits(value: bytes | None) -> int | None:
    if value is None:
        return None
    value = value.strip()
    if not value.isdigit() or len(value) > 12:
        return None
    return int(value)


def _adoptable(wait_hint: float | None, cap: float) -> bool:
    return wait_hint is not None and 0 <= wait_hint <= cap


def _warn_refused(what: str, wait: float, cap: float) -> None:
    logger.warning(
        "a server answer asked every caller to wait %.3g s (%s), more than max_server_wait (%.3g s): "
        "not adopted, later calls go on after one probe request; raise max_server_wait on the rate "
        "limiter if such waits are genuine",
        wait,
        what,
        cap,
    )


class _PackedState:
    """A limiter state stored as the JSON list of its ``__slots__`` (the :class:`LimiterState` protocol
    but for ``ttl``, which each state defines for itself)."""

    __slots__: tuple[str, ...] = ()

    def dumps(self) -> str:
        return json.dumps([getattr(self, name) for name in self.__slots__], separators=(",", ":"))

    @classmethod
    def loads(cls, text: str) -> Self:
        state = cls.__new__(cls)
        for name, value in zip(cls.__slots__, json.loads(text), strict=True):
            setattr(state, name, value)
        return state

    def ttl(self, now: float) -> float:
        raise NotImplementedError


class _StoredLimiter:
    """What both limiters share: their settings (to rebuild one over another store), the store, the
    budget key, the knobs every one validates alike, and the :class:`RateLimiter` protocol over the
    store (a subclass says which budget a request spends from, how to grant from a state, and what an
    answer teaches it)."""

    _TAG: ClassVar[str]  # the request extension carrying what `reserve` granted to `observe`
    _STATE: ClassVar[type[_PackedState]]
    #: the store key and new-state factory of the budget a request spends from (given what `reserve`
    #: granted it, or None), and what a grant's tag starts with
    _budget: Callable[[httpx.Request, Any], tuple[str, Callable[[], Any], tuple[Any, ...]]]
    #: take a slot of a state at `now`: `(0.0, tag)`, or `(seconds to wait, None)`
    _reserve: Callable[[Any, float], tuple[float, Any]]
    #: what an answer teaches, read outside the store's lock (plain data) ...
    _news: Callable[[httpx.Response | None, float | None], tuple[Any, ...]]
    #: ... and applied to a state under it: `_observe(state, now, tag, news)`
    _observe: Callable[[Any, float, Any, tuple[Any, ...]], None]

    def _setup(self, config: dict[str, Any], store: LimiterStore | None, key: str | None) -> None:
        """Keep ``config`` (the constructor's settings) and check the knobs both limiters take."""
        poll_interval, default_retry_after = config["poll_interval"], config["default_retry_after"]
        if not poll_interval > 0 or not default_retry_after >= 0:
            raise ValueError(
                f"poll_interval must be > 0 and default_retry_after >= 0 seconds, got {poll_interval!r} "
                f"and {default_retry_after!r}"
            )
        max_server_wait = config["max_server_wait"]
        if not max_server_wait >= 0:
            raise ValueError(f"max_server_wait must be >= 0 seconds, got {max_server_wait!r}")
        self._config = config
        self._store: LimiterStore = store if store is not None else MemoryStore(config["clock"])
        self._key = key
        self._default_retry_after = float(default_retry_after)
        self._max_wait = float(max_server_wait)
        self._poll = float(poll_interval)

    def _with_store(self, store: LimiterStore, key: str | None) -> Self:
        """The same limiter (same settings) over another store."""
        rebuild: Callable[..., Self] = type(self)  # a subclass: its constructor takes the settings
        return rebuild(**self._config, store=store, key=key)

    @property
    def store(self) -> LimiterStore:
        """Where this limiter's state lives."""
        return self._store

    def _peek(self, key: str) -> Any:
        """The state under ``key`` when the store can show it (a memory store), else None."""
        peek = getattr(self._store, "peek", None)
        return peek(key) if peek is not None else None

    def reserve(self, request: httpx.Request) -> float:
        """See :class:`RateLimiter`: ``0.0`` when a slot of the request's budget is taken, else seconds to
        wait before asking again."""
        key, new, head = self._budget(request, None)
        store = self._store
        if type(store) is MemoryStore:  # the default store, inline: `apply` without its call (issue 12)
            with store._lock:
                state = store._states.get(key)
                if state is None:
                    state = store._states[key] = new()
                wait, tag = self._reserve(state, store._clock())
        else:
            wait, tag = store.apply(key, new, self._STATE.loads, self._reserve)
        if tag is not None:
            request.extensions[self._TAG] = (*head, *tag) if head else tag
        return float(wait)

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        """See :class:`RateLimiter`: give back the request's slot and learn from the answer (its headers, a
        429's wait); ``response=None`` when the attempt raised."""
        tag = request.extensions.pop(self._TAG, None)
        key, new, _ = self._budget(request, tag)
        news = self._news(response, wait_hint)
        store = self._store
        if type(store) is MemoryStore:  # the default store, inline: no closure per answer (issue 12)
            with store._lock:
                state = store._states.get(key)
                if state is None:
                    state = store._states[key] = new()
                self._observe(state, now if now is not None else store._clock(), tag, news)
            return
        learn = self._observe

        def apply(state: Any, store_now: float) -> None:
            learn(state, now if now is not None else store_now, tag, news)

        store.apply(key, new, self._STATE.loads, apply)


# -------------------------------------------------------------------------------------------------
# Header-driven fixed windows (Modrinth).


class _HeaderState(_PackedState):
    """What :class:`HeaderRateLimiter` knows about one budget (see its documentation)."""

    __slots__ = (
        "blocked_until",
        "carried",
        "epoch",
        "exhausted",
        "grants",
        "hi",
        "in_flight",
        "limit",
        "lo",
        "max_reset",
        "origin",
        "prev_lo",
        "probe",
        "remaining",
        "sent",
        "uid",
    )

    def __init__(self, limit: int) -> None:
        self.uid = _new_uid()
        self.limit = limit
        self.max_reset: int | None = None  # largest reset seen: bounds the window length
        # The current window ("epoch") and what is known about it.
        self.epoch = 0
        self.origin: float | None = None  # when it started (guessed), if anything was sent
        self.lo: float | None = None  # its end lies in [lo, hi) ...
        self.hi: float | None = None  # ... once a response has said so
        self.remaining: int | None = None  # lowest remaining reported in it
        self.sent = 0  # requests granted in it (including carried ones)
        self.in_flight = 0  # requests granted in it, not yet observed
        self.grants: list[float] = []  # grant times of its requests still in flight
        self.exhausted = False  # a 429 was seen in it
        # The previous window: requests granted after its `lo` may count in this one.
        self.prev_lo: float | None = None
        self.carried = 0  # of those, how many are still in flight
        self.blocked_until = 0.0
        self.probe = False  # one request at a time until the server answers

    def ttl(self, now: float) -> float:
        horizon = max(self.blocked_until, self.hi or 0.0, (self.origin or 0.0) + 60.0, now)
        return horizon - now + _LEASE


class HeaderRateLimiter(_StoredLimiter):
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
    client on the same IP, or a token-bucket server whose window is not fixed). A wait
    longer than ``max_server_wait`` is not adopted (see the module documentation), and a
    ``reset`` longer than ``window`` counts as ``window``: no answer can stall the limiter
    for longer than the API's own window.

    Before any header has been seen, requests go freely up to ``limit`` per ``window``
    seconds (default: Modrinth's 300 per 60 s). Later the limit comes from the header,
    and ``window`` caps the guessed length of a window.

    ``store`` holds the state (default: a :class:`MemoryStore` of this limiter);
    ``key`` names the budget in it (see :class:`RedisRateLimiter` for shared stores).

    Modrinth's real limiter is a GCRA (token bucket) whose ``reset`` is the time until the
    bucket is full again: treating that as a window boundary is conservative (the bucket
    is full by then) and gives the same long-run rate.
    """

    _TAG = _HEADER_TAG
    _STATE = _HeaderState

    def __init__(
        self,
        *,
        limit: int = 300,
        window: float = 60.0,
        limit_header: str = "x-ratelimit-limit",
        remaining_header: str = "x-ratelimit-remaining",
        reset_header: str = "x-ratelimit-reset",
        default_retry_after: float = 1.0,
        max_server_wait: float = 60.0,
        poll_interval: float = 0.01,
        clock: Callable[[], float] = time.monotonic,
        store: LimiterStore | None = None,
        key: str | None = None,
    ) -> None:
        if limit < 1:
            raise ValueError(f"limit must be at least 1 request per window, got {limit!r}")
        if not window > 0:
            raise ValueError(f"window must be > 0 seconds, got {window!r}")
        self._setup(
            {
                "limit": limit,
                "window": window,
                "limit_header": limit_header,
                "remaining_header": remaining_header,
                "reset_header": reset_header,
                "default_retry_after": default_retry_after,
                "max_server_wait": max_server_wait,
                "poll_interval": poll_interval,
                "clock": clock,
            },
            store,
            key,
        )
        self._limit0 = limit
        self._window = float(window)
        # `budget_key` when it names one budget whatever the request (a memory store, the method not
        # overridden): asked for by every reserve and observe
        self._fixed_key = (
            self._key or _DEFAULT_KEY
            if not self._store.shared and type(self).budget_key is HeaderRateLimiter.budget_key
            else None
        )
        # the (limit, remaining, reset) header names, lower-case bytes as `header_index` has them
        self._header_names = tuple(
            name.lower().encode("ascii") for name in (limit_header, remaining_header, reset_header)
        )
        # per slot, the last raw value seen and what it parsed to: Modrinth repeats the limit and
        # often the reset, so most answers parse one header, not three (a tuple per slot, replaced
        # whole, so threads observing at once never pair one value with another's parse)
        self._parsed: list[tuple[bytes | None, int | None]] = [(None, None)] * 3

    def budget_key(self, request: httpx.Request) -> str:
        """The store key of the budget ``request`` spends from.

        In a memory store, one budget per limiter. In a shared store, ``key`` if given,
        else ``header:<host>``: processes sharing one Redis are taken to share one egress
        address (Modrinth limits per IP); give ``key=`` to name the address otherwise.
        """
        if not self._store.shared:
            return self._key or _DEFAULT_KEY
        return f"header:{self._key or request.url.host}"

    def _new(self) -> _HeaderState:
        return _HeaderState(self._limit0)

    def _state(self) -> _HeaderState:
        """The default budget's state in a memory store (for inspection)."""
        state = self._peek(self._key or _DEFAULT_KEY)
        return state if state is not None else self._new()

    # -- inspection (for tests and debugging) --------------------------------------------------

    @property
    def limit(self) -> int:
        """The limit per window (configured until a header says otherwise)."""
        return int(self._state().limit)

    @property
    def boundary(self) -> tuple[float, float] | None:
        """The interval ``[lo, hi)`` holding the current window's end, if a response has told."""
        state = self._state()
        if state.lo is None or state.hi is None:
            return None
        return (state.lo, state.hi)

    @property
    def remaining(self) -> int | None:
        """The lowest ``remaining`` the server reported in the current window."""
        return self._state().remaining

    @property
    def in_flight(self) -> int:
        """Requests granted in the current window whose responses are not observed yet."""
        return self._state().in_flight

    @property
    def blocked_until(self) -> float:
        """Clock time before which nothing is sent (after a 429)."""
        return self._state().blocked_until

    def __repr__(self) -> str:
        state = self._state()
        return (
            f"HeaderRateLimiter(limit={state.limit}, window={self._window}, remaining={state.remaining}, "
            f"in_flight={state.in_flight}, boundary={(state.lo, state.hi)}, store={self._store!r})"
        )

    # -- bookkeeping ----------------------------------------------------------------------------

    def _period(self, s: _HeaderState) -> float:
        if s.max_reset is None:
            return self._window
        return min(self._window, s.max_reset + 1.0)

    def _end(self, s: _HeaderState) -> float | None:
        if s.hi is not None:
            return s.hi
        if s.origin is not None:
            return s.origin + self._period(s)
        return None

    def _roll(self, s: _HeaderState, now: float) -> None:
        end = s.hi if s.hi is not None else self._end(s)  # the common case without the call
        if end is None or now < end:
            if s.grants and now - s.grants[0] > _LEASE:  # granted by a process that died: free it
                lost = sum(1 for t in s.grants if now - t > _LEASE)
                s.grants = [t for t in s.grants if now - t <= _LEASE]
                s.in_flight = max(0, s.in_flight - lost)
            return
        # A request whose answer matched the estimate was counted before the boundary; one
        # still in flight and sent after `lo` may count in the new window: carry it over.
        lo = s.lo
        period = self._period(s)
        carry = 0
        if lo is not None and now < end + period:
            carry = sum(1 for t in s.grants if t > lo)
        s.prev_lo = lo
        s.carried = carry
        s.epoch += 1
        s.origin = end if now < end + period else None
        s.lo = s.hi = None
        s.remaining = None
        s.sent = carry
        s.in_flight = 0
        s.grants = []
        if s.exhausted:
            s.probe = True
        s.exhausted = False

    def _available(self, s: _HeaderState) -> int:
        if s.probe:
            return 0 if s.in_flight or s.carried else 1
        available = s.limit - s.sent
        if s.remaining is not None:
            available = min(available, s.remaining - s.in_flight - s.carried)
        return available

    def _reserve(self, s: _HeaderState, now: float) -> tuple[float, Any]:
        if now < s.blocked_until:
            return s.blocked_until - now, None
        self._roll(s, now)
        if self._available(s) > 0:
            s.sent += 1
            s.in_flight += 1
            if s.origin is None:
                s.origin = now
            s.grants.append(now)
            return 0.0, (s.uid, s.epoch, now)
        end = self._end(s)
        wait = end - now if end is not None else self._poll
        if (s.in_flight or s.carried) and (
            s.probe or s.hi is None or (s.sent < s.limit and (s.remaining is None or s.remaining > s.carried))
        ):
            # An outstanding response may reveal the window, or free a slot that was
            # counted both in `remaining` and as in flight: look again soon.
            wait = min(wait, self._poll)
        return max(wait, _MIN_WAIT), None

    # -- the protocol --------------------------------------------------------------------------

    def _budget(self, request: httpx.Request, tag: Any) -> tuple[str, Callable[[], _HeaderState], tuple[()]]:
        key = self._fixed_key
        return key if key is not None else self.budget_key(request), self._new, ()

    def _news(self, response: httpx.Response | None, wait_hint: float | None) -> tuple[Any, ...]:
        """The window as the ``X-Ratelimit-*`` headers (and a 429's wait) tell it."""
        limit = remaining = reset = None
        if response is not None:
            found = header_index(response.headers)  # the last of a repeated header, no decoding
            names = self._header_names
            parsed = self._parsed
            raw, last = found.get(names[0]), parsed[0]
            if raw != last[0]:
                last = parsed[0] = (raw, _digits(raw))
            limit = last[1]
            raw, last = found.get(names[1]), parsed[1]
            if raw != last[0]:
                last = parsed[1] = (raw, _digits(raw))
            remaining = last[1]
            raw, last = found.get(names[2]), parsed[2]
            if raw != last[0]:
                last = parsed[2] = (raw, _digits(raw))
            reset = last[1]
            if reset is not None and reset > self._window:
                reset = int(self._window)  # no window is longer than the API's own
        status = response.status_code if response is not None else None
        if status == 429 and wait_hint is None and reset is not None:
            wait_hint = reset + 1.0
        if status == 429 and wait_hint is not None and not _adoptable(wait_hint, self._max_wait):
            _warn_refused("429", wait_hint, self._max_wait)
            wait_hint = 0.0  # not adopted: the window is over for the limiter, a probe goes next

        return status, limit, remaining, reset, wait_hint

    def _observe(self, s: _HeaderState, now: float, tag: Any, news: tuple[Any, ...]) -> None:
        status, limit, remaining, reset, wait_hint = news
        self._roll(s, now)
        if tag is not None and tag[0] != s.uid:
            tag = None  # granted by another state (one that expired, or the fallback store)
        if tag is not None:
            _, epoch, sent_at = tag
        else:  # not granted by this state: its data is still worth having
            epoch, sent_at = s.epoch, now
        current = epoch == s.epoch
        if tag is not None:
            if current:
                s.in_flight = max(0, s.in_flight - 1)
                if sent_at in s.grants:
                    s.grants.remove(sent_at)
            elif epoch == s.epoch - 1 and s.carried and s.prev_lo is not None and sent_at > s.prev_lo:
                s.carried -= 1
        if status is None:
            return  # nothing learnt; a failed probe frees the way for another one
        if limit is not None and limit > 0:
            s.limit = limit
        if reset is not None and (s.max_reset is None or reset > s.max_reset):
            s.max_reset = reset

        if status == 429:
            if wait_hint is None or not wait_hint >= 0:
                wait_hint = self._default_retry_after
            until = now + wait_hint
            if until > s.blocked_until:
                s.blocked_until = until
            # Whatever window we thought we were in is exhausted and ends when the block does.
            s.remaining = 0
            s.lo = s.hi = max(until, s.hi or until) if wait_hint > 0 else until
            if s.origin is None:
                s.origin = now
            s.exhausted = True
            return

        if not current or s.exhausted:
            return  # a straggler from an older window, or older news than a 429
        if s.probe:
            s.probe = False
        if reset is not None:
            lo = sent_at + reset
            hi = now + reset + 1.0
            if s.lo is None or s.hi is None or lo >= s.hi or hi <= s.lo:
                # First news of this window, or news that contradicts the estimate: newest wins.
                s.lo, s.hi = lo, hi
                if remaining is not None:
                    s.remaining = remaining
                return
            s.lo = max(s.lo, lo)
            s.hi = min(s.hi, hi)
        if remaining is not None and (s.remaining is None or remaining < s.remaining):
            s.remaining = remaining


# -------------------------------------------------------------------------------------------------
# Buckets blocked on 429 (BuiltByBit), learning the window they never announce.


def read_write_bucket(request: httpx.Request) -> str:
    """BuiltByBit's split: ``"READ"`` for GET, HEAD and OPTIONS, ``"WRITE"`` for everything else."""
    return "READ" if request.method in _READ_METHODS else "WRITE"


def _token_digest(request: httpx.Request) -> str:
    """A digest of the request's credentials: a budget name that never holds the token itself."""
    credentials = request.headers.get("authorization")
    if not credentials:
        return "anonymous"
    return hashlib.sha256(credentials.encode("utf-8", "surrogateescape")).hexdigest()[:32]


class _BucketState(_PackedState):
    """What :class:`BucketRateLimiter` knows about one bucket."""

    __slots__ = (
        "blocked_until",
        "capacity",
        "exact",
        "first",
        "granted",
        "learnt",
        "mark",
        "mark_wid",
        "ok",
        "period",
        "probe",
        "probe_since",
        "rate",
        "tokens",
        "uid",
        "updated",
        "wid",
        "window_start",
    )

    def __init__(self, rate: float | None, capacity: float, now: float | None) -> None:
        self.uid = _new_uid()
        self.rate = rate  # tokens per second, or None: no configured pacing
        self.capacity = capacity
        self.tokens = capacity
        self.updated = now  # None: set on first use (a shared store's clock is not known here)
        self.blocked_until = 0.0
        self.probe = False
        self.probe_since: float | None = None  # when the probe in flight was granted
        # Learnt from 429s: `learnt` requests per `period` seconds, windows starting at `window_start`.
        self.learnt: int | None = None
        self.exact = False  # `learnt` counts one window: late answers from it still add to it
        self.period: float | None = None
        self.window_start: float | None = None
        self.wid = 0  # the learning window's number
        self.granted = 0  # granted in it
        self.mark: float | None = None  # the last window end a 429 revealed
        self.mark_wid = 0  # the first learning window after it
        self.ok = 0  # answers other than 429 to requests granted since the mark
        self.first: float | None = None  # the first grant ever (before any mark)

    def ttl(self, now: float) -> float:
        return max(self.blocked_until - now, 0.0) + (self.period or 0.0) + _LEASE


class BucketRateLimiter(_StoredLimiter):
    """Separate buckets chosen per request (BuiltByBit: READ and WRITE), blocked on 429.

    ``bucket_of(request)`` names the bucket (default :func:`read_write_bucket`). When a
    bucket gets a 429 it is blocked for the server's wait (``wait_hint``: BuiltByBit's
    ``Retry-After`` in milliseconds, parsed by the API's wait-hint parser; else
    ``default_retry_after`` seconds) for *every* request in that bucket, while the other
    buckets keep going; when the block ends, one probe request goes first and the rest
    follow once it succeeds. A wait longer than ``max_server_wait`` is not adopted (see
    the module documentation).

    The server announces nothing before a 429, but each 429 tells when its window ends:
    from two such ends (or the first request and one end) the limiter learns the window's
    length and how many requests it admitted, and from then on grants at most that many
    per learnt window (``learn=False`` turns this off). A window used to the full without
    a 429 raises the learnt count by an eighth, so a budget that grew is found again. So
    concurrent callers meet one round of 429s while the limiter learns, then next to none,
    instead of exhausting their retries against every window (issue 10, finding 11).

    ``rates`` optionally paces a bucket proactively: ``{"WRITE": (10, 60.0)}`` allows
    10 requests per 60 s as a token bucket (bursts of up to 10). BuiltByBit publishes no
    limits, so there is no default.

    ``store`` holds the state (default: a :class:`MemoryStore` of this limiter); ``key``
    names the budget in a shared store (see :class:`RedisRateLimiter`).
    """

    _TAG = _BUCKET_TAG
    _STATE = _BucketState

    def __init__(
        self,
        *,
        bucket_of: Callable[[httpx.Request], str] = read_write_bucket,
        rates: Mapping[str, tuple[float, float]] | None = None,
        default_retry_after: float = 1.0,
        max_server_wait: float = 60.0,
        learn: bool = True,
        poll_interval: float = 0.05,
        clock: Callable[[], float] = time.monotonic,
        store: LimiterStore | None = None,
        key: str | None = None,
    ) -> None:
        self._rates: dict[str, tuple[float, float]] = {}
        for name, (count, per) in (rates or {}).items():
            if not count > 0 or not per > 0:
                raise ValueError(f"rate for bucket {name!r} must be positive, got {count}/{per}")
            self._rates[name] = (float(count), float(per))
        self._setup(
            {
                "bucket_of": bucket_of,
                "rates": rates,
                "default_retry_after": default_retry_after,
                "max_server_wait": max_server_wait,
                "learn": learn,
                "poll_interval": poll_interval,
                "clock": clock,
            },
            store,
            key,
        )
        self._bucket_of = bucket_of
        self._learn = learn
        self._clock = clock

    def __repr__(self) -> str:
        return f"BucketRateLimiter(rates={self._rates!r}, store={self._store!r})"

    def budget_key(self, request: httpx.Request, name: str | None = None) -> str:
        """The store key of the bucket ``request`` spends from.

        In a memory store, the bucket's name. In a shared store,
        ``bucket:<key>:<bucket>``, where ``key`` defaults to ``<host>:<digest>``, the
        digest being a SHA-256 of the request's ``Authorization`` header (BuiltByBit limits
        per token; the token itself is never stored).
        """
        name = name if name is not None else self._bucket_of(request)
        if not self._store.shared:
            return name if self._key is None else f"{self._key}:{name}"
        budget = self._key or f"{request.url.host}:{_token_digest(request)}"
        return f"bucket:{budget}:{name}"

    def _factory(self, name: str) -> Callable[[], _BucketState]:
        def new() -> _BucketState:
            rate = self._rates.get(name)
            if rate is None:
                return _BucketState(None, 1.0, None)
            return _BucketState(rate[0] / rate[1], rate[0], None)

        return new

    def blocked_until(self, name: str) -> float:
        """Clock time before which the bucket ``name`` sends nothing (0.0 if not blocked; memory store)."""
        state = self._peek(name if self._key is None else f"{self._key}:{name}")
        return float(state.blocked_until) if state is not None else 0.0

    def learnt(self, name: str) -> tuple[int, float] | None:
        """(requests, per seconds) learnt for the bucket ``name`` from 429s, if any (memory store)."""
        state = self._peek(name if self._key is None else f"{self._key}:{name}")
        if state is None or state.learnt is None or state.period is None:
            return None
        return (int(state.learnt), float(state.period))

    def _reserve(self, b: _BucketState, now: float) -> tuple[float, Any]:
        if b.updated is None:
            b.updated = now
        if now < b.blocked_until:
            return b.blocked_until - now, None
        if b.probe and b.probe_since is not None:
            if now - b.probe_since < _LEASE:
                return self._poll, None
            b.probe_since = None  # its process died: another may probe
        if b.learnt is not None and b.period is not None and b.window_start is not None:
            end = b.window_start + b.period
            if now >= end:
                if b.granted >= b.learnt and now < end + b.period:
                    b.learnt += max(1, b.learnt // 8)  # used to the full, no 429: look for more
                b.window_start += b.period * ((now - b.window_start) // b.period)
                b.wid += 1
                b.granted = 0
            elif b.granted >= b.learnt:
                return max(end - now, _MIN_WAIT), None
        if b.rate is not None:
            tokens = min(b.capacity, b.tokens + (now - b.updated) * b.rate)
            b.updated = now
            if tokens < 1.0:
                b.tokens = tokens
                return max((1.0 - tokens) / b.rate, _MIN_WAIT), None
            b.tokens = tokens - 1.0
        probe = b.probe
        if probe:
            b.probe_since = now
        if b.first is None:
            b.first = now
        b.granted += 1
        return 0.0, (b.uid, probe, b.wid)

    def _budget(self, request: httpx.Request, tag: Any) -> tuple[str, Callable[[], _BucketState], tuple[str]]:
        name = tag[0] if tag is not None else self._bucket_of(request)
        return self.budget_key(request, name), self._factory(name), (name,)

    def _news(self, response: httpx.Response | None, wait_hint: float | None) -> tuple[Any, ...]:
        """A 429 pauses the request's bucket for its ``Retry-After``; other answers teach the window."""
        status = response.status_code if response is not None else None
        refused = False
        if status == 429 and wait_hint is not None and not _adoptable(wait_hint, self._max_wait):
            _warn_refused("429", wait_hint, self._max_wait)
            refused = True
        return status, wait_hint, refused

    def _observe(self, b: _BucketState, now: float, tag: Any, news: tuple[Any, ...]) -> None:
        status, wait_hint, refused = news
        mine = tag is not None and tag[1] == b.uid
        probe = mine and tag[2]
        wid = tag[3] if mine else -1
        if probe:
            b.probe_since = None
        if status is None:
            return
        if status != 429:
            if probe:
                b.probe = False
            if mine and wid >= b.mark_wid:
                b.ok += 1
            elif mine and b.exact and b.learnt is not None and wid == b.mark_wid - 1:
                b.learnt += 1  # admitted in the window just learnt, answered after its 429
            return
        if refused:
            b.probe = True  # not blocked: the next request goes alone, the rest after it
            return
        if wait_hint is None or not wait_hint >= 0:
            wait_hint = self._default_retry_after
        until = now + wait_hint
        if until > b.blocked_until:
            b.blocked_until = until
        b.probe = True
        if b.rate is not None:
            b.tokens = 0.0
            b.updated = until
        if not (self._learn and mine and wid >= b.mark_wid):
            return  # a straggler from before the last known window end: nothing new
        # The window this request met ends at `until` and admitted `ok` since the last end.
        since = b.mark if b.mark is not None else b.first
        if since is not None and until - since > 0 and b.ok > 0:  # no success: nothing to learn from
            span = until - since
            windows = 1 if b.period is None else max(1, round(span / b.period))
            if windows == 1:
                b.period = span
            b.learnt = max(1, round(b.ok / windows))
            b.exact = windows == 1
        b.mark = b.window_start = until
        b.wid += 1
        b.mark_wid = b.wid
        b.granted = 0
        b.ok = 0


# -------------------------------------------------------------------------------------------------
# Redis: one budget for every process and host.

# Both scripts touch one key only, so they run unchanged on a Redis Cluster (the key's slot).
_LOAD_LUA: Final = """
local t = redis.call('TIME')
return {redis.call('GET', KEYS[1]), t[1], t[2]}
"""
_CAS_LUA: Final = """
local current = redis.call('GET', KEYS[1])
if current == false then current = '' end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
"""


class RedisStore:
    """Limiter state in Redis, shared by every process and host that uses the same server and prefix.

    Each budget is one Redis string (``<prefix><budget>``) holding the state as JSON, with a
    TTL, so a budget nobody uses disappears and a dead process holds nothing for ever
    (slots it was granted and never answered are freed after a minute). Every reserve
    and observe is atomic: a Lua script reads the state with Redis' clock (``TIME``, the
    same for every host), the limiter computes the new state, and a compare-and-set script
    writes it only if nobody changed it meanwhile (else it starts again). Server signals
    (a 429's wait, the rate-limit headers) are part of that state, so every process learns
    from one 429.

    When Redis cannot be reached (refused, timed out, gone mid-run) the store logs **one**
    WARNING on the ``craftapis.ratelimit`` logger and paces in this process only (a
    :class:`MemoryStore`), trying Redis again every ``reconnect_interval`` seconds; when
    Redis answers again it logs an INFO and goes back to the shared state.

    Async clients never call the store from their event loop: :class:`RedisRateLimiter` is
    ``blocking``, so their policy transport awaits its ``reserve`` on a worker thread of its own
    and posts its ``observe`` there (in order); a stalled Redis holds that thread, for at most
    ``socket_timeout`` per command, while the loop runs on. Sync clients call it directly.

    Args:
        url: ``redis://[user:password@]host:port/db`` (``rediss://`` for TLS).
        client: a ready ``redis.Redis`` (or ``redis.cluster.RedisCluster``: every script
            touches one key, so each budget lives in one slot) instead of ``url``.
        prefix: put before every key (default ``craftapis:ratelimit:``).
        socket_timeout: seconds for connecting to and hearing from Redis (default 0.5):
            a stalled Redis delays a request by at most this much before the fallback.
        reconnect_interval: seconds between attempts to reach Redis while it is away.
        max_conflicts: compare-and-set attempts before one operation gives up on Redis.
    """

    shared = True

    def __init__(
        self,
        url: str | None = None,
        *,
        client: RedisClient | None = None,
        prefix: str = "craftapis:ratelimit:",
        socket_timeout: float = 0.5,
        reconnect_interval: float = 1.0,
        max_conflicts: int = 64,
    ) -> None:
        if (url is None) == (client is None):
            raise ValueError("RedisStore needs exactly one of url= or client=")
        if not socket_timeout > 0 or not reconnect_interval > 0 or max_conflicts < 1:
            raise ValueError("socket_timeout and reconnect_interval must be > 0, max_conflicts >= 1")
        client, self.where, self._errors = connect(
            url, client, socket_timeout=socket_timeout, what="the Redis rate-limit store"
        )
        self.redis = client
        self.prefix = prefix
        self._load = client.register_script(_LOAD_LUA)
        self._cas = client.register_script(_CAS_LUA)
        self._max_conflicts = max_conflicts
        self._reconnect = float(reconnect_interval)
        self._local = MemoryStore()
        self._lock = threading.Lock()
        self._down_since: float | None = None  # monotonic time Redis went away
        self._next_try = 0.0
        self.fallbacks = 0  # operations served by the in-process fallback (for tests and metrics)
        self.outages = 0  # times Redis went away

    def __repr__(self) -> str:
        state = "unavailable, pacing in-process" if self._down_since is not None else "connected"
        return f"RedisStore({self.where!r}, prefix={self.prefix!r}, {state})"

    @property
    def available(self) -> bool:
        """False while Redis is away (requests are then paced in this process only)."""
        return self._down_since is None

    def apply(
        self, key: str, new: Callable[[], _S], load: Callable[[str], _S], fn: Callable[[_S, float], _T]
    ) -> _T:
        """See :class:`LimiterStore`: atomic in Redis, or in this process while Redis is away."""
        with self._lock:
            down = self._down_since is not None and time.monotonic() < self._next_try
        if not down:
            try:
                result = self._apply_redis(self.prefix + key, new, load, fn)
            except self._errors as exc:  # refused, timed out, a read-only replica, OOM, NOSCRIPT storms
                self._went_away(exc)
            except StoreUnavailable as exc:  # a conflict storm: this one operation goes local
                logger.debug("%s", exc)
            else:
                self._came_back()
                return result
        with self._lock:
            self.fallbacks += 1
        return self._local.apply(key, new, load, fn)

    def _apply_redis(
        self, key: str, new: Callable[[], _S], load: Callable[[str], _S], fn: Callable[[_S, float], _T]
    ) -> _T:
        for _ in range(self._max_conflicts):
            raw, seconds, micros = cast("list[Any]", self._load(keys=[key]))
            now = int(seconds) + int(micros) / 1_000_000
            before = raw.decode("utf-8") if isinstance(raw, bytes) else (raw or "")
            try:
                state = load(before) if before else new()
            except (ValueError, TypeError):  # not a state this version wrote: start the budget afresh
                state = new()
            result = fn(state, now)
            after = state.dumps()
            if after == before:
                return result
            ttl_ms = max(1000, int(state.ttl(now) * 1000))
            if self._cas(keys=[key], args=[before, after, ttl_ms]):
                return result
        raise StoreUnavailable(f"{self._conflicts_message()}")

    def _conflicts_message(self) -> str:
        return (
            f"the limiter state in {self.where} changed under {self._max_conflicts} attempts in a row; "
            "pacing in-process for this request (raise max_conflicts if the fleet is very large)"
        )

    def _went_away(self, exc: BaseException) -> None:
        with self._lock:
            first = self._down_since is None
            if first:
                self._down_since = time.monotonic()
                self.outages += 1
            self._next_try = time.monotonic() + self._reconnect
        if first:
            logger.warning(
                "Redis at %s is unavailable (%s: %s): rate limits are paced in this process only, "
                "without the shared state, until it answers again (retried every %.3g s)",
                self.where,
                type(exc).__name__,
                exc,
                self._reconnect,
            )

    def _came_back(self) -> None:
        if self._down_since is None:
            return
        with self._lock:
            since, self._down_since = self._down_since, None
        if since is not None:
            logger.info(
                "Redis at %s answers again after %.1f s: rate limits use the shared state again",
                self.where,
                time.monotonic() - since,
            )

    def close(self) -> None:
        """Close the connections to Redis."""
        self.redis.close()


class RedisRateLimiter:
    """A rate limiter whose state lives in Redis: one API budget across processes and hosts.

    ``rate_limiter=RedisRateLimiter("redis://127.0.0.1:6379/0")`` on any client; or set
    ``CRAFTAPIS_REDIS_URL`` and every client made without ``rate_limiter=`` uses one. The
    pacing is the client's usual one (header windows for Modrinth, READ/WRITE buckets with
    learnt windows for BuiltByBit; or ``policy=`` any :class:`HeaderRateLimiter` /
    :class:`BucketRateLimiter` with its settings), only its state is shared.

    ``key`` names the budget; processes with the same key (and Redis and prefix) share it.
    By default the budget is the API's own: ``header:<host>`` for Modrinth (per IP: name
    the egress address with ``key=`` when processes behind *different* addresses share one
    Redis), ``bucket:<host>:<sha256 of the Authorization header>:READ|WRITE`` for
    BuiltByBit (per token; only a digest of it is stored, never the token).

    If Redis goes away the limiter paces in-process with one WARNING and picks the shared
    state up again when Redis returns (see :class:`RedisStore` for the knobs, passed
    through ``**store_options``).

    It is ``blocking`` (its calls wait on Redis): async clients run them on a worker thread of
    their own, never on the event loop (see :class:`RedisStore`).
    """

    blocking = True

    def __init__(
        self,
        url: str | None = None,
        *,
        key: str | None = None,
        policy: HeaderRateLimiter | BucketRateLimiter | None = None,
        store: RedisStore | None = None,
        **store_options: Unpack[RedisStoreOptions],
    ) -> None:
        if store is None:
            url = url if url is not None else os.environ.get(REDIS_URL_ENV)
            if not url and "client" not in store_options:
                raise ValueError(
                    f"RedisRateLimiter needs the Redis URL: pass url= or set {REDIS_URL_ENV} "
                    "(e.g. redis://127.0.0.1:6379/0)"
                )
            store = RedisStore(url or None, **store_options)
        self.store = store
        self.key = key
        self._policy = policy
        self._inner: HeaderRateLimiter | BucketRateLimiter | None = (
            policy._with_store(store, key) if policy is not None else None
        )

    def bind(self, make_default: Callable[[], RateLimiter]) -> RateLimiter:
        """This limiter, with the client's default pacing when no ``policy=`` was given.

        Clients call it with their API's default limiter factory.
        """
        if self._inner is not None:
            return self
        default = make_default()
        if not isinstance(default, HeaderRateLimiter | BucketRateLimiter):
            return default  # an API that does not pace (NoRateLimiter): nothing to share
        return RedisRateLimiter(key=self.key, policy=default, store=self.store)

    def _limiter(self) -> HeaderRateLimiter | BucketRateLimiter:
        if self._inner is None:
            raise TypeError(
                "this RedisRateLimiter has no pacing policy yet: pass it to a craftapis client "
                "(rate_limiter=...), or give policy=HeaderRateLimiter() / BucketRateLimiter()"
            )
        return self._inner

    @property
    def policy(self) -> HeaderRateLimiter | BucketRateLimiter | None:
        """The limiter whose pacing this one applies over Redis (None until bound)."""
        return self._inner

    def reserve(self, request: httpx.Request) -> float:
        """See :class:`RateLimiter`: a slot from the shared budget (``0.0``) or seconds to wait."""
        return self._limiter().reserve(request)

    def observe(
        self,
        request: httpx.Request,
        response: httpx.Response | None,
        now: float | None = None,
        *,
        wait_hint: float | None = None,
    ) -> None:
        """See :class:`RateLimiter`; what the server said becomes shared state.

        An explicit ``now`` is in the caller's clock, not Redis': the store's clock is used.
        """
        self._limiter().observe(request, response, wait_hint=wait_hint)

    def close(self) -> None:
        """Close the connections to Redis."""
        self.store.close()

    def __repr__(self) -> str:
        kind = type(self._inner).__name__ if self._inner is not None else "unbound"
        return f"RedisRateLimiter({self.store.where!r}, key={self.key!r}, policy={kind})"


def default_rate_limiter(
    rate_limiter: RateLimiter | None, make_default: Callable[[], RateLimiter]
) -> RateLimiter:
    """The limiter a client uses: ``rate_limiter`` (a :class:`RedisRateLimiter` bound to the API's
    pacing), else a :class:`RedisRateLimiter` when ``CRAFTAPIS_REDIS_URL`` is set, else ``make_default()``."""
    if rate_limiter is None:
        if not os.environ.get(REDIS_URL_ENV):
            return make_default()
        rate_limiter = RedisRateLimiter()
    if isinstance(rate_limiter, RedisRateLimiter):
        return rate_limiter.bind(make_default)
    return rate_limiter
