"""FastHTTPTransport and AsyncFastHTTPTransport speak HTTP/1.1 as httpx's own transport does.

Every test runs twice, sync and async (the ``kind`` fixture), against a server that sends
exactly the bytes the test scripts.
"""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from typing import Any

import httpx
import pytest
from loopback import LoopbackServer, Reply, unused_port

from .rawserver import Raw, RawServer, ok

# -- responses --------------------------------------------------------------------------------------


async def test_content_length_body_and_response_metadata(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(ok(b'{"id": "AABBCCDD"}', "X-Ratelimit-Remaining: 299", "Set-Cookie: a=b"))
    client = make_client()
    response = await client.get(raw_server.url + "/v2/project/x?a=1")
    assert response.status_code == 200
    assert response.json() == {"id": "AABBCCDD"}
    assert response.http_version == "HTTP/1.1"
    assert response.reason_phrase == "OK"
    assert response.headers["x-ratelimit-remaining"] == "299"
    # the raw header names keep their case, as httpx's own transport keeps them
    assert (b"X-Ratelimit-Remaining", b"299") in response.headers.raw
    head, _ = raw_server.requests[0]
    assert head.startswith(b"GET /v2/project/x?a=1 HTTP/1.1\r\n")
    assert b"\r\nHost: 127.0.0.1:" in head


async def test_connection_is_kept_alive_and_reused(make_client: Any, raw_server: RawServer) -> None:
    client = make_client()
    for _ in range(5):
        assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 1
    assert len(raw_server.requests) == 5


async def test_chunked_body_with_extensions_and_trailers(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(
        Raw(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
            b"5;name=value\r\nhello\r\n"
            b"1\r\n \r\n"
            b"5\r\nworld\r\n"
            b"0\r\nx-checksum: 1\r\n\r\n"
        )
    )
    client = make_client()
    response = await client.get(raw_server.url)
    assert response.content == b"hello world"
    # the connection stays usable: the trailers were consumed
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 1


async def test_body_delimited_by_close_and_connection_not_reused(
    make_client: Any, raw_server: RawServer
) -> None:
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nall of it", close=True))
    client = make_client()
    response = await client.get(raw_server.url)
    assert response.text == "all of it"
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 2


async def test_connection_close_header_and_http10_are_not_reused(
    make_client: Any, raw_server: RawServer
) -> None:
    raw_server.script(
        Raw(b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 1\r\n\r\na", close=True),
        Raw(b"HTTP/1.0 200 OK\r\ncontent-length: 1\r\n\r\nb", close=True),
    )
    client = make_client()
    assert (await client.get(raw_server.url)).content == b"a"
    assert (await client.get(raw_server.url)).content == b"b"
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 3


@pytest.mark.parametrize("status", [204, 304])
async def test_no_body_statuses(make_client: Any, raw_server: RawServer, status: int) -> None:
    raw_server.script(Raw(b"HTTP/1.1 %d Nothing\r\ncontent-length: 0\r\n\r\n" % status))
    client = make_client()
    response = await client.get(raw_server.url)
    assert response.status_code == status
    assert response.content == b""
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 1


async def test_head_response_has_no_body_despite_content_length(
    make_client: Any, raw_server: RawServer
) -> None:
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-length: 12345\r\n\r\n"))
    client = make_client()
    response = await client.request("HEAD", raw_server.url)
    assert response.headers["content-length"] == "12345"
    assert response.content == b""
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 1


async def test_informational_responses_are_skipped(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(
        Raw(
            b"HTTP/1.1 100 Continue\r\n\r\n"
            b"HTTP/1.1 103 Early Hints\r\nlink: </style.css>; rel=preload\r\n\r\n"
            b"HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\n{}"
        )
    )
    client = make_client()
    response = await client.get(raw_server.url)
    assert response.status_code == 201
    assert response.json() == {}


async def test_bare_lf_head_and_folded_header(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(b"HTTP/1.1 200 OK\nx-long: first\n  second\ncontent-length: 4\n\n\r\n\r\n"))
    client = make_client()
    response = await client.get(raw_server.url)
    assert response.headers["x-long"] == "first second"
    assert response.content == b"\r\n\r\n"  # the body is not mistaken for the end of the head


async def test_status_line_without_reason(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(b"HTTP/1.1 404\r\ncontent-length: 0\r\n\r\n"))
    client = make_client()
    response = await client.get(raw_server.url)
    assert response.status_code == 404
    assert response.reason_phrase == ""  # as h11 reports it to httpx: nothing was sent


async def test_gzip_body_is_decoded_and_accept_encoding_sent(make_client: Any, raw_server: RawServer) -> None:
    payload = json.dumps({"hits": list(range(1000))}).encode()
    compressed = gzip.compress(payload)
    raw_server.script(
        Raw(
            b"HTTP/1.1 200 OK\r\ncontent-encoding: gzip\r\ncontent-length: %d\r\n\r\n" % len(compressed)
            + compressed
        )
    )
    client = make_client()
    response = await client.get(raw_server.url)
    assert response.json() == {"hits": list(range(1000))}
    head, _ = raw_server.requests[0]
    assert b"gzip" in head.lower().split(b"accept-encoding:", 1)[1].split(b"\r\n", 1)[0]


# -- streaming --------------------------------------------------------------------------------------


async def test_large_download_streams_in_pieces(make_client: Any, raw_server: RawServer) -> None:
    body = bytes(range(256)) * (6 * 4096)  # 6 MiB: above the size read in one piece
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body))
    client = make_client()
    chunks = await client.chunks(raw_server.url)
    assert len(chunks) > 1
    assert max(len(c) for c in chunks) <= 64 * 1024
    assert b"".join(chunks) == body
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 1


async def test_abandoned_stream_closes_its_connection(make_client: Any, raw_server: RawServer) -> None:
    body = b"x" * (8 * 1024 * 1024)
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body))
    client = make_client()
    chunks = await client.chunks(raw_server.url, stop_after=2)
    assert len(chunks) == 2
    # the rest of the body was never read: that connection must not serve the next request
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 2


