"""HTTP/1.1 transports for httpx written directly on the standard library: the fast path under the policy.

httpx's default transport sends through httpcore and h11, a general HTTP state machine that
costs more per request than a short JSON call spends parsing its body. These transports do
the same job with sockets (`http.client`-style framing, a C-level buffered reader) and a
small keep-alive pool, and plug in under craftapis' retries and pacing like any other
transport::

    from craftapis._fasttransport import AsyncFastHTTPTransport, FastHTTPTransport
    from craftapis.modrinth import AsyncModrinth, Modrinth

    client = Modrinth(user_agent="you/app/1.0", transport=FastHTTPTransport())
    aclient = AsyncModrinth(user_agent="you/app/1.0", transport=AsyncFastHTTPTransport())

What they do, like ``httpx.HTTPTransport``:

* HTTP/1.1 over TCP with keep-alive; HTTPS verified against certifi by default (``verify=``
  takes ``False`` or an ``ssl.SSLContext``; ``SSL_CERT_FILE``/``SSL_CERT_DIR`` apply when
  ``trust_env``), with SNI and ALPN ``http/1.1``.
* Request bodies with ``Content-Length`` or ``Transfer-Encoding: chunked`` (what httpx sets);
  response bodies by ``Content-Length``, chunked, or until the server closes; no body for
  ``HEAD``, 1xx, 204 and 304. Bodies stream: a download is read as the caller iterates.
  ``Content-Encoding`` (gzip, deflate, br) is decoded by ``httpx.Response`` above the transport,
  exactly as with httpx's own transport; the client's ``Accept-Encoding`` header is sent as is.
* Timeouts from the request (``connect``, ``read``, ``write``, ``pool``), raising the same
  ``httpx.ConnectTimeout`` / ``ReadTimeout`` / ``WriteTimeout`` / ``PoolTimeout``; broken
  connections raise ``httpx.ConnectError`` / ``ReadError`` / ``WriteError`` /
  ``RemoteProtocolError``, so craftapis' retry policy sees what it sees with httpx's transport.
* Limits as ``httpx.Limits``: at most ``max_connections`` requests in flight (others wait up
  to the pool timeout), ``max_keepalive_connections`` idle connections kept, each for
  ``keepalive_expiry`` seconds. An idle connection the server closed is noticed and replaced
  before it is used.
* Thread-safe (sync): one pool serves every thread. The async twin runs on asyncio only.
* Test doubles keep working. vcrpy and pytest-httpx replace ``httpx.HTTPTransport.handle_request``
  (and its async twin), respx replaces httpcore's ``ConnectionPool.handle_request``, to record,
  replay or mock. While any of these methods is not the library's own, these transports hand
  each request to an ``httpx.HTTPTransport`` made with the same settings, so cassettes and
  mocks see the traffic exactly as without craftapis. The check is two attribute reads.

What they do not do: HTTP/2, proxies, Unix sockets, client certificates other than through an
``SSLContext``, and connection upgrades (101). ``httpx.HTTPTransport`` covers those: pass it (or
your own ``httpx.Client``) as ``transport=`` / ``http_client=`` instead.
"""

from __future__ import annotations

import asyncio
import io
import os
import re
import select
import socket
import ssl
import sys
import threading
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator
from typing import Any, Final, cast

import httpcore
import httpx

__all__ = ["AsyncFastHTTPTransport", "FastHTTPTransport"]

#: The largest response head accepted (h11 as httpcore configures it allows the same).
_MAX_HEAD: Final = 100 * 1024
#: How much a streamed body read asks for at a time.
_READ_SIZE: Final = 64 * 1024
#: Request bodies up to this size go out in the same write as the head.
_COALESCE: Final = 64 * 1024

_TOKEN: Final = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_STATUS_LINE: Final = re.compile(rb"HTTP/([0-9]\.[0-9]) ([0-9]{3})(?: ([^\r\n]*))?")
_NO_BODY_STATUS: Final = frozenset({204, 304})

# Body framings of a response.
_EMPTY: Final = 0
_LENGTH: Final = 1
_CHUNKED: Final = 2
_UNTIL_CLOSE: Final = 3

_DISCONNECTED: Final = "Server disconnected without sending a response."
#: httpx.HTTPTransport's defaults.
_DEFAULT_LIMITS: Final = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


# -- pure logic shared by the sync and async transports --------------------------------------------


def _timeouts(request: httpx.Request) -> dict[str, float | None]:
    timeouts: dict[str, float | None] = request.extensions.get("timeout", {})
    return timeouts


def _origin(request: httpx.Request) -> tuple[str, str, int, str]:
    """(scheme, host, port, TLS server name): the key of the connections that can serve a request."""
    url = request.url
    scheme = url.scheme
    if scheme == "https":
        default = 443
    elif scheme == "http":
        default = 80
    else:
        raise httpx.UnsupportedProtocol(
            f"the request's URL scheme {scheme!r} is not http or https; this transport speaks HTTP/1.1 only",
            request=request,
        )
    host = url.host
    if not host:
        raise httpx.UnsupportedProtocol(f"the request URL {url} has no host", request=request)
    sni = request.extensions.get("sni_hostname", host)
    return scheme, host, url.port or default, sni


