"""The sync clients' default inner transport: HTTP/1.1 connections framed by llhttp, pooled here (issue 12).

`httpx.HTTPTransport` is a thin layer over `httpcore.ConnectionPool`, but every request pays for both:
the `httpx.Request` is converted field by field into an `httpcore.Request` (whose constructor re-checks
every header byte pair), the send and every body chunk run inside a generator-based
`map_httpcore_exceptions()` context, the body comes through two more generators, and the pool queues
and rescans (`LeanPool` says what it costs). `WireTransport` *is* an `httpx.HTTPTransport` (httpx's
pool limits and keep-alive, TLS context from `httpx.create_ssl_context()`, HTTP/1.1 only) whose pool is
`LeanPool`, and whose `handle_request` does the same with less: the httpcore request is filled in from
what the `httpx.Request` already holds (its method, URL pieces, `headers.raw`, stream and extensions,
with the policy's timeouts), httpcore's exceptions are mapped to the httpx classes and messages httpx's
own transport raises (`_HTTPCORE_TO_HTTPX`, checked against httpx's table in tests/speed/test_wire.py),
and the body is one `yield from` over the connection's stream.

What frames the messages, and whose each piece is:

* `LeanPool`'s connections are `_llhttp.LlhttpConnection`s: llhttp (Node's parser, C, through
  MagicStack's httptools) parses every response; the request is written as h11 writes it; the
  `_llhttp` module docstring lists where its verdicts are h11's and the one place they are not.
  Connect and TLS are httpcore's network backend (`httpcore.SyncBackend`, ALPN http/1.1).
* Where httptools cannot be imported (no wheel for the platform), while
  `httpcore.HTTPConnection.handle_request` is patched (respx), or for a request with httpcore's
  `trace` extension, or while the `httpcore.http11` logger is enabled for DEBUG (a user debugging the
  wire expects httpcore's events, and only httpcore's connections emit them), the pool opens
  `httpcore.HTTPConnection`s instead: httpcore connects and h11 frames, as before.
* The pool, the head bound and the mapping of errors are this module's.

Three things stay exactly httpx's:

* Mocks of httpx. vcrpy (cassettes) and pytest-httpx patch `httpx.HTTPTransport.handle_request` on the
  class. Whenever that attribute is not httpx's own function, the request goes through it, unchanged,
  so a cassette entered after the client was built still records and replays (decided per request: one
  attribute read). respx patches `httpcore.HTTPConnection.handle_request`: while it does, `LeanPool`
  opens httpcore's connections, whose patched method answers (checked per request). Each library's own
  function is told by where its code lives, not by what was on the class when this module was
  imported, so mocks already in place then (a first client built inside `with respx.mock:`) are seen
  too, and once they are gone the direct path serves again.
* Anything unusual: a method that is not one of the common ones, or an explicit `target` extension,
  takes `httpx.HTTPTransport.handle_request` itself.
* Proxies: with a proxy variable set, `build_client` uses an httpx client of its own (`trust_env=True`),
  never this transport.

One bound is craftapis' own: the response head. Both connections read the status line and headers with
the read timeout applied to each `recv`, and accept up to 100 KiB of them, so a server dripping one
header byte every few seconds held a call for hours, past `RetryPolicy.deadline` (the policy caps each
phase's timeout at the time left, but per read). Here the whole head must arrive within the request's
read timeout, counted from the first read (the policy's cap makes that at most the time left before the
deadline); past it the call fails with httpx's `ReadTimeout`. Body reads keep the per-read timeout
(`_guards.BodyReader` checks the deadline between chunks). The bounded streams are the proxy path's
(`_sync_proxy.HeadBoundBackend`, generated from `_async_proxy.py`); this transport begins and ends each
request's head budget (`_primitives.thread_head`) itself.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from collections.abc import Iterator
from types import ModuleType
from typing import Any, cast

import httpcore
import httpx

from ._primitives import thread_head
from ._sync_proxy import HeadBoundBackend

try:  # maintained llhttp bindings (C); without a wheel for this platform, h11 frames every message
    from ._llhttp import LlhttpConnection
except ImportError:  # pragma: no cover - tests/speed/test_wire.py covers it by patching the import
    LlhttpConnection = None  # type: ignore[assignment,misc]

__all__ = ["WireTransport"]

#: httpcore's exception classes -> the httpx classes `httpx.HTTPTransport` raises for them
#: (httpx's `_transports/default.py`, `_load_httpcore_exceptions`); a test compares the two tables.
_HTTPCORE_TO_HTTPX: dict[type[Exception], type[httpx.HTTPError]] = {
    httpcore.TimeoutException: httpx.TimeoutException,
    httpcore.ConnectTimeout: httpx.ConnectTimeout,
    httpcore.ReadTimeout: httpx.ReadTimeout,
    httpcore.WriteTimeout: httpx.WriteTimeout,
    httpcore.PoolTimeout: httpx.PoolTimeout,
    httpcore.NetworkError: httpx.NetworkError,
    httpcore.ConnectError: httpx.ConnectError,
    httpcore.ReadError: httpx.ReadError,
    httpcore.WriteError: httpx.WriteError,
    httpcore.ProxyError: httpx.ProxyError,
    httpcore.UnsupportedProtocol: httpx.UnsupportedProtocol,
    httpcore.ProtocolError: httpx.ProtocolError,
    httpcore.LocalProtocolError: httpx.LocalProtocolError,
    httpcore.RemoteProtocolError: httpx.RemoteProtocolError,
}

#: the methods the direct path encodes from a table; any other takes httpx's own `handle_request`
_METHODS = {m: m.encode("ascii") for m in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")}


def _mapped(exc: Exception) -> httpx.HTTPError | None:
    """The httpx exception `httpx.HTTPTransport` raises for `exc` (the most specific class mapped), or None."""
    for cls in type(exc).__mro__:
        target = _HTTPCORE_TO_HTTPX.get(cls)
        if target is not None:
            return target(str(exc))
    return None


class _LibraryFunction:
    """A library's own function `cls.<name>`, told by where its code lives (`module`), not by what was
    on the class when this module was imported: a wire first imported while a mock was in place (the
    first client built inside `with respx.mock:`, or under pytest-httpx) would otherwise take the mock
    for the library's own, and respx would never see a request. `own` is the library's function as
    last seen (None while a mock that does not say what it hides was there since the import)."""

    __slots__ = ("_cls", "_module", "_name", "own")

    def __init__(self, cls: type, name: str, module: ModuleType) -> None:
        self._cls, self._name, self._module = cls, name, module
        self.own: Any = self._find()

    def _find(self) -> Any:
        """The library's function on the class, even if a mock wrapped it (with `functools.wraps`, as
        vcrpy does); None if a mock replaced it without saying what it hides."""
        function = self._cls.__dict__[self._name]
        for _ in range(8):
            code = getattr(function, "__code__", None)
            if code is not None and code.co_filename == self._module.__file__:
                return function
            function = getattr(function, "__wrapped__", None)
            if function is None:
                break
        return None

    def patched(self) -> bool:
        """Whether a mock is on the class now; asked only when the attribute is not `own` (one identity
        check per request). The library's own function, once seen there, is `own` from then on."""
        current = self._cls.__dict__[self._name]
        if self._find() is current:
            self.own = current
            return False
        return True


