"""The sync wire's llhttp connection (`_llhttp.LlhttpConnection`): it is the default when httptools can
be imported, writes requests byte for byte as h11 does, answers HEAD and upgrades as httpcore does, and
without httptools the pool falls back to httpcore's h11 connections.

(tests/speed/test_wire.py compares the answers over the raw-socket corpus.)
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from craftapis import _wire
from craftapis._wire import WireTransport

from .test_wire import KEEP, TIMEOUT, outcome, serving

# An environment without httptools (no wheel for its platform) runs the h11 fallback, tested at the end
# of this module; the tests of llhttp itself need httptools, a declared dependency.
# Under CI (where the project's own files install it) its absence is a failure, not a skip.
if _wire.LlhttpConnection is None and os.environ.get("CI"):
    raise RuntimeError(
        "httptools, a declared dependency, is not importable under CI: the llhttp wire is untested"
    )
needs_llhttp = pytest.mark.skipif(_wire.LlhttpConnection is None, reason="httptools is not installed here")


@needs_llhttp
def test_the_default_pool_opens_llhttp_connections() -> None:
    from craftapis._llhttp import LlhttpConnection

    with serving(KEEP) as server, WireTransport() as transport:
        assert outcome(transport, server.url)[:2] == ("ok", 200)
        (connection,) = transport._pool.connections
        assert isinstance(connection, LlhttpConnection)


class Capture:
    """Records each connection's raw bytes until the client has been quiet for a moment, then answers."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}/p?q=1"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self._listener.accept()
        with conn:
            conn.settimeout(0.3)
            data = b""
            try:
                while chunk := conn.recv(65536):
                    data += chunk
            except TimeoutError:
                pass
            self.received.append(data)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    def close(self) -> None:
        self._thread.join(timeout=5)
        self._listener.close()


def _sent(transport: httpx.BaseTransport, **request: Any) -> tuple[bytes, tuple[Any, ...]]:
    capture = Capture()
    try:
        with transport:
            result = outcome(transport, capture.url, **request)
    finally:
        capture.close()
    port = capture.url.split(":")[2].split("/")[0].encode()
    return (capture.received[0] if capture.received else b"").replace(port, b"PORT"), result


def _pieces() -> Iterator[bytes]:
    yield b"abc"
    yield b""
    yield b"defgh"


REQUESTS: dict[str, dict[str, Any]] = {
    "get": {},
    "head": {"method": "HEAD"},
    "post-content": {
        "method": "POST",
        "content": b'{"a": 1}',
        "headers": {"Content-Type": "application/json"},
    },
    "post-streamed-chunked": {"method": "POST", "content": _pieces},
    "put-form": {"method": "PUT", "data": {"k": "v w"}},
    "delete-extra-headers": {"method": "DELETE", "headers": {"X-Token": "t", "x-lower": "v"}},
    "post-large": {"method": "POST", "content": b"z" * 200_000},
}


@pytest.mark.parametrize("name", list(REQUESTS))
@needs_llhttp
def test_requests_are_written_byte_for_byte_as_h11_writes_them(name: str) -> None:
    seen = []
    for transport in (httpx.HTTPTransport(), WireTransport()):
        request = dict(REQUESTS[name])
        if callable(request.get("content")):
            request["content"] = request["content"]()
        seen.append(_sent(transport, **request))
    (h11_bytes, h11_result), (wire_bytes, wire_result) = seen
    assert wire_bytes == h11_bytes
    assert wire_result == h11_result


@pytest.mark.parametrize(
    ("declared", "content"),
    [("10", b"short"), ("2", b"too long"), (None, b"no length")],
    ids=["too-little", "too-much", "undeclared"],
)
@needs_llhttp
def test_a_body_that_does_not_fit_its_framing_is_httpx_s_local_protocol_error(
    declared: str | None, content: bytes
) -> None:
    """httpx's own transport lets h11's `LocalProtocolError` escape unmapped here (httpcore writes the
    body outside its exception mapping); the wire raises httpx's class, with h11's message."""
    import h11

    results = []
    for transport in (httpx.HTTPTransport(), WireTransport()):
        request = httpx.Request("POST", "http://127.0.0.1:9/x", content=iter([content]))
        del request.headers["Transfer-Encoding"]
        if declared is not None:
            request.headers["Content-Length"] = declared
        with serving(KEEP) as server, transport:
            request.url = httpx.URL(server.url)
            request.extensions["timeout"] = dict(TIMEOUT)
            try:
                transport.handle_request(request).read()
                results.append("ok")
            except Exception as exc:
                results.append((type(exc), str(exc)))
    (theirs, their_message), (mine, my_message) = results
    assert (theirs, mine) == (h11.LocalProtocolError, httpx.LocalProtocolError)
    assert my_message == their_message