class _Outgoing:
    """A request serialized to bytes: the head, and how its body is framed."""

    __slots__ = ("body", "chunked", "close", "head", "length")

    def __init__(
        self, head: bytes, body: bytes | None, length: int | None, chunked: bool, close: bool
    ) -> None:
        self.head = head
        self.body = body  # the whole body when it is in memory (httpx.ByteStream), else None: stream it
        self.length = length
        self.chunked = chunked
        self.close = close


def _serialize(request: httpx.Request) -> _Outgoing:
    """The request line and headers, validated as h11 validates them (no header injection)."""
    method = request.method.encode("ascii", "replace")
    target = request.url.raw_path
    if _TOKEN.fullmatch(method) is None or b" " in target or not target:
        raise httpx.LocalProtocolError(f"illegal request line: {method!r} {target!r}", request=request)
    parts = [method, b" ", target, b" HTTP/1.1\r\n"]
    length: int | None = None
    chunked = close = False
    raw = request.headers.raw
    for name, value in raw:
        if _TOKEN.fullmatch(name) is None:
            raise httpx.LocalProtocolError(f"illegal header name {name!r}", request=request)
        lower = name.lower()
        if lower == b"content-length":
            try:
                length = int(value)
            except ValueError:
                raise httpx.LocalProtocolError(f"illegal Content-Length {value!r}", request=request) from None
        elif lower == b"transfer-encoding":
            chunked = value.strip().lower() == b"chunked"
            if not chunked:
                raise httpx.LocalProtocolError(
                    "only Transfer-Encoding: chunked is supported", request=request
                )
        elif lower == b"connection":
            close = b"close" in value.lower()
        parts += (name, b": ", value, b"\r\n")
    parts.append(b"\r\n")
    head = b"".join(parts)
    lines = len(raw) + 2
    # Every line ends in exactly one CRLF: a CR, LF or NUL inside a value would smuggle a header.
    if head.count(b"\n") != lines or head.count(b"\r") != lines or b"\0" in head:
        raise httpx.LocalProtocolError("illegal character (CR, LF or NUL) in a header value", request=request)
    stream = request.stream
    body = b"".join(stream) if isinstance(stream, httpx.ByteStream) else None
    if body is not None and not chunked and len(body) != (length or 0):
        raise httpx.LocalProtocolError(
            f"the request body has {len(body)} bytes but Content-Length says {length or 0}", request=request
        )
    return _Outgoing(head, body, length, chunked, close)


def _chunk(data: bytes) -> bytes:
    return b"%x\r\n%b\r\n" % (len(data), data)


class _Head:
    """A parsed response head and what it says about the body and the connection."""

    __slots__ = ("chunked", "close", "headers", "length", "reason", "status", "version")

    def __init__(self) -> None:
        self.version = b"HTTP/1.1"
        self.status = 0
        self.reason = b""
        self.headers: list[tuple[bytes, bytes]] = []
        self.length: int | None = None
        self.chunked = False
        self.close = False


def _parse_head(block: bytes) -> _Head:
    """Parse a status line and header lines (CRLF or bare LF endings), as h11 accepts them."""
    lines = block.split(b"\n")
    while lines and lines[-1] in (b"", b"\r"):
        lines.pop()
    while lines and lines[0] in (b"", b"\r"):  # stray blank lines before a response (h11 skips them too)
        del lines[0]
    if not lines:
        raise httpx.RemoteProtocolError("the server sent an empty response head")
    status_line = lines[0].rstrip(b"\r")
    match = _STATUS_LINE.fullmatch(status_line)
    if match is None:
        raise httpx.RemoteProtocolError(f"the server sent an illegal status line: {status_line[:100]!r}")
    head = _Head()
    head.version = b"HTTP/" + match[1]
    head.status = int(match[2])
    head.reason = match[3] or b""
    # h11 keeps a connection for one response only unless both sides speak HTTP/1.1
    head.close = head.version != b"HTTP/1.1"
    headers = head.headers
    for line in lines[1:]:
        if line[-1:] == b"\r":
            line = line[:-1]
        if line[:1] in (b" ", b"\t"):  # obsolete line folding: part of the previous value
            if not headers:
                raise httpx.RemoteProtocolError("the response head starts with a continuation line")
            name, value = headers[-1]
            headers[-1] = (name, value + b" " + line.strip(b" \t"))
            continue
        name, colon, value = line.partition(b":")
        if not colon or not name or name[-1:] in (b" ", b"\t"):
            raise httpx.RemoteProtocolError(f"the server sent an illegal header line: {line[:100]!r}")
        value = value.strip(b" \t")
        lower = name.lower()
        if lower == b"content-length":
            if not value.isdigit():
                # "5, 5" (a repeated header joined by a proxy) is allowed when every value agrees
                values = {v.strip() for v in value.split(b",")}
                if len(values) != 1 or not next(iter(values)).isdigit():
                    raise httpx.RemoteProtocolError(
                        f"the server sent an illegal Content-Length: {value[:40]!r}"
                    )
                value = values.pop()
            length = int(value)
            if head.length is not None:
                if head.length != length:
                    raise httpx.RemoteProtocolError("the server sent conflicting Content-Length headers")
                continue  # a repeated, agreeing Content-Length is reported once, as h11 does
            head.length = length
        elif lower == b"transfer-encoding":
            if value.lower() != b"chunked":
                raise httpx.RemoteProtocolError(
                    f"unsupported Transfer-Encoding {value[:40]!r} (only chunked)"
                )
            head.chunked = True
        elif lower == b"connection":
            tokens = value.lower()
            if b"close" in tokens:
                head.close = True
        headers.append((name, value))
    return head


