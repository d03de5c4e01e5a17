"""A moonrope server on 127.0.0.1 for tests: a real HTTP/1.1 server whose answers come from an *app*,
a plain function of the request. The same app functions drive an `httpx.MockTransport` (cassettes).

Moonrope's wire format, as the server (adamcooke/moonrope rack_middleware.rb) writes it:
every action answers HTTP 200 with `{status, time, flags, data}`; failures before the action runs
answer 400/500 with `{status[, details]}`; maintenance is a bare 503.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["Answer", "Call", "MoonropeServer", "envelope", "failure", "mock_transport"]


@dataclass
class Call:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: bytes

    @property
    def params(self) -> Any:
        return json.loads(self.body) if self.body else {}

    @property
    def action(self) -> str:
        """``controller/action`` of ``/api/v1/controller/action``."""
        parts = self.path.split("?", 1)[0].strip("/").split("/")
        return "/".join(parts[2:])


@dataclass
class Answer:
    status: int = 200
    body: Any = None  # JSON-encoded unless bytes; None: empty body
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> tuple[bytes, str]:
        if self.body is None:
            return b"", "text/plain"
        if isinstance(self.body, bytes):
            return self.body, self.headers.get("Content-Type", "text/html")
        return json.dumps(self.body).encode(), "application/json"


App = Callable[[Call], Answer]


def envelope(
    status: str, data: Any, *, flags: dict[str, Any] | None = None, time: float | None = 0.004
) -> Answer:
    """An enveloped answer: HTTP 200 whatever the status."""
    return Answer(200, {"status": status, "time": time, "flags": flags or {}, "data": data})


def failure(http_status: int, status: str, **extra: Any) -> Answer:
    """A non-enveloped answer (invalid-json, invalid-controller-or-action, ...)."""
    return Answer(http_status, {"status": status, **extra})


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        call = Call(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        owner = self.server.owner
        with owner.lock:
            owner.calls.append(call)
        answer = owner.app(call)
        payload, content_type = answer.encoded()
        self.send_response(answer.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        for name, value in answer.headers.items():
            if name.lower() != "content-type":
                self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: MoonropeServer


class MoonropeServer:
    """``with MoonropeServer(app) as server: ... server.url ... server.calls``"""

    def __init__(self, app: App) -> None:
        self.app = app
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> MoonropeServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def calls_to(self, action: str) -> list[Call]:
        with self.lock:
            return [c for c in self.calls if c.action == action]


def mock_transport(app: App) -> httpx.MockTransport:
    """The same app behind an `httpx.MockTransport` (to record cassettes against a real host name)."""

    def handler(request: httpx.Request) -> httpx.Response:
        call = Call(
            request.method,
            request.url.raw_path.decode("ascii"),
            {k.lower(): v for k, v in request.headers.items()},
            request.read(),
        )
        answer = app(call)
        payload, content_type = answer.encoded()
        headers = {
            "Content-Type": content_type,
            **{k: v for k, v in answer.headers.items() if k.lower() != "content-type"},
        }
        return httpx.Response(answer.status, content=payload, headers=headers)

    return httpx.MockTransport(handler)
