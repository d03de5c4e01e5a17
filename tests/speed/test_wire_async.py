"""The async transports, the default wire (`_aiowire.AsyncWireTransport`) and aiohttp's (the fallback),
answer as `httpx.AsyncHTTPTransport` (httpcore + h11, the reference) does, over the raw-socket corpus
of `_corpus.py` (the one `test_wire.py` holds the sync wire to): the same status, headers, body, HTTP
version and reason phrase for an answer, the same httpx error class for a broken one. Where a
transport's verdict is not h11's on purpose, `DIFFERS` says so and why.

Every request carries a secret in its query and in its `Authorization` header: an error's text, repr
and traceback must hold neither (aiohttp prints the request's URL in some of its messages).
"""

from __future__ import annotations

import socket
import threading
import time
import traceback
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from craftapis._aiohttp_transport import AiohttpTransport
from craftapis._aiowire import AsyncWireTransport

from ._corpus import CORPUS, TIMEOUT, Step, async_outcome, serving, verdict

SECRET = "SECRETcorpus7f3e"

#: the async transports: name -> a factory of a fresh one (the default wire, imported unconditionally as
#: test_aiowire.py does: without httptools, a declared dependency, this fails rather than skips it)
TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {
    "aiowire": AsyncWireTransport,
    "aiohttp": AiohttpTransport,
}

#: where a transport's verdict is not h11's, on purpose: transport -> {name: (h11's, the transport's)},
#: each the kind of verdict ("ok", or the httpx error class), or the transport's whole answer
#: (`verdict`) where both answer and only the answer differs
DIFFERS: dict[str, dict[str, tuple[Any, Any]]] = {
    "aiohttp": {
        # a header line over 8190 bytes: aiohttp's parser refuses it (its `max_field_size`), h11 takes
        # a head up to about 100 KiB; a smaller bound, loud, never a wrong value
        "head-over-h11s-limit": ("ok", httpx.RemoteProtocolError),
        # bytes after a complete answer in the same read: aiohttp parses on into them as the next
        # answer and fails the request; h11 hands over the answer and drops the connection. Loud
        "body-after-204": ("ok", httpx.RemoteProtocolError),
        "body-longer-than-length": ("ok", httpx.RemoteProtocolError),
        # a space before a header's colon: aiohttp's lenient parser keeps the header, its name ending in
        # the space ("Content-Length "), so it frames nothing and the body is read to EOF as for an
        # answer without a length; h11 (and llhttp, strict, on the default wires) refuse the head.
        # Refusing it here would mean checking every header name of every answer (callgrind: about 10k
        # instructions a response, of some 650k for a GET), for a fallback transport
        "space-before-colon": (httpx.RemoteProtocolError, "ok"),
        # obs-fold: aiohttp unfolds it keeping the fold's whitespace, h11 with one space (RFC 9112 5.2
        # allows "one or more SP"); the value differs in whitespace only
        "obs-fold": (
            "ok",
            ("ok", 200, [(b"X-A", b"one  two"), (b"Content-Length", b"2")], b"ok", b"HTTP/1.1", b"OK"),
        ),
    },
    "aiowire": {
        # obs-fold, deprecated since RFC 7230: h11 unfolds it, llhttp refuses it (loudly, never a wrong
        # value); the sync wire's one deliberate difference too (`LLHTTP_DIFFERS` in test_wire.py)
        "obs-fold": ("ok", httpx.RemoteProtocolError),
    },
}

#: h11's verdict per corpus answer, found once (by the first test that needs it)
_REFERENCE: dict[str, tuple[Any, ...]] = {}


async def _served(transport: httpx.AsyncBaseTransport, script: list[Step]) -> tuple[Any, ...]:
    with serving(script) as server:
        try:
            return await async_outcome(
                transport, f"{server.url}?token={SECRET}", headers={"Authorization": f"Bearer {SECRET}"}
            )
        finally:
            await transport.aclose()


async def _reference(name: str, script: list[Step]) -> tuple[Any, ...]:
    if name not in _REFERENCE:
        _REFERENCE[name] = await _served(httpx.AsyncHTTPTransport(), script)
    return _REFERENCE[name]


def _kind(result: tuple[Any, ...]) -> Any:
    return "ok" if result[0] == "ok" else result[1]


