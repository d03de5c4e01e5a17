"""The sync default transport (`_wire.WireTransport`, httpcore's pool driven directly) answers exactly as
`httpx.HTTPTransport` does: the same status, headers, body and extensions for valid responses, the same
exception class and message for broken ones, over a corpus of raw-socket answers (framing, 1xx, resets,
truncations, malformed heads h11 rejects, a timeout per phase). It reuses one connection for sequential
calls, bounds the response head in total, and leaves mocks of httpx (vcrpy) and the proxy environment
on httpx's own paths.
"""

from __future__ import annotations

import contextlib
import gzip
import socket
import ssl
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpcore
import httpx
import pytest
from craftapis import _wire
from craftapis._base import ApiProfile
from craftapis._http import DefaultTransport
from craftapis._sync_base import SyncAPIClient
from craftapis._sync_http import ClientTransport, build_client
from craftapis._wire import _HTTPCORE_TO_HTTPX, LeanPool, WireTransport, _mapped

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

#: where llhttp's verdict is not h11's, on purpose (the `_llhttp` module docstring says why):
#: name -> (h11's verdict, `WireTransport`'s)
LLHTTP_DIFFERS: dict[str, tuple[Any, Any]] = {
    # obs-fold, deprecated since RFC 7230: h11 unfolds it, llhttp refuses it (loudly, never a wrong value)
    "obs-fold": ("ok", httpx.RemoteProtocolError),
}


@pytest.mark.parametrize(("name", "script"), CORPUS, ids=[name for name, _ in CORPUS])
def test_the_wire_transport_answers_as_httpx_transport_does(name: str, script: list[Step]) -> None:
    seen = []
    for transport in (httpx.HTTPTransport(), WireTransport()):
        with serving(script) as server, transport:
            seen.append(outcome(transport, server.url))
    reference, wire = seen
    if name in LLHTTP_DIFFERS and _wire.LlhttpConnection is not None:
        assert (reference[0] if reference[0] == "ok" else reference[1], wire[1]) == LLHTTP_DIFFERS[name]
        return
    assert verdict(wire) == verdict(reference), (
        f"{name}: httpx.HTTPTransport gave {reference}, WireTransport {wire}"
    )
    if wire[0] == "error":  # says what happened, never where (the URL's query may hold a secret)
        assert wire[2] and "127.0.0.1" not in wire[2] and "/x" not in wire[2], wire


def verdict(result: tuple[Any, ...]) -> tuple[Any, ...]:
    """An answer whole (status, headers, body, version, reason), or the httpx error class: llhttp's
    messages are its own, so only h11's class must be matched."""
    return result[:2] if result[0] == "error" else result


def test_the_corpus_holds_answers_and_errors_of_every_kind() -> None:
    """The comparison above means something only if the corpus provokes each outcome."""
    kinds = set()
    for _name, script in CORPUS:
        with serving(script) as server, httpx.HTTPTransport() as transport:
            result = outcome(transport, server.url)
        kinds.add(result[1] if result[0] == "error" else "ok")
    assert {"ok", httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError} <= kinds, kinds


def test_connect_errors_and_write_timeouts_are_httpx_s_too() -> None:
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    for transport in (httpx.HTTPTransport(), WireTransport()):
        with transport:
            refused = outcome(transport, f"http://127.0.0.1:{port}/x")
            assert refused[:2] == ("error", httpx.ConnectError), refused
    # a server that never reads: 64 MiB cannot fit in the socket buffers within the write timeout
    body = b"x" * (64 * 1024 * 1024)
    results = []
    for transport in (httpx.HTTPTransport(), WireTransport()):
        with serving(["hold"]) as server, transport:
            results.append(outcome(transport, server.url, method="POST", content=body))
    assert results[0][:2] == ("error", httpx.WriteTimeout), results[0]
    assert results[1] == results[0]


