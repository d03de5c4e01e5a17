"""The socket transports answer exactly as httpx's own transport (httpcore + h11) answers.

Each scripted response is fetched through ``httpx.HTTPTransport`` and through the fast
transport of the same kind; the outcomes -- status, headers as sent, body, HTTP version,
reason, or the exception's type -- must be equal.
"""

from __future__ import annotations

import gzip
from typing import Any

import httpx
import pytest
from craftapis._fasttransport import AsyncFastHTTPTransport, FastHTTPTransport

from .rawserver import Raw, RawServer

_GZIPPED = gzip.compress(b'{"compressed": true}')

SCRIPTS: dict[str, tuple[str, Raw]] = {
    "content-length": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"),
    ),
    "chunked": (
        "GET",
        Raw(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nTrailer: x\r\n\r\n"
        ),
    ),
    "until-close": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", close=True),
    ),
    "http/1.0": ("GET", Raw(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nold", close=True)),
    "no-reason": ("GET", Raw(b"HTTP/1.1 418\r\nContent-Length: 0\r\n\r\n")),
    "empty-reason": ("GET", Raw(b"HTTP/1.1 200 \r\nContent-Length: 0\r\n\r\n")),
    "204": ("GET", Raw(b"HTTP/1.1 204 No Content\r\n\r\n")),
    "304-with-length": ("GET", Raw(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n")),
    "head": ("HEAD", Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n")),
    "informational": (
        "GET",
        Raw(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz"),
    ),
    "gzip": (
        "GET",
        Raw(
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(_GZIPPED)
            + _GZIPPED
        ),
    ),
    "bare-lf": ("GET", Raw(b"HTTP/1.1 200 OK\nContent-Length: 2\nX-A: b\n\nhi")),
    "folded-header": ("GET", Raw(b"HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 0\r\n\r\n")),
    "repeated-headers": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\nContent-Length: 0\r\n\r\n"),
    ),
    "same-length-twice": ("GET", Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")),
    "whitespace-around-value": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nX-Pad:   padded  \r\nContent-Length: 0\r\n\r\n"),
    ),
    # failures: the same exception type
    "disconnect": ("GET", Raw(b"", close=True)),
    "truncated": ("GET", Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", close=True)),
    "truncated-chunked": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", close=True),
    ),
    "conflicting-length": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", close=True),
    ),
    "bad-length": ("GET", Raw(b"HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n", close=True)),
    "bad-status-line": ("GET", Raw(b"HTTP/1.1 OK 200\r\n\r\n", close=True)),
    "bad-version": ("GET", Raw(b"HTTP/2.0 200 OK\r\n\r\n", close=True)),
    "bad-header": ("GET", Raw(b"HTTP/1.1 200 OK\r\nno-colon\r\n\r\n", close=True)),
    "space-before-colon": ("GET", Raw(b"HTTP/1.1 200 OK\r\nName : v\r\n\r\n", close=True)),
    "unknown-transfer-encoding": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\n", close=True),
    ),
    "bad-chunk-size": (
        "GET",
        Raw(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nxyz\r\n", close=True),
    ),
}


def _outcome(response_or_error: httpx.Response | BaseException) -> Any:
    if isinstance(response_or_error, BaseException):
        return type(response_or_error)
    response = response_or_error
    return (
        response.status_code,
        response.headers.raw,
        response.content,
        response.http_version,
        response.reason_phrase,
    )


async def _fetch(kind: str, transport: Any, url: str, method: str) -> Any:
    try:
        if kind == "sync":
            with httpx.Client(transport=transport, timeout=5) as client:
                return _outcome(client.request(method, url))
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            return _outcome(await client.request(method, url))
    except httpx.HTTPError as exc:
        return _outcome(exc)


@pytest.mark.parametrize("name", list(SCRIPTS))
async def test_same_outcome_as_httpx_transport(kind: str, raw_server: RawServer, name: str) -> None:
    method, reply = SCRIPTS[name]
    raw_server.script(reply)
    reference_transport = httpx.HTTPTransport() if kind == "sync" else httpx.AsyncHTTPTransport()
    expected = await _fetch(kind, reference_transport, raw_server.url, method)
    raw_server.script(reply)
    fast = FastHTTPTransport() if kind == "sync" else AsyncFastHTTPTransport()
    assert await _fetch(kind, fast, raw_server.url, method) == expected
