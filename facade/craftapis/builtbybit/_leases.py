"""Event leases for a fleet of `EventsConsumer`s on one BuiltByBit events feed (Redis).

`EventsConsumer(bbb, handle, leases=RedisEventLeases("redis://127.0.0.1:6379/0", key="my-bot"))`:
before a consumer hands an event to its handler it takes the event's lease (`SET NX` with an
expiry), so no other live consumer handles it meanwhile; the lease is renewed when the handler
returns and held until the completion is confirmed, then replaced by a *done* marker so a consumer
that still sees the event listed (the server's list lags) skips it: none is completed twice. A
consumer that crashes holds its leases only until they expire (`lease` seconds); the events are
then delivered to another consumer: at-least-once holds, and an event is handled twice only after a
crash. While the handler runs, a heartbeat renews the lease every `heartbeat` seconds (`lease / 3`
by default) on a thread of its own, so a handler may run longer than `lease`; it stops when the
handler returns or raises (a crashed process stops beating: its leases expire). Keep `lease` above
the consumer's `batch_delay` (the lease is renewed once when the handler returns, then held until
the completion is confirmed).

The async consumer never calls Redis on its event loop: `acquire` is awaited on a worker thread of
its own and the other calls are posted there in order (`_redis_client.Offload`); the sync consumer
calls them directly.

If Redis cannot be reached the leases fail open (each consumer handles what it sees, as without
leases) with one WARNING on the `craftapis.builtbybit.events` logger.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol, runtime_checkable

from .._ratelimit import REDIS_URL_ENV
from .._redis_client import Offload, RedisClient, connect

__all__ = ["AsyncLeaseCalls", "EventLeases", "Heartbeat", "LeaseCalls", "RedisEventLeases"]

#: what a lease script "returns" while Redis is away
_AWAY = object()

logger = logging.getLogger("craftapis.builtbybit.events")

_ACQUIRE_LUA = """
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
"""
_EXTEND_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
"""
_RELEASE_LUA = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""
_DONE_LUA = """
redis.call('SET', KEYS[2], '1', 'PX', ARGV[2])
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


@runtime_checkable
class EventLeases(Protocol):
    """What `EventsConsumer(leases=...)` needs: exclusive, expiring claims on event ids.

    Two optional attributes: `heartbeat`, seconds between renewals (`extend`) while a handler runs
    (none without it), and `blocking = True` when the calls wait on the network (the async
    consumer then makes them on a worker thread, never on its event loop).
    """

    def acquire(self, event_id: int) -> bool:
        """Claim the event for this consumer; False if another holds it or it is done."""
        ...

    def extend(self, event_id: int) -> None:
        """Renew this consumer's claim (the handler returned; the completion is on its way)."""
        ...

    def release(self, event_id: int) -> None:
        """Give the claim up (the handler failed, or the consumer stops before completing)."""
        ...

    def completed(self, event_ids: Iterable[int]) -> None:
        """The server confirmed these complete: mark them done for every consumer."""
        ...


