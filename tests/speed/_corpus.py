"""The raw-socket corpus the wire tests share: HTTP answers a well-behaved server sends and ones it never
does (framing, 1xx, resets, truncations, malformed heads), the loopback server that sends them byte for
byte, and what a caller of a transport sees of each (`outcome` for a sync transport, `async_outcome` for
an async one), reduced to what must match the reference (`verdict`).

`tests/speed/test_wire.py` holds the sync default transport to `httpx.HTTPTransport` (h11) over it,
`tests/speed/test_wire_async.py` the async transports to `httpx.AsyncHTTPTransport` (httpcore + h11).
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

TIMEOUT = {"connect": 2.0, "read": 0.4, "write": 0.4, "pool": 2.0}

# -- a raw-socket server: each connection gets the next scripted answer ------------------------------

Step = bytes | float | str  # bytes to send, seconds to wait, "reset" (RST) or "hold" (stay open)


@dataclass
class RawServer:
    """Serves each accepted connection the next script of `answers` (after reading the request head)."""

    answers: list[list[Step]] = field(default_factory=list)
    accepted: int = 0
    requests: int = 0

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/x"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            with self._lock:
                self.accepted += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        buffer = b""
        with conn:
            while not self._stop.is_set():
                while b"\r\n\r\n" not in buffer:
                    try:
                        data = conn.recv(65536)
                    except OSError:
                        return
                    if not data:
                        return
                    buffer += data
                _, _, buffer = buffer.partition(b"\r\n\r\n")
                with self._lock:
                    self.requests += 1
                    script = (
                        self.answers.pop(0)
                        if self.answers
                        else [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"]
                    )
                keep = False
                for step in script:
                    if isinstance(step, bytes):
                        conn.sendall(step)
                    elif isinstance(step, float):
                        if self._stop.wait(step):
                            return
                    elif step == "reset":
                        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                        return
                    elif step == "hold":
                        self._stop.wait(5.0)
                        return
                    elif step == "keep":
                        keep = True
                if not keep:
                    return

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        self._thread.join(timeout=2)


@contextlib.contextmanager
def serving(*answers: list[Step]) -> Iterator[RawServer]:
    server = RawServer(list(answers))
    try:
        yield server
    finally:
        server.close()


def outcome(transport: httpx.BaseTransport, url: str, **request: Any) -> tuple[Any, ...]:
    """What a caller of `transport` sees: status, raw headers, body and extensions, or the error."""
    method = request.pop("method", "GET")
    sent = httpx.Request(method, url, **request)
    sent.extensions["timeout"] = dict(TIMEOUT)
    try:
        response = transport.handle_request(sent)
        try:
            body = b"".join(response.stream)  # type: ignore[arg-type]
        finally:
            response.close()
    except Exception as exc:
        return ("error", type(exc), str(exc))
    ext = response.extensions
    return ("ok", response.status_code, response.headers.raw, body, ext["http_version"], ext["reason_phrase"])


async def async_outcome(
    transport: httpx.AsyncBaseTransport, url: str, *, timeout: dict[str, float] = TIMEOUT, **request: Any
) -> tuple[Any, ...]:
    """`outcome` for an async transport: the same tuple, and for an error the exception itself last (so
    a test can look at its repr and traceback too)."""
    method = request.pop("method", "GET")
    sent = httpx.Request(method, url, **request)
    sent.extensions["timeout"] = dict(timeout)
    try:
        response = await transport.handle_async_request(sent)
        try:
            body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
        finally:
            await response.aclose()
    except Exception as exc:
        return ("error", type(exc), str(exc), exc)
    ext = response.extensions  # a transport may leave out an empty reason phrase: None then
    return (
        "ok",
        response.status_code,
        response.headers.raw,
        body,
        ext["http_version"],
        ext.get("reason_phrase"),
    )


OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'
KEEP: list[Step] = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "keep"]  # and the next request
GZ = gzip.compress(b'{"zipped": true}')

#: (name, the server's script): answers a well-behaved server sends, and ones it never does
CORPUS: list[tuple[str, list[Step]]] = [
    ("content-length", [OK]),
    (
        "chunked",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"],
    ),
    (
        "chunked-with-trailer",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\nX-T: 1\r\n\r\n"],
    ),
    (
        "gzip-left-encoded",
        [b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(GZ) + GZ],
    ),
    ("close-delimited", [b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end"]),
    ("http-1.0", [b"HTTP/1.0 200 OK\r\n\r\nold style"]),
    ("100-continue-first", [b"HTTP/1.1 100 Continue\r\n\r\n", OK]),
    ("103-early-hints-first", [b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n", OK]),
    ("no-content", [b"HTTP/1.1 204 No Content\r\n\r\n"]),
    ("split-head", [b"HTTP/1.1 200 OK\r\nContent-Le", 0.05, b"ngth: 2\r\n\r\n", 0.05, b"ok"]),
    ("reason-phrase-odd", [b"HTTP/1.1 418 I'm a teapot!\r\nContent-Length: 0\r\n\r\n"]),
    (
        "repeated-header",
        [b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n"],
    ),
    ("bare-lf", [b"HTTP/1.1 200 OK\nContent-Length: 2\n\nok"]),
    ("closed-before-answer", []),
    ("reset-before-answer", ["reset"]),
    ("reset-mid-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", 0.05, "reset"]),
    ("truncated-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789"]),
    ("truncated-chunk", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n01234"]),
    ("truncated-head", [b"HTTP/1.1 200 OK\r\nContent-Len"]),
    ("silent", ["hold"]),
    ("silent-mid-body", [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789", "hold"]),
    ("status-line-garbage", [b"HTTP/1.1 abc OK\r\n\r\n"]),
    ("not-http", [b"SSH-2.0-OpenSSH_9.6\r\n\r\n"]),
    (
        "chunk-longer-than-its-size",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n0\r\n\r\n"],
    ),
    (
        "chunk-size-garbage",
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"],
    ),
    ("conflicting-lengths", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok"]),
    ("length-and-chunked", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\nok"]),
    ("header-without-colon", [b"HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 0\r\n\r\n"]),
    ("header-name-space", [b"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n"]),
    ("unknown-transfer-encoding", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok"]),
    ("head-over-h11s-limit", [b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"a" * (110 * 1024) + b"\r\n\r\n"]),
    ("body-after-204", [b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\nextra bytes"]),
    # issue 12's malformed answers, each with the verdict h11 gives
    (
        "chunked-twice",
        [
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
        ],
    ),
    ("chunked-chunked-list", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"]),
    ("length-underscore", [b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\n0123456789"]),
    ("length-plus", [b"HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello"]),
    ("length-negative", [b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello"]),
    ("length-5000-digits", [b"HTTP/1.1 200 OK\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\nhello"]),
    ("length-with-spaces", [b"HTTP/1.1 200 OK\r\nContent-Length:  2  \r\n\r\nok"]),
    ("nul-in-header-value", [b"HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok"]),
    ("cr-in-header-value", [b"HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok"]),
    ("bare-lf-in-chunks", [b"HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n\n2\nok\n0\n\n"]),
    ("header-value-padding", [b"HTTP/1.1 200 OK\r\nX-A: \t padded \t\r\nContent-Length: 2\r\n\r\nok"]),
    ("empty-header-value", [b"HTTP/1.1 200 OK\r\nX-A:\r\nContent-Length: 2\r\n\r\nok"]),
    ("space-before-colon", [b"HTTP/1.1 200 OK\r\nContent-Length : 2\r\n\r\nok"]),
    ("chunk-extension", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=1\r\nok\r\n0\r\n\r\n"]),
    ("chunk-size-huge", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"f" * 40 + b"\r\nok"]),
    ("two-100s-then-answer", [b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\n\r\n", OK]),
    (
        "switching-protocols",
        [b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n"],
    ),
    ("http-1.0-body-to-eof", [b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nall of it, to the end"]),
    (
        "http-1.0-keep-alive-length",
        [b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"],
    ),
    ("http-1.1-no-length", [b"HTTP/1.1 200 OK\r\n\r\nto the end"]),
    (
        "connection-close-with-length",
        [b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"],
    ),
    ("truncated-chunked-no-end", [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n"]),
    ("truncated-after-status", [b"HTTP/1.1 200 OK\r\n"]),
    ("http-2-status-line", [b"HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok"]),
    ("http-0.9-status-line", [b"HTTP/0.9 200 OK\r\nContent-Length: 2\r\n\r\nok"]),
    ("status-600", [b"HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nok"]),
    ("no-reason-phrase", [b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok"]),
    ("304-with-length", [b"HTTP/1.1 304 Not Modified\r\nContent-Length: 20\r\n\r\n"]),
    ("body-longer-than-length", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokEXTRA"]),
    ("obs-fold", [b"HTTP/1.1 200 OK\r\nX-A: one\r\n  two\r\nContent-Length: 2\r\n\r\nok"]),
    ("obs-text-in-value", [b"HTTP/1.1 200 OK\r\nX-A: caf\xc3\xa9\r\nContent-Length: 2\r\n\r\nok"]),
]


def verdict(result: tuple[Any, ...]) -> tuple[Any, ...]:
    """An answer whole (status, headers, body, version, reason), or the httpx error class: llhttp's
    messages are its own, so only h11's class must be matched."""
    return result[:2] if result[0] == "error" else result
