"""The async wire against a hostile server, through `AsyncModrinth` and each async transport: the
default one (whatever `AsyncDefaultTransport()` builds) and aiohttp's, kept as the fallback. Every call
ends in an `APIError`, within its timeout or deadline, holding a bounded amount of memory, making no more
attempts than its `RetryPolicy` allows, and naming no secret.

Elsewhere, for every client and the default transport: a head dripping two bytes at a time against the
deadline (test_head_drip.py), a stalled server and an endless body without a length (test_bodies.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from craftapis import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    Limits,
    ResponseTooLargeError,
)
from craftapis._aiohttp_transport import AiohttpTransport
from craftapis._http import AsyncDefaultTransport

from tests.faults.apis import MODRINTH, MODRINTH_TOKEN, close, fast_retry
from tests.speed._corpus import serving

from .server import HostileServer, Raw, response
from .test_gzip_memory import _peak

MiB = 1024 * 1024
PATH = MODRINTH.read_request[1]


def _default_type() -> type[httpx.AsyncBaseTransport]:
    return type(AsyncDefaultTransport())


#: name -> (a factory for the client's `transport=`, or None for the default; the type that must serve)
TRANSPORTS: dict[str, tuple[Callable[[], httpx.AsyncBaseTransport] | None, type[Any]]] = {
    "default": (None, _default_type()),
}
if _default_type() is not AiohttpTransport:  # the fallback, once it is no longer the default
    TRANSPORTS["aiohttp"] = (AiohttpTransport, AiohttpTransport)


@pytest.fixture(params=list(TRANSPORTS))
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _client(transport: str, url: str, **options: Any) -> Any:
    factory, served_by = TRANSPORTS[transport]
    if factory is not None:
        options["transport"] = factory()
    client = MODRINTH.make("async", url, **options)
    assert isinstance(client._http._transport.transport, served_by)  # under the policy transport
    return client


async def _fails(transport: str, url: str, **options: Any) -> tuple[APIError, float]:
    """The `APIError` one read raises, and how long the call took; its text names no secret."""
    client = _client(transport, url, **options)
    started = time.monotonic()
    try:
        with pytest.raises(APIError) as caught:
            await MODRINTH.read(client)
    finally:
        elapsed = time.monotonic() - started
        await close(client)
    for text in (str(caught.value), repr(caught.value), repr(caught.value.__cause__)):
        assert MODRINTH_TOKEN not in text, text
    return caught.value, elapsed


async def test_a_head_dripped_byte_by_byte_ends_within_the_read_timeout(transport: str) -> None:
    """One byte every 50 ms of a 2 KB head (about 100 s to arrive), each read well within timeout=1,
    the deadline far away: the head's budget is the read timeout, so the call ends about then."""
    with HostileServer() as server:
        server.always(Raw(response(200, b"{}", {"X-Pad": "p" * 2000}), drip=(1, 0.05)), path=PATH)
        error, elapsed = await _fails(
            transport, server.url, timeout=1.0, retry=fast_retry(max_attempts=1, deadline=60.0)
        )
    assert isinstance(error, APITimeoutError), repr(error)
    assert isinstance(error.__cause__, httpx.ReadTimeout), repr(error.__cause__)
    assert elapsed < 1.0 + 4.0, f"did not end near the 1 s read timeout: {elapsed:.1f} s"  # not ~100 s


async def test_a_body_dripped_past_the_deadline_ends_near_it(transport: str) -> None:
    """Two bytes every 0.2 s (each read within timeout=1) of a 300-byte body: about 30 s; deadline=3."""
    body = b'{"pad": "' + b"x" * 300 + b'"}'
    head = response(200, body).partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
    with HostileServer() as server:
        server.always(Raw(body, head=head, drip=(2, 0.2)), path=PATH)
        error, elapsed = await _fails(
            transport, server.url, timeout=1.0, retry=fast_retry(max_attempts=3, deadline=3.0)
        )
    assert isinstance(error, APITimeoutError) and "deadline" in str(error), repr(error)
    assert 3.0 - 0.5 <= elapsed < 3.0 + 3.0, f"{elapsed:.1f} s for a 3 s deadline"  # not ~30 s


async def test_a_gigabyte_content_length_that_never_ends_stops_at_max_body_size(transport: str) -> None:
    """`Content-Length: 1000000000` and 16 MiB of body then silence: no buffer sized by the announced
    length, nothing held past `Limits.max_body_size` (2 MiB here)."""
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000000\r\n\r\n"
    with HostileServer() as server:
        server.always(Raw(b"[" + b" " * (16 * MiB), head=head, drip=(MiB, 0.0), close=False), path=PATH)
        (error, _elapsed), peak = await _peak(
            lambda: _fails(transport, server.url, limits=Limits(max_body_size=2 * MiB), retry=fast_retry())
        )
    assert isinstance(error, ResponseTooLargeError), repr(error)
    assert peak < 8 * MiB, f"peak traced memory {peak / MiB:.1f} MiB for a 2 MiB max_body_size"