#: httpx's own `HTTPTransport.handle_request`: while anything else is there (vcrpy, pytest-httpx), every
#: request goes through what is patched in
_HTTPX = _LibraryFunction(httpx.HTTPTransport, "handle_request", httpx._transports.default)
#: httpcore's own `HTTPConnection.handle_request`: while respx (or any mock) has replaced it on the
#: class, the pool opens `httpcore.HTTPConnection`s, so the mock sees every request
_HTTPCORE = _LibraryFunction(httpcore.HTTPConnection, "handle_request", httpcore._sync.connection)
#: httpcore's HTTP/1.1 events log here (`httpcore._trace.Trace`, DEBUG): while on, its connections serve
_HTTPCORE_LOG = logging.getLogger("httpcore.http11")


# -- the pool ---------------------------------------------------------------------------------------

_DEFAULT_PORTS = {b"http": 80, b"https": 443}
_Key = tuple[bytes, bytes, int, bool]  # scheme, host, port, framed by llhttp (else h11 via httpcore)


class _Returning(httpx.SyncByteStream):
    """A response body whose connection goes back to the pool (or is closed) when the body is closed."""

    __slots__ = ("_connection", "_key", "_pool", "_stream")

    def __init__(self, stream: Any, pool: LeanPool, key: _Key, connection: httpcore.HTTPConnection) -> None:
        self._stream = stream
        self._pool = pool
        self._key = key
        self._connection: httpcore.HTTPConnection | None = connection

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except BaseException:
            self.close()  # httpcore's body closed its connection already: give the slot back
            raise

    def close(self) -> None:
        connection, self._connection = self._connection, None
        try:
            close = getattr(self._stream, "close", None)  # httpcore.ByteStream (a mock's body) has none
            if close is not None:
                close()
        finally:
            if connection is not None:
                self._pool._release(self._key, connection)