async def test_bytes_received_before_a_cut_off_are_delivered(
    make_client: Any, raw_server: RawServer, kind: str
) -> None:
    # A resumable download counts what it received: every byte that arrived must be yielded
    # before the error, as httpx's own transport yields it.
    part = b"y" * 100_000
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-length: 300000\r\n\r\n" + part, close=True))
    client = make_client()
    received: list[bytes] = []
    with pytest.raises(httpx.RemoteProtocolError, match="received 100000 bytes, expected 300000"):
        if kind == "sync":
            with client.sync.stream("GET", raw_server.url) as response:
                for chunk in response.iter_raw():
                    received.append(chunk)
        else:
            async with client.aio.stream("GET", raw_server.url) as response:
                async for chunk in response.aiter_raw():
                    received.append(chunk)
    assert b"".join(received) == part


# -- requests ---------------------------------------------------------------------------------------


async def test_json_request_body(make_client: Any, raw_server: RawServer) -> None:
    client = make_client()
    await client.request("POST", raw_server.url + "/v2/version", json={"name": "1.0", "loaders": ["fabric"]})
    head, body = raw_server.requests[0]
    assert head.startswith(b"POST /v2/version HTTP/1.1")
    assert json.loads(body) == {"name": "1.0", "loaders": ["fabric"]}
    assert b"content-length: %d" % len(body) in head.lower()


async def test_large_request_body(make_client: Any, raw_server: RawServer) -> None:
    client = make_client()
    data = b"0123456789" * 100_000
    await client.request("PUT", raw_server.url, content=data)
    assert raw_server.requests[0][1] == data


async def test_streamed_request_body_is_chunked(make_client: Any, raw_server: RawServer, kind: str) -> None:
    client = make_client()
    parts = [b"first,", b"", b"second,", b"third"]
    if kind == "sync":
        content: Any = iter(parts)
    else:

        async def agen() -> Any:
            for part in parts:
                yield part

        content = agen()
    await client.request("POST", raw_server.url, content=content)
    head, body = raw_server.requests[0]
    assert b"transfer-encoding: chunked" in head.lower()
    assert body == b"first,second,third"


async def test_multipart_upload(make_client: Any, raw_server: RawServer) -> None:
    client = make_client()
    await client.request(
        "POST",
        raw_server.url,
        data={"data": '{"name": "x"}'},
        files={"file": ("a.jar", b"PK\x03\x04" * 1000)},
    )
    head, body = raw_server.requests[0]
    assert b"multipart/form-data" in head
    assert b'filename="a.jar"' in body
    assert b"PK\x03\x04" * 1000 in body


