"""A real, scripted HTTP/1.1 server on 127.0.0.1 (port 0) running in a background thread.

    server = LoopbackServer().start()
    server.script(Reply(503), Reply(200, {"ok": True}))    # next replies, in order, any path
    server.script(Reply(404), path="/missing")              # next replies for one path
    server.rate_limit = FixedWindow(limit=20, window=2.0)  # Modrinth-style limiting
    ... httpx against server.url ...
    server.requests                                        # what arrived, in order
    server.stop()

A :class:`Reply` can carry custom headers, a delay before the status line (to provoke
read timeouts) and ``reset_after=N`` (send N body bytes of a longer announced body, then
reset the connection). Without a script every request gets ``default`` (200 ``{"ok": true}``).
"""

from __future__ import annotations

import json
import math
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FixedWindow", "LoopbackServer", "Recorded", "Reply", "unused_port"]


@dataclass
class Reply:
    status: int = 200
    body: Any = field(default_factory=lambda: {"ok": True})
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    reset_after: int | None = None

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), "application/json"


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival
    status: int = 0  # what was answered (0 if the connection was reset)


class FixedWindow:
    """Fixed windows of ``limit`` requests per ``window`` seconds, the first starting at the first request.

    ``style="modrinth"``: every answer carries ``x-ratelimit-limit``, ``-remaining`` and
    ``-reset`` (whole seconds to the window's end, truncated); beyond the limit a 429 with
    Modrinth's body. ``style="builtbybit"``: no headers, and a 429 carries ``Retry-After``
    in milliseconds.
    """

    def __init__(self, limit: int, window: float, style: str = "modrinth") -> None:
        self.limit = limit
        self.window = window
        self.style = style
        self.origin: float | None = None
        self.counts: dict[int, int] = {}
        self.rejected = 0
        self._lock = threading.Lock()

    def admit(self, now: float) -> Reply | dict[str, str]:
        """A 429 :class:`Reply` if over the limit, else the headers to add to the normal reply."""
        with self._lock:
            if self.origin is None:
                self.origin = now
            index = int((now - self.origin) // self.window)
            end = self.origin + (index + 1) * self.window
            used = self.counts.get(index, 0)
            left = end - now
            if used >= self.limit:
                self.rejected += 1
                millis = max(1, math.ceil(left * 1000))
                if self.style == "builtbybit":
                    return Reply(
                        429,
                        {
                            "result": "error",
                            "error": {"code": "RateLimitError", "message": "Too many requests"},
                        },
                        headers={"Retry-After": str(millis)},
                    )
                return Reply(
                    429,
                    {
                        "error": "ratelimit_error",
                        "description": f"rate limit exceeded; retry after {millis} milliseconds",
                    },
                    headers={
                        "x-ratelimit-limit": str(self.limit),
                        "x-ratelimit-remaining": "0",
                        "x-ratelimit-reset": str(int(left)),
                    },
                )
            self.counts[index] = used + 1
            if self.style == "builtbybit":
                return {}
            return {
                "x-ratelimit-limit": str(self.limit),
                "x-ratelimit-remaining": str(self.limit - used - 1),
                "x-ratelimit-reset": str(int(left)),
            }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self) -> None:
        now = time.monotonic()
        record = Recorded(self.command, self.path, dict(self.headers.items()), self._read_body(), now)
        owner = self.server.owner
        reply, extra = owner._next_reply(record)
        try:
            if reply.delay:
                time.sleep(reply.delay)
            body, content_type = reply.encoded()
            self.send_response(reply.status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in {**extra, **reply.headers}.items():
                self.send_header(name, value)
            self.end_headers()
            if reply.reset_after is not None:
                self.wfile.write(body[: reply.reset_after])
                self.wfile.flush()
                # SO_LINGER 0: close() sends a TCP RST instead of a FIN.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            # recorded before the body goes out: once the client has read it, the test may look at once
            record.status = reply.status
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:  # the client went away (e.g. it timed out)
            record.status = 0
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LoopbackServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and timeouts are part of the tests


class LoopbackServer:
    def __init__(self) -> None:
        self.default = Reply()
        self.rate_limit: FixedWindow | None = None
        self.requests: list[Recorded] = []
        self.on_request: Callable[[Recorded], None] | None = None
        self._scripts: dict[str | None, deque[Reply]] = {}
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> LoopbackServer:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.owner = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def port(self) -> int:
        assert self._server is not None, "server not started"
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- scripting -------------------------------------------------------------------------------

    def script(self, *replies: Reply, path: str | None = None) -> None:
        """Queue replies, used in order (for ``path`` only, or for any request)."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(replies)

    def _next_reply(self, record: Recorded) -> tuple[Reply, dict[str, str]]:
        with self._lock:
            self.requests.append(record)
            path = record.path.split("?", 1)[0]
            queue = self._scripts.get(path) or self._scripts.get(None)
            reply = queue.popleft() if queue else self.default
        if self.on_request is not None:
            self.on_request(record)
        extra: dict[str, str] = {}
        if self.rate_limit is not None:
            verdict = self.rate_limit.admit(record.at)
            if isinstance(verdict, Reply):
                return verdict, {}
            extra = verdict
        return reply, extra

    # -- inspection ------------------------------------------------------------------------------

    def statuses(self) -> list[int]:
        with self._lock:
            return [r.status for r in self.requests]

    def count(self, status: int | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if status is None or r.status == status)


def unused_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
