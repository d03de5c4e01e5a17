"""`AsyncWireTransport`: the async clients' default inner transport, HTTP/1.1 over asyncio's own
`Protocol`, every response framed by llhttp (issue 12, J4).

Under 16 tasks sharing one client, aiohttp's layer (`ClientRequest`, `CIMultiDict`, its timers,
connector and `StreamReader`) cost more than craftapis' own per-call work; a bare
`asyncio.Protocol` fed to `httptools.HttpResponseParser` serves about twice aiohttp's requests per
second on loopback. This module is that, with what a transport must keep:

* Framing: `_llhttp.Framing`, the sync wire's (`LlhttpConnection`) per-message state and llhttp
  callbacks, so both frame every answer by the same rules (HEAD, 1xx skipped, 101 only when an upgrade
  was proposed, a body to EOF, one `Transfer-Encoding` that must be chunked, 100 KiB of head at most,
  obs-fold refused; the `_llhttp` docstring lists them), and `_llhttp.request_head` writes the request
  as h11 writes it (header names and values checked with h11's rules).
* A pool per origin (scheme, host, port): keep-alive reuse (most recently used first),
  `httpx.Limits` as httpx reads them (100 connections, 20 kept idle, idle ones closed after 5 s by
  default), FIFO waiters for a connection once `max_connections` are open, a connection the server
  closed while idle dropped. A request sent on a reused connection that is closed before any byte of
  the answer came is sent once more on a new connection (a stale keep-alive connection, RFC 9112
  9.3.1; as aiohttp, for idempotent methods and a body in memory only).
* Timeouts per phase from `request.extensions["timeout"]` (the policy caps them at the call's
  deadline): `connect` (TCP and TLS) -> `httpx.ConnectTimeout`, `pool` (waiting for a connection) ->
  `httpx.PoolTimeout`, `write` (a body the socket does not take) -> `httpx.WriteTimeout`, and `read`:
  the whole response head, any 1xx answers included, must arrive within it counted from when the
  request was written, and each wait for more of the body is bounded by it -> `httpx.ReadTimeout`.
  Both are watched by ONE loop timer per transport (`_Watch`), not one per request: asyncio keeps
  timers in a heap of Python-compared handles, cancelled ones included, and a timer armed and
  cancelled per request cost about 17k instructions of a 650k GET (callgrind).
* The body is bounded: reading pauses while more than 256 KiB are buffered unread, and resumes once
  the consumer has taken them, so a fast hostile server cannot grow memory past a slow consumer.
* Errors are httpx's classes, as `httpx.AsyncHTTPTransport` raises them (`ConnectError`,
  `ConnectTimeout`, `ReadError`, `RemoteProtocolError` with llhttp's reason, `UnsupportedProtocol` for
  a scheme other than http/https, `LocalProtocolError` for a header that cannot be sent); no message
  holds the URL or a header value (a query or a header may hold a secret).
* TLS: httpx's default context (`_httpx_glue.default_ssl_context`: certifi, `SSL_CERT_FILE`,
  `SSL_CERT_DIR`), ALPN `http/1.1`, SNI from the `sni_hostname` extension or the host.

aiohttp stays the fallback (`_aiohttp_transport.AiohttpTransport`): `_http.AsyncDefaultTransport`
gives it where httptools cannot be imported, and this transport hands a request to it while
`aiohttp.ClientSession._request` is patched (vcrpy cassettes and aioresponses patch it): decided per
request, so a cassette entered after the client was built still records and replays.
"""

from __future__ import annotations

import asyncio
import collections
import math
import sys
from typing import Any

import httpcore
import httpx

from ._httpx_glue import default_ssl_context, fill_headers
from ._llhttp import Framing, body_end, frame_piece, request_head

__all__ = ["AsyncWireTransport"]

_HIGH = 256 * 1024  # unread body bytes past which reading pauses
_LOW = 64 * 1024  # ... and resumes once they are down to this
_PIECE = 64 * 1024  # a body piece of at most this size goes out with the head, in one write
_IDEMPOTENT = frozenset((b"GET", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"TRACE"))

_CONNECTING, _ACTIVE, _IDLE, _CLOSED = range(4)


def _aiohttp_request_patched() -> bool:
    """Whether `aiohttp.ClientSession._request` is not aiohttp's own (vcrpy, aioresponses): a mock's code
    lives elsewhere than aiohttp's `client` module. Nothing to ask while aiohttp is not imported."""
    module = sys.modules.get("aiohttp.client")
    if module is None:
        return False
    current = module.ClientSession.__dict__.get("_request")
    if current is _GENUINE[0]:
        return False
    code = getattr(current, "__code__", None)
    if code is not None and code.co_filename == getattr(module, "__file__", None):
        _GENUINE[0] = current
        return False
    return True


