"""What craftapis needs of a Redis client, as Protocols: `redis.Redis` and `redis.cluster.RedisCluster`
(redis-py >= 5, the `redis` extra) satisfy them, and so does any object with the same two methods (a
test double, a wrapper adding metrics).

Why Protocols and not `redis.Redis` in the signatures: redis-py is an optional extra, so a user without
it must still be able to type-check code that never passes a client; and a structural type says
exactly which methods are used: registering Lua scripts, calling them, and closing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol, TypedDict

__all__ = ["RedisClient", "RedisScript", "RedisStoreOptions"]


class RedisScript(Protocol):
    """A registered Lua script (redis-py's `Script`): called with its keys and arguments."""

    def __call__(
        self,
        keys: Sequence[str] | None = None,
        args: Iterable[str | int | float | bytes] | None = None,
    ) -> object:
        """Run the script (`EVALSHA`, loading it first if the server does not know it)."""
        ...


class RedisClient(Protocol):
    """The part of a synchronous `redis.Redis` (or `RedisCluster`) that craftapis uses."""

    def register_script(self, script: str, /) -> RedisScript:
        """A callable running the Lua `script` (redis-py's `Redis.register_script`)."""
        ...

    def close(self) -> None:
        """Close the client's connections."""
        ...


class RedisStoreOptions(TypedDict, total=False):
    """The `RedisStore` settings `RedisRateLimiter(**store_options)` passes on (see `RedisStore`).

    Attributes:
        client: a ready `redis.Redis` (or `RedisCluster`) instead of the URL.
        prefix: put before every key (default `craftapis:ratelimit:`).
        socket_timeout: seconds for connecting to and hearing from Redis (default 0.5).
        reconnect_interval: seconds between attempts to reach Redis while it is away (default 1).
        max_conflicts: compare-and-set attempts before one operation gives up on Redis (default 64).
    """

    client: RedisClient | None
    prefix: str
    socket_timeout: float
    reconnect_interval: float
    max_conflicts: int