def _framing(method: str, head: _Head) -> int:
    """How the response body is delimited (RFC 9112 section 6.3)."""
    status = head.status
    if method == "HEAD" or status < 200 or status in _NO_BODY_STATUS:
        return _EMPTY
    if head.chunked:
        return _CHUNKED
    if head.length is not None:
        return _LENGTH if head.length else _EMPTY
    head.close = True
    return _UNTIL_CLOSE


def _chunk_size(line: bytes) -> int:
    size = line.split(b";", 1)[0].strip()
    try:
        if not size or len(size) > 16:
            raise ValueError
        return int(size, 16)
    except ValueError:
        raise httpx.RemoteProtocolError(
            f"the server sent an illegal chunk size line: {line[:40]!r}"
        ) from None


def _incomplete(received: int, expected: int) -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        f"peer closed connection without sending complete message body: "
        f"received {received} bytes, expected {expected}"
    )


def _response(head: _Head, stream: httpx.SyncByteStream | httpx.AsyncByteStream) -> httpx.Response:
    return httpx.Response(
        head.status,
        headers=head.headers,
        stream=stream,
        extensions={"http_version": head.version, "reason_phrase": head.reason},
    )


def _limits(limits: httpx.Limits) -> tuple[int | None, int, float | None]:
    keepalive = limits.max_keepalive_connections
    return (
        limits.max_connections,
        keepalive if keepalive is not None else sys.maxsize,
        limits.keepalive_expiry,
    )


class _PatchWatch:
    """Notices when a test library has replaced a method of httpx's transport or httpcore's pool."""

    __slots__ = ("_file", "_name", "_owner", "_patched", "_seen")

    def __init__(self, owner: type, name: str, *where: str) -> None:
        self._owner = owner
        self._name = name
        self._file = os.path.join(*where)  # the file that defines the genuine method
        self._seen: object = None
        self._patched = False

    def patched(self) -> bool:
        method = getattr(self._owner, self._name)
        if method is not self._seen:  # looked at again only when the attribute changes
            code = getattr(method, "__code__", None)
            self._patched = code is None or not code.co_filename.endswith(self._file)
            self._seen = method
        return self._patched


_SYNC_WATCHES: Final = (
    _PatchWatch(httpx.HTTPTransport, "handle_request", "httpx", "_transports", "default.py"),
    _PatchWatch(httpcore.ConnectionPool, "handle_request", "httpcore", "_sync", "connection_pool.py"),
)
_ASYNC_WATCHES: Final = (
    _PatchWatch(httpx.AsyncHTTPTransport, "handle_async_request", "httpx", "_transports", "default.py"),
    _PatchWatch(
        httpcore.AsyncConnectionPool, "handle_async_request", "httpcore", "_async", "connection_pool.py"
    ),
)


def _doubled(watches: tuple[_PatchWatch, _PatchWatch]) -> bool:
    """Whether a test library hooks httpx's transport now (vcrpy, pytest-httpx, respx)."""
    return watches[0].patched() or watches[1].patched()


class _Certificates:
    """The TLS context, created on first HTTPS use when it is the default (loading CAs takes time)."""

    def __init__(self, verify: ssl.SSLContext | bool, trust_env: bool) -> None:
        self.verify = verify
        self.trust_env = trust_env
        self._context: ssl.SSLContext | None = None
        self._lock = threading.Lock()
        if verify is not True:  # a caller's context or verify=False: set up now, fail now
            self._make()

    def _make(self) -> ssl.SSLContext:
        context = httpx.create_ssl_context(verify=self.verify, trust_env=self.trust_env)
        context.set_alpn_protocols(["http/1.1"])
        self._context = context
        return context

    def context(self) -> ssl.SSLContext:
        context = self._context
        if context is None:
            with self._lock:
                context = self._context or self._make()
        return context


_poll = getattr(select, "poll", None) if sys.platform != "win32" else None


def _readable(sock: Any) -> bool:
    """Whether a socket has data (or EOF) to read right now: on an idle connection, a sign it is dead."""
    try:
        fd = sock.fileno()
        if fd < 0:
            return True
        if _poll is None:  # pragma: no cover - Windows
            return bool(select.select([fd], [], [], 0)[0])
        poller = _poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


# -- sync ------------------------------------------------------------------------------------------