_GENUINE: list[Any] = [None]  # aiohttp's own `ClientSession._request`, once seen


class _Watch:
    """The reads being waited for through one transport (one event loop): each connection with the loop
    time its head (or the next piece of its body) must have arrived by, and one loop timer for the
    earliest. A dict entry per request costs a few hundred instructions; a timer armed and cancelled per
    request cost about 17k. When one runs out, the connection fails with `httpx.ReadTimeout`."""

    __slots__ = ("_at", "_loop", "_pending", "_timer")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: dict[_Connection, float] = {}
        self._timer: asyncio.TimerHandle | None = None
        self._at = math.inf  # when the timer runs out (inf: not armed)

    def add(self, connection: _Connection, budget: float) -> None:
        until = self._loop.time() + budget
        connection._budget = budget
        self._pending[connection] = until
        if until < self._at:
            if self._timer is not None:
                self._timer.cancel()
            self._at = until
            self._timer = self._loop.call_at(until, self._sweep)

    def discard(self, connection: _Connection) -> None:
        self._pending.pop(connection, None)

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer, self._at = None, math.inf
        self._pending.clear()

    def _sweep(self) -> None:
        self._timer, self._at = None, math.inf
        now = self._loop.time() + 0.001  # asyncio runs a timer up to its clock resolution early
        earliest = math.inf
        for connection, until in list(self._pending.items()):
            if until > now:
                earliest = min(earliest, until)
            else:
                del self._pending[connection]
                connection._time_out()
        if earliest < math.inf:
            self._at = earliest
            self._timer = self._loop.call_at(earliest, self._sweep)