@pytest.mark.parametrize(
    "head",
    [
        b"".join(b"X-Pad-%05d: %s\r\n" % (i, b"h" * 50) for i in range(16_000)),  # 1 MB, many headers
        b"X-Pad: " + b"h" * MiB + b"\r\n",  # 1 MB, one header
    ],
    ids=["16000-headers", "one-1MB-header"],
)
async def test_a_megabyte_of_headers_is_refused_not_held(transport: str, head: bytes) -> None:
    answer = b"HTTP/1.1 200 OK\r\n" + head + b"Content-Length: 2\r\n\r\n{}"
    with HostileServer() as server:
        server.always(Raw(answer), path=PATH)
        (error, elapsed), peak = await _peak(lambda: _fails(transport, server.url, retry=fast_retry()))
    assert isinstance(error, APIConnectionError) and not isinstance(error, APITimeoutError), repr(error)
    assert isinstance(error.__cause__, httpx.RemoteProtocolError), repr(error.__cause__)
    assert peak < 8 * MiB, f"peak traced memory {peak / MiB:.1f} MiB for a 1 MB head"
    assert elapsed < 10.0, f"did not hang: {elapsed:.1f} s"


@pytest.mark.parametrize(
    "answer",
    [
        Raw(b""),  # the connection closed before any answer
        Raw(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"partial":'),
    ],
    ids=["before-the-answer", "mid-body"],
)
async def test_a_server_closing_early_is_a_connection_error_after_the_policys_attempts(
    transport: str, answer: Raw
) -> None:
    """Three attempts, as the policy says: aiohttp's own resend of an idempotent request whose
    connection closed (off now) made it six before the answer."""
    with HostileServer() as server:
        server.always(answer, path=PATH)
        error, _elapsed = await _fails(transport, server.url, retry=fast_retry(max_attempts=3))
        assert server.count(PATH) == 3
    assert type(error) is APIConnectionError, repr(error)
    assert isinstance(error.__cause__, httpx.RemoteProtocolError), repr(error.__cause__)


async def test_an_endless_stream_of_100_continue_ends_within_the_read_timeout(transport: str) -> None:
    """`100 Continue` after `100 Continue` (64 KiB of them every 10 ms), never a final answer: each
    read succeeds, the head never comes; the 1xx answers count as the head, bound by timeout=1 and by
    the head's size limit where the transport has one (the default wire: h11's 100 KiB). (The
    aiohttp transport's head watch put its verdict off while a parsed answer waited to be taken, which
    with this stream was always: the call lasted as long as the server kept sending, ~100 s here.)"""
    continues = b"HTTP/1.1 100 Continue\r\n\r\n" * (64 * 1024 // 25)
    with HostileServer() as server:
        server.always(Raw(continues * 400, drip=(len(continues), 0.01)), path=PATH)
        (error, elapsed), peak = await _peak(
            lambda: _fails(transport, server.url, timeout=1.0, retry=fast_retry(max_attempts=1))
        )
    # the head's budget runs out (aiohttp's), or the 1xx answers pass h11's 100 KiB limit on a head
    # (the default wire's, as the sync wire's): either way an error, soon
    assert isinstance(error, APIConnectionError), repr(error)
    assert isinstance(error.__cause__, httpx.ReadTimeout | httpx.RemoteProtocolError), repr(error.__cause__)
    assert elapsed < 10.0, f"did not end near the 1 s read timeout: {elapsed:.1f} s"  # it took ~100 s
    assert peak < 8 * MiB, f"peak traced memory {peak / MiB:.1f} MiB"


async def test_an_upload_the_server_never_reads_ends_at_the_write_timeout(transport: str) -> None:
    """`create_version` with a 64 MiB jar to a server that reads the request head and then nothing:
    the body cannot fit in the socket buffers; the call ends with the write timeout (aiohttp alone
    has none: it waited for as long as the server held the connection)."""
    jar = b"\0" * (64 * MiB)
    with serving([30.0]) as server:
        client = _client(transport, f"http://127.0.0.1:{server.port}", timeout=1.0, retry=fast_retry())
        started = time.monotonic()
        try:
            with pytest.raises(APITimeoutError) as caught:
                await client.create_version(
                    "AABBCCDD",
                    "1.0.0",
                    [("big.jar", jar)],
                    game_versions=["1.20.1"],
                    loaders=["fabric"],
                    primary_file="big.jar",
                )
        finally:
            elapsed = time.monotonic() - started
            await close(client)
    assert isinstance(caught.value.__cause__, httpx.WriteTimeout), repr(caught.value.__cause__)
    assert elapsed < 1.0 + 5.0, f"did not end near the 1 s write timeout: {elapsed:.1f} s"  # it hung
    assert MODRINTH_TOKEN not in str(caught.value) + repr(caught.value)