class _Connection:
    __slots__ = ("idle_since", "key", "reader", "sock", "timeout")

    def __init__(self, sock: socket.socket, key: tuple[str, str, int, str]) -> None:
        self.sock = sock
        self.key = key
        self.reader = cast(io.BufferedReader, sock.makefile("rb", buffering=_READ_SIZE))
        self.timeout: float | None = sock.gettimeout()
        self.idle_since = 0.0

    def settimeout(self, timeout: float | None) -> None:
        if timeout != self.timeout:
            self.sock.settimeout(timeout)
            self.timeout = timeout

    def is_stale(self) -> bool:
        """An idle connection is readable only when the server closed it (or broke the protocol)."""
        return _readable(self.sock)

    def close(self) -> None:
        try:
            self.reader.close()
            self.sock.close()
        except OSError:  # pragma: no cover - closing a broken socket
            pass

    def read_head(self) -> bytes:
        reader = self.reader
        data = reader.peek(1)  # at most one recv: usually the whole head (and body) arrive together
        if not data:
            raise httpx.RemoteProtocolError(_DISCONNECTED)
        end = data.find(b"\r\n\r\n")
        if end >= 0 and data.find(b"\n\n", 0, end) < 0:
            return reader.read(end + 4)
        lines: list[bytes] = []
        size = 0
        while True:
            line = reader.readline(_MAX_HEAD + 1)
            if not line:
                if size:
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection in the middle of a response head"
                    )
                raise httpx.RemoteProtocolError(_DISCONNECTED)
            size += len(line)
            if size > _MAX_HEAD:
                raise httpx.RemoteProtocolError(f"the response head is larger than {_MAX_HEAD} bytes")
            if line in (b"\r\n", b"\n"):
                if lines:
                    lines.append(line)
                    return b"".join(lines)
                continue  # stray blank line before the status line
            lines.append(line)


