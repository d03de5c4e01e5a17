"""craftapis' own async HTTP/1.1 wire (`_aiowire.AsyncWireTransport`, the async default) on loopback:
the pool (reuse, expiry, the limit with FIFO waiters, `PoolTimeout`), timeouts per phase (connect,
the whole head, each body read), a stale keep-alive connection retried once (and only when nothing of
the answer came), the bounded body (flow control), TLS, streamed uploads, HEAD/204/1xx, messages
without secrets, and the fallback to aiohttp (a patched `ClientSession._request`, no httptools).
The framing verdicts themselves are the sync wire's (`_llhttp.Framing`): tests/speed/test_wire.py."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from craftapis._aiowire import _HIGH, AsyncWireTransport
from craftapis._http import AsyncDefaultTransport

TIMEOUT = {"connect": 5.0, "read": 2.0, "write": 5.0, "pool": 5.0}
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


class Server:
    """An asyncio server on 127.0.0.1 running `handler(reader, writer, n)` for its n-th connection."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self.connections = 0
        self.heads: list[bytes] = []
        self.url = ""

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self._handler(reader, writer, self.connections)
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.CancelledError):
            pass  # the client went, or the test ended
        finally:
            writer.close()

    async def head(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        self.heads.append(head)
        return head

    async def __aenter__(self) -> Server:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._server.close()


def keep_alive(answer: bytes = OK) -> Callable[[Server], Handler]:
    """A handler answering every request on a connection with `answer` (a complete response)."""

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            while True:
                await server.head(reader)
                writer.write(answer)
                await writer.drain()

        return handler

    return make


@contextlib.asynccontextmanager
async def serving(make: Callable[[Server], Handler]) -> AsyncIterator[Server]:
    server = Server(None)  # type: ignore[arg-type]
    server._handler = make(server)
    async with server:
        yield server


@pytest.fixture
async def wire() -> AsyncIterator[AsyncWireTransport]:
    made = AsyncWireTransport()
    try:
        yield made
    finally:
        await made.aclose()


def _request(method: str, url: str, **kwargs: Any) -> httpx.Request:
    timeout = dict(TIMEOUT, **kwargs.pop("timeout", {}))
    return httpx.Request(method, url, extensions={"timeout": timeout}, **kwargs)


async def fetch(transport: httpx.AsyncBaseTransport, request: httpx.Request) -> tuple[httpx.Response, bytes]:
    response = await transport.handle_async_request(request)
    try:
        body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
    finally:
        await response.aclose()
    return response, body


async def get(transport: httpx.AsyncBaseTransport, url: str, **kwargs: Any) -> bytes:
    return (await fetch(transport, _request("GET", url, **kwargs)))[1]


# -- the pool --------------------------------------------------------------------------------------------


async def test_a_connection_is_reused_for_the_next_request(wire: AsyncWireTransport) -> None:
    async with serving(keep_alive()) as server:
        assert [await get(wire, server.url + f"/{n}") for n in range(5)] == [b"ok"] * 5
    assert server.connections == 1
    assert [head.split(b" ")[1] for head in server.heads] == [f"/{n}".encode() for n in range(5)]


async def test_an_idle_connection_older_than_the_keepalive_expiry_is_closed_not_reused() -> None:
    closed = asyncio.Event()

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            with contextlib.suppress(asyncio.IncompleteReadError):
                while True:
                    await server.head(reader)
                    writer.write(OK)
            if n == 1:
                closed.set()  # the client closed the expired connection

        return handler

    short = AsyncWireTransport(limits=httpx.Limits(keepalive_expiry=0.2))
    try:
        async with serving(make) as server:
            assert await get(short, server.url) == b"ok"
            assert await get(short, server.url) == b"ok"  # within the expiry: the same connection
            assert server.connections == 1
            await asyncio.sleep(0.4)
            assert await get(short, server.url) == b"ok"
            assert server.connections == 2
            await asyncio.wait_for(closed.wait(), 5)
    finally:
        await short.aclose()


async def test_a_connection_the_server_closed_while_idle_is_not_reused(wire: AsyncWireTransport) -> None:
    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            writer.write(OK)  # keep-alive, then closed at once

        return handler

    async with serving(make) as server:
        assert await get(wire, server.url) == b"ok"
        await asyncio.sleep(0.2)  # the close arrives while idle
        assert await get(wire, server.url) == b"ok"
    assert server.connections == 2 and len(server.heads) == 2


async def test_max_connections_holds_and_waiters_are_served_first_come_first_served() -> None:
    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            while True:
                await server.head(reader)
                await asyncio.sleep(0.02)
                writer.write(OK)

        return handler

    single = AsyncWireTransport(limits=httpx.Limits(max_connections=1))
    order: list[int] = []
    try:
        async with serving(make) as server:

            async def one(n: int) -> None:
                assert await get(single, f"{server.url}/{n}") == b"ok"
                order.append(n)

            tasks = []
            for n in range(8):
                tasks.append(asyncio.create_task(one(n)))
                await asyncio.sleep(0.001)  # queued in this order
            await asyncio.gather(*tasks)
    finally:
        await single.aclose()
    assert order == list(range(8))
    assert [head.split(b" ")[1] for head in server.heads] == [f"/{n}".encode() for n in range(8)]
    assert server.connections == 1


async def test_sixteen_tasks_share_a_limited_pool() -> None:
    limited = AsyncWireTransport(limits=httpx.Limits(max_connections=3))
    try:
        async with serving(keep_alive()) as server:
            bodies = await asyncio.gather(*(get(limited, server.url) for _ in range(64)))
    finally:
        await limited.aclose()
    assert bodies == [b"ok"] * 64
    assert 1 <= server.connections <= 3


async def test_the_pool_timeout_bounds_the_wait_for_a_connection() -> None:
    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nab")  # held: never ends
            await asyncio.sleep(5)

        return handler

    single = AsyncWireTransport(limits=httpx.Limits(max_connections=1))
    try:
        async with serving(make) as server:
            held = await single.handle_async_request(_request("GET", server.url))
            started = time.monotonic()
            with pytest.raises(httpx.PoolTimeout) as caught:
                await single.handle_async_request(_request("GET", server.url + "/x", timeout={"pool": 0.2}))
            assert time.monotonic() - started < 2.0
            assert "pool timeout" in str(caught.value)
            await held.aclose()  # not read whole: closed, its place free
            assert single._count == 0
    finally:
        await single.aclose()


# -- timeouts --------------------------------------------------------------------------------------------


async def test_a_server_that_never_accepts_is_a_connect_timeout(wire: AsyncWireTransport) -> None:
    """A listening socket whose accept queue is full (backlog 0, filled, never accepted): the kernel drops
    the next SYN, so the connect hangs until the connect timeout."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        await asyncio.sleep(0.1)
        started = time.monotonic()
        with pytest.raises(httpx.ConnectTimeout) as caught:
            await get(wire, f"http://127.0.0.1:{port}/x", timeout={"connect": 0.3})
        assert time.monotonic() - started < 2.0
        assert "0.3 s connect timeout" in str(caught.value)
        assert wire._count == 0  # its place given back
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


async def test_a_closed_port_is_a_connect_error(wire: AsyncWireTransport) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(httpx.ConnectError):
        await get(wire, f"http://127.0.0.1:{port}/x")
    assert wire._count == 0


@pytest.mark.parametrize(
    "head",
    [
        b"HTTP/1.1 200 OK\r\nX-Pad: " + b"p" * 400 + b"\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.1 103 Early Hints\r\n\r\n" * 40 + OK,
    ],
    ids=["headers", "1xx answers"],
)
async def test_the_whole_head_must_arrive_within_the_read_timeout(
    head: bytes, wire: AsyncWireTransport
) -> None:
    """Each piece of the head comes well within the read timeout, the whole does not: `ReadTimeout` at the
    budget (counted from when the request was written), the connection closed, the next one answered."""

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            if n == 1:
                for start in range(0, len(head), 4):
                    writer.write(head[start : start + 4])
                    await asyncio.sleep(0.05)
            else:
                writer.write(OK)
            await asyncio.sleep(5)

        return handler

    async with serving(make) as server:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout) as caught:
            await get(wire, server.url, timeout={"read": 0.5})
        elapsed = time.monotonic() - started
        assert str(caught.value) == (
            "the response head (status line and headers) did not arrive within the 0.5 s read timeout"
        )
        assert 0.5 <= elapsed < 1.5, elapsed
        assert await get(wire, server.url, timeout={"read": 0.5}) == b"ok"
    assert server.connections == 2


async def test_each_body_read_is_bounded_by_the_read_timeout(wire: AsyncWireTransport) -> None:
    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\nab")
            for piece in (b"cd", b"ef"):  # within the read timeout each
                await asyncio.sleep(0.15)
                writer.write(piece)
            await asyncio.sleep(5)  # then silence

        return handler

    async with serving(make) as server:
        response = await wire.handle_async_request(_request("GET", server.url, timeout={"read": 0.4}))
        got = []
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout) as caught:
            async for chunk in response.stream:  # type: ignore[union-attr]
                got.append(chunk)
        await response.aclose()
    assert b"".join(got) == b"abcdef"
    assert 0.7 <= time.monotonic() - started < 2.5
    assert "0.4 s read timeout" in str(caught.value)
    assert wire._count == 0


# -- stale keep-alive connections -------------------------------------------------------------------------


def _closing_on_second_request(answer_second: bytes = b"") -> Callable[[Server], Handler]:
    """The first connection answers one request, then reads the next one and closes without answering
    (or after `answer_second`, a part of an answer); later connections answer normally."""

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            writer.write(OK)
            await writer.drain()
            if n == 1:
                await server.head(reader)
                if answer_second:
                    writer.write(answer_second)
                    await writer.drain()
                return
            while True:
                await server.head(reader)
                writer.write(OK)

        return handler

    return make


async def test_a_request_on_a_stale_keep_alive_connection_is_sent_once_more(wire: AsyncWireTransport) -> None:
    async with serving(_closing_on_second_request()) as server:
        assert await get(wire, server.url + "/a") == b"ok"
        assert await get(wire, server.url + "/b") == b"ok"
    assert [head.split(b" ")[1] for head in server.heads] == [b"/a", b"/b", b"/b"]
    assert server.connections == 2


async def test_a_post_on_a_stale_connection_is_not_sent_again(wire: AsyncWireTransport) -> None:
    async with serving(_closing_on_second_request()) as server:
        assert await get(wire, server.url + "/a") == b"ok"
        with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
            await fetch(wire, _request("POST", server.url + "/b", content=b"x"))
    assert len(server.heads) == 2


async def test_no_retry_once_part_of_the_answer_came(wire: AsyncWireTransport) -> None:
    async with serving(_closing_on_second_request(b"HTTP/1.1 200 OK\r\nContent-Le")) as server:
        assert await get(wire, server.url + "/a") == b"ok"
        with pytest.raises(httpx.RemoteProtocolError, match="within the response head"):
            await get(wire, server.url + "/b")
    assert len(server.heads) == 2 and server.connections == 1


# -- the body: bounded, framed ---------------------------------------------------------------------------


async def test_a_fast_server_cannot_grow_the_buffer_past_a_slow_reader(wire: AsyncWireTransport) -> None:
    size = 50 * 1024 * 1024

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            block = b"x" * (1024 * 1024)
            for _ in range(50):
                writer.write(block)
                await writer.drain()

        return handler

    async with serving(make) as server:
        response = await wire.handle_async_request(_request("GET", server.url))
        connection = response.stream._connection  # type: ignore[union-attr]
        await asyncio.sleep(0.5)  # the server writes as fast as it can; nothing is read
        assert connection._paused
        most = connection._unread
        received = 0
        async for chunk in response.stream:  # type: ignore[union-attr]
            received += len(chunk)
            most = max(most, connection._unread)
            if received < 4 * 1024 * 1024:
                await asyncio.sleep(0.001)  # slow at first
        await response.aclose()
    assert received == size
    # at most the pause threshold plus what one read of the socket brings (asyncio reads 256 KiB)
    assert most <= _HIGH + 256 * 1024, most


async def test_a_streamed_upload_goes_chunked_and_a_body_in_memory_with_its_length(
    wire: AsyncWireTransport,
) -> None:
    bodies: list[bytes] = []

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            while True:
                head = await server.head(reader)
                if b"transfer-encoding: chunked" in head.lower():
                    body = b""
                    while True:
                        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
                        data = await reader.readexactly(size + 2)
                        if size == 0:
                            break
                        body += data[:-2]
                else:
                    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    body = await reader.readexactly(length)
                bodies.append(body)
                writer.write(OK)

        return handler

    async def upload() -> AsyncIterator[bytes]:
        yield b"ab"
        yield b""
        yield b"cd" * 50_000

    async with serving(make) as server:
        await fetch(wire, _request("PUT", server.url + "/s", content=upload()))
        await fetch(wire, _request("POST", server.url + "/p", content=b"payload"))
        await fetch(wire, _request("POST", server.url + "/big", content=b"z" * 300_000))
    assert bodies == [b"ab" + b"cd" * 50_000, b"payload", b"z" * 300_000]
    assert server.heads[0].startswith(b"PUT /s HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"Transfer-Encoding: chunked\r\n" in server.heads[0]
    assert b"Content-Length: 7\r\n" in server.heads[1]
    assert server.connections == 1


async def test_what_goes_on_the_wire_is_what_h11_writes(wire: AsyncWireTransport) -> None:
    async with serving(keep_alive()) as server:
        url = server.url + "/g/%7Euser/a%2Fb?q=%20x&y=~"
        await fetch(wire, _request("GET", url, headers=[("X-Dup", "1"), ("X-Dup", "2"), ("Accept", "*/*")]))
    port = server.url.rsplit(":", 1)[1]
    assert (
        server.heads[0]
        == (
            f"GET /g/%7Euser/a%2Fb?q=%20x&y=~ HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "X-Dup: 1\r\nX-Dup: 2\r\nAccept: */*\r\n\r\n"
        ).encode()
    )


@pytest.mark.parametrize(
    ("method", "answer", "status", "body"),
    [
        ("HEAD", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n", 200, b""),
        ("GET", b"HTTP/1.1 204 No Content\r\n\r\n", 204, b""),
        (
            "GET",
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" + OK,
            200,
            b"ok",
        ),
        ("GET", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", 304, b""),
    ],
    ids=["HEAD", "204", "1xx then 200", "304"],
)
async def test_answers_without_a_body_and_informational_ones(
    method: str, answer: bytes, status: int, body: bytes, wire: AsyncWireTransport
) -> None:
    """No body is read where none can come, 1xx answers are skipped, and the connection serves the next."""
    async with serving(keep_alive(answer)) as server:
        response, got = await fetch(wire, _request(method, server.url))
        assert (response.status_code, got) == (status, body)
        if status == 200 and method == "GET":
            assert response.headers.raw == [(b"Content-Length", b"2")]
        again, _ = await fetch(wire, _request(method, server.url))
        assert again.status_code == status
    assert server.connections == 1


async def test_the_response_carries_version_reason_and_raw_headers(wire: AsyncWireTransport) -> None:
    answer = b"HTTP/1.0 201 Made It\r\nX-A: 1\r\nx-a: 2\r\nX-N: caf\xe9\r\nContent-Length: 2\r\n\r\nok"
    async with serving(keep_alive(answer)) as server:
        response, body = await fetch(wire, _request("GET", server.url))
    assert body == b"ok" and response.status_code == 201
    assert response.extensions["http_version"] == b"HTTP/1.0"
    assert response.extensions["reason_phrase"] == b"Made It"
    assert response.headers.raw == [
        (b"X-A", b"1"),
        (b"x-a", b"2"),
        (b"X-N", b"caf\xe9"),
        (b"Content-Length", b"2"),
    ]
    assert response.headers.multi_items() == httpx.Headers(response.headers.raw).multi_items()
    assert server.connections == 1  # HTTP/1.0: not kept


async def test_bytes_after_a_complete_answer_are_never_the_next_answer(wire: AsyncWireTransport) -> None:
    async with serving(keep_alive(OK + b"HTTP/1.1 204 No Content\r\n\r\n")) as server:
        assert await get(wire, server.url) == b"ok"
        assert await get(wire, server.url) == b"ok"
    assert server.connections == 2


# -- TLS -------------------------------------------------------------------------------------------------


async def test_tls_verifies_with_httpx_trust_settings_and_reuses_the_connection(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    from tests.speed.test_aiohttp_transport import _self_signed

    cert_file, key_file = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    server = Server(None)  # type: ignore[arg-type]
    server._handler = keep_alive()(server)
    listening = await asyncio.start_server(server._handle, "127.0.0.1", 0, ssl=context)
    url = f"https://127.0.0.1:{listening.sockets[0].getsockname()[1]}/x"
    try:
        default = AsyncWireTransport()
        try:
            with pytest.raises(httpx.ConnectError, match="certificate verify failed"):
                await get(default, url)
        finally:
            await default.aclose()
        monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
        trusting = AsyncWireTransport()
        try:
            assert await get(trusting, url) == b"ok"
            assert await get(trusting, url) == b"ok"
        finally:
            await trusting.aclose()
        assert server.connections == 1  # one TLS connection, reused (the refused handshake never got here)
    finally:
        listening.close()


# -- errors ----------------------------------------------------------------------------------------------

SECRET = "SECRETNONCE123"


async def test_no_error_message_holds_the_url_or_a_header_value(wire: AsyncWireTransport) -> None:
    async with serving(
        keep_alive(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX\r\n")
    ) as server:
        query = f"/x?nonce={SECRET}"
        messages = []
        with pytest.raises(httpx.RemoteProtocolError) as malformed:
            await get(wire, server.url + query)
        messages.append(str(malformed.value))
        with pytest.raises(httpx.LocalProtocolError) as bad_header:
            await get(wire, server.url + query, headers={"Authorization": f"Bearer {SECRET}\r\nX: y"})
        messages.append(str(bad_header.value))
    with pytest.raises(httpx.ConnectError) as refused:
        await get(wire, server.url + query)
    messages.append(str(refused.value))
    with pytest.raises(httpx.UnsupportedProtocol) as scheme:
        await get(wire, f"ftp://127.0.0.1:9/{query}")
    messages.append(str(scheme.value))
    assert "Expected LF after chunk data" in messages[0] or "malformed" in messages[0]
    assert "Authorization" in messages[1]
    for message in messages:
        assert SECRET not in message and "127.0.0.1:9/" not in message, message


# -- the fallback to aiohttp -----------------------------------------------------------------------------


async def test_a_patched_aiohttp_request_takes_the_request(
    wire: AsyncWireTransport, monkeypatch: pytest.MonkeyPatch
) -> None:
    """vcrpy and aioresponses patch `aiohttp.ClientSession._request`: while they do, requests go through
    aiohttp, decided per request."""
    import aiohttp

    seen: list[str] = []
    original = aiohttp.ClientSession._request

    async def patched(self: aiohttp.ClientSession, method: str, url: Any, **kwargs: Any) -> Any:
        seen.append(str(url))
        return await original(self, method, url, **kwargs)

    async with serving(keep_alive()) as server:
        assert await get(wire, server.url + "/before") == b"ok"
        monkeypatch.setattr(aiohttp.ClientSession, "_request", patched)
        assert await get(wire, server.url + "/patched") == b"ok"
        monkeypatch.undo()
        assert await get(wire, server.url + "/after") == b"ok"
    assert seen == [server.url + "/patched"]
    assert server.connections == 2  # aiohttp's connection, and the wire's (reused after)


async def test_a_vcr_cassette_records_and_replays_through_a_default_client(tmp_path: Path) -> None:
    import vcr
    from craftapis.modrinth import AsyncModrinth

    cassette = tmp_path / "project.yaml"
    project = b'{"id": "AABBCCDD", "slug": "x", "title": "T", "downloads": 3}'

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            while True:
                await server.head(reader)
                writer.write(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(project), project)
                )

        return handler

    user_agent = "craftapis-tests/speed/1.0 (tests@example.invalid)"
    async with serving(make) as server:
        base = server.url + "/v2"
        async with AsyncModrinth(user_agent=user_agent, base_url=base) as client:
            with vcr.VCR(record_mode="all", match_on=["method", "uri"]).use_cassette(str(cassette)):
                recorded = await client._http.get(
                    "/project/AABBCCDD"
                )  # the cassette entered after the client
    assert "/v2/project/AABBCCDD" in cassette.read_text()
    with vcr.VCR(record_mode="none", match_on=["method", "uri"]).use_cassette(str(cassette)) as played:
        async with AsyncModrinth(user_agent=user_agent, base_url=base) as client:
            replayed = await client._http.get("/project/AABBCCDD")
        assert played.play_count == 1
    assert recorded.content == replayed.content == project
    assert len(server.heads) == 1


def test_without_httptools_the_default_is_aiohttp() -> None:
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'httptools' or name.startswith('httptools.'):\n"
        "            raise ImportError('blocked')\n"
        "sys.meta_path.insert(0, Block())\n"
        "from craftapis._http import AsyncDefaultTransport\n"
        "print(type(AsyncDefaultTransport()).__name__)\n"
    )
    root = Path(__file__).resolve().parents[2]
    env = {"PYTHONPATH": f"{root / 'facade'}:{root / 'generated'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=60
    )
    assert out.stdout.strip() == "AiohttpTransport"


async def test_the_default_is_the_wire() -> None:
    made = AsyncDefaultTransport()
    try:
        assert isinstance(made, AsyncWireTransport)
    finally:
        await made.aclose()


async def test_expired_idle_connections_of_other_origins_close_when_a_connection_opens() -> None:
    short = AsyncWireTransport(limits=httpx.Limits(keepalive_expiry=0.1))
    try:
        async with serving(keep_alive()) as first, serving(keep_alive()) as second:
            assert await get(short, first.url) == b"ok"
            assert short._idle_count == 1
            await asyncio.sleep(0.3)
            assert await get(short, second.url) == b"ok"
            assert short._idle_count == 1 and short._count == 1  # the first origin's closed on the way
    finally:
        await short.aclose()


def test_the_header_checks_are_h11s_rules() -> None:
    """`request_head` checks names and values with byte sets (`bytes.translate`); `_NAME` and `_VALUE`
    are h11's rules as regular expressions: both give the same verdict for every byte, alone, leading,
    trailing and inside a value."""
    import httpcore
    from craftapis._llhttp import _NAME, _VALUE, request_head

    def accepted(name: bytes, value: bytes) -> bool:
        try:
            request_head(b"GET", b"/", [(b"Host", b"h"), (name, value)])
        except httpcore.LocalProtocolError:
            return False
        return True

    for byte in range(256):
        one = bytes((byte,))
        assert accepted(one, b"v") == bool(_NAME.fullmatch(one)), one
        for value in (one, b"a" + one, one + b"a", b"a" + one + b"a", b"a" + one * 3 + b"a", b""):
            assert accepted(b"X-A", value) == bool(_VALUE.fullmatch(value)), value
    assert not accepted(b"", b"v")


async def test_after_a_head_answer_the_next_answer_is_framed_anew(wire: AsyncWireTransport) -> None:
    """llhttp, not told of HEAD, still awaits the body its `Content-Length` announced: the parser is made
    anew for the next exchange (a parser is kept only when llhttp itself ended the answer)."""

    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            while True:
                head = await server.head(reader)
                if head.startswith(b"HEAD"):
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
                else:
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc")

        return handler

    async with serving(make) as server:
        head, body = await fetch(wire, _request("HEAD", server.url))
        assert (head.status_code, body) == (200, b"")
        assert await get(wire, server.url) == b"abc"
        assert await get(wire, server.url) == b"abc"
    assert server.connections == 1


async def test_a_body_the_server_does_not_read_is_a_write_timeout(wire: AsyncWireTransport) -> None:
    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            await asyncio.sleep(5)  # reads nothing more

        return handler

    async def upload() -> AsyncIterator[bytes]:
        for _ in range(200):
            yield b"u" * 1024 * 1024

    async with serving(make) as server:
        for content in (b"b" * 64 * 1024 * 1024, upload()):
            started = time.monotonic()
            with pytest.raises(httpx.WriteTimeout, match=r"0\.3 s write timeout"):
                await fetch(wire, _request("PUT", server.url, content=content, timeout={"write": 0.3}))
            assert time.monotonic() - started < 3.0
            assert wire._count == 0


async def test_a_cancelled_request_closes_its_connection_and_frees_its_place() -> None:
    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            while True:
                head = await server.head(reader)
                if b"/slow" in head:
                    await asyncio.sleep(5)
                writer.write(OK)

        return handler

    single = AsyncWireTransport(limits=httpx.Limits(max_connections=1))
    try:
        async with serving(make) as server:
            slow = asyncio.create_task(get(single, server.url + "/slow"))
            await asyncio.sleep(0.2)
            queued = asyncio.create_task(get(single, server.url + "/queued", timeout={"pool": 5.0}))
            await asyncio.sleep(0.05)
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            assert await queued == b"ok"  # the freed place went to the waiter
            assert single._count == 1 and not single._waiters
    finally:
        await single.aclose()
    assert server.connections == 2


async def test_bytes_arriving_on_an_idle_connection_close_it(wire: AsyncWireTransport) -> None:
    def make(server: Server) -> Handler:
        async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
            await server.head(reader)
            writer.write(OK)
            await writer.drain()
            await asyncio.sleep(0.1)
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nforge")  # unasked
            while True:
                await server.head(reader)
                writer.write(OK)

        return handler

    async with serving(make) as server:
        assert await get(wire, server.url) == b"ok"
        await asyncio.sleep(0.3)
        assert wire._idle_count == 0 and wire._count == 0
        assert await get(wire, server.url) == b"ok"  # a new connection, not the forged answer
    assert server.connections == 2


async def test_over_tls_too_the_buffered_body_stays_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import ssl

    from tests.speed.test_aiohttp_transport import _self_signed

    cert_file, key_file = _self_signed(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    size = 20 * 1024 * 1024

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, asyncio.CancelledError):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % size)
            for _ in range(20):
                writer.write(b"x" * 1024 * 1024)
                await writer.drain()
        writer.close()

    listening = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    wire = AsyncWireTransport()
    try:
        url = f"https://127.0.0.1:{listening.sockets[0].getsockname()[1]}/"
        response = await wire.handle_async_request(_request("GET", url))
        connection = response.stream._connection  # type: ignore[union-attr]
        await asyncio.sleep(0.5)
        assert connection._paused
        most, received = connection._unread, 0
        async for chunk in response.stream:  # type: ignore[union-attr]
            received += len(chunk)
            most = max(most, connection._unread)
        await response.aclose()
    finally:
        await wire.aclose()
        listening.close()
    assert received == size
    assert most <= _HIGH + 256 * 1024, most
