"""The sync default transport (`_wire.WireTransport`, httpcore's pool driven directly) answers exactly as
`httpx.HTTPTransport` does: the same status, headers, body and extensions for valid responses, the same
exception class and message for broken ones, over a corpus of raw-socket answers (framing, 1xx, resets,
truncations, malformed heads h11 rejects, a timeout per phase). It reuses one connection for sequential
calls, bounds the response head in total, and leaves mocks of httpx (vcrpy) and the proxy environment
on httpx's own paths.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
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

from ._corpus import CORPUS, KEEP, OK, TIMEOUT, Step, outcome, serving, verdict

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
