"""What craftapis needs of a Redis client, as Protocols: `redis.Redis` and `redis.cluster.RedisCluster`
(redis-py >= 5, the `redis` extra) satisfy them, and so does any object with the same two methods (a
test double, a wrapper adding metrics). Also the two things every Redis user of craftapis shares:
`connect` (the client made from a URL, or a given one described without its password) and `Offload`
(the one worker thread on which async code runs the blocking redis-py calls).

Why Protocols and not `redis.Redis` in the signatures: redis-py is an optional extra, so a user without
it must still be able to type-check code that never passes a client; and a structural type says
exactly which methods are used: registering Lua scripts, calling them, and closing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypedDict, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

__all__ = ["Offload", "RedisClient", "RedisScript", "RedisStoreOptions", "connect", "redact_redis_url"]

logger = logging.getLogger("craftapis")
_T = TypeVar("_T")


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


def redact_redis_url(url: str) -> str:
    """``url`` without its password (``redis://user:***@host:6379/0``), for logs and messages."""
    import httpx

    parsed = httpx.URL(url) if "://" in url else None
    if parsed is None or not parsed.password:
        return url
    return str(parsed.copy_with(password="***"))


def connect(
    url: str | None, client: RedisClient | None, *, socket_timeout: float, what: str
) -> tuple[RedisClient, str, tuple[type[BaseException], ...]]:
    """(the client, where it points without the password, the errors meaning "Redis is unavailable").

    A `client` is used as given; else one is made from `url` with `socket_timeout` for connecting and
    for every answer, one immediate retry (it heals a pooled connection Redis closed; no backoff
    sleeps: the callers' fallback is the answer to a Redis that is away) and no health-check pings.
    `what` names the feature in the ImportError when redis-py (the `redis` extra) is missing.
    """
    try:
        import redis
        from redis.backoff import NoBackoff
        from redis.retry import Retry
    except ImportError as exc:  # pragma: no cover - exercised without the extra
        raise ImportError(f'{what} needs redis-py: pip install "craftapis[redis]"') from exc
    errors = (redis.RedisError, OSError)
    if client is not None:  # a redis.Redis (its pool knows the address) or a redis.cluster.RedisCluster
        pool = getattr(client, "connection_pool", None)
        kwargs = getattr(pool, "connection_kwargs", None) or {}
        where = (
            f"redis://{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
            if kwargs
            else type(client).__name__
        )
        return client, where, errors
    if not url:
        raise ValueError(f"{what} needs the Redis URL or a client")
    made = redis.Redis.from_url(
        url,
        socket_timeout=socket_timeout,
        socket_connect_timeout=socket_timeout,
        retry=Retry(NoBackoff(), 1),
        health_check_interval=0,
    )
    return made, redact_redis_url(url), errors


class Offload:
    """One worker thread of its own on which async code runs blocking Redis calls, in order.

    `await call(fn, ...)` runs `fn` there and gives its result; `post(fn, ...)` queues it without
    waiting (what nobody needs the result of: a limiter's `observe`, a lease's renewal), behind every
    call queued before, so a later `call` sees its effect. The event loop never waits on Redis: a
    stalled Redis holds this thread (for at most the client's socket timeout per command), not the
    loop. One thread, not `asyncio.to_thread`'s shared pool: the calls stay ordered, and a stalled
    Redis cannot use up the pool other work (hashing a file) needs. Created on first use.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._lock = threading.Lock()
        self._executor: ThreadPoolExecutor | None = None

    def _worker(self) -> ThreadPoolExecutor:
        executor = self._executor
        if executor is None:
            from concurrent.futures import ThreadPoolExecutor

            with self._lock:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(1, thread_name_prefix=self._name)
                executor = self._executor
        return executor

    def _submit(self, fn: Callable[..., _T], args: tuple[Any, ...], kwargs: dict[str, Any]) -> Future[_T]:
        executor = self._worker()
        try:
            return executor.submit(fn, *args, **kwargs)
        except RuntimeError:  # closed meanwhile (a request still in flight as its client closes)
            with self._lock:
                if self._executor is executor:
                    self._executor = None
            return self._worker().submit(fn, *args, **kwargs)  # at interpreter exit: raises again

    async def call(self, fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
        """`fn(*args, **kwargs)` on the worker thread, after everything queued before; its result."""
        import asyncio

        return await asyncio.wrap_future(self._submit(fn, args, kwargs))

    def post(self, fn: Callable[..., object], /, *args: Any, **kwargs: Any) -> None:
        """Queue `fn(*args, **kwargs)` on the worker thread; an exception it raises is logged."""
        self._submit(fn, args, kwargs).add_done_callback(self._report)

    def _report(self, future: Future[object]) -> None:
        if not future.cancelled() and future.exception() is not None:
            logger.error("a Redis call on %s failed", self._name, exc_info=future.exception())

    def close(self) -> None:
        """Let the worker finish what is queued, then end it (a later call starts a new one)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False)