class LeanPool:
    """A pool of HTTP/1.1 connections (`_llhttp.LlhttpConnection`s, else `httpcore.HTTPConnection`s: the
    module docstring says when), one request at a time each: what `httpcore.ConnectionPool`
    does for HTTP/1.1, in a few dict and lock operations per request instead of its request queue.

    `httpcore.ConnectionPool` queues every request (`PoolRequest`, a `threading.Event` each), rescans
    every connection of every origin on each request and on each close (a `poll()` of each idle socket
    each time) and wraps every response twice more: about 175,000 instructions per request, a seventh
    of the whole HTTP exchange of a 23 KB GET on loopback. Here a request takes the most recently used
    idle connection of its origin (checked with `has_expired()`: keep-alive expiry, or the server closed
    it), else opens one; a closed body gives it back (kept if `is_available()`, at most
    `max_keepalive_connections` idle in all, else closed). Every request also closes the idle
    connections of any origin released more than `keepalive_expiry` ago, as httpcore's pool does (its
    `_assign_requests_to_connections`), so a client that talked to many hosts does not keep their sockets
    open: idle connections are kept in the order they were released, so that costs one clock read and
    one comparison while any other is idle, nothing when none is. At `max_connections` a new connection
    first closes the least recently released idle one (of another origin), else waits for one to be
    released, up to the pool timeout
    (`httpcore.PoolTimeout`, as httpcore raises); waiting requests are served first come, first served
    (one arriving when a connection is released queues behind them). Both kinds of connection have httpcore's interface
    (`handle_request`, `has_expired`, `is_available`, `close`) and raise httpcore's exceptions;
    `llhttp=False` keeps to httpcore's (h11) connections. While `respx` patches
    `httpcore.HTTPConnection.handle_request`, requests get httpcore's connections, so respx sees each.
    """

    def __init__(
        self,
        *,
        ssl_context: Any,
        max_connections: int,
        max_keepalive_connections: int,
        keepalive_expiry: float | None,
        network_backend: httpcore.NetworkBackend | None = None,
        llhttp: bool = True,
    ) -> None:
        self._ssl_context = ssl_context
        self._llhttp = llhttp and LlhttpConnection is not None
        self._max_connections = max_connections
        self._max_keepalive_connections = min(max_keepalive_connections, max_connections)
        self._keepalive_expiry = keepalive_expiry
        self._network_backend = network_backend
        self._lock = threading.Lock()
        self._room = threading.Condition(self._lock)
        self._idle: dict[_Key, list[httpcore.HTTPConnection]] = {}  # per origin, most recently released last
        #: every idle connection -> when it was released (`time.monotonic()`), least recently released first
        self._idle_since: dict[httpcore.HTTPConnection, float] = {}
        #: every connection not yet closed by the pool -> its origin's key
        self._open: dict[httpcore.HTTPConnection, _Key] = {}
        self._origins: dict[_Key, httpcore.Origin] = {}
        self._queue: collections.deque[object] = collections.deque()  # the waiting threads, in order

    # httpcore's RequestInterface: what `httpx.HTTPTransport.handle_request` calls (the mocked path)
    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        response, key, connection = self._send(request)
        response.stream = _Returning(response.stream, self, key, connection)
        return response

    def _send(self, request: httpcore.Request) -> tuple[httpcore.Response, _Key, httpcore.HTTPConnection]:
        url = request.url
        scheme = url.scheme
        default = _DEFAULT_PORTS.get(scheme)
        if (
            default is None
        ):  # httpcore's checks and messages (it also takes ws/wss, craftapis never sends them)
            if scheme == b"":
                raise httpcore.UnsupportedProtocol(
                    "Request URL is missing an 'http://' or 'https://' protocol."
                )
            raise httpcore.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme.decode()}://'."
            )
        # h11 through httpcore while respx patches httpcore's connection, or for httpcore's events (a
        # "trace" extension, or httpcore's DEBUG logging on: `isEnabledFor` is a cached dict lookup)
        llhttp = (
            self._llhttp
            and (httpcore.HTTPConnection.handle_request is _HTTPCORE.own or not _HTTPCORE.patched())
            and "trace" not in request.extensions
            and not _HTTPCORE_LOG.isEnabledFor(logging.DEBUG)
        )
        key = (scheme, url.host, url.port or default, llhttp)
        while True:
            connection = self._acquire(key, request)
            try:
                response = connection.handle_request(request)
            except httpcore.ConnectionNotAvailable:  # taken idle, gone meanwhile: another one
                self._release(key, connection)
                continue
            except BaseException:
                self._release(key, connection)
                raise
            return response, key, connection

    def _acquire(self, key: _Key, request: httpcore.Request) -> httpcore.HTTPConnection:
        closing: list[httpcore.HTTPConnection] = []
        until: float | None = None
        ticket: object | None = None  # this thread's place in the queue, once it has to wait
        queue = self._queue
        try:
            with self._lock:
                try:
                    while True:
                        if not queue or queue[0] is ticket:  # first come, first served
                            connection = self._take(key, closing)
                            if connection is not None:
                                return connection
                        if until is None:
                            timeout = (request.extensions.get("timeout") or {}).get("pool")
                            until = float("inf") if timeout is None else time.monotonic() + timeout
                        left = until - time.monotonic()
                        if left <= 0.0:
                            raise httpcore.PoolTimeout()
                        if ticket is None:
                            ticket = object()
                            queue.append(ticket)
                        self._room.wait(None if left == float("inf") else left)
                finally:
                    if ticket is not None:
                        queue.remove(ticket)
                        if queue:  # the next in line may take what is free now
                            self._room.notify_all()
        finally:
            for old in closing:
                old.close()

    def _take(self, key: _Key, closing: list[httpcore.HTTPConnection]) -> httpcore.HTTPConnection | None:
        """An idle connection of `key`'s origin still good, else a new one if there is room (closing the
        least recently released idle one of another origin to make it), else None. Under the lock."""
        idle = self._idle_since
        stack = self._idle.get(key)
        while stack:  # the most recently released idle connection of this origin, if still good
            connection = stack.pop()
            del idle[connection]
            if not connection.has_expired():
                if idle:  # with none idle (one origin, one thread) nothing to expire, no clock read
                    self._expire(closing)
                return connection
            self._open.pop(connection, None)
            closing.append(connection)
        if idle:
            self._expire(closing)
        while len(self._open) >= self._max_connections:
            if not idle:
                return None
            self._drop_idle(next(iter(idle)), closing)  # another origin's: this one has none idle
        return self._new(key)

    def _expire(self, closing: list[httpcore.HTTPConnection]) -> None:
        """The idle connections released more than `keepalive_expiry` ago go into `closing`, whatever
        their origin: only the least recently released ones are looked at. Under the lock."""
        expiry = self._keepalive_expiry
        if expiry is None:
            return
        idle = self._idle_since
        cutoff = time.monotonic() - expiry
        while idle:
            oldest = next(iter(idle))
            if idle[oldest] > cutoff:
                return
            self._drop_idle(oldest, closing)

    def _drop_idle(self, connection: httpcore.HTTPConnection, closing: list[httpcore.HTTPConnection]) -> None:
        """Take an idle connection out of the pool, to be closed after the lock. Under the lock."""
        del self._idle_since[connection]
        key = self._open.pop(connection, None)
        if key is not None:
            self._idle[key].remove(connection)  # its stack's first, the oldest
        else:  # released while `close()` ran (which closes it): its stack is not known, look
            for stack in self._idle.values():
                if connection in stack:
                    stack.remove(connection)
        closing.append(connection)

    def _new(self, key: _Key) -> httpcore.HTTPConnection:
        origin = self._origins.get(key)
        if origin is None:
            origin = self._origins[key] = httpcore.Origin(key[0], key[1], key[2])
        if key[3]:
            # the same interface as httpcore.HTTPConnection, which the pool's annotations name
            framed = cast(
                httpcore.HTTPConnection,
                LlhttpConnection(
                    origin=origin,
                    ssl_context=self._ssl_context,
                    keepalive_expiry=self._keepalive_expiry,
                    network_backend=self._network_backend,
                ),
            )
            self._open[framed] = key
            return framed
        connection = httpcore.HTTPConnection(
            origin=origin,
            ssl_context=self._ssl_context,
            keepalive_expiry=self._keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=self._network_backend,
        )
        self._open[connection] = key
        return connection

    def _release(self, key: _Key, connection: httpcore.HTTPConnection) -> None:
        with self._lock:
            # a connection closed meanwhile (by `close()`, or its server) is not available; one that
            # `close()` took out of `_open` but has not closed yet may still be kept (`_drop_idle`)
            idle = self._idle_since
            keep = connection.is_available() and len(idle) < self._max_keepalive_connections
            if keep:
                stack = self._idle.get(key)
                if stack is None:  # (not `setdefault(key, [])`: no list made and dropped per release)
                    stack = self._idle[key] = []
                stack.append(connection)
                idle[connection] = time.monotonic()
            else:
                self._open.pop(connection, None)
            if self._queue:  # the first in line takes it (the others wait on)
                self._room.notify_all()
        if not keep:
            connection.close()

    @property
    def connections(self) -> list[httpcore.HTTPConnection]:
        """The connections open now (idle or in use), for tests and debugging."""
        with self._lock:
            return list(self._open)

    def close(self) -> None:
        """Close every connection, in use or idle (as httpcore's pool does); the pool stays usable."""
        with self._lock:
            closing = list(self._open)
            self._open.clear()
            self._idle.clear()
            self._idle_since.clear()
            self._room.notify_all()
        for connection in closing:
            connection.close()

    def __enter__(self) -> LeanPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- the transport ----------------------------------------------------------------------------------