class _Connection(Framing, asyncio.Protocol):
    """One HTTP/1.1 connection of an `AsyncWireTransport`, one exchange at a time. llhttp is fed in
    `data_received`; the task sending the request waits on `_waiter` (a future) for the head, and the
    body stream on it for more body, woken as soon as there is something to take."""

    def __init__(self, pool: AsyncWireTransport, key: tuple[bytes, bytes, int]) -> None:
        self._pool = pool
        self._key = key
        loop = pool._loop
        assert loop is not None
        self._loop = loop
        self._transport: asyncio.Transport | None = None
        self._state = _CONNECTING
        self._waiter: asyncio.Future[None] | None = None
        self._writable: asyncio.Future[None] | None = None  # set while the transport paused writing
        self._error: BaseException | None = None
        self._paused = False  # reading paused: `_unread` past `_HIGH`
        self._unread = 0  # body bytes received, not yet taken by the stream
        self._expire_at = math.inf
        self._reused = False  # this exchange is not the connection's first
        self._stale = False  # closed by the server before any byte of this exchange's answer came
        self._exchange = 0  # counts exchanges: a stream acts on its own exchange only
        self._budget = 0.0  # the read timeout being watched (`_Watch`)
        self._reset(b"GET")

    # -- asyncio's callbacks ----------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if self._state != _ACTIVE:  # bytes on an idle connection: never the answer to the next request
            self._abort()
            return
        before = self._body_bytes
        try:
            self._feed(data)
        except httpcore.RemoteProtocolError as exc:
            self._fail(httpx.RemoteProtocolError(str(exc)))
            return
        if self._body_bytes != before:
            self._unread += self._body_bytes - before
            if self._unread > _HIGH and not self._paused and self._transport is not None:
                self._paused = True
                self._transport.pause_reading()
        waiter = self._waiter
        if waiter is not None and self._head_done:
            self._pool._watch.discard(self)
            self._waiter = None
            if not waiter.done():
                waiter.set_result(None)

    def eof_received(self) -> bool:
        return False  # close the transport: `connection_lost` tells the rest

    def connection_lost(self, exc: Exception | None) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)
        state = self._state
        if state == _CLOSED:  # closed here (`_abort`): counted out already
            return
        self._state = _CLOSED
        self._pool._lost(self, state)
        if state != _ACTIVE or self._error is not None:
            return
        if not self._head_done and self._received == 0:
            self._stale = True  # nothing of the answer came: a stale keep-alive connection, maybe
        if exc is not None and not self._complete:
            error: BaseException = httpx.ReadError(f"{type(exc).__name__}: {exc}")
        else:
            try:
                self._eof()
            except httpcore.RemoteProtocolError as reason:
                error = httpx.RemoteProtocolError(str(reason))
            else:
                self._wake()
                return
        self._error = error
        self._wake()

    def pause_writing(self) -> None:
        if self._writable is None:
            self._writable = self._loop.create_future()

    def resume_writing(self) -> None:
        writable, self._writable = self._writable, None
        if writable is not None and not writable.done():
            writable.set_result(None)

    # -- for the transport and the stream ---------------------------------------------------------------

    def _wake(self) -> None:
        waiter, self._waiter = self._waiter, None
        if waiter is not None:
            self._pool._watch.discard(self)
            if not waiter.done():
                if self._error is not None:
                    waiter.set_exception(self._error)
                else:
                    waiter.set_result(None)

    def _fail(self, error: BaseException) -> None:
        """The exchange failed: the waiting task (if any) gets `error`, the connection is closed."""
        if self._error is None:
            self._error = error
        self._abort()
        self._wake()

    def _time_out(self) -> None:
        if self._head_done:
            message = f"the response body did not continue within the {self._budget:g} s read timeout"
        else:
            message = (
                "the response head (status line and headers) did not arrive within the "
                f"{self._budget:g} s read timeout"
            )
        self._fail(httpx.ReadTimeout(message))

    def _abort(self, graceful: bool = False) -> None:
        """Close the connection now (`graceful`: after what is buffered is written), and count it out."""
        state = self._state
        if state == _CLOSED:
            return
        self._state = _CLOSED
        transport = self._transport
        if transport is not None:
            transport.close() if graceful else transport.abort()  # `connection_lost` follows
        self._pool._lost(self, state)

    async def _wait(self, timeout: float | None) -> None:
        """Wait for more of the answer (or its end), at most `timeout` seconds."""
        waiter = self._waiter = self._loop.create_future()
        if timeout is not None:
            self._pool._watch.add(self, timeout)
        try:
            await waiter
        finally:
            if self._waiter is waiter:
                self._waiter = None
                self._pool._watch.discard(self)

    async def _drain(self, timeout: float | None) -> None:
        """Wait while the transport's write buffer is full (a body the server does not read)."""
        writable = self._writable
        if writable is None:
            return
        try:
            async with asyncio.timeout(timeout):
                await asyncio.shield(writable)
        except TimeoutError:
            self._abort()
            raise httpx.WriteTimeout(
                f"the request was not sent within the {timeout:g} s write timeout"
            ) from None

    def _taken(self, size: int) -> None:
        """The stream took `size` body bytes: resume reading once few are left unread."""
        self._unread -= size
        if self._paused and self._unread <= _LOW:
            self._paused = False
            if self._transport is not None and self._state == _ACTIVE:
                self._transport.resume_reading()

    def _done(self, exchange: int) -> None:
        """The stream of `exchange` is closed: back to the pool if its answer was read whole."""
        if exchange != self._exchange or self._state != _ACTIVE:
            return
        self._exchange += 1  # this exchange is over: its stream acts no more
        if not (self._complete and not self._chunks):
            self._abort()  # closed before its end: the rest is never read
        elif self._reusable():
            self._pool._release(self)
        else:
            self._abort(graceful=True)


class _Body(httpx.AsyncByteStream):
    """A response body, chunk by chunk as llhttp framed it. Its own async iterator rather than an async
    generator: asyncio registers every async generator it sees started (a weak set, a finaliser)."""

    __slots__ = ("_connection", "_exchange", "_timeout")

    def __init__(self, connection: _Connection, timeout: float | None) -> None:
        self._connection = connection
        self._exchange = connection._exchange
        self._timeout = timeout

    def __aiter__(self) -> _Body:
        return self

    async def __anext__(self) -> bytes:
        connection = self._connection
        if connection._exchange != self._exchange:
            raise StopAsyncIteration  # read whole before, the connection is carrying another exchange
        try:
            while True:
                chunks = connection._chunks
                if chunks:
                    chunk = chunks.pop(0)
                    connection._taken(len(chunk))
                    return chunk
                if connection._complete:
                    connection._done(self._exchange)
                    raise StopAsyncIteration
                if connection._error is not None:
                    raise connection._error
                if connection._state != _ACTIVE:
                    raise httpx.ReadError("the connection was closed")
                await connection._wait(self._timeout)
        except StopAsyncIteration:
            raise
        except BaseException:
            connection._done(self._exchange)  # not read whole: closed
            raise

    async def aclose(self) -> None:
        self._connection._done(self._exchange)


