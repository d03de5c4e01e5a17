"""Loopback servers that misbehave on purpose, for the fault matrix (and the secrets test).

`FaultServer` is a real HTTP/1.1 server on 127.0.0.1 (or another loopback address) whose normal
answers come from an *app*, `httpx.Request -> httpx.Response` (the per-API fakes of tests/<api>/
have that shape, or are adapted to it below). Faults are scripted per path, used in order::

    with FaultServer(app) as server:
        server.script(Respond(503), Respond(502), path="/v2/project/x")   # then the app answers
        server.script(ResetMidBody())                                      # any path, next request
        ...
        server.count("GET", "/v2/project/x")                               # what arrived

`SilentServer` is a bare socket server that accepts connections and never answers (a response
whose headers never come); it counts the connections it accepted, which is the number of attempts.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = [
    "App",
    "FaultServer",
    "Redirect",
    "ResetMidBody",
    "Respond",
    "Seen",
    "SilentServer",
    "Stream",
    "bbb_v2_app",
    "moonrope_app",
    "pattern_chunks",
]

App = Callable[[httpx.Request], httpx.Response]


# -- faults ----------------------------------------------------------------------------------------


@dataclass
class Respond:
    """A canned answer. `body`: bytes or str as is, anything else JSON-encoded."""

    status: int = 200
    body: Any = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = None

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, bytes):
            return self.body, self.content_type or "application/octet-stream"
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        return json.dumps(self.body).encode(), self.content_type or "application/json"


@dataclass
class ResetMidBody:
    """Send the status line, the headers and half of the announced body, then reset (TCP RST).

    Without `body` the app's own answer is cut in half; the app is still called, so the server did
    whatever the request asks before the connection broke (as a real server would have).
    """

    body: bytes | None = None
    status: int = 200


@dataclass
class Redirect:
    """Answer `status` with `Location: location` (another origin in the redirect tests)."""

    location: str
    status: int = 302


@dataclass
class Stream:
    """A body of `size` bytes written from `chunks()` as it goes: never held whole in memory."""

    size: int
    chunks: Callable[[], Iterator[bytes | memoryview]]
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


Fault = Respond | ResetMidBody | Redirect | Stream


def pattern_chunks(size: int, chunk: int = 64 * 1024) -> Callable[[], Iterator[memoryview]]:
    """A deterministic body of `size` bytes in `chunk`-sized slices of one preallocated block (the
    server allocates nothing per chunk, so it does not distort the client's memory measurement)."""
    block = bytes((i * 7 + 3) % 251 for i in range(chunk))
    view = memoryview(block)

    def chunks() -> Iterator[memoryview]:
        left = size
        while left > 0:
            n = min(left, chunk)
            yield view[:n]
            left -= n

    return chunks


# -- the HTTP server -------------------------------------------------------------------------------


@dataclass
class Seen:
    """One request as the server saw it (header names lower-cased)."""

    method: str
    path: str  # with the query
    headers: dict[str, str]
    body: bytes
    at: float  # time.monotonic() on arrival

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]