@needs_llhttp
def test_a_header_value_with_a_line_break_is_refused_before_anything_is_sent() -> None:
    results = []
    for transport in (httpx.HTTPTransport(), WireTransport()):
        with serving(KEEP) as server, transport:
            request = httpx.Request("GET", server.url, headers={"X-Evil": "a\r\nX-Injected: 1"})
            request.extensions["timeout"] = dict(TIMEOUT)
            with pytest.raises(httpx.LocalProtocolError) as caught:
                transport.handle_request(request)
            results.append(type(caught.value))
            assert "X-Injected" not in str(caught.value) or transport.__class__ is httpx.HTTPTransport
            assert server.requests == 0
    assert results == [httpx.LocalProtocolError] * 2


@needs_llhttp
def test_a_head_answer_has_no_body_and_its_connection_is_reused() -> None:
    """llhttp's response parser cannot be told the request was HEAD: the head's Content-Length must not
    make the connection wait for a body that never comes."""
    head: list[Any] = [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", "keep"]
    chunked: list[Any] = [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", "keep"]
    results = []
    for transport in (httpx.HTTPTransport(), WireTransport()):
        with serving(head, chunked, KEEP) as server, transport:
            results.append(outcome(transport, server.url, method="HEAD"))
            results.append(outcome(transport, server.url, method="HEAD"))
            results.append(outcome(transport, server.url))
            assert server.accepted == 1
    assert results[3:] == results[:3]
    assert results[0][3] == b"" and results[2][3] == b"ok"


@needs_llhttp
def test_an_upgrade_the_request_proposed_is_handed_over_as_httpcore_hands_it() -> None:
    switch = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x-test\r\nConnection: Upgrade\r\n\r\n"
    for transport in (httpx.HTTPTransport(), WireTransport()):
        with serving([switch, b"raw bytes", "hold"]) as server, transport:
            request = httpx.Request("GET", server.url, headers={"Upgrade": "x-test", "Connection": "Upgrade"})
            request.extensions["timeout"] = dict(TIMEOUT)
            response = transport.handle_request(request)
            assert response.status_code == 101
            stream = response.extensions["network_stream"]
            received = b""
            while len(received) < len(b"raw bytes"):
                received += stream.read(100, 2.0)
            assert received == b"raw bytes"
            response.close()


@needs_llhttp
def test_a_read_timeout_names_no_secret_of_the_url() -> None:
    with serving(["hold"]) as server, WireTransport() as transport:
        result = outcome(transport, server.url + "?key=s3cr3t")
    assert result[:2] == ("error", httpx.ReadTimeout)
    assert "s3cr3t" not in result[2]


@needs_llhttp
def test_parser_errors_never_leak_past_the_transport() -> None:
    """A malformed answer is httpx's RemoteProtocolError, with llhttp's reason, not httptools' class."""
    nul = b"HTTP/1.1 200 OK\r\nX: a\x00b\r\nContent-Length: 2\r\n\r\nok"
    with serving([nul]) as server, WireTransport() as transport:
        request = httpx.Request("GET", server.url)
        request.extensions["timeout"] = dict(TIMEOUT)
        with pytest.raises(httpx.RemoteProtocolError, match="malformed HTTP response") as caught:
            transport.handle_request(request)
    import httptools

    assert not isinstance(caught.value, httptools.HttpParserError)
    assert not isinstance(caught.value.__cause__, httptools.HttpParserError)


@needs_llhttp
def test_a_mocked_httpcore_connection_gets_httpcore_s_own_connections(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While `httpcore.HTTPConnection.handle_request` is patched (respx), the pool opens httpcore's
    connections, and goes back to llhttp once the patch is gone."""
    original = httpcore.HTTPConnection.handle_request
    seen: list[bytes] = []

    def spy(self: httpcore.HTTPConnection, request: httpcore.Request) -> httpcore.Response:
        seen.append(request.url.target)
        return original(self, request)

    with serving(KEEP, KEEP, KEEP) as server, WireTransport() as transport:
        monkeypatch.setattr(httpcore.HTTPConnection, "handle_request", spy)
        assert outcome(transport, server.url)[:2] == ("ok", 200)
        monkeypatch.undo()
        assert outcome(transport, server.url)[:2] == ("ok", 200)
        kinds = sorted(type(c).__name__ for c in transport._pool.connections)
    assert seen == [b"/x"]
    assert kinds == ["HTTPConnection", "LlhttpConnection"]


FALLBACK = """
import sys
sys.modules["httptools"] = None  # what a platform without a wheel sees: the import fails
import httpx
from craftapis import _wire
assert _wire.LlhttpConnection is None
transport = _wire.WireTransport()
request = httpx.Request("GET", sys.argv[1])
request.extensions["timeout"] = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
response = transport.handle_request(request)
print(response.status_code, response.read().decode(), type(transport._pool.connections[0]).__name__)
"""


def run_python(code: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter (this one, the checkout's facade and generated code importable),
    with `args` as its argv; it must succeed."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(str(root / p) for p in ("facade", "generated")))
    done = subprocess.run(
        [sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done


def test_without_httptools_the_pool_frames_with_h11() -> None:
    with serving(KEEP) as server:
        done = run_python(FALLBACK, server.url)
    assert done.stdout.split() == ["200", "ok", "HTTPConnection"]


PATCHED_AT_IMPORT = """
import sys
import httpcore
import httpx

core, transport_own = httpcore.HTTPConnection.handle_request, httpx.HTTPTransport.handle_request
seen = []


def mocked(self, request):  # a mock without functools.wraps, as respx's and pytest-httpx's are
    seen.append(request.url.target)
    return httpcore.Response(200, content=b"mocked")


def sent(self, request):
    seen.append(b"transport")
    return transport_own(self, request)


# patched before craftapis' wire is first imported: the first client built inside `with respx.mock:`
httpcore.HTTPConnection.handle_request = mocked
httpx.HTTPTransport.handle_request = sent
from craftapis import _wire

wire = _wire.WireTransport()


def get():
    request = httpx.Request("GET", sys.argv[1])
    request.extensions["timeout"] = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": 2.0}
    response = wire.handle_request(request)
    return response.read().decode()


print(get())
httpcore.HTTPConnection.handle_request, httpx.HTTPTransport.handle_request = core, transport_own
print(get())  # the mocks are gone: the server answers, through httpx's function no more
print(_wire._HTTPX.own is transport_own, _wire._HTTPCORE.own is core)
print(b",".join(seen).decode(), type(wire._pool.connections[0]).__name__)
"""


@needs_llhttp
def test_mocks_patched_in_before_the_wire_is_imported_are_seen_and_outlived() -> None:
    """The wire tells httpx's and httpcore's own functions by their code, not by what was on the class
    when it was imported: patched in before (respx, pytest-httpx), the mocks answer; once they are gone,
    the wire's own path and llhttp serve."""
    with serving(KEEP) as server:
        done = run_python(PATCHED_AT_IMPORT, server.url)
    assert done.stdout.splitlines() == ["mocked", "ok", "True True", "transport,/x LlhttpConnection"]


def test_the_fallback_flag_is_read_when_the_pool_is_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_wire, "LlhttpConnection", None)
    with serving(KEEP) as server, WireTransport() as transport:
        assert outcome(transport, server.url)[:2] == ("ok", 200)
        assert [type(c) for c in transport._pool.connections] == [httpcore.HTTPConnection]


@needs_llhttp
def test_an_answer_without_body_closed_unread_leaves_its_connection_reusable() -> None:
    """httpcore reuses a connection whose answer was complete when its response was closed; so does the
    llhttp connection (and closes one whose body was left unread)."""
    from craftapis._llhttp import LlhttpConnection

    empty: list[Any] = [b"HTTP/1.1 204 No Content\r\n\r\n", "keep"]
    unread: list[Any] = [b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", "keep"]
    with serving(empty, unread, KEEP) as server, WireTransport() as transport:
        for _ in range(2):
            request = httpx.Request("GET", server.url)
            request.extensions["timeout"] = dict(TIMEOUT)
            transport.handle_request(request).close()  # never read
        assert server.accepted == 1
        assert outcome(transport, server.url)[:4] == ("ok", 200, [(b"Content-Length", b"2")], b"ok")
        assert server.accepted == 2  # the unread body's connection was closed
        assert all(isinstance(c, LlhttpConnection) for c in transport._pool.connections)


@needs_llhttp
def test_a_request_asking_for_httpcore_s_trace_events_gets_them() -> None:
    """The `trace` extension's events are httpcore's: such a request takes an httpcore connection."""
    events: list[str] = []
    with serving(KEEP) as server, WireTransport() as transport:
        request = httpx.Request(
            "GET", server.url, extensions={"trace": lambda name, info: events.append(name)}
        )
        request.extensions["timeout"] = dict(TIMEOUT)
        response = transport.handle_request(request)
        response.read()
        response.close()
    assert "http11.receive_response_headers.complete" in events


@needs_llhttp
def test_httpcore_s_debug_logging_on_gets_httpcore_s_events(caplog: pytest.LogCaptureFixture) -> None:
    """A user who turns on httpcore's DEBUG logging to debug the wire sees httpcore's events, as before
    the llhttp wire: while that logger is on, the pool serves from httpcore connections; once it is off,
    from llhttp ones again."""
    from craftapis._llhttp import LlhttpConnection

    with serving(KEEP) as server, WireTransport() as transport:
        with caplog.at_level(logging.DEBUG, logger="httpcore"):
            assert outcome(transport, server.url)[:2] == ("ok", 200)
        assert any(r.name == "httpcore.http11" for r in caplog.records), [r.name for r in caplog.records]
        assert not any(isinstance(c, LlhttpConnection) for c in transport._pool.connections)
        caplog.clear()
        assert outcome(transport, server.url)[:2] == ("ok", 200)
        assert not any(r.name.startswith("httpcore") for r in caplog.records)
        assert any(isinstance(c, LlhttpConnection) for c in transport._pool.connections)