class _ResponseStream(httpx.SyncByteStream):
    """A response body read from the socket as it is iterated; gives the connection back when done."""

    __slots__ = ("_conn", "_framing", "_length", "_pool", "_reusable")

    def __init__(
        self, pool: FastHTTPTransport, conn: _Connection, framing: int, length: int, reusable: bool
    ) -> None:
        self._pool = pool
        self._conn: _Connection | None = conn
        self._framing = framing
        self._length = length
        self._reusable = reusable

    def __iter__(self) -> Iterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        reader = conn.reader
        framing = self._framing
        try:
            if framing == _LENGTH:
                # read1: whatever one recv brings (the buffered rest first), so that every byte
                # received is yielded before an error, as httpcore yields it (resumable downloads count them)
                remaining = self._length
                while remaining:
                    data = reader.read1(min(_READ_SIZE, remaining))
                    if not data:
                        raise _incomplete(self._length - remaining, self._length)
                    remaining -= len(data)
                    if not remaining:
                        self._done()
                    yield data
            elif framing == _CHUNKED:
                while True:
                    line = reader.readline(1024)
                    if not line.endswith(b"\n"):
                        raise httpx.RemoteProtocolError(
                            "the server closed the connection inside a chunked body"
                        )
                    size = _chunk_size(line)
                    if size == 0:
                        while reader.readline(_MAX_HEAD) not in (b"\r\n", b"\n", b""):
                            pass  # trailers: httpx has no place for them, like httpcore
                        self._done()
                        return
                    while size:
                        data = reader.read1(min(size, _READ_SIZE))
                        if not data:
                            raise httpx.RemoteProtocolError("the server closed the connection inside a chunk")
                        size -= len(data)
                        yield data
                    reader.readline(4)  # the CRLF after the chunk data
            elif framing == _UNTIL_CLOSE:
                while data := reader.read1(_READ_SIZE):
                    yield data
                self._reusable = False
                self._done()
            else:
                self._done()
        except TimeoutError as exc:
            self._discard()
            raise httpx.ReadTimeout(str(exc) or "timed out") from exc
        except OSError as exc:
            self._discard()
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            self._discard()
            raise

    def _done(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._release(conn, self._reusable)

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._release(conn, False)

    def close(self) -> None:
        self._discard()  # closed before the end of the body: the rest is unread, the connection unusable


class FastHTTPTransport(httpx.BaseTransport):
    """A sync HTTP/1.1 transport on sockets with a thread-safe keep-alive pool (see the module docs).

    Args:
        verify: ``True`` (certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR`` when ``trust_env``),
            ``False`` (no verification: testing only), or an ``ssl.SSLContext``.
        trust_env: read ``SSL_CERT_FILE``/``SSL_CERT_DIR`` (proxies from the environment are
            never used by this transport).
        limits: ``max_connections`` requests in flight at once (``None``: no cap),
            ``max_keepalive_connections`` idle connections kept, ``keepalive_expiry`` seconds
            an idle connection is kept (``None``: until the server closes it).
    """

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        trust_env: bool = True,
        limits: httpx.Limits = _DEFAULT_LIMITS,
    ) -> None:
        self._certificates = _Certificates(verify, trust_env)
        self._limits = limits
        self._httpx: httpx.HTTPTransport | None = None  # for test doubles, see the module docs
        max_connections, self._max_idle, self._expiry = _limits(limits)
        self._slots = threading.BoundedSemaphore(max_connections) if max_connections is not None else None
        self._lock = threading.Lock()
        self._idle: dict[tuple[str, str, int, str], list[_Connection]] = {}
        self._idle_count = 0
        self._closed = False

    # -- the pool --------------------------------------------------------------------------------

    def _acquire(
        self, request: httpx.Request, key: tuple[str, str, int, str], timeouts: dict[str, float | None]
    ) -> tuple[_Connection, bool]:
        """A connection for ``key``: (connection, whether it was reused). Holds one slot."""
        slots = self._slots
        if slots is not None:
            pool_timeout = timeouts.get("pool")
            if not slots.acquire(timeout=pool_timeout):
                raise httpx.PoolTimeout(
                    f"no connection became free within the pool timeout ({pool_timeout} s)", request=request
                )
        try:
            stale: list[_Connection] = []
            conn = None
            with self._lock:
                stack = self._idle.get(key)
                while stack:
                    candidate = stack.pop()
                    self._idle_count -= 1
                    if self._expiry is not None and time.monotonic() - candidate.idle_since > self._expiry:
                        stale.append(candidate)
                        continue
                    conn = candidate
                    break
            for old in stale:
                old.close()
            while conn is not None and conn.is_stale():
                conn.close()
                conn = self._pop_idle(key)
            if conn is not None:
                return conn, True
            return self._connect(request, key, timeouts.get("connect")), False
        except BaseException:
            if slots is not None:
                slots.release()
            raise

    def _pop_idle(self, key: tuple[str, str, int, str]) -> _Connection | None:
        with self._lock:
            stack = self._idle.get(key)
            if stack:
                self._idle_count -= 1
                return stack.pop()
        return None

    def _release(self, conn: _Connection, reusable: bool) -> None:
        keep = False
        if reusable:
            with self._lock:
                if not self._closed and self._idle_count < self._max_idle:
                    conn.idle_since = time.monotonic()
                    self._idle.setdefault(conn.key, []).append(conn)
                    self._idle_count += 1
                    keep = True
        if not keep:
            conn.close()
        if self._slots is not None:
            self._slots.release()

    def _connect(
        self, request: httpx.Request, key: tuple[str, str, int, str], timeout: float | None
    ) -> _Connection:
        scheme, host, port, sni = key
        try:
            sock = socket.create_connection((host, port), timeout=timeout)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if scheme == "https":
                sock = self._certificates.context().wrap_socket(sock, server_hostname=sni)
        except TimeoutError as exc:
            sock.close()
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except (OSError, ValueError) as exc:  # ssl.SSLError (certificate, handshake) is an OSError
            sock.close()
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return _Connection(sock, key)

    # -- one request -----------------------------------------------------------------------------

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if _doubled(_SYNC_WATCHES):
            return self._httpx_transport().handle_request(request)
        key = _origin(request)
        outgoing = _serialize(request)
        timeouts = _timeouts(request)
        conn, _ = self._acquire(request, key, timeouts)
        try:
            self._send(conn, request, outgoing, timeouts.get("write"))
            conn.settimeout(timeouts.get("read"))
            while True:
                head = _parse_head(conn.read_head())
                if head.status >= 200 or head.status == 101:
                    break  # informational responses (100, 103) are skipped, as httpcore does
        except httpx.TransportError as exc:
            self._release(conn, False)
            exc._request = request  # httpx's own way to bind an error to its request
            raise
        except TimeoutError as exc:
            self._release(conn, False)
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except OSError as exc:
            self._release(conn, False)
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        except BaseException:
            self._release(conn, False)
            raise
        framing = _framing(request.method, head)
        reusable = not (head.close or outgoing.close or head.status == 101)
        if framing == _EMPTY:
            self._release(conn, reusable)
            return _response(head, httpx.ByteStream(b""))
        return _response(head, _ResponseStream(self, conn, framing, head.length or 0, reusable))

    def _send(
        self, conn: _Connection, request: httpx.Request, outgoing: _Outgoing, timeout: float | None
    ) -> None:
        conn.settimeout(timeout)
        sock = conn.sock
        try:
            body = outgoing.body
            if body is not None:
                if outgoing.chunked:
                    body = (_chunk(body) if body else b"") + b"0\r\n\r\n"
                if len(body) <= _COALESCE:
                    sock.sendall(outgoing.head + body)
                else:
                    sock.sendall(outgoing.head)
                    sock.sendall(body)
                return
            sock.sendall(outgoing.head)
            sent = 0
            for data in request.stream:  # type: ignore[union-attr]
                if not data:
                    continue
                sent += len(data)
                if outgoing.chunked:
                    sock.sendall(_chunk(data))
                else:
                    if sent > (outgoing.length or 0):
                        raise httpx.LocalProtocolError(
                            "the request body is longer than its Content-Length", request=request
                        )
                    sock.sendall(data)
            if outgoing.chunked:
                sock.sendall(b"0\r\n\r\n")
            elif sent != (outgoing.length or 0):
                raise httpx.LocalProtocolError(
                    "the request body is shorter than its Content-Length", request=request
                )
        except TimeoutError as exc:
            raise httpx.WriteTimeout(str(exc) or "timed out", request=request) from exc
        except OSError:
            # Like httpcore: the server may have answered early (e.g. 413) and closed; read that answer.
            # If there is none, reading raises the error the caller sees.
            return

    def _httpx_transport(self) -> httpx.HTTPTransport:
        with self._lock:
            if self._httpx is None:
                certificates = self._certificates
                self._httpx = httpx.HTTPTransport(
                    verify=certificates.verify, trust_env=certificates.trust_env, limits=self._limits
                )
            return self._httpx

    def close(self) -> None:
        if self._httpx is not None:
            self._httpx.close()
        with self._lock:
            self._closed = True
            idle = [conn for stack in self._idle.values() for conn in stack]
            self._idle.clear()
            self._idle_count = 0
        for conn in idle:
            conn.close()