class _WireStream(_Returning):
    """A pooled body whose errors are mapped as `httpx.HTTPTransport`'s `ResponseStream` maps them."""

    __slots__ = ()

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except Exception as exc:
            self.close()
            mapped = _mapped(exc)
            if mapped is None:
                raise
            raise mapped from exc
        except BaseException:
            self.close()
            raise


class WireTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport()` with httpx's defaults (TLS verified with `httpx.create_ssl_context()`,
    httpx's default pool limits, HTTP/1.1), whose requests skip httpx's per-request wrapping (the
    module docstring says what is kept and why)."""

    def __init__(self) -> None:  # httpx.HTTPTransport.__init__ without a proxy, its pool given a backend
        # httpx's DEFAULT_LIMITS, what `httpx.HTTPTransport()` uses (a test compares the pools)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        self._pool = LeanPool(  # type: ignore[assignment]
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections or 100,
            max_keepalive_connections=limits.max_keepalive_connections or 20,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=HeadBoundBackend(httpcore.SyncBackend()),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout")
        head = thread_head
        head.budget = timeout.get("read") if isinstance(timeout, dict) else None
        head.until = None
        try:
            if httpx.HTTPTransport.handle_request is not _HTTPX.own and _HTTPX.patched():
                return httpx.HTTPTransport.handle_request(self, request)  # vcrpy, pytest-httpx, ...
            return self._send(request)
        finally:
            head.budget = None

    def _send(self, request: httpx.Request) -> httpx.Response:
        method = _METHODS.get(request.method)
        extensions = request.extensions
        if method is None or "target" in extensions:
            return _HTTPX.own(self, request)  # type: ignore[no-any-return]
        url = request.url
        core_url = httpcore.URL.__new__(httpcore.URL)
        core_url.scheme = url.raw_scheme
        core_url.host = url.raw_host
        core_url.port = url.port
        core_url.target = url.raw_path
        core = httpcore.Request.__new__(httpcore.Request)
        core.method = method
        core.url = core_url
        core.headers = request.headers.raw  # byte pairs already: httpx.Headers normalised them
        core.stream = request.stream
        core.extensions = extensions
        pool: LeanPool = self._pool  # type: ignore[assignment]
        try:
            response, key, connection = pool._send(core)
        except Exception as exc:
            mapped = _mapped(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx.Response(
            response.status,
            headers=response.headers,
            stream=_WireStream(response.stream, pool, key, connection),
            extensions=response.extensions,
        )
