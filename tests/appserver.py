"""A loopback HTTP server in front of an httpx-style app (`handler(httpx.Request) -> httpx.Response`).

The same app serves a `httpx.MockTransport` (cassette recording) and this socket server (loopback
tests). A response with `extensions["cut_after"] = n` announces its full Content-Length, sends only
`n` bytes and closes the connection: a download cut off halfway.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

__all__ = ["AppServer"]

App = Callable[[httpx.Request], httpx.Response]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("Host", "127.0.0.1")
        request = httpx.Request(
            self.command, f"http://{host}{self.path}", headers=list(self.headers.items()), content=body
        )
        response = self.server.app(request)
        content = response.read()
        self.send_response(response.status_code)
        for name, value in response.headers.multi_items():
            if name.lower() not in ("content-length", "transfer-encoding", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        cut = response.extensions.get("cut_after")
        if cut is None:
            self.wfile.write(content)
            self.wfile.flush()
            return
        self.wfile.write(content[:cut])
        self.wfile.flush()
        self.connection.shutdown(socket.SHUT_RDWR)
        self.connection.close()
        self.close_connection = True

    do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64  # concurrency tests open many connections at once
    app: App

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass


class AppServer:
    def __init__(self, app: App) -> None:
        self._server = _Server(("127.0.0.1", 0), _Handler)
        self._server.app = app
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True

    def __enter__(self) -> AppServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"