class RedisEventLeases:
    """Event leases in Redis (see the module documentation).

    Args:
        url: the Redis URL (default: `CRAFTAPIS_REDIS_URL`).
        key: names the events feed, i.e. the BuiltByBit account whose events these are (consumers
            with the same key, Redis and prefix share leases); a label, never the token.
        lease: seconds a claim lasts without renewal (default 60).
        done_ttl: seconds a completed event stays marked done (default one day).
        client: a ready `redis.Redis` instead of `url`.
        prefix: put before every key (default `craftapis:events:`).
        socket_timeout: seconds for connecting to and hearing from Redis (default 0.5).
        heartbeat: seconds between renewals of the lease while the handler runs (default
            `lease / 3`: two renewals may fail before the lease lapses); below `lease`.
        reconnect_interval: seconds between attempts to reach Redis while it is away (default 1):
            meanwhile the leases fail open at once instead of each call waiting `socket_timeout`.
    """

    #: its calls wait on Redis: the async consumer makes them on a worker thread
    blocking = True

    def __init__(
        self,
        url: str | None = None,
        *,
        key: str = "default",
        lease: float = 60.0,
        done_ttl: float = 86400.0,
        client: RedisClient | None = None,
        prefix: str = "craftapis:events:",
        socket_timeout: float = 0.5,
        heartbeat: float | None = None,
        reconnect_interval: float = 1.0,
    ) -> None:
        if not lease > 0 or not done_ttl > 0 or not reconnect_interval > 0:
            raise ValueError("lease, done_ttl and reconnect_interval must be > 0 seconds")
        heartbeat = lease / 3 if heartbeat is None else heartbeat
        if not 0 < heartbeat < lease:
            raise ValueError(f"heartbeat must be > 0 and below lease ({lease:g} s), got {heartbeat!r}")
        #: seconds between renewals of a lease while its handler runs
        self.heartbeat = float(heartbeat)
        if client is None:
            url = url if url is not None else os.environ.get(REDIS_URL_ENV)
            if not url:
                raise ValueError(f"RedisEventLeases needs the Redis URL: pass url= or set {REDIS_URL_ENV}")
        client, self.where, self._errors = connect(
            url, client, socket_timeout=socket_timeout, what="event leases"
        )
        self.redis = client
        self._prefix = prefix
        self._feed = key
        self._lease_ms = max(1, int(lease * 1000))
        self._done_ms = max(1, int(done_ttl * 1000))
        #: Who holds a lease: host, process and a random part (a restarted process is another owner).
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{os.urandom(4).hex()}"
        self._acquire = client.register_script(_ACQUIRE_LUA)
        self._extend = client.register_script(_EXTEND_LUA)
        self._release = client.register_script(_RELEASE_LUA)
        self._done = client.register_script(_DONE_LUA)
        self._lock = threading.Lock()
        self._warned = False
        self._reconnect = float(reconnect_interval)
        self._retry_at: float | None = None  # while Redis is away: when to try it again

    def __repr__(self) -> str:
        return f"RedisEventLeases({self.where!r}, key={self._feed!r}, owner={self.owner!r})"

    def _keys(self, event_id: int) -> list[str]:
        # One hash tag per event: its lease and done keys share a Redis Cluster slot (scripts use both).
        tag = f"{self._prefix}{{{self._feed}:{event_id}}}"
        return [f"{tag}:lease", f"{tag}:done"]

    def _unavailable(self, exc: BaseException) -> None:
        with self._lock:
            first, self._warned = not self._warned, True
            self._retry_at = time.monotonic() + self._reconnect
        if first:
            logger.warning(
                "Redis at %s is unavailable for event leases (%s: %s): consumers handle what they see "
                "without leases (events may be handled by two consumers) until it answers again "
                "(retried every %.3g s)",
                self.where,
                type(exc).__name__,
                exc,
                self._reconnect,
            )

    def _run(self, script: Any, event_id: int, keys: int, *args: str | int) -> object:
        """`script` on the event's first `keys` keys; `_AWAY` while Redis is away (tried again every
        `reconnect_interval`) or when it fails now."""
        retry_at = self._retry_at
        if retry_at is not None and time.monotonic() < retry_at:
            return _AWAY
        try:
            result = script(keys=self._keys(event_id)[:keys], args=list(args))
        except self._errors as exc:
            self._unavailable(exc)
            return _AWAY
        if self._warned:
            with self._lock:
                self._warned, self._retry_at = False, None
            logger.info("Redis at %s answers again: event leases are back", self.where)
        return result

    def acquire(self, event_id: int) -> bool:
        """See `EventLeases.acquire`: claim the event (SET NX with the lease's expiry); False if held or done."""
        taken = self._run(self._acquire, event_id, 2, self.owner, self._lease_ms)
        return True if taken is _AWAY else bool(taken)  # fail open: at-least-once matters more

    def extend(self, event_id: int) -> None:
        """See `EventLeases.extend`: renew this consumer's claim for another `lease` seconds (a
        WARNING when it is gone: it expired, and another consumer may be handling the event too)."""
        if not self._run(self._extend, event_id, 1, self.owner, self._lease_ms):
            logger.warning(
                "the lease of event %s had lapsed when it was renewed (Redis was away, or the process "
                "paused longer than the lease): another consumer may handle it too",
                event_id,
            )

    def release(self, event_id: int) -> None:
        """See `EventLeases.release`: give the claim up so another consumer may take the event."""
        self._run(self._release, event_id, 1, self.owner)

    def completed(self, event_ids: Iterable[int]) -> None:
        """See `EventLeases.completed`: replace the claims by done markers (kept `done_ttl` seconds)."""
        for event_id in event_ids:
            if self._run(self._done, event_id, 2, self.owner, self._done_ms) is _AWAY:
                return

    def close(self) -> None:
        """Close the connections to Redis."""
        self.redis.close()


