"""The async transports answer as `httpx.AsyncHTTPTransport` (httpcore + h11, the reference) does, over
the raw-socket corpus of `_corpus.py` (the one `test_wire.py` holds the sync wire to): the same status,
headers, body, HTTP version and reason phrase for an answer, the same httpx error class for a broken
one. Where a transport's verdict is not h11's on purpose, its `*_DIFFERS` table says so and why.

Every request carries a secret in its query and in its `Authorization` header: an error's text, repr
and traceback must hold neither (aiohttp prints the request's URL in some of its messages).
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from craftapis._aiohttp_transport import AiohttpTransport

from ._corpus import CORPUS, Step, async_outcome, serving, verdict

SECRET = "SECRETcorpus7f3e"

#: the async transports: name -> a factory of a fresh one
TRANSPORTS: dict[str, Callable[[], httpx.AsyncBaseTransport]] = {"aiohttp": AiohttpTransport}
try:
    from craftapis._aiowire import AsyncWireTransport
except ModuleNotFoundError as missing:  # not written yet; once the module exists, it is always covered
    if missing.name != "craftapis._aiowire":
        raise
else:
    TRANSPORTS["aiowire"] = AsyncWireTransport

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