class AsyncWireTransport(httpx.AsyncBaseTransport):
    """httpx's async transport interface over craftapis' own HTTP/1.1 connections (this module's
    docstring). `limits` are httpx's (`httpx.Limits()`: 100 connections, 20 kept alive for 5 s). The
    pool belongs to the event loop of the first request (after `aclose`, or once that loop is closed,
    to the next one's): as an aiohttp session, a transport serves one loop at a time."""

    def __init__(self, *, limits: httpx.Limits | None = None) -> None:
        limits = limits if limits is not None else httpx.Limits()
        self._max = limits.max_connections if limits.max_connections is not None else math.inf
        self._max_idle = (
            limits.max_keepalive_connections if limits.max_keepalive_connections is not None else math.inf
        )
        self._expiry = limits.keepalive_expiry
        self._loop: asyncio.AbstractEventLoop | None = None
        self._watch: _Watch = None  # type: ignore[assignment]  # with the loop
        self._idle: dict[tuple[bytes, bytes, int], list[_Connection]] = {}
        self._idle_count = 0
        self._count = 0  # connections open or being opened (counted against `_max`)
        self._active: set[_Connection] = set()
        self._waiters: collections.deque[tuple[tuple[bytes, bytes, int], asyncio.Future[Any]]] = (
            collections.deque()
        )
        self._fallback: httpx.AsyncBaseTransport | None = None
        self._urls: dict[Any, tuple[tuple[bytes, bytes, int], bytes]] = {}  # `_parse`

    # -- the pool ----------------------------------------------------------------------------------------

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Take `loop` as the pool's: connections of another (closed) loop are forgotten."""
        if self._loop is not None:
            self._forget()
        self._loop = loop
        self._watch = _Watch(loop)

    def _forget(self) -> None:
        for connection in [*self._active, *(c for idle in self._idle.values() for c in idle)]:
            connection._state = _CLOSED
            transport = connection._transport
            if transport is not None and self._loop is not None and not self._loop.is_closed():
                transport.abort()
        if self._watch is not None:
            self._watch.close()
        self._idle.clear()
        self._active.clear()
        self._idle_count = self._count = 0
        self._waiters.clear()

    def _lost(self, connection: _Connection, state: int) -> None:
        """`connection` is closed (it was in `state`): its place in the pool is free."""
        if state == _CLOSED:
            return
        if state == _IDLE:
            idle = self._idle.get(connection._key)
            if idle is not None and connection in idle:
                idle.remove(connection)
                self._idle_count -= 1
        self._active.discard(connection)
        if state == _CONNECTING:
            return  # the connect failed: `_connect` gives the slot back
        self._count -= 1
        self._free_slot()

    def _free_slot(self) -> None:
        """A connection fewer: the first waiter may open one."""
        waiters = self._waiters
        while waiters and self._count < self._max:
            _, waiter = waiters.popleft()
            if not waiter.done():
                self._count += 1
                waiter.set_result(None)

    def _release(self, connection: _Connection) -> None:
        """`connection` answered whole and may be reused: to the first waiter for its origin, else idle."""
        self._active.discard(connection)
        waiters = self._waiters
        if waiters:
            for index, (key, waiter) in enumerate(waiters):
                if key == connection._key and not waiter.done():
                    del waiters[index]
                    self._active.add(connection)
                    connection._reused = True
                    waiter.set_result(connection)
                    return
            if self._count >= self._max:  # waiters for other origins: make room for one
                connection._abort(graceful=True)
                return
        if self._idle_count >= self._max_idle:
            connection._abort(graceful=True)
            return
        connection._state = _IDLE
        assert self._loop is not None
        connection._expire_at = self._loop.time() + self._expiry if self._expiry is not None else math.inf
        self._idle.setdefault(connection._key, []).append(connection)
        self._idle_count += 1

    def _take_idle(
        self, key: tuple[bytes, bytes, int], loop: asyncio.AbstractEventLoop
    ) -> _Connection | None:
        """The most recently used idle connection to `key` that has not expired (expired ones closed)."""
        idle = self._idle.get(key)
        if not idle:
            return None
        now = loop.time()
        while idle:
            connection = idle.pop()
            self._idle_count -= 1
            if connection._state == _IDLE and connection._expire_at > now:
                connection._state = _ACTIVE
                connection._reused = True
                self._active.add(connection)
                return connection
            connection._abort(graceful=True)  # expired: closed, not reused
        return None

    async def _acquire(
        self, key: tuple[bytes, bytes, int], request: httpx.Request, timeouts: Any, fresh: bool
    ) -> _Connection:
        """A connection for `key`: an idle one that has not expired (unless `fresh`), else a new one,
        else the first one released (FIFO), waiting at most the `pool` timeout."""
        if not fresh:
            assert self._loop is not None
            connection = self._take_idle(key, self._loop)
            if connection is not None:
                return connection
        self._close_expired()
        if self._count >= self._max and not self._waiters:
            self._close_an_idle()
        if self._count < self._max and not self._waiters:
            self._count += 1
            return await self._connect(key, request, timeouts)
        got = await self._queue(key, timeouts.get("pool"))
        if got is None:  # a slot, counted already
            return await self._connect(key, request, timeouts)
        return got

    def _close_expired(self) -> None:
        """Close the idle connections (of every origin) past their keep-alive expiry: done whenever a
        new connection is about to open, as httpcore's pool does on its requests."""
        assert self._loop is not None
        now = self._loop.time()
        for idle in self._idle.values():
            for connection in [c for c in idle if c._expire_at <= now]:
                idle.remove(connection)
                self._idle_count -= 1
                connection._abort(graceful=True)

    def _close_an_idle(self) -> None:
        """At the limit with idle connections of other origins: close the oldest of one."""
        for idle in self._idle.values():
            if idle:
                connection = idle.pop(0)
                self._idle_count -= 1
                connection._abort(graceful=True)
                return

    async def _queue(self, key: tuple[bytes, bytes, int], timeout: float | None) -> _Connection | None:
        loop = self._loop
        assert loop is not None
        waiter: asyncio.Future[Any] = loop.create_future()
        entry = (key, waiter)
        self._waiters.append(entry)

        def ran_out() -> None:
            if not waiter.done():
                waiter.set_exception(
                    httpx.PoolTimeout(f"no connection became free within the {timeout:g} s pool timeout")
                )

        timer = loop.call_later(timeout, ran_out) if timeout is not None else None
        try:
            return await waiter  # type: ignore[no-any-return]
        except BaseException:
            if entry in self._waiters:
                self._waiters.remove(entry)
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                got = waiter.result()  # given just before a cancel: given back
                if got is None:
                    self._count -= 1
                    self._free_slot()
                else:
                    self._release(got)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    async def _connect(
        self, key: tuple[bytes, bytes, int], request: httpx.Request, timeouts: Any
    ) -> _Connection:
        """A new connection (its slot counted already; given back if this fails)."""
        loop = self._loop
        assert loop is not None
        scheme, host, port = key
        connection = _Connection(self, key)
        timeout = timeouts.get("connect")
        tls: Any = None
        if scheme == b"https":
            tls = default_ssl_context()
        try:
            async with asyncio.timeout(timeout):
                if tls is None:
                    await loop.create_connection(lambda: connection, host.decode("ascii"), port)
                else:
                    sni = request.extensions.get("sni_hostname") or host.decode("ascii")
                    await loop.create_connection(
                        lambda: connection, host.decode("ascii"), port, ssl=tls, server_hostname=sni
                    )
        except BaseException as exc:
            if connection._transport is not None:
                connection._transport.abort()
            connection._state = _CLOSED
            self._count -= 1
            self._free_slot()
            if isinstance(exc, TimeoutError):
                raise httpx.ConnectTimeout(
                    f"the connection was not established within the {timeout:g} s connect timeout"
                ) from None
            if isinstance(exc, OSError):
                raise httpx.ConnectError(f"{type(exc).__name__}: {exc}") from exc
            raise
        if connection._state == _CLOSED:  # closed as soon as it opened
            self._count -= 1
            self._free_slot()
            raise httpx.ConnectError("the server closed the connection as it opened")
        connection._state = _ACTIVE
        self._active.add(connection)
        return connection

    # -- one request -------------------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _aiohttp_request_patched():
            return await self._through_aiohttp(request)
        loop = self._loop
        if loop is None or loop.is_closed():  # not `get_running_loop()` per request: a getpid() each
            loop = asyncio.get_running_loop()
            self._bind(loop)
        url = request.url
        known = self._urls.get(url._uri_reference)
        key, target = known if known is not None else self._parse(url)
        method = request.method.encode("ascii")
        try:
            head, length, chunked, upgrading, close_after = request_head(method, target, request.headers.raw)
        except httpcore.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from None
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:  # a streamed upload
            body = None
        timeouts = request.extensions.get("timeout") or {}
        read = timeouts.get("read")
        retry = body is not None and method in _IDEMPOTENT
        fresh = False
        while True:
            connection = None if fresh else self._take_idle(key, loop)
            if connection is None:
                connection = await self._acquire(key, request, timeouts, fresh)
            connection._reset(method)
            connection._upgrading, connection._close_after = upgrading, close_after
            connection._error = None
            connection._stale = False
            connection._unread = 0
            try:
                if body is not None:  # the head and the body in one write (`_send` for the details)
                    transport = connection._transport
                    assert transport is not None
                    try:
                        if body:
                            piece, sent = frame_piece(body, chunked, length, 0)
                            end = body_end(chunked, length, sent)
                            if len(piece) <= _PIECE:
                                transport.write(head + piece + end)
                            else:
                                transport.writelines((head, piece, end))
                        else:
                            transport.write(head + body_end(chunked, length, 0))
                    except httpcore.LocalProtocolError as exc:
                        raise httpx.LocalProtocolError(str(exc)) from None
                    if connection._writable is not None:
                        await connection._drain(timeouts.get("write"))
                else:
                    await self._send(connection, head, request, length, chunked, timeouts.get("write"))
                if not connection._head_done:
                    if connection._error is not None:
                        raise connection._error
                    if connection._state != _ACTIVE:
                        raise httpx.RemoteProtocolError("Server disconnected without sending a response.")
                    if read is not None:
                        self._watch.add(connection, read)  # the whole head is due from now
                    waiter = connection._waiter = loop.create_future()
                    await waiter  # woken by `data_received` once the head is in, or failed
            except BaseException as exc:
                self._watch.discard(connection)
                stale = connection._stale and connection._reused and connection._received == 0
                connection._abort()
                if retry and stale and isinstance(exc, httpx.TransportError):
                    retry = False  # once, on a new connection
                    fresh = True
                    continue
                raise
            break
        reply = {"http_version": connection._version, "reason_phrase": connection._reason}
        response = httpx.Response(
            connection._status, stream=_Body(connection, read), request=request, extensions=reply
        )
        fill_headers(response.headers, connection._headers)
        return response

    def _parse(self, url: httpx.URL) -> tuple[tuple[bytes, bytes, int], bytes]:
        """The origin and request target of `url`, kept (a client sends the same few URLs again and
        again; httpx's URL builds each piece anew per access)."""
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(
                f"Request URL has an unsupported protocol '{scheme.decode('ascii', 'replace')}://'."
                if scheme
                else "Request URL is missing an 'http://' or 'https://' protocol."
            )
        host = url.raw_host
        if not host:
            raise httpx.UnsupportedProtocol("Request URL is missing a host.")
        parsed = ((scheme, host, url.port or (443 if scheme == b"https" else 80)), url.raw_path)
        if len(self._urls) >= 256:  # many distinct URLs (ids, queries): keep the table small
            self._urls.clear()
        self._urls[url._uri_reference] = parsed
        return parsed

    async def _send(
        self,
        connection: _Connection,
        head: bytes,
        request: httpx.Request,
        length: int | None,
        chunked: bool,
        timeout: float | None,
    ) -> None:
        """Write a request with a streamed body: the head with the first piece, then piece by piece
        (chunked, or up to its length), waiting while the socket takes no more."""
        transport = connection._transport
        assert transport is not None
        try:
            sent = 0
            pending = head
            async for piece in request.stream:  # type: ignore[union-attr]
                if not piece:
                    continue
                piece, sent = frame_piece(piece, chunked, length, sent)
                if connection._state != _ACTIVE or transport.is_closing():
                    return  # the server answered (or closed) early: its answer is read
                transport.write(pending + piece if pending else piece)
                pending = b""
                await connection._drain(timeout)
            end = body_end(chunked, length, sent)
        except httpcore.LocalProtocolError as exc:
            raise httpx.LocalProtocolError(str(exc)) from None
        if connection._state == _ACTIVE and not transport.is_closing():
            transport.write(pending + end)
            await connection._drain(timeout)

    async def _through_aiohttp(self, request: httpx.Request) -> httpx.Response:
        """The request through `AiohttpTransport`, whose `ClientSession._request` a mock patched."""
        if self._fallback is None:
            from ._aiohttp_transport import AiohttpTransport

            self._fallback = AiohttpTransport()
        return await self._fallback.handle_async_request(request)

    async def aclose(self) -> None:
        self._forget()
        self._loop = None
        if self._fallback is not None:
            fallback, self._fallback = self._fallback, None
            await fallback.aclose()
