"""Findings 4, 6 and 7: bodies a well-behaved server never sends, against every client, sync and async.

Each answer below replaces the normal answer to the client's idempotent read. The call must end in
an `APIError` subclass (never httpx's, zlib's or the interpreter's own exceptions), within its
deadline, without holding more than the configured body size in memory.
"""

from __future__ import annotations

import resource
import time
from functools import cache

import pytest
from craftapis import APIError, APITimeoutError, ResponseParseError, ResponseTooLargeError, RetryPolicy

from tests.faults.apis import Api, close, fast_retry, resolve

from .server import HostileServer, Raw, chunked, deep_json, gzip_bomb, response

MiB = 1024 * 1024


@cache
def _bomb() -> bytes:
    """~200 KB of gzip that expands to 256 MiB (the finding's was 1 MB -> 1.1 GB)."""
    return gzip_bomb(256 * MiB)


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB


async def _read_fails(api: Api, server: HostileServer, mode: str, answer: Raw, **kwargs: object) -> APIError:
    _method, path = api.read_request
    server.script(answer, path=path)
    kwargs.setdefault("retry", fast_retry(api.default_retry, max_attempts=1))
    client = api.make(mode, server.url, **kwargs)
    try:
        with pytest.raises(APIError) as caught:
            await resolve(api.read(client))
    finally:
        await close(client)
    assert server.count(path) >= 1
    return caught.value


# -- finding 4: DecodingError, RecursionError ---------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "body"),
    [("gzip", b"zz"), ("deflate", b"\x00\x01garbage"), ("gzip", b"\x1f\x8b\x08\x00corrupt-header")],
    ids=["gzip-zz", "deflate-garbage", "gzip-bad-header"],
)
async def test_a_corrupt_content_encoding_is_a_response_parse_error(
    api: Api, hostile: HostileServer, mode: str, encoding: str, body: bytes
) -> None:
    answer = Raw(response(200, body, {"Content-Encoding": encoding, "Content-Type": "application/json"}))
    error = await _read_fails(api, hostile, mode, answer)
    assert isinstance(error, ResponseParseError)
    assert "corrupt" in str(error)


@pytest.mark.parametrize("status", [200, 400])
async def test_json_nested_100000_deep_is_a_response_parse_error(
    api: Api, hostile: HostileServer, mode: str, status: int
) -> None:
    answer = Raw(response(status, deep_json(100_000), {"Content-Type": "application/json"}))
    error = await _read_fails(api, hostile, mode, answer)
    assert status == 400 or isinstance(error, ResponseParseError)


async def test_a_deep_object_is_a_response_parse_error(api: Api, hostile: HostileServer, mode: str) -> None:
    body = b'{"a":' * 50_000 + b"1" + b"}" * 50_000
    answer = Raw(response(200, body, {"Content-Type": "application/json"}))
    await _read_fails(api, hostile, mode, answer)


# -- finding 6: size -------------------------------------------------------------------------------------


async def test_a_gzip_bomb_stops_at_max_body_size(api: Api, hostile: HostileServer, mode: str) -> None:
    bomb = _bomb()
    before = _peak_rss()
    answer = Raw(response(200, bomb, {"Content-Encoding": "gzip", "Content-Type": "application/json"}))
    error = await _read_fails(api, hostile, mode, answer)
    assert isinstance(error, ResponseTooLargeError)
    assert "Limits.max_body_size" in str(error) and str(64 * MiB) in str(error)
    grown = _peak_rss() - before
    assert grown < 160 * MiB, f"peak RSS grew by {grown / MiB:.0f} MiB for a {len(bomb)} byte bomb"


async def test_an_endless_plain_body_stops_at_max_body_size(
    api: Api, hostile: HostileServer, mode: str
) -> None:
    """No Content-Length and no end: the body would grow until the connection closes."""
    block = b" " * (1 * MiB)
    head = response(200, b"", {"Content-Type": "application/json"}, length=False)
    answer = Raw(head + b"[" + block * 70, drip=(8 * MiB, 0.0))
    error = await _read_fails(api, hostile, mode, answer)
    assert isinstance(error, ResponseTooLargeError)


# -- finding 7: time ------------------------------------------------------------------------------------


async def test_a_dripping_body_ends_at_the_deadline(api: Api, hostile: HostileServer, mode: str) -> None:
    """Two bytes a second under timeout=2 and deadline=5: each read succeeds, the call must not."""
    body = b'{"ok": true, "pad": "' + b"x" * 200 + b'"}'
    whole = response(200, body, {"Content-Type": "application/json"})
    head, _, _ = whole.partition(b"\r\n\r\n")
    answer = Raw(body, head=head + b"\r\n\r\n", drip=(2, 0.5))
    started = time.monotonic()
    error = await _read_fails(
        api, hostile, mode, answer, timeout=2.0, retry=fast_retry(api.default_retry, deadline=5.0)
    )
    elapsed = time.monotonic() - started
    assert isinstance(error, APITimeoutError)
    assert "deadline" in str(error)
    assert elapsed < 5.0 + 2.0, f"the call ran {elapsed:.1f} s past a 5 s deadline"


async def test_a_stalled_server_is_bounded_by_the_deadline_not_only_the_read_timeout(
    api: Api, hostile: HostileServer, mode: str
) -> None:
    """Headers never come; the read timeout (30 s) is longer than the deadline (2 s): the deadline wins."""
    answer = Raw(b"", stall=60.0)
    started = time.monotonic()
    error = await _read_fails(
        api, hostile, mode, answer, timeout=30.0, retry=RetryPolicy(max_attempts=3, deadline=2.0)
    )
    elapsed = time.monotonic() - started
    assert isinstance(error, APITimeoutError)
    assert elapsed < 2.0 + 2.0, f"the call ran {elapsed:.1f} s under a 2 s deadline"


# -- framing ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200\r\nContent-Length: 10\r\n\r\n{}",  # shorter than announced
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",  # bad chunk size
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n" + chunked(b"{}"),
        b"HTTP/9.9 200 OK\r\n\r\n{}",  # unknown version
        b"NOT HTTP AT ALL\r\n\r\n",
        b"HTTP/1.1 2000 OK\r\nContent-Length: 2\r\n\r\n{}",  # status out of range
        b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n{}",
        b"HTTP/1.1 200 OK\r\nX-Bad\x00Header: 1\r\nContent-Length: 2\r\n\r\n{}",
    ],
    ids=["short", "bad-chunk", "te-and-cl", "version", "garbage", "status", "negative-length", "nul-header"],
)
async def test_broken_framing_is_an_api_error_or_read_leniently(
    api: Api, hostile: HostileServer, mode: str, raw: bytes
) -> None:
    """h11 reads some of these leniently (chunked wins over Content-Length, any HTTP/1.x-like version):
    then the call may succeed on `{}`; anything else it raises must be an APIError."""
    _method, path = api.read_request
    hostile.script(Raw(raw), path=path)
    client = api.make(mode, hostile.url, retry=fast_retry(api.default_retry, max_attempts=1))
    try:
        await resolve(api.read(client))
    except APIError:
        pass
    finally:
        await close(client)
    assert hostile.count(path) == 1