def test_an_unsupported_scheme_and_an_odd_method_take_httpx_s_own_path() -> None:
    with WireTransport() as transport:
        assert outcome(transport, "ftp://127.0.0.1:9/x")[:2] == ("error", httpx.UnsupportedProtocol)
        with serving([b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"]) as server:
            assert outcome(transport, server.url, method="PROPFIND")[:2] == ("ok", 200)


def test_the_exception_table_is_httpx_s() -> None:
    """`_HTTPCORE_TO_HTTPX` is httpx's own table, and `_mapped` picks what httpx's mapping picks."""
    from httpx._transports.default import _load_httpcore_exceptions, map_httpcore_exceptions

    assert _load_httpcore_exceptions() == _HTTPCORE_TO_HTTPX
    for core in _HTTPCORE_TO_HTTPX:
        with pytest.raises(httpx.HTTPError) as caught, map_httpcore_exceptions():
            raise core("boom")
        mine = _mapped(core("boom"))
        assert type(mine) is type(caught.value) and str(mine) == "boom", core
    assert _mapped(ValueError("not httpcore's")) is None


def test_sequential_calls_reuse_one_connection() -> None:
    keep = [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", "keep"]
    with serving(keep, keep, keep) as server, WireTransport() as transport:
        for _ in range(3):
            assert outcome(transport, server.url)[:2] == ("ok", 200)
        assert server.requests == 3
        assert server.accepted == 1


def test_a_connection_the_server_closed_is_not_reused() -> None:
    with serving([OK], [OK]) as server, WireTransport() as transport:  # each answer closes its connection
        assert outcome(transport, server.url)[:2] == ("ok", 200)
        time.sleep(0.05)
        assert outcome(transport, server.url)[:2] == ("ok", 200)
        assert server.accepted == 2


# -- the response head's bound -------------------------------------------------------------------------


def test_a_dripping_head_ends_within_the_read_timeout() -> None:
    """One header byte every 50 ms: each read succeeds within 0.4 s, the head never would (~25 s)."""
    head = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 500 + b"\r\nContent-Length: 0\r\n\r\n"
    script: list[Step] = []
    for byte in head:
        script += [bytes([byte]), 0.05]
    with serving(script) as server, WireTransport() as transport:
        started = time.monotonic()
        result = outcome(transport, server.url)
        elapsed = time.monotonic() - started
    assert result[:2] == ("error", httpx.ReadTimeout), result
    assert "response head" in result[2]
    assert elapsed < TIMEOUT["read"] + 0.5, elapsed


def test_the_head_bound_leaves_a_slow_body_and_the_next_request_alone() -> None:
    """The bound covers the head only: a body arriving in pieces under the per-read timeout is read,
    and the next request on the same thread has a budget of its own."""
    slow_body: list[Step] = [b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\n"]
    for piece in (b"ab", b"cd", b"ef"):
        slow_body += [0.25, piece]
    slow_body.append("keep")
    with serving(slow_body, [0.25, OK]) as server, WireTransport() as transport:
        assert outcome(transport, server.url)[:4] == ("ok", 200, [(b"Content-Length", b"6")], b"abcdef")
        assert outcome(transport, server.url)[:2] == ("ok", 200)


# -- mocks of httpx and the proxy environment ----------------------------------------------------------


def test_a_patched_httpx_transport_is_used_per_request() -> None:
    """What vcrpy and pytest-httpx do: patch `httpx.HTTPTransport.handle_request` on the class, even
    after the transport was built. Every request then goes through the patch, and stops when it is gone."""
    seen: list[str] = []
    original = httpx.HTTPTransport.handle_request

    def patched(self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return original(self, request)

    with serving(KEEP, KEEP) as server, WireTransport() as transport:
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(httpx.HTTPTransport, "handle_request", patched)
            assert outcome(transport, server.url)[:2] == ("ok", 200)
        assert outcome(transport, server.url)[:2] == ("ok", 200)
    assert seen == [server.url]


class Client(SyncAPIClient):
    _profile = ApiProfile(name="wire", package="craftapis_generated.modrinth", base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("built", ["before the cassette", "inside the cassette"])
def test_vcrpy_records_and_replays_through_a_default_client(tmp_path: Path, built: str) -> None:
    import vcr

    cassette = str(tmp_path / "wire.yaml")
    recorder = vcr.VCR(record_mode="once")
    body = b'{"recorded": true}'
    answer = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (
        len(body),
        body,
    )
    with serving([answer]) as server:
        base = f"http://127.0.0.1:{server.port}"
        client = Client(base_url=base) if built == "before the cassette" else None
        with recorder.use_cassette(cassette):
            client = client or Client(base_url=base)
            assert client.request("GET", "/thing").json() == {"recorded": True}
        client.close()
        assert server.requests == 1
    # the server is gone: only the cassette can answer now
    with vcr.VCR(record_mode="none").use_cassette(cassette) as played:
        with Client(base_url=base) as client:
            assert client.request("GET", "/thing").json() == {"recorded": True}
        assert played.play_count == 1


def test_respx_s_hook_point_is_on_the_direct_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """respx (its default "httpcore" mocker) patches `httpcore.HTTPConnection.handle_request` and
    `httpcore.ConnectionPool.handle_request` on the class; `LeanPool` calls the former for every
    request, so a respx route answers a default client's request, even one built before the mock."""
    seen: list[bytes] = []

    def mocked(self: httpcore.HTTPConnection, request: httpcore.Request) -> httpcore.Response:
        seen.append(request.url.target)
        return httpcore.Response(
            200, headers=[(b"Content-Type", b"application/json")], content=b'{"mocked": 1}'
        )

    with Client(base_url="http://127.0.0.1:9") as client:  # nothing listens there
        monkeypatch.setattr(httpcore.HTTPConnection, "handle_request", mocked)
        assert client.request("GET", "/thing").json() == {"mocked": 1}
    assert seen == [b"/thing"]


def test_the_default_inner_transport_and_the_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert isinstance(DefaultTransport(), WireTransport)
    inner: list[httpx.BaseTransport] = []

    def policy(transport: httpx.BaseTransport, follow: bool) -> httpx.BaseTransport:
        inner.append(transport)
        return transport

    def build() -> httpx.BaseTransport:
        build_client(
            base_url="http://127.0.0.1:9",
            policy=policy,
            http_client=None,
            transport=None,
            timeout=httpx.Timeout(1.0),
            headers={},
        ).close()
        return inner[-1]

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    assert isinstance(build(), WireTransport)
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    routed = build()
    assert isinstance(routed, ClientTransport) and not isinstance(routed, WireTransport)


def test_the_pool_is_httpx_s_defaults() -> None:
    """Same pool limits and keep-alive as `httpx.HTTPTransport()`, HTTP/1.1 only, TLS verified."""
    with httpx.HTTPTransport() as theirs, WireTransport() as mine:
        a, b = theirs._pool, mine._pool
        assert isinstance(a, httpcore.ConnectionPool) and isinstance(b, LeanPool)
        for attr in ("_max_connections", "_max_keepalive_connections", "_keepalive_expiry"):
            assert getattr(b, attr) == getattr(a, attr), attr
        assert a._http1 and not a._http2
        assert b._ssl_context.verify_mode == a._ssl_context.verify_mode == ssl.CERT_REQUIRED
        assert b._ssl_context.check_hostname and a._ssl_context.check_hostname


# -- the pool ------------------------------------------------------------------------------------------


def _core(url: str, pool_timeout: float = 2.0) -> httpcore.Request:
    timeouts = {"connect": 2.0, "read": 2.0, "write": 2.0, "pool": pool_timeout}
    host = httpx.URL(url).netloc
    return httpcore.Request("GET", url, headers=[(b"Host", host)], extensions={"timeout": timeouts})


def _pool(**limits: Any) -> LeanPool:
    settings = {"max_connections": 100, "max_keepalive_connections": 20, "keepalive_expiry": 5.0, **limits}
    return LeanPool(ssl_context=httpx.create_ssl_context(), **settings)


def test_threads_share_the_pool_one_request_per_connection_at_a_time() -> None:
    with serving(*[KEEP] * 200) as server, WireTransport() as transport:
        errors: list[BaseException] = []

        def work() -> None:
            try:
                for _ in range(15):
                    assert outcome(transport, server.url)[:2] == ("ok", 200)
            except BaseException as exc:  # pragma: no cover - reported below
                errors.append(exc)

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert server.requests == 120
        assert 1 <= server.accepted <= 8  # never more connections than requests in flight
        assert len(transport._pool.connections) == server.accepted  # all idle, all kept (<= 20)


def test_at_max_connections_a_request_waits_for_a_released_one_up_to_the_pool_timeout() -> None:
    with serving(KEEP, KEEP) as server, _pool(max_connections=1) as pool:
        first = pool.handle_request(_core(server.url))  # its body not read yet: the connection is busy
        started = time.monotonic()
        with pytest.raises(httpcore.PoolTimeout):
            pool.handle_request(_core(server.url, pool_timeout=0.2))
        assert 0.15 < time.monotonic() - started < 1.5

        def release() -> None:  # read to the end, so the connection can be reused
            first.read()
            first.close()

        released = threading.Timer(0.2, release)
        released.start()
        second = pool.handle_request(_core(server.url))  # waits for the release, then reuses it
        assert b"".join(second.stream) == b"ok"  # type: ignore[arg-type]
        second.close()
        released.join()
        assert server.accepted == 1


def test_at_max_connections_an_idle_connection_of_another_origin_makes_room() -> None:
    with serving(KEEP) as one, serving(KEEP) as other, _pool(max_connections=1) as pool:
        for url in (one.url, other.url):
            response = pool.handle_request(_core(url))
            assert b"".join(response.stream) == b"ok"  # type: ignore[arg-type]
            response.close()
        (only,) = pool.connections
        assert only.can_handle_request(httpcore.URL(other.url).origin)


def test_idle_connections_expire_and_the_keep_alive_count_is_bounded() -> None:
    with serving(KEEP, KEEP) as server, _pool(keepalive_expiry=0.1) as pool:
        for pause in (0.0, 0.3):
            time.sleep(pause)
            response = pool.handle_request(_core(server.url))
            response.read()
            response.close()
        assert server.accepted == 2  # the first had expired
    with serving(*[KEEP] * 3) as server, _pool(max_keepalive_connections=1) as pool:
        responses = [pool.handle_request(_core(server.url)) for _ in range(3)]  # three busy at once
        for response in responses:
            response.read()
            response.close()
        assert len(pool.connections) == 1


def test_close_closes_every_connection_and_the_pool_stays_usable() -> None:
    with serving(KEEP, KEEP) as server, _pool() as pool:
        response = pool.handle_request(_core(server.url))
        response.read()
        response.close()
        assert len(pool.connections) == 1
        pool.close()
        assert pool.connections == []
        again = pool.handle_request(_core(server.url))
        assert again.read() == b"ok"
        again.close()
        assert server.accepted == 2