async def test_header_injection_is_refused(make_client: Any, raw_server: RawServer) -> None:
    client = make_client()
    with pytest.raises(httpx.LocalProtocolError, match="CR, LF or NUL"):
        await client.get(raw_server.url, headers={"x-token": "a\r\nx-injected: 1"})
    with pytest.raises(httpx.LocalProtocolError, match="header name"):
        await client.get(raw_server.url, headers={"bad name": "1"})
    assert raw_server.requests == []


async def test_unsupported_scheme(make_client: Any) -> None:
    client = make_client()
    with pytest.raises(httpx.UnsupportedProtocol):
        await client.get("ftp://127.0.0.1/file")


# -- failures ---------------------------------------------------------------------------------------


async def test_connection_refused_is_connect_error(make_client: Any) -> None:
    client = make_client()
    with pytest.raises(httpx.ConnectError) as caught:
        await client.get(f"http://127.0.0.1:{unused_port()}/")
    assert caught.value.request.url.port is not None


async def test_read_timeout(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(ok().data, delay=1.0))  # the answer would come, but after the read timeout
    client = make_client(timeout=httpx.Timeout(5.0, read=0.2))
    with pytest.raises(httpx.ReadTimeout):
        await client.get(raw_server.url)


async def test_read_timeout_inside_body(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(
        Raw(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nabc"),
        Raw(b"defghij", delay=1.0),  # sent only after the next "request"; the client times out first
    )
    client = make_client(timeout=httpx.Timeout(5.0, read=0.2))
    with pytest.raises(httpx.ReadTimeout):
        await client.get(raw_server.url)


async def test_write_timeout(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(b"", delay=1.5, no_read=True))  # accepts, never reads
    client = make_client(timeout=httpx.Timeout(5.0, write=0.3))
    with pytest.raises(httpx.WriteTimeout):
        await client.request("POST", raw_server.url, content=b"x" * (32 * 1024 * 1024))


async def test_connect_timeout_is_mapped(
    make_client: Any, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A loopback connect never times out; make it time out to check what the caller sees.
    import asyncio

    def slow_connect(*args: Any, **kwargs: Any) -> Any:
        raise TimeoutError("timed out")

    async def slow_create_connection(*args: Any, **kwargs: Any) -> Any:
        await asyncio.sleep(10)

    if kind == "sync":
        monkeypatch.setattr(socket, "create_connection", slow_connect)
    else:
        monkeypatch.setattr(asyncio.get_running_loop(), "create_connection", slow_create_connection)
    client = make_client(timeout=httpx.Timeout(5.0, connect=0.1))
    with pytest.raises(httpx.ConnectTimeout):
        await client.get("http://127.0.0.1:9/")


async def test_server_closing_without_answer(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(b"", close=True))
    client = make_client()
    with pytest.raises(httpx.RemoteProtocolError, match="Server disconnected without sending a response"):
        await client.get(raw_server.url)


async def test_truncated_body(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this", close=True))
    client = make_client()
    with pytest.raises(httpx.RemoteProtocolError, match="received 9 bytes, expected 100"):
        await client.get(raw_server.url)
    assert (await client.get(raw_server.url)).json() == {"ok": True}


async def test_connection_reset_mid_body(make_client: Any) -> None:
    server = LoopbackServer().start()
    try:
        server.script(Reply(200, {"data": "x" * 5000}, reset_after=100))
        client = make_client()
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            await client.get(server.url)
        assert (await client.get(server.url)).json() == {"ok": True}
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("head", "message"),
    [
        (b"HTTP/2 200 OK\r\n\r\n", "illegal status line"),
        (b"SSH-2.0-OpenSSH\r\n\r\n", "illegal status line"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "illegal header line"),
        (b"HTTP/1.1 200 OK\r\nname : value\r\n\r\n", "illegal header line"),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\nab",
            "conflicting Content-Length",
        ),
        (b"HTTP/1.1 200 OK\r\ncontent-length: -1\r\n\r\n", "illegal Content-Length"),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: gzip\r\n\r\n", "Transfer-Encoding"),
    ],
)
async def test_malformed_responses(
    make_client: Any, raw_server: RawServer, head: bytes, message: str
) -> None:
    raw_server.script(Raw(head, close=True))
    client = make_client()
    with pytest.raises(httpx.RemoteProtocolError, match=message):
        await client.get(raw_server.url)


async def test_illegal_chunk_size(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n", close=True))
    client = make_client()
    with pytest.raises(httpx.RemoteProtocolError, match="chunk size"):
        await client.get(raw_server.url)


async def test_oversized_head_is_refused(make_client: Any, raw_server: RawServer) -> None:
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\n" + b"x-filler: " + b"a" * 200_000 + b"\r\n\r\n", close=True))
    client = make_client()
    with pytest.raises(httpx.RemoteProtocolError, match="larger than"):
        await client.get(raw_server.url)


# -- the pool ---------------------------------------------------------------------------------------


async def test_idle_connection_closed_by_server_is_replaced(make_client: Any, raw_server: RawServer) -> None:
    # the server answers, then closes the connection while it sits idle in the pool
    raw_server.script(ok(), Raw(b"", close=True, no_read=True))
    client = make_client()
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    # Block (even the event loop): the pool must notice the FIN by polling the socket itself.
    time.sleep(0.2)
    assert (await client.get(raw_server.url)).json() == {"ok": True}
    assert raw_server.connections == 2


async def test_keepalive_expiry(make_client: Any, raw_server: RawServer) -> None:
    client = make_client(limits=httpx.Limits(keepalive_expiry=0.05))
    await client.get(raw_server.url)
    time.sleep(0.15)
    await client.get(raw_server.url)
    assert raw_server.connections == 2


async def test_max_keepalive_zero_keeps_nothing(make_client: Any, raw_server: RawServer) -> None:
    client = make_client(limits=httpx.Limits(max_keepalive_connections=0))
    for _ in range(3):
        await client.get(raw_server.url)
    assert raw_server.connections == 3


async def test_pool_timeout_when_every_connection_is_busy(
    make_client: Any, raw_server: RawServer, kind: str
) -> None:
    body = b"x" * (8 * 1024 * 1024)
    raw_server.script(Raw(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body) + body))
    client = make_client(limits=httpx.Limits(max_connections=1), timeout=httpx.Timeout(5.0, pool=0.2))
    if kind == "sync":
        # the stream holds the only connection
        with client.sync.stream("GET", raw_server.url), pytest.raises(httpx.PoolTimeout):
            client.sync.get(raw_server.url)
        assert client.sync.get(raw_server.url).json() == {"ok": True}  # the slot came back
    else:
        async with client.aio.stream("GET", raw_server.url):
            with pytest.raises(httpx.PoolTimeout):
                await client.aio.get(raw_server.url)
        assert (await client.aio.get(raw_server.url)).json() == {"ok": True}


async def test_close_closes_idle_connections(make_client: Any, raw_server: RawServer, kind: str) -> None:
    client = make_client()
    await client.get(raw_server.url)
    if kind == "sync":
        client.transport.close()
    else:
        await client.transport.aclose()
    assert client.transport._idle_count == 0
    assert client.transport._idle == {}


def test_threads_share_one_pool(raw_server: RawServer) -> None:
    from craftapis._fasttransport import FastHTTPTransport

    client = httpx.Client(transport=FastHTTPTransport(limits=httpx.Limits(max_connections=4)))
    errors: list[BaseException] = []
    bodies: list[Any] = []

    def work() -> None:
        try:
            for _ in range(25):
                bodies.append(client.get(raw_server.url).json())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client.close()
    assert errors == []
    assert bodies == [{"ok": True}] * 200
    assert raw_server.connections <= 4 + 4  # at most 4 in flight; replacements only for idle overflow


async def test_async_concurrency_is_capped_by_max_connections(raw_server: RawServer) -> None:
    import asyncio

    from craftapis._fasttransport import AsyncFastHTTPTransport

    raw_server.default = Raw(ok().data, delay=0.02)
    transport = AsyncFastHTTPTransport(limits=httpx.Limits(max_connections=3))
    async with httpx.AsyncClient(transport=transport) as client:
        responses = await asyncio.gather(*(client.get(raw_server.url) for _ in range(30)))
    assert [r.json() for r in responses] == [{"ok": True}] * 30
    assert raw_server.connections <= 3
