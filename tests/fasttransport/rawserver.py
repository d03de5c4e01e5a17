"""A byte-scripted HTTP/1.1 server on 127.0.0.1 for transport tests, in a background thread.

Each reply is the exact bytes to send, so tests can produce what a friendly server never
would: chunked bodies with extensions and trailers, bare-LF heads, bodies cut short,
informational responses, bodies delimited by closing the connection::

    server = RawServer().start()
    server.script(Raw(b"HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\n\\r\\nok"))
    ...
    server.connections   # connections accepted so far
    server.requests      # (head, body) of every request received, in order

With no script left, a request gets ``default``. Request bodies framed by Content-Length or
chunked encoding are read whole before replying. A ``tls`` context makes it an HTTPS server.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections import deque
from dataclasses import dataclass

__all__ = ["Raw", "RawServer", "ok"]


@dataclass
class Raw:
    data: bytes
    #: close the connection after sending (a body delimited by close, or a server going away)
    close: bool = False
    #: seconds to wait before sending (to provoke read timeouts)
    delay: float = 0.0
    #: don't read the request at all before replying/closing (for write-side tests)
    no_read: bool = False


def ok(body: bytes = b'{"ok": true}', *headers: str, close: bool = False) -> Raw:
    """A 200 with Content-Length and any extra header lines."""
    extra = "".join(f"{h}\r\n" for h in headers).encode()
    return Raw(
        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
        + extra
        + b"content-length: %d\r\n\r\n" % len(body)
        + body,
        close=close,
    )


class RawServer:
    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.default = ok()
        self.requests: list[tuple[bytes, bytes]] = []
        self.connections = 0
        self._tls = tls
        self._script: deque[Raw] = deque()
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._open: list[socket.socket] = []
        self._stopping = False

    def start(self) -> RawServer:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.settimeout(0.05)  # closing a socket does not wake accept(): poll for stop() instead
        self._sock = sock
        thread = threading.Thread(target=self._accept, daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    @property
    def port(self) -> int:
        assert self._sock is not None
        return int(self._sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def script(self, *replies: Raw) -> None:
        with self._lock:
            self._script.extend(replies)

    def stop(self) -> None:
        self._stopping = True
        if self._sock is not None:
            self._sock.close()
        with self._lock:
            for conn in self._open:
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        assert self._sock is not None
        while not self._stopping:
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self.connections += 1
                self._open.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _next(self) -> Raw:
        with self._lock:
            return self._script.popleft() if self._script else self.default

    def _serve(self, conn: socket.socket) -> None:
        try:
            if self._tls is not None:
                plain = conn
                conn = self._tls.wrap_socket(conn, server_side=True)  # detaches `plain`
                with self._lock:
                    self._open[self._open.index(plain)] = conn
            reader = conn.makefile("rb")
            while True:
                with self._lock:
                    peek = self._script[0] if self._script else None
                if peek is not None and peek.no_read:
                    reply = self._next()
                    time.sleep(reply.delay)
                    if reply.data:
                        conn.sendall(reply.data)
                    if reply.close:
                        return
                    continue
                head = self._read_head(reader)
                if head is None:
                    return
                body = self._read_body(reader, head)
                with self._lock:
                    self.requests.append((head, body))
                reply = self._next()
                if reply.delay:
                    time.sleep(reply.delay)
                if reply.data:
                    conn.sendall(reply.data)
                if reply.close:
                    return
        except (OSError, ssl.SSLError):
            return
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    @staticmethod
    def _read_head(reader: object) -> bytes | None:
        lines = []
        while True:
            line = reader.readline()  # type: ignore[attr-defined]
            if not line:
                return None
            if line in (b"\r\n", b"\n"):
                return b"".join(lines)
            lines.append(line)

    @staticmethod
    def _read_body(reader: object, head: bytes) -> bytes:
        lower = head.lower()
        if b"transfer-encoding: chunked" in lower:
            chunks = []
            while True:
                size = int(reader.readline().split(b";")[0].strip(), 16)  # type: ignore[attr-defined]
                if size == 0:
                    while reader.readline() not in (b"\r\n", b"\n", b""):  # type: ignore[attr-defined]
                        pass
                    return b"".join(chunks)
                chunks.append(reader.read(size))  # type: ignore[attr-defined]
                reader.readline()  # type: ignore[attr-defined]
        for line in lower.split(b"\r\n"):
            if line.startswith(b"content-length:"):
                return reader.read(int(line.split(b":", 1)[1]))  # type: ignore[attr-defined,no-any-return]
        return b""
