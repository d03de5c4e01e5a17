"""Raw-socket loopback servers that send what a well-behaved HTTP server never does.

`HostileServer` speaks just enough HTTP/1.1 to read a request (head, then a body framed by
`Content-Length` or chunked), records it, and answers with *bytes*: whatever a scripted `Raw`
says (a broken status line, a lying `Content-Length`, bad gzip, a body dripping two bytes a second,
a redirect loop), or, when nothing is scripted for the request, the per-API fake's normal answer
serialised by hand. Scripts are matched by path prefix and consumed in order::

    with HostileServer(app) as server:
        server.script(Raw(response(200, b"zz", {"Content-Encoding": "gzip"})), path="/v2/project/")
        server.script(lambda seen: Raw(redirect(307, server.url + seen.path)))  # any path, a loop
        ...
        server.seen  # every request, in order, with its raw bytes

`Recorder` is the "other origin": it records every byte any connection sends it and answers a
plain 200 `{}` (or what `answer` returns), so a test can assert that no secret ever reached it.

Both run on 127.0.0.1 (or another loopback address), port 0, in daemon threads; `stop()` (or
leaving the `with` block) closes every socket they opened.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = [
    "HostileServer",
    "Raw",
    "Recorder",
    "Seen",
    "chunked",
    "deep_json",
    "gzip_bomb",
    "redirect",
    "response",
]

App = Callable[[httpx.Request], httpx.Response]
_MAX_HEAD = 256 * 1024


# -- building raw answers --------------------------------------------------------------------------


def response(
    status: int,
    body: bytes | str | Any = b"",
    headers: dict[str, str] | Iterable[tuple[str, str]] | None = None,
    *,
    reason: str = "X",
    length: int | bool | None = True,
    close: bool = True,
) -> bytes:
    """The bytes of one HTTP/1.1 response. `body` that is not bytes/str is JSON-encoded.

    `length=True` adds a truthful `Content-Length`, an int adds that (lying) value, `False` adds
    none (the body then ends when the connection closes). `close` adds `Connection: close` (the server
    closes after answering, so a client must not reuse the connection)."""
    if isinstance(body, str):
        payload = body.encode()
    elif isinstance(body, bytes | bytearray):
        payload = bytes(body)
    else:
        payload = json.dumps(body).encode()
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or [])
    names = {k.lower() for k, _ in pairs}
    if "content-type" not in names and payload[:1] in (b"{", b"["):
        pairs.append(("Content-Type", "application/json"))
    if close and "connection" not in names:
        pairs.append(("Connection", "close"))
    if length is True:
        pairs.append(("Content-Length", str(len(payload))))
    elif length is not False and length is not None:
        pairs.append(("Content-Length", str(length)))
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in pairs) + "\r\n"
    return head.encode("latin-1") + payload


def redirect(status: int, location: str) -> bytes:
    """A redirect answer with an empty body."""
    return response(status, b"", {"Location": location})


def chunked(*parts: bytes, final: bytes = b"0\r\n\r\n") -> bytes:
    """A chunked-transfer body made of `parts` (then `final`, overridable to break the framing)."""
    return b"".join(f"{len(p):x}\r\n".encode() + p + b"\r\n" for p in parts) + final


def deep_json(depth: int, leaf: bytes = b"1") -> bytes:
    """JSON nested `depth` arrays deep: valid, and a recursion bomb for naive decoders."""
    return b"[" * depth + leaf + b"]" * depth


def gzip_bomb(decoded_size: int) -> bytes:
    """A gzip member that expands to `decoded_size` zero bytes (about 1000:1), built in slices so
    the test process never holds the decoded size itself."""
    import zlib

    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1024 * 1024)
    out = []
    left = decoded_size
    while left > 0:
        n = min(left, len(block))
        out.append(compressor.compress(block[:n]))
        left -= n
    out.append(compressor.flush())
    return b"".join(out)


def gzipped(data: bytes) -> bytes:
    return gzip.compress(data)


@dataclass
class Raw:
    """Bytes to send as the answer. `drip=(n, seconds)` sends them `n` bytes at a time with a pause
    between; `stall` seconds of silence before anything; `close=False` keeps the connection open
    afterwards (until the client closes it or the server stops); `tail` is sent at once after `data`
    (e.g. the body after a dripping head)."""

    data: bytes
    drip: tuple[int, float] | None = None
    #: sent at once before `data` (e.g. the status line and headers of a dripping body)
    head: bytes = b""
    stall: float = 0.0
    close: bool = True
    #: sent at once after `data`
    tail: bytes = b""


Answer = Raw | Callable[["Seen"], Raw]


@dataclass
class Seen:
    """One request as the server read it (header names lower-cased)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    raw: bytes
    at: float

    @property
    def route(self) -> str:
        return self.path.split("?", 1)[0]


# -- the socket plumbing ---------------------------------------------------------------------------


class _Base:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)  # accept() wakes up to notice stop()
        self.host = host
        self.port = self._listener.getsockname()[1]
        self._stop = threading.Event()
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Any:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.close()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Any:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(None)
            with self._lock:
                self._conns.append(conn)
            threading.Thread(target=self._serve_guarded, args=(conn,), daemon=True).start()

    def _serve_guarded(self, conn: socket.socket) -> None:
        try:
            self._serve(conn)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def _serve(self, conn: socket.socket) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