# -- async (asyncio) -------------------------------------------------------------------------------


class _TimedOut(Exception):
    pass


class _AsyncConnection(asyncio.Protocol):
    """One connection as an asyncio protocol with its own receive buffer (cheaper than streams)."""

    _HIGH_WATER = 4 * _READ_SIZE

    def __init__(self, key: tuple[str, str, int, str], loop: asyncio.AbstractEventLoop) -> None:
        self.key = key
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.idle_since = 0.0
        self._buffer = bytearray()
        self._eof = False
        self._error: BaseException | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False
        self._writing_paused = False
        self._drain_waiter: asyncio.Future[None] | None = None

    # -- protocol callbacks ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is None and len(self._buffer) > self._HIGH_WATER and not self._reading_paused:
            assert self.transport is not None
            self.transport.pause_reading()  # nobody reads right now: let TCP push back
            self._reading_paused = True
        self._wake()

    def eof_received(self) -> bool | None:
        self._eof = True
        self._wake()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self._eof = True
        self._error = exc
        self._wake()
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self._writing_paused = True

    def resume_writing(self) -> None:
        self._writing_paused = False
        drain = self._drain_waiter
        if drain is not None and not drain.done():
            drain.set_result(None)

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    # -- waiting ---------------------------------------------------------------------------------

    async def _wait(self, timeout: float | None) -> None:
        """Wait for more data (or EOF); raise _TimedOut after ``timeout`` seconds."""
        if self._reading_paused:
            assert self.transport is not None
            self._reading_paused = False
            self.transport.resume_reading()
        waiter = self.loop.create_future()
        self._waiter = waiter
        timer = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            if timer is not None:
                timer.cancel()

    def is_stale(self) -> bool:
        """Closed, or data arrived while idle (EOF or a protocol violation), even if the loop has not
        read it yet: the socket is polled as the sync transport polls it."""
        transport = self.transport
        if self._eof or self._buffer or transport is None or transport.is_closing():
            return True
        sock = transport.get_extra_info("socket")
        return sock is None or _readable(sock)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()

    # -- reading ---------------------------------------------------------------------------------

    async def read_head(self, timeout: float | None) -> bytes:
        buffer = self._buffer
        start = 0
        while True:
            end = buffer.find(b"\n\r\n", start)
            bare = buffer.find(b"\n\n", start)
            if bare >= 0 and (end < 0 or bare < end):
                return _take(buffer, bare + 2)
            if end >= 0:
                return _take(buffer, end + 3)
            if len(buffer) > _MAX_HEAD:
                raise httpx.RemoteProtocolError(f"the response head is larger than {_MAX_HEAD} bytes")
            if self._eof:
                self._raise_error()
                if buffer.strip():
                    raise httpx.RemoteProtocolError(
                        "the server closed the connection in the middle of a response head"
                    )
                raise httpx.RemoteProtocolError(_DISCONNECTED)
            start = max(0, len(buffer) - 2)
            await self._wait(timeout)

    async def read_some(self, limit: int, timeout: float | None) -> bytes:
        buffer = self._buffer
        while not buffer:
            if self._eof:
                self._raise_error()
                return b""
            await self._wait(timeout)
        return _take(buffer, limit)

    async def read_line(self, limit: int, timeout: float | None) -> bytes:
        buffer = self._buffer
        while True:
            end = buffer.find(b"\n")
            if end >= 0:
                return _take(buffer, end + 1)
            if len(buffer) > limit:
                raise httpx.RemoteProtocolError("the server sent an overlong line in a chunked body")
            if self._eof:
                self._raise_error()
                raise httpx.RemoteProtocolError("the server closed the connection inside a chunked body")
            await self._wait(timeout)

    def _raise_error(self) -> None:
        if self._error is not None:
            raise httpx.ReadError(str(self._error) or type(self._error).__name__) from self._error

    # -- writing ---------------------------------------------------------------------------------

    async def write(self, data: bytes, timeout: float | None) -> None:
        transport = self.transport
        if transport is None or transport.is_closing():
            raise ConnectionResetError("the connection is closed")
        transport.write(data)
        if self._writing_paused:  # the kernel buffer is full: wait until it drains
            waiter = self.loop.create_future()
            self._drain_waiter = waiter
            timer = None if timeout is None else self.loop.call_later(timeout, _expire, waiter)
            try:
                await waiter
            finally:
                self._drain_waiter = None
                if timer is not None:
                    timer.cancel()
            if self._error is not None or transport.is_closing():
                raise ConnectionResetError("the connection was closed while sending")