class Heartbeat:
    """Calls `renew()` every `interval` seconds on a thread of its own while the `with` block runs
    (a handler), in the sync and the async consumer alike: a thread and not an asyncio task, so a
    handler that blocks the event loop (a plain function in the async consumer) cannot starve it.
    It stops when the block ends, by return or exception; a `renew` that raises is logged."""

    def __init__(self, renew: Callable[[], object], interval: float) -> None:
        self._renew = renew
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="craftapis-lease-heartbeat", daemon=True)
        #: renewals made (for tests and metrics)
        self.beats = 0

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._renew()
            except Exception:
                logger.exception("renewing an event lease failed")
            self.beats += 1

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        # Not joined: that would hold the async consumer's event loop while a renewal is under way
        # (up to the Redis socket timeout). One landing after the completion or the release changes
        # nothing: the script renews only a lease this consumer still holds.
        self._stop.set()


class _LeaseCalls:
    """How a consumer calls its `EventLeases` (`LeaseCalls` directly, `AsyncLeaseCalls` off the event
    loop), and the heartbeat while a handler runs."""

    def __init__(self, leases: EventLeases) -> None:
        self.leases = leases
        interval = getattr(leases, "heartbeat", None)
        self._interval: float | None = float(interval) if interval else None

    def _run(self, fn: Callable[..., object], *args: Any) -> None:
        fn(*args)

    def extend(self, event_id: int) -> None:
        self._run(self.leases.extend, event_id)

    def release(self, event_id: int) -> None:
        self._run(self.leases.release, event_id)

    def completed(self, event_ids: Iterable[int]) -> None:
        self._run(self.leases.completed, list(event_ids))

    def heartbeat(self, event_id: int) -> contextlib.AbstractContextManager[object]:
        """Renew the event's lease while the block runs (nothing without a `heartbeat` interval)."""
        if self._interval is None:
            return contextlib.nullcontext()
        return Heartbeat(lambda: self.leases.extend(event_id), self._interval)


class LeaseCalls(_LeaseCalls):
    """The sync consumer's: every call made directly (it blocks anyway)."""

    def acquire(self, event_id: int) -> bool:
        return self.leases.acquire(event_id)

    def settle(self) -> None:
        """Nothing is left in flight."""


class AsyncLeaseCalls(_LeaseCalls):
    """The async consumer's: a `blocking` lease store (Redis) is never called on the event loop:
    `acquire` is awaited on a worker thread of its own, the other calls are posted there in order."""

    def __init__(self, leases: EventLeases) -> None:
        super().__init__(leases)
        self._offload = Offload("craftapis-leases") if getattr(leases, "blocking", False) else None

    def _run(self, fn: Callable[..., object], *args: Any) -> None:
        if self._offload is None:
            fn(*args)
        else:
            self._offload.post(fn, *args)

    async def acquire(self, event_id: int) -> bool:
        if self._offload is None:
            return self.leases.acquire(event_id)
        return await self._offload.call(self.leases.acquire, event_id)

    async def settle(self) -> None:
        """Wait until the posted calls ran (the consumer stops), then end the worker thread."""
        if self._offload is not None:
            await self._offload.call(_nothing)
            self._offload.close()


def _nothing() -> None:
    return None