def _read_request(conn: socket.socket, buffer: bytearray) -> Seen | None:
    """One request off `conn` (None when the client closed). Leftover bytes stay in `buffer`."""
    while b"\r\n\r\n" not in buffer:
        if len(buffer) > _MAX_HEAD:
            return None
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, rest = bytes(buffer).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    method, target, *_ = [*lines[0].split(" "), "", ""]
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = bytearray(rest)
    if "chunked" in headers.get("transfer-encoding", "").lower():
        decoded = bytearray()
        while True:
            while b"\r\n" not in body:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                body += chunk
            size_line, _, remainder = bytes(body).partition(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            body = bytearray(remainder)
            while len(body) < size + 2:
                chunk = conn.recv(65536)
                if not chunk:
                    return None
                body += chunk
            decoded += body[:size]
            body = body[size + 2 :]
            if size == 0:
                break
        leftover = bytes(body)
        payload = bytes(decoded)
    else:
        length = int(headers.get("content-length", "0") or 0)
        while len(body) < length:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            body += chunk
        payload = bytes(body[:length])
        leftover = bytes(body[length:])
    raw = head + b"\r\n\r\n" + bytes(rest[: len(rest) - len(leftover)] if leftover else rest)
    buffer[:] = leftover
    return Seen(method, target, headers, payload, raw, time.monotonic())


def _serialise(answer: httpx.Response) -> bytes:
    content = answer.content
    pairs = [
        (k, v)
        for k, v in answer.headers.multi_items()
        if k.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding")
    ]
    return response(answer.status_code, content, pairs, reason="OK")


class HostileServer(_Base):
    """Answers scripted raw bytes, else the app's normal answer (see the module docstring)."""

    def __init__(self, app: App | None = None, host: str = "127.0.0.1") -> None:
        super().__init__(host)
        self.app = app
        self.seen: list[Seen] = []
        self._scripts: deque[tuple[str | None, Answer]] = deque()
        self._sticky: list[tuple[str | None, Answer]] = []

    def script(self, *answers: Answer, path: str | None = None) -> None:
        """Queue answers for the next requests whose path starts with `path` (any, if None)."""
        with self._lock:
            for answer in answers:
                self._scripts.append((path, answer))

    def always(self, answer: Answer, path: str | None = None) -> None:
        """Answer every request (whose path starts with `path`) this way, after the queued scripts."""
        with self._lock:
            self._sticky.append((path, answer))

    def count(self, route_prefix: str = "") -> int:
        return sum(1 for s in self.seen if s.route.startswith(route_prefix))

    def _pick(self, seen: Seen) -> Answer | None:
        with self._lock:
            for i, (prefix, answer) in enumerate(self._scripts):
                if prefix is None or seen.path.startswith(prefix):
                    del self._scripts[i]
                    return answer
            for prefix, answer in self._sticky:
                if prefix is None or seen.path.startswith(prefix):
                    return answer
        return None

    def _serve(self, conn: socket.socket) -> None:
        buffer = bytearray()
        while not self._stop.is_set():
            seen = _read_request(conn, buffer)
            if seen is None:
                return
            with self._lock:
                self.seen.append(seen)
            answer = self._pick(seen)
            raw = Raw(self._normal(seen)) if answer is None else answer(seen) if callable(answer) else answer
            if raw.stall and self._stop.wait(raw.stall):
                return
            if raw.head:
                conn.sendall(raw.head)
            if raw.drip is None:
                conn.sendall(raw.data)
            else:
                step, pause = raw.drip
                for i in range(0, len(raw.data), step):
                    conn.sendall(raw.data[i : i + step])
                    if self._stop.wait(pause):
                        return
            if raw.tail:
                conn.sendall(raw.tail)
            if raw.close:
                return
            while not self._stop.is_set():  # hold the connection open until the client gives up
                try:
                    conn.settimeout(0.2)
                    if not conn.recv(65536):
                        return
                except TimeoutError:
                    continue

    def _normal(self, seen: Seen) -> bytes:
        if self.app is None:
            return response(200, {"ok": True})
        headers = {k: v for k, v in seen.headers.items() if k not in ("content-length", "transfer-encoding")}
        # a proxy is sent the absolute form (`GET http://host/path HTTP/1.1`)
        url = seen.path if seen.path.startswith("http") else self.url + seen.path
        request = httpx.Request(seen.method, url, headers=headers, content=seen.body)
        return _serialise(self.app(request))


class _Tap:
    """A socket whose every received byte is appended to the recorder's `received`."""

    def __init__(self, conn: socket.socket, recorder: Recorder) -> None:
        self._conn = conn
        self._recorder = recorder

    def recv(self, size: int) -> bytes:
        data = self._conn.recv(size)
        with self._recorder._lock:
            self._recorder.received += data
        return data


@dataclass
class Recorder(_Base):
    """The other origin: records every byte received, answers `answer(seen)` (default 200 `{}`)."""

    host: str = "127.0.0.1"
    answer: Callable[[Seen], bytes] | None = None
    received: bytearray = field(default_factory=bytearray)
    seen: list[Seen] = field(default_factory=list)

    def __post_init__(self) -> None:
        _Base.__init__(self, self.host)

    def _serve(self, conn: socket.socket) -> None:
        tap = _Tap(conn, self)
        buffer = bytearray()
        while not self._stop.is_set():
            seen = _read_request(tap, buffer)  # type: ignore[arg-type]
            if seen is None:
                return
            with self._lock:
                self.seen.append(seen)
            data = self.answer(seen) if self.answer else response(200, {})
            conn.sendall(data)
            return

    def saw(self, secret: str) -> bool:
        """Whether `secret` (or its form/URL encodings) arrived in any byte received."""
        from urllib.parse import quote, quote_plus

        data = bytes(self.received)
        return any(form.encode() in data for form in {secret, quote(secret, safe=""), quote_plus(secret)})
