"""An HTTP/1.1 client connection framed by llhttp (Node's parser, through MagicStack's `httptools`).

`LlhttpConnection` is what `_wire.LeanPool` opens when `httptools` can be imported: the same interface
as `httpcore.HTTPConnection` (`handle_request`, `has_expired`, `is_available`, `close`, ...), the same
network backend for connect and TLS (httpcore's, ALPN `http/1.1`), httpcore's exceptions, but every
response is framed by `httptools.HttpResponseParser` instead of h11, and the request is written here
as h11 writes it: the request line, `Host` first, the headers as given (each name and value checked
with h11's own rules, so a CR, LF or NUL cannot be smuggled into the head), the body framed by the
request's `Content-Length` (exactly that many bytes, else `LocalProtocolError`) or
`Transfer-Encoding: chunked` (one chunk per body piece, empty pieces skipped), none without either.

What is taken from where, per response:

* llhttp: the status line, header syntax, `Content-Length` (digits only), chunked framing (a chunk
  longer than its size, a bad size, a malformed trailer are errors), `Content-Length` with
  `Transfer-Encoding`, no body for 1xx/204/304, keep-alive (`should_keep_alive()`), upgrades.
* here: a HEAD response has no body (llhttp's response parser cannot be told the request was HEAD, so
  the body it would wait for is not read, and the connection is reused only if nothing followed the
  head); 1xx answers before the final one are skipped (101 is returned, as httpcore does); a body
  without `Content-Length` or chunked framing ends at EOF (llhttp's `finish`, which httptools does
  not expose); EOF before the end of a framed body is `RemoteProtocolError`; bytes after a complete
  answer are never read as the next answer: the connection is closed instead.
* h11's rules, kept where llhttp alone would differ: a bare LF is a line end (h11 takes it, RFC 9112
  2.2 allows it; llhttp's `lenient_optional_cr_before_lf`, the only leniency set); one
  `Transfer-Encoding` header, saying `chunked` (llhttp takes a repeated one, and reads any other
  coding's body to EOF); a 101 only to a request that proposed an `Upgrade`; keep-alive only for
  HTTP/1.1 and when neither side said `Connection: close`; h11's 100 KiB limit on the head.

tests/speed/test_wire.py feeds one corpus of valid and malformed answers (issue 12's among them: the
chunk footer `5\r\nhelloXX\r\n0\r\n\r\n`, `Content-Length: 1_0`, `+5`, 5,000 digits, a NUL in a
value, both `Content-Length` and `Transfer-Encoding`, ...) to this connection and to
`httpx.HTTPTransport` (h11) and requires the same verdict: the same answer, or the same httpx error
class (the messages are llhttp's). One difference is deliberate (`LLHTTP_DIFFERS` there): an obs-fold
line (a header value continued on a line starting with a space), deprecated since RFC 7230, which h11
unfolds and llhttp refuses with an error; accepting it would take `lenient_headers`, which also lets
NUL and other control bytes into values.

Every error is an httpcore exception (`RemoteProtocolError` for a malformed answer, with llhttp's
reason; `ReadTimeout`, `ReadError` from the network backend), which `_wire` maps to httpx's classes as
httpx's own transport does. No message names the URL (its query may hold a secret).
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpcore
import httptools

__all__ = ["Framing", "LlhttpConnection", "body_end", "frame_piece", "request_head"]

_READ = 64 * 1024  # what httpcore reads at a time
_MAX_HEAD = 100 * 1024  # h11's max_incomplete_event_size, the limit httpcore's h11 connection has

# h11's own header rules (h11/_abnf.py): a token for the name, field-vchar/obs-text with inner SP/HTAB
_NAME = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_VALUE = re.compile(rb"(?:[\x21-\x7e\x80-\xff](?:[ \t]*[\x21-\x7e\x80-\xff])*)?")
# the same two rules as byte sets, which `request_head` checks with `bytes.translate` (C, no match
# object): a value of 55 bytes costs about 0.5 us so, 2.9 us through `_VALUE` (its group per byte)
_TOKEN = bytes(b for b in range(256) if _NAME.fullmatch(bytes((b,))))
_FIELD = bytes(range(0x21, 0x7F)) + bytes(range(0x80, 0x100)) + b" \t"
_BLANK = (0x20, 0x09)

_NEW, _ACTIVE, _IDLE, _CLOSED = range(4)


def request_head(
    method: bytes, target: bytes, headers: Iterable[tuple[bytes, bytes]]
) -> tuple[bytes, int | None, bool, bool, bool]:
    """The request head as h11 writes it (the request line, `Host` first, the headers as given), every
    header name and value checked with h11's rules (`LocalProtocolError`, never showing the value), and
    what the headers said: the body's declared length, whether it is chunked, whether an upgrade was
    proposed, whether the connection closes after this exchange."""
    host = b""
    lines = []
    length: int | None = None
    chunked = upgrading = close_after = False
    for name, value in headers:
        if not name or name.translate(None, _TOKEN):  # `_NAME`
            raise httpcore.LocalProtocolError("Illegal header name (not a token)")
        if value and (value.translate(None, _FIELD) or value[0] in _BLANK or value[-1] in _BLANK):  # `_VALUE`
            # unlike h11's, the message never shows the value: it may be a credential
            raise httpcore.LocalProtocolError(f"Illegal header value in the {name.decode()!r} header")
        lowered = name.lower()
        if lowered == b"host":
            host = b"%s: %s\r\n" % (name, value)
            continue
        if lowered == b"content-length":
            length = int(value)
        elif lowered == b"transfer-encoding":
            chunked = value.lower() == b"chunked"
        elif lowered == b"upgrade":
            upgrading = True
        elif lowered == b"connection" and b"close" in value.lower():
            close_after = True  # h11 closes after an exchange whose request said so
        lines.append(b"%s: %s\r\n" % (name, value))
    if not host:
        raise httpcore.LocalProtocolError("Missing mandatory Host: header")
    head = b"%s %s HTTP/1.1\r\n%s%s\r\n" % (method, target, host, b"".join(lines))
    return head, length, chunked, upgrading, close_after


def frame_piece(piece: bytes, chunked: bool, length: int | None, sent: int) -> tuple[bytes, int]:
    """One piece of a request body as it goes on the wire (a chunk, or as it is), and the bytes sent so
    far: more than the declared `Content-Length` is a `LocalProtocolError`, as h11 has it."""
    if chunked:
        return b"%x\r\n%s\r\n" % (len(piece), piece), sent
    sent += len(piece)
    if length is None or sent > length:
        raise httpcore.LocalProtocolError("Too much data for declared Content-Length")
    return piece, sent


def body_end(chunked: bool, length: int | None, sent: int) -> bytes:
    """What ends a request body: the last chunk, or nothing (less than its `Content-Length` is an error)."""
    if chunked:
        return b"0\r\n\r\n"
    if length is not None and sent < length:
        raise httpcore.LocalProtocolError("Too little data for declared Content-Length")
    return b""


class Framing:
    """The per-message state of one HTTP/1.1 connection, and llhttp's callbacks that fill it: what
    `LlhttpConnection` (sync) and `_aiowire`'s protocol (async) share, so both frame every answer by
    the same rules (this module's docstring). The owner `_reset`s it for each request, feeds what it
    reads to `_feed`, tells `_eof` when the peer closed, and asks `_reusable` once the body is read;
    `_feed` and `_eof` raise `httpcore.RemoteProtocolError` for a malformed answer."""

    _clean = False  # the parser ended the last answer and may frame the next one (`_reset`)
    _close_after = False  # the request said `Connection: close`
    _upgrading = False  # the request proposed an `Upgrade`

    _version: bytes

    # -- the parser and its callbacks ------------------------------------------------------------------

    def _reset(self, method: bytes) -> None:
        if not self._clean:  # else llhttp stands at the start of the next answer, as a new parser would
            self._parser = parser = httptools.HttpResponseParser(self)
            # h11 takes a bare LF as a line end and unfolds obs-fold lines: keep both answers working
            parser.set_dangerous_leniencies(lenient_optional_cr_before_lf=True, lenient_headers=False)
        self._clean = False
        self._head = method == b"HEAD"
        self._head_done = False
        self._complete = False
        self._status = 0
        self._reason = b""
        self._headers: list[tuple[bytes, bytes]] = []
        self._chunks: list[bytes] = []
        self._body_bytes = 0
        self._framed = False  # a Content-Length or chunked body: EOF before its end is an error
        self._received = 0  # bytes of the head so far (h11's limit)
        self._trailing = False  # bytes came after the complete answer: never reuse the connection
        self._upgrade = False
        self._upgraded = b""  # what followed a 101's head in the same read
        self._keep = False
        self._unsupported = ""  # why the Transfer-Encoding is refused (h11's rules), if it is
        self._framed_by_te = False

    def on_message_begin(self) -> None:
        if self._head_done:  # a second answer in the same bytes: never read as the next one
            self._trailing = True

    def on_status(self, reason: bytes) -> None:
        if not self._head_done:
            self._reason += reason

    def on_header(self, name: bytes, value: bytes) -> None:
        if self._head_done:
            return  # a chunked body's trailer, ignored as httpcore ignores it
        if len(name) in (14, 17):
            lowered = name.lower()
            if lowered == b"content-length":
                self._framed = True
            elif lowered == b"transfer-encoding":
                # as h11: one header, saying chunked (llhttp takes a repeated one, and reads the body
                # of any other coding to EOF)
                if self._framed_by_te:
                    self._unsupported = "multiple Transfer-Encoding headers"
                elif value.strip(b" \t").lower() != b"chunked":
                    self._unsupported = "Only Transfer-Encoding: chunked is supported"
                self._framed = self._framed_by_te = True
        self._headers.append((name, value.strip(b" \t")))

    def on_headers_complete(self) -> None:
        if self._head_done:  # a second answer's head (`on_message_begin`): not this answer's
            return
        status = self._parser.get_status_code()
        if 100 <= status < 200 and status != 101:  # an informational answer: the final one follows
            self._headers = []
            self._reason = b""
            self._framed = self._framed_by_te = False
            self._unsupported = ""
            return
        parser = self._parser
        self._status = status
        self._version = b"HTTP/" + parser.get_http_version().encode("ascii")
        self._keep = parser.should_keep_alive()  # asked now: llhttp forgets it once the message is done
        self._head_done = True
        if self._unsupported:
            return
        if self._head or status == 101:
            self._complete = True  # HEAD: no body whatever the head says; 101: the stream is the caller's

    def on_body(self, body: bytes) -> None:
        if self._complete:
            self._trailing = True
        else:
            self._chunks.append(body)
            self._body_bytes += len(body)

    def on_message_complete(self) -> None:
        if self._head_done:
            self._complete = True
            # llhttp ended the answer itself (not a HEAD's, whose body it still awaits): the parser may
            # read the next one, unless anything else came (`_trailing`, then the connection closes)
            self._clean = not self._head

    def _eof(self) -> None:
        """The peer closed the connection: the end of a body framed by the close, else an error."""
        if not self._head_done:
            if self._received == 0 and self._status == 0 and not self._headers:
                raise httpcore.RemoteProtocolError("Server disconnected without sending a response.")
            raise httpcore.RemoteProtocolError("the server closed the connection within the response head")
        if self._complete:
            self._trailing = True
            return
        if not self._framed and self._status not in (204, 304):
            self._complete = True
            self._trailing = True  # ended by close: the connection is done
            return
        received = self._body_bytes
        raise httpcore.RemoteProtocolError(
            f"peer closed connection without sending complete message body (received {received} bytes)"
        )

    def _feed(self, data: bytes) -> None:
        """Feed llhttp what was read; raise for a malformed answer."""
        if not self._head_done:
            self._received += len(data)
        if self._complete:  # more bytes after the answer (a HEAD's, say): never the next answer
            self._trailing = True
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade as exc:  # the bytes after the 101's head are the new protocol's
            offset = exc.args[0] if exc.args and isinstance(exc.args[0], int) else len(data)
            self._upgraded = data[offset:]
            self._upgrade = True
            self._complete = True
        except httptools.HttpParserError as exc:
            if not self._complete:
                reason = str(exc) or type(exc).__name__
                raise httpcore.RemoteProtocolError(f"malformed HTTP response: {reason}") from None
            self._trailing = True  # garbage after a complete answer: the connection cannot be reused
        if self._head_done and self._unsupported:
            raise httpcore.RemoteProtocolError(self._unsupported)
        if self._status == 101 and not self._upgrading:
            raise httpcore.RemoteProtocolError(
                "a 101 (Switching Protocols) answer to a request that proposed no upgrade"
            )
        if not self._head_done and self._received > _MAX_HEAD:
            raise httpcore.RemoteProtocolError("the response head is longer than 100 KiB")

    def _reusable(self) -> bool:
        """Whether the connection may carry another request once this answer is read."""
        return not (
            self._trailing
            or self._close_after
            or self._upgrade
            or self._version != b"HTTP/1.1"
            or not self._keep
        )


class _Body:
    """A response body: the bytes llhttp already framed, then more reads until the message ends."""

    __slots__ = ("_connection", "_timeout")

    def __init__(self, connection: LlhttpConnection, timeout: float | None) -> None:
        self._connection = connection
        self._timeout = timeout

    def __iter__(self) -> Iterator[bytes]:
        connection = self._connection
        try:
            while True:
                chunks = connection._chunks
                if chunks:
                    connection._chunks = []
                    yield from chunks
                if connection._complete:
                    break
                connection._receive(self._timeout)
        except BaseException:
            connection.close()
            raise
        connection._response_done()

    def close(self) -> None:
        connection = self._connection
        if connection._state == _ACTIVE:
            if connection._complete and not connection._chunks:  # nothing left unread (a 204, a HEAD)
                connection._response_done()
            else:  # closed before its end: the rest is never read
                connection.close()


class _UpgradeStream(httpcore.NetworkStream):
    """The network stream after a 101: first the bytes that came with its head (httpcore's
    `HTTP11UpgradeStream` does the same)."""

    def __init__(self, stream: httpcore.NetworkStream, leftover: bytes) -> None:
        self._stream = stream
        self._leftover = leftover

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        if self._leftover:
            data, self._leftover = self._leftover[:max_bytes], self._leftover[max_bytes:]
            return data
        return self._stream.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, timeout)

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None
    ) -> Any:
        return self._stream.start_tls(ssl_context, server_hostname, timeout)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class LlhttpConnection(Framing):
    """One HTTP/1.1 connection to one origin, one request at a time, framed by llhttp."""

    def __init__(
        self,
        *,
        origin: httpcore.Origin,
        ssl_context: Any,
        keepalive_expiry: float | None,
        network_backend: httpcore.NetworkBackend | None = None,
    ) -> None:
        self._origin = origin
        self._ssl_context = ssl_context
        self._keepalive_expiry = keepalive_expiry
        self._backend = network_backend or httpcore.SyncBackend()
        self._stream: httpcore.NetworkStream | None = None
        self._state = _NEW
        self._expire_at: float | None = None
        self._connect_failed = False
        self._close_after = self._upgrading = False
        self._reset(b"GET")

    # -- what LeanPool asks ----------------------------------------------------------------------------

    def can_handle_request(self, origin: httpcore.Origin) -> bool:
        return origin == self._origin

    def is_available(self) -> bool:
        return self._state == _IDLE or (self._state == _NEW and not self._connect_failed)

    def has_expired(self) -> bool:
        if self._state != _IDLE:
            return self._state == _CLOSED
        if self._expire_at is not None and time.monotonic() > self._expire_at:
            return True
        stream = self._stream
        return stream is not None and bool(stream.get_extra_info("is_readable"))  # the server closed it

    def is_idle(self) -> bool:
        return self._state == _IDLE

    def is_closed(self) -> bool:
        return self._state == _CLOSED

    def info(self) -> str:
        return "HTTP/1.1 (llhttp), " + ("CLOSED" if self._state == _CLOSED else "open")

    def close(self) -> None:
        self._state = _CLOSED
        stream, self._stream = self._stream, None
        if stream is not None:
            stream.close()

    def __repr__(self) -> str:
        return f"<LlhttpConnection [{self._origin}, {self.info()}]>"

    # -- one exchange ----------------------------------------------------------------------------------

    def handle_request(self, request: httpcore.Request) -> httpcore.Response:
        if self._state not in (_NEW, _IDLE):
            raise httpcore.ConnectionNotAvailable()
        timeouts = request.extensions.get("timeout") or {}
        if self._stream is None:
            try:
                self._stream = self._connect(request, timeouts.get("connect"))
            except BaseException:
                self._connect_failed = True
                self._state = _CLOSED
                raise
        self._state = _ACTIVE
        self._close_after = self._upgrading = False
        read = timeouts.get("read")
        try:
            # as httpcore does: the server may have answered (an error, say) and closed early
            with contextlib.suppress(httpcore.WriteError):
                self._send(request, timeouts.get("write"))
            self._reset(request.method)
            while not self._head_done:
                self._receive(read)
        except BaseException:
            self.close()
            raise
        stream = self._stream
        if self._upgrade:  # as httpcore: the caller reads the new protocol from the network stream
            stream = _UpgradeStream(stream, self._upgraded)
        return httpcore.Response(
            status=self._status,
            headers=self._headers,
            content=_Body(self, read),
            extensions={
                "http_version": self._version,
                "reason_phrase": self._reason,
                "network_stream": stream,
            },
        )

    def _connect(self, request: httpcore.Request, timeout: float | None) -> httpcore.NetworkStream:
        origin = self._origin
        host = origin.host.decode("ascii")
        stream = self._backend.connect_tcp(host, origin.port, timeout)
        if origin.scheme == b"https":
            context = self._ssl_context
            if context is None:  # pragma: no cover - the pool always passes httpx's context
                import ssl

                context = ssl.create_default_context()
            context.set_alpn_protocols(["http/1.1"])
            sni = request.extensions.get("sni_hostname") or host
            try:
                stream = stream.start_tls(context, server_hostname=sni, timeout=timeout)
            except BaseException:
                stream.close()
                raise
        return stream

    def _send(self, request: httpcore.Request, timeout: float | None) -> None:
        head, length, chunked, self._upgrading, self._close_after = request_head(
            request.method, request.url.target, request.headers
        )
        stream = self._stream
        assert stream is not None
        sent = 0
        pending = head
        for piece in request.stream:  # type: ignore[union-attr]
            if not piece:
                continue
            piece, sent = frame_piece(piece, chunked, length, sent)
            if pending:
                if len(pending) + len(piece) <= _READ:
                    piece = pending + piece
                else:
                    stream.write(pending, timeout)
                pending = b""
            stream.write(piece, timeout)
        pending += body_end(chunked, length, sent)
        if pending:
            stream.write(pending, timeout)

    def _receive(self, timeout: float | None) -> None:
        """Read once and feed llhttp; EOF ends an unframed body, else it is an error."""
        stream = self._stream
        if stream is None:
            raise httpcore.ReadError("the connection was closed")
        data = stream.read(_READ, timeout)
        if data:
            self._feed(data)
        else:
            self._eof()

    def _response_done(self) -> None:
        if self._state != _ACTIVE:
            return
        if not self._reusable():
            self.close()
            return
        self._state = _IDLE
        if self._keepalive_expiry is not None:
            self._expire_at = time.monotonic() + self._keepalive_expiry