def _take(buffer: bytearray, size: int) -> bytes:
    """The first ``size`` bytes of ``buffer``, removed from it, copied once."""
    if size >= len(buffer):
        data = bytes(buffer)
        buffer.clear()
        return data
    with memoryview(buffer) as view:
        data = bytes(view[:size])
    del buffer[:size]
    return data


def _expire(waiter: asyncio.Future[None]) -> None:
    if not waiter.done():
        waiter.set_exception(_TimedOut())


class _AsyncResponseStream(httpx.AsyncByteStream):
    """The async twin of `_ResponseStream`."""

    def __init__(
        self,
        pool: AsyncFastHTTPTransport,
        conn: _AsyncConnection,
        framing: int,
        length: int,
        reusable: bool,
        timeout: float | None,
    ) -> None:
        self._pool = pool
        self._conn: _AsyncConnection | None = conn
        self._framing = framing
        self._length = length
        self._reusable = reusable
        self._timeout = timeout

    async def __aiter__(self) -> AsyncIterator[bytes]:
        conn = self._conn
        if conn is None:
            return
        timeout = self._timeout
        framing = self._framing
        try:
            if framing == _LENGTH:
                remaining = self._length
                while remaining:
                    data = await conn.read_some(min(_READ_SIZE, remaining), timeout)
                    if not data:
                        raise _incomplete(self._length - remaining, self._length)
                    remaining -= len(data)
                    if not remaining:
                        self._done()
                    yield data
            elif framing == _CHUNKED:
                while True:
                    size = _chunk_size(await conn.read_line(1024, timeout))
                    if size == 0:
                        while (await conn.read_line(_MAX_HEAD, timeout)) not in (b"\r\n", b"\n"):
                            pass
                        self._done()
                        return
                    while size:
                        data = await conn.read_some(min(size, _READ_SIZE), timeout)
                        if not data:
                            raise httpx.RemoteProtocolError("the server closed the connection inside a chunk")
                        size -= len(data)
                        yield data
                    await conn.read_line(4, timeout)
            elif framing == _UNTIL_CLOSE:
                while data := await conn.read_some(_READ_SIZE, timeout):
                    yield data
                self._reusable = False
                self._done()
            else:
                self._done()
        except _TimedOut as exc:
            self._discard()
            raise httpx.ReadTimeout("timed out") from exc
        except OSError as exc:
            self._discard()
            raise httpx.ReadError(str(exc) or type(exc).__name__) from exc
        except BaseException:
            self._discard()
            raise

    def _done(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._release(conn, self._reusable)

    def _discard(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            self._pool._release(conn, False)

    async def aclose(self) -> None:
        self._discard()


class AsyncFastHTTPTransport(httpx.AsyncBaseTransport):
    """The asyncio twin of :class:`FastHTTPTransport` (same arguments). Not for trio."""

    def __init__(
        self,
        *,
        verify: ssl.SSLContext | bool = True,
        trust_env: bool = True,
        limits: httpx.Limits = _DEFAULT_LIMITS,
    ) -> None:
        self._certificates = _Certificates(verify, trust_env)
        self._limits = limits
        self._httpx: httpx.AsyncHTTPTransport | None = None  # for test doubles, see the module docs
        self._max_connections, self._max_idle, self._expiry = _limits(limits)
        self._active = 0
        self._slot_waiters: deque[asyncio.Future[None]] = deque()
        self._idle: dict[tuple[str, str, int, str], list[_AsyncConnection]] = {}
        self._idle_count = 0
        self._closed = False

    # -- the pool (no locks: everything between two awaits runs alone on the event loop) ---------

    async def _take_slot(self, request: httpx.Request, timeout: float | None) -> None:
        limit = self._max_connections
        if limit is None:
            return
        if self._active >= limit or self._slot_waiters:
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[None] = loop.create_future()
            self._slot_waiters.append(waiter)
            timer = None if timeout is None else loop.call_later(timeout, _expire, waiter)
            try:
                await waiter  # resolved by _free_slot, which hands its slot over
            except _TimedOut:
                raise httpx.PoolTimeout(
                    f"no connection became free within the pool timeout ({timeout} s)", request=request
                ) from None
            except BaseException:
                if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                    self._free_slot()  # we were handed a slot as we were cancelled: pass it on
                raise
            finally:
                if timer is not None:
                    timer.cancel()
                if waiter in self._slot_waiters:
                    self._slot_waiters.remove(waiter)
            return
        self._active += 1

    def _free_slot(self) -> None:
        if self._max_connections is None:
            return
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to the waiter; _active is unchanged
                return
        self._active -= 1

    async def _acquire(
        self, request: httpx.Request, key: tuple[str, str, int, str], timeouts: dict[str, float | None]
    ) -> _AsyncConnection:
        await self._take_slot(request, timeouts.get("pool"))
        try:
            loop = asyncio.get_running_loop()
            stack = self._idle.get(key)
            now = time.monotonic()
            while stack:
                conn = stack.pop()
                self._idle_count -= 1
                expired = self._expiry is not None and now - conn.idle_since > self._expiry
                if expired or conn.loop is not loop or conn.is_stale():
                    conn.close()
                    continue
                return conn
            return await self._connect(request, key, timeouts.get("connect"), loop)
        except BaseException:
            self._free_slot()
            raise

    def _release(self, conn: _AsyncConnection, reusable: bool) -> None:
        if reusable and not self._closed and self._idle_count < self._max_idle and not conn.is_stale():
            conn.idle_since = time.monotonic()
            self._idle.setdefault(conn.key, []).append(conn)
            self._idle_count += 1
        else:
            conn.close()
        self._free_slot()

    async def _connect(
        self,
        request: httpx.Request,
        key: tuple[str, str, int, str],
        timeout: float | None,
        loop: asyncio.AbstractEventLoop,
    ) -> _AsyncConnection:
        scheme, host, port, sni = key
        context = self._certificates.context() if scheme == "https" else None
        try:
            async with asyncio.timeout(timeout):
                _, conn = await loop.create_connection(
                    lambda: _AsyncConnection(key, loop),
                    host,
                    port,
                    ssl=context,
                    server_hostname=sni if context is not None else None,
                )
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(str(exc) or "timed out", request=request) from exc
        except (OSError, ValueError) as exc:
            raise httpx.ConnectError(str(exc) or type(exc).__name__, request=request) from exc
        return conn

    # -- one request -----------------------------------------------------------------------------

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if _doubled(_ASYNC_WATCHES):
            if self._httpx is None:
                certificates = self._certificates
                self._httpx = httpx.AsyncHTTPTransport(
                    verify=certificates.verify, trust_env=certificates.trust_env, limits=self._limits
                )
            return await self._httpx.handle_async_request(request)
        key = _origin(request)
        outgoing = _serialize(request)
        timeouts = _timeouts(request)
        conn = await self._acquire(request, key, timeouts)
        read_timeout = timeouts.get("read")
        try:
            await self._send(conn, request, outgoing, timeouts.get("write"))
            while True:
                head = _parse_head(await conn.read_head(read_timeout))
                if head.status >= 200 or head.status == 101:
                    break
        except httpx.TransportError as exc:
            self._release(conn, False)
            exc._request = request  # httpx's own way to bind an error to its request
            raise
        except _TimedOut as exc:
            self._release(conn, False)
            raise httpx.ReadTimeout("timed out", request=request) from exc
        except OSError as exc:
            self._release(conn, False)
            raise httpx.ReadError(str(exc) or type(exc).__name__, request=request) from exc
        except BaseException:
            self._release(conn, False)
            raise
        framing = _framing(request.method, head)
        reusable = not (head.close or outgoing.close or head.status == 101)
        if framing == _EMPTY:
            self._release(conn, reusable)
            return _response(head, httpx.ByteStream(b""))
        return _response(
            head, _AsyncResponseStream(self, conn, framing, head.length or 0, reusable, read_timeout)
        )

    async def _send(
        self, conn: _AsyncConnection, request: httpx.Request, outgoing: _Outgoing, timeout: float | None
    ) -> None:
        try:
            body = outgoing.body
            if body is not None:
                if outgoing.chunked:
                    body = (_chunk(body) if body else b"") + b"0\r\n\r\n"
                await conn.write(outgoing.head + body if len(body) <= _COALESCE else outgoing.head, timeout)
                if len(body) > _COALESCE:
                    await conn.write(body, timeout)
                return
            await conn.write(outgoing.head, timeout)
            sent = 0
            async for data in request.stream:  # type: ignore[union-attr]
                if not data:
                    continue
                sent += len(data)
                if outgoing.chunked:
                    await conn.write(_chunk(data), timeout)
                else:
                    if sent > (outgoing.length or 0):
                        raise httpx.LocalProtocolError(
                            "the request body is longer than its Content-Length", request=request
                        )
                    await conn.write(data, timeout)
            if outgoing.chunked:
                await conn.write(b"0\r\n\r\n", timeout)
            elif sent != (outgoing.length or 0):
                raise httpx.LocalProtocolError(
                    "the request body is shorter than its Content-Length", request=request
                )
        except _TimedOut as exc:
            raise httpx.WriteTimeout("timed out", request=request) from exc
        except OSError:
            return  # as in the sync twin: read the early answer, or fail reading

    async def aclose(self) -> None:
        if self._httpx is not None:
            await self._httpx.aclose()
        self._closed = True
        idle = [conn for stack in self._idle.values() for conn in stack]
        self._idle.clear()
        self._idle_count = 0
        for conn in idle:
            conn.close()
