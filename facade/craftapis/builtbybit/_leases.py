"""Event leases for a fleet of `EventsConsumer`s on one BuiltByBit events feed (Redis).

`EventsConsumer(bbb, handle, leases=RedisEventLeases("redis://127.0.0.1:6379/0", key="my-bot"))`:
before a consumer hands an event to its handler it takes the event's lease (`SET NX` with an
expiry), so no other live consumer handles it meanwhile; the lease is renewed when the handler
returns and held until the completion is confirmed, then replaced by a *done* marker so a consumer
that still sees the event listed (the server's list lags) skips it: none is completed twice. A
consumer that crashes holds its leases only until they expire (`lease` seconds); the events are
then delivered to another consumer: at-least-once holds, and an event is handled twice only after a
crash. A handler that runs longer than `lease` may see its event handled elsewhere: set `lease`
above the slowest handler plus the consumer's `batch_delay`.

If Redis cannot be reached the leases fail open (each consumer handles what it sees, as without
leases) with one WARNING on the `craftapis.builtbybit.events` logger.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from .._ratelimit import REDIS_URL_ENV
from .._redis_client import RedisClient, connect

__all__ = ["EventLeases", "RedisEventLeases"]

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
    """What `EventsConsumer(leases=...)` needs: exclusive, expiring claims on event ids."""

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
    """

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
    ) -> None:
        if not lease > 0 or not done_ttl > 0:
            raise ValueError("lease and done_ttl must be > 0 seconds")
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

    def __repr__(self) -> str:
        return f"RedisEventLeases({self.where!r}, key={self._feed!r}, owner={self.owner!r})"

    def _keys(self, event_id: int) -> list[str]:
        # One hash tag per event: its lease and done keys share a Redis Cluster slot (scripts use both).
        tag = f"{self._prefix}{{{self._feed}:{event_id}}}"
        return [f"{tag}:lease", f"{tag}:done"]

    def _unavailable(self, exc: BaseException) -> None:
        with self._lock:
            first, self._warned = not self._warned, True
        if first:
            logger.warning(
                "Redis at %s is unavailable for event leases (%s: %s): consumers handle what they see "
                "without leases (events may be handled by two consumers) until it answers again",
                self.where,
                type(exc).__name__,
                exc,
            )

    def _ok(self) -> None:
        if self._warned:
            with self._lock:
                self._warned = False
            logger.info("Redis at %s answers again: event leases are back", self.where)

    def acquire(self, event_id: int) -> bool:
        """See `EventLeases.acquire`: claim the event (SET NX with the lease's expiry); False if held or done."""
        try:
            taken = bool(self._acquire(keys=self._keys(event_id), args=[self.owner, self._lease_ms]))
        except self._errors as exc:
            self._unavailable(exc)
            return True  # fail open: at-least-once matters more than exclusivity
        self._ok()
        return taken

    def extend(self, event_id: int) -> None:
        """See `EventLeases.extend`: renew this consumer's claim for another `lease` seconds."""
        try:
            self._extend(keys=self._keys(event_id)[:1], args=[self.owner, self._lease_ms])
        except self._errors as exc:
            self._unavailable(exc)

    def release(self, event_id: int) -> None:
        """See `EventLeases.release`: give the claim up so another consumer may take the event."""
        try:
            self._release(keys=self._keys(event_id)[:1], args=[self.owner])
        except self._errors as exc:
            self._unavailable(exc)

    def completed(self, event_ids: Iterable[int]) -> None:
        """See `EventLeases.completed`: replace the claims by done markers (kept `done_ttl` seconds)."""
        try:
            for event_id in event_ids:
                self._done(keys=self._keys(event_id), args=[self.owner, self._done_ms])
        except self._errors as exc:
            self._unavailable(exc)

    def close(self) -> None:
        """Close the connections to Redis."""
        self.redis.close()