@pytest.mark.parametrize("transport", list(TRANSPORTS))
@pytest.mark.parametrize(("name", "script"), CORPUS, ids=[name for name, _ in CORPUS])
async def test_the_async_transport_answers_as_httpx_async_transport_does(
    transport: str, name: str, script: list[Step]
) -> None:
    reference = await _reference(name, script)
    got = await _served(TRANSPORTS[transport](), script)
    if name in DIFFERS[transport]:
        theirs, ours = DIFFERS[transport][name]
        assert (_kind(reference), verdict(got) if isinstance(ours, tuple) else _kind(got)) == (
            theirs,
            ours,
        ), (
            reference,
            got,
        )
    else:
        assert verdict(got) == verdict(reference), (
            f"{name}: httpx.AsyncHTTPTransport gave {reference[:-1]}, {transport} {got[:-1]}"
        )
    if got[0] == "error":  # says what happened, never the request's secrets
        error = got[-1]
        texts = [str(error), repr(error), "".join(traceback.format_exception(error))]
        assert got[2] and not [text for text in texts if SECRET in text], texts


async def test_the_corpus_provokes_every_kind_of_verdict_of_the_reference() -> None:
    """The comparison above means something only if h11 answers some and fails others in each way."""
    kinds = {_kind(await _reference(name, script)) for name, script in CORPUS}
    assert {"ok", httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError} <= kinds, kinds


@pytest.mark.parametrize("transport", list(TRANSPORTS))
async def test_a_refused_connection_and_a_server_that_never_reads(transport: str) -> None:
    """A closed port is a `ConnectError`; a request body the server never reads (64 MiB cannot fit in
    the socket buffers) ends in the error the reference raises, not in a hang."""
    closed = socket.create_server(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()
    made = TRANSPORTS[transport]()
    try:
        refused = await async_outcome(made, f"http://127.0.0.1:{port}/x?token={SECRET}")
    finally:
        await made.aclose()
    assert refused[:2] == ("error", httpx.ConnectError), refused
    assert SECRET not in refused[2] and SECRET not in repr(refused[3])
    body = b"x" * (64 * 1024 * 1024)
    results = []
    for made in (httpx.AsyncHTTPTransport(), TRANSPORTS[transport]()):
        with serving(["hold"]) as server:
            try:
                results.append(await async_outcome(made, server.url, method="POST", content=body))
            finally:
                await made.aclose()
    assert results[0][:2] == ("error", httpx.WriteTimeout), results[0]
    assert results[1][:2] == results[0][:2], results[1]


@pytest.mark.parametrize("transport", ["reference", *TRANSPORTS])
async def test_an_upload_the_server_reads_slowly_is_not_a_write_timeout(transport: str) -> None:
    """The write timeout bounds each wait for the socket, not the upload: a server taking 1 MiB every
    0.1 s of an 8 MiB body (past its socket buffers), streamed in 64 KiB pieces, is sent it all under
    a 0.4 s write timeout, by each transport as by the reference (httpcore bounds each piece's write).
    """
    body = b"y" * (8 * 1024 * 1024)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    received: list[int] = []

    def serve() -> None:  # reads the request to its last chunk, 1 MiB at a time with a pause between
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            tail = data.partition(b"\r\n\r\n")[2]
            got = len(tail)
            while not tail.endswith(b"\r\n0\r\n\r\n"):
                time.sleep(0.1)
                burst = 0
                while burst < 1024 * 1024 and not tail.endswith(b"\r\n0\r\n\r\n"):
                    chunk = conn.recv(1024 * 1024 - burst)
                    if not chunk:
                        return
                    burst += len(chunk)
                    got += len(chunk)
                    tail = (tail + chunk)[-16:]
            received.append(got)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")

    async def pieces() -> AsyncIterator[bytes]:  # httpcore's write timeout is per write: per piece
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    made = httpx.AsyncHTTPTransport() if transport == "reference" else TRANSPORTS[transport]()
    try:
        got = await async_outcome(
            made,
            f"http://127.0.0.1:{listener.getsockname()[1]}/x",
            timeout={**TIMEOUT, "read": 5.0},  # what the kernel's buffers hold is read after the last write
            method="POST",
            content=pieces(),
        )
    finally:
        await made.aclose()
        server.join(timeout=10)
        listener.close()
    assert got[:2] == ("ok", 200), got
    assert len(received) == 1 and received[0] > len(body), received  # all of it, in chunked framing
