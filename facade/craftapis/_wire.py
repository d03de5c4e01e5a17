"""The sync clients' default inner transport: httpcore's connection pool, driven directly (issue 12).

`httpx.HTTPTransport` is a thin layer over `httpcore.ConnectionPool`, but every request pays for it:
the `httpx.Request` is converted field by field into an `httpcore.Request` (whose constructor re-checks
every header byte pair), the send and every body chunk run inside a generator-based
`map_httpcore_exceptions()` context, and the body comes through one more generator. `WireTransport`
*is* an `httpx.HTTPTransport` (same pool class, pool limits, keep-alive, TLS context from
`httpx.create_ssl_context()`, HTTP/1.1 only, h11 framing every response), whose `handle_request` does
the same with less: the httpcore request is filled in from what the `httpx.Request` already holds (its
method, URL pieces, `headers.raw`, stream and extensions, with the policy's timeouts), httpcore's
exceptions are mapped to the httpx classes and messages httpx's own transport raises
(`_HTTPCORE_TO_HTTPX`, checked against httpx's table in tests/speed/test_wire.py), and the body is one
`yield from` over httpcore's stream.

Three things stay exactly httpx's:

* Mocks of httpx. vcrpy (cassettes) and pytest-httpx patch `httpx.HTTPTransport.handle_request` on the
  class. Whenever that attribute is not httpx's own function, the request goes through it, unchanged,
  so a cassette entered after the client was built still records and replays (decided per request: one
  attribute read). respx patches `httpcore.ConnectionPool.handle_request`, which the direct path calls.
* Anything unusual: a method that is not one of the common ones, or an explicit `target` extension,
  takes `httpx.HTTPTransport.handle_request` itself.
* Proxies: with a proxy variable set, `build_client` uses an httpx client of its own (`trust_env=True`),
  never this transport.

One bound is craftapis' own: the response head. httpcore reads the status line and headers with the
read timeout applied to each `recv`, and h11 accepts up to 100 KiB of them, so a server dripping one
header byte every few seconds held a call for hours, past `RetryPolicy.deadline` (the policy caps each
phase's timeout at the time left, but per read). Here the whole head must arrive within the request's
read timeout, counted from the first read (the policy's cap makes that at most the time left before the
deadline); past it the call fails with httpx's `ReadTimeout`. Body reads keep the per-read timeout
(`_guards.BodyReader` checks the deadline between chunks).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httpx

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


def _original_handle_request() -> Any:
    """httpx's own `HTTPTransport.handle_request`, even if a mock already wrapped it (with
    `functools.wraps`, as vcrpy does) when this module was imported; None if it cannot be told."""
    function = httpx.HTTPTransport.__dict__["handle_request"]
    for _ in range(8):
        code = getattr(function, "__code__", None)
        if code is not None and code.co_filename == httpx._transports.default.__file__:
            return function
        function = getattr(function, "__wrapped__", None)
        if function is None:
            break
    return None  # every request goes through whatever is patched in


_HTTPX_HANDLE_REQUEST = _original_handle_request()


# -- the response head's bound ----------------------------------------------------------------------


class _Head(threading.local):
    """Per thread: the read budget of the response head being received (None: no head is), and when it
    ends (set by the first read)."""

    budget: float | None = None
    until: float | None = None


_head = _Head()


class _HeadBoundStream(httpcore.NetworkStream):
    """A connection's socket stream whose reads during a response head share that head's budget."""

    __slots__ = ("_inner",)

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        head = _head
        budget = head.budget
        if budget is None:
            return self._inner.read(max_bytes, timeout)
        now = time.monotonic()
        until = head.until
        if until is None:
            head.until = until = now + budget
        left = until - now
        if timeout is not None and timeout <= left:
            return self._inner.read(max_bytes, timeout)
        if left > 0.0:
            try:
                return self._inner.read(max_bytes, left)
            except httpcore.ReadTimeout:
                pass
        raise httpcore.ReadTimeout(
            f"the response head (status line and headers) did not arrive within the {budget:g} s read timeout"
        )

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        return _HeadBoundStream(self._inner.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _HeadBoundBackend(httpcore.NetworkBackend):
    """httpcore's sync backend, its streams wrapped in `_HeadBoundStream`."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        return _HeadBoundStream(self._inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:  # pragma: no cover - craftapis connects over TCP
        return _HeadBoundStream(self._inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(
        self, seconds: float
    ) -> None:  # pragma: no cover - httpcore sleeps only between connect retries
        self._inner.sleep(seconds)


# -- the transport ----------------------------------------------------------------------------------


class _WireStream(httpx.SyncByteStream):
    """httpcore's response body, its errors mapped as `httpx.HTTPTransport`'s `ResponseStream` maps them."""

    __slots__ = ("_stream",)

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._stream
        except Exception as exc:
            mapped = _mapped(exc)
            if mapped is None:
                raise
            raise mapped from exc

    def close(self) -> None:
        self._stream.close()


class WireTransport(httpx.HTTPTransport):
    """`httpx.HTTPTransport()` with httpx's defaults (TLS verified with `httpx.create_ssl_context()`,
    httpx's default pool limits, HTTP/1.1), whose requests skip httpx's per-request wrapping (the
    module docstring says what is kept and why)."""

    def __init__(self) -> None:  # httpx.HTTPTransport.__init__ without a proxy, its pool given a backend
        # httpx's DEFAULT_LIMITS, what `httpx.HTTPTransport()` uses (a test compares the pools)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=_HeadBoundBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        timeout = request.extensions.get("timeout")
        head = _head
        head.budget = timeout.get("read") if isinstance(timeout, dict) else None
        head.until = None
        try:
            if httpx.HTTPTransport.handle_request is not _HTTPX_HANDLE_REQUEST:  # vcrpy, pytest-httpx, ...
                return httpx.HTTPTransport.handle_request(self, request)
            return self._send(request)
        finally:
            head.budget = None

    def _send(self, request: httpx.Request) -> httpx.Response:
        method = _METHODS.get(request.method)
        extensions = request.extensions
        if method is None or "target" in extensions:
            return _HTTPX_HANDLE_REQUEST(self, request)  # type: ignore[no-any-return]
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
        try:
            response = self._pool.handle_request(core)
        except Exception as exc:
            mapped = _mapped(exc)
            if mapped is None:
                raise
            raise mapped from exc
        return httpx.Response(
            response.status,
            headers=response.headers,
            stream=_WireStream(response.stream),
            extensions=response.extensions,
        )