def _not_found(request: httpx.Request) -> httpx.Response:
    return httpx.Response(404, json={"error": "not_found"})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
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
        owner = self.server.owner
        seen = Seen(
            self.command,
            self.path,
            {k.lower(): v for k, v in self.headers.items()},
            self._body(),
            time.monotonic(),
        )
        fault = owner._arrived(seen)
        try:
            if isinstance(fault, Respond):
                body, content_type = fault.encoded()
                self._write(fault.status, {"Content-Type": content_type, **fault.headers}, body)
            elif isinstance(fault, Redirect):
                self._write(fault.status, {"Location": fault.location}, b"")
            elif isinstance(fault, Stream):
                self._stream(fault)
            else:
                response = owner.app(self._request(seen))
                body = response.read()
                headers = {
                    k: v
                    for k, v in response.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "content-encoding")
                }
                if isinstance(fault, ResetMidBody):
                    self._reset(fault.status, headers, fault.body if fault.body is not None else body)
                else:
                    self._write(response.status_code, headers, body)
        except OSError:  # the client went away (it timed out, or we reset)
            self.close_connection = True

    def _request(self, seen: Seen) -> httpx.Request:
        owner = self.server.owner
        return httpx.Request(seen.method, owner.url + seen.path, headers=seen.headers, content=seen.body)

    def _head(self, status: int, headers: dict[str, str], length: int) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _write(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self._head(status, headers, len(body))
        self.wfile.write(body)
        self.wfile.flush()

    def _stream(self, fault: Stream) -> None:
        self._head(fault.status, {"Content-Type": "application/octet-stream", **fault.headers}, fault.size)
        for chunk in fault.chunks():
            self.wfile.write(chunk)
        self.wfile.flush()

    def _reset(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self._head(status, headers, len(body))
        self.wfile.write(body[: len(body) // 2])
        self.wfile.flush()
        # SO_LINGER 0: close() sends a TCP RST instead of a FIN.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and timeouts are what these tests are about


class FaultServer:
    """An HTTP/1.1 server on `host` (a free port) answering with `app`, except for scripted faults."""

    def __init__(self, app: App | None = None, *, host: str = "127.0.0.1") -> None:
        self.app: App = app or _not_found
        self.seen: list[Seen] = []
        self.on_request: Callable[[Seen], None] | None = None
        self._scripts: dict[str | None, deque[Fault]] = {}
        self._lock = threading.Lock()
        self._server = _Server((host, 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def script(self, *faults: Fault, path: str | None = None) -> None:
        """Queue faults for the next requests to `path` (without the query), or to any path."""
        with self._lock:
            self._scripts.setdefault(path, deque()).extend(faults)

    def _arrived(self, seen: Seen) -> Fault | None:
        with self._lock:
            self.seen.append(seen)
            queue = self._scripts.get(seen.route) or self._scripts.get(None)
            fault = queue.popleft() if queue else None
        if self.on_request is not None:
            self.on_request(seen)
        return fault

    def requests(self, method: str | None = None, path: str | None = None) -> list[Seen]:
        """What arrived, optionally only `method` requests to `path` (a route, or a route prefix
        ending in `/`)."""
        with self._lock:
            seen = list(self.seen)
        return [
            s
            for s in seen
            if (method is None or s.method == method)
            and (path is None or s.route == path or (path.endswith("/") and s.route.startswith(path)))
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(self.requests(method, path))


# -- a server that never answers -------------------------------------------------------------------


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never sends a byte: headers that never come."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.05)
        self._connections: list[socket.socket] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._connections.append(connection)

    def __enter__(self) -> SilentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()
        with self._lock:
            for connection in self._connections:
                connection.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def accepted(self) -> int:
        """Connections accepted so far (each attempt of a client opens one: the last one timed out)."""
        with self._lock:
            return len(self._connections)


# -- adapters for the per-API fakes whose app has another shape --------------------------------------


def bbb_v2_app(fake: Any) -> App:
    """tests/builtbybit/fake_api.FakeBuiltByBit (`handle(method, target, headers, body)`) as an App."""

    def app(request: httpx.Request) -> httpx.Response:
        status, headers, payload = fake.handle(
            request.method, request.url.raw_path.decode("ascii"), dict(request.headers), request.content
        )
        return httpx.Response(status, headers=headers, content=payload)

    return app


def moonrope_app(answer: Any) -> App:
    """A tests/moonrope/moonrope_fake app (`Call -> Answer`, e.g. FakePostal) as an App."""
    from tests.moonrope.moonrope_fake import Call

    def app(request: httpx.Request) -> httpx.Response:
        call = Call(
            request.method,
            request.url.raw_path.decode("ascii"),
            {k.lower(): v for k, v in request.headers.items()},
            request.content,
        )
        result = answer(call)
        payload, content_type = result.encoded()
        headers = {"Content-Type": content_type}
        headers.update({k: v for k, v in result.headers.items() if k.lower() != "content-type"})
        return httpx.Response(result.status, headers=headers, content=payload)

    return app
