"""Faults below HTTP: a closed port, a connection reset mid-body, a response that never starts.

Each case runs the real client of every API, sync and async, and asserts the documented outcome
(a typed error or a successful retry), how many attempts reached the wire, and a bounded time.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest
from craftapis import APIConnectionError, APITimeoutError
from craftapis._transport import BUFFER_EXTENSION
from craftapis.modrinth import Modrinth
from craftapis.postal import Postal

from tests.loopback import unused_port

from .apis import (
    MODRINTH,
    POSTAL,
    WRITES,
    Api,
    CountingAsyncTransport,
    CountingTransport,
    _modrinth,
    _postal,
    close,
    resolve,
)
from .servers import FaultServer, ResetMidBody, SilentServer

BOUND = 10.0  # seconds: generous, a hang or an unbounded retry loop is what it catches


def _counting(mode: str) -> CountingTransport | CountingAsyncTransport:
    return CountingTransport() if mode == "sync" else CountingAsyncTransport()


async def test_baseline_read_and_write_succeed(api: Api, mode: str, server: FaultServer) -> None:
    """The fakes answer the clients normally: every fault below is the only thing that differs."""
    client = api.make(mode, server.url)
    try:
        assert await resolve(api.read(client)) is not None
        await resolve(api.write(client))
    finally:
        await close(client)
    assert server.count(*api.read_request) == 1
    assert server.count(*api.write_request) == 1


# -- connection refused ----------------------------------------------------------------------------


@pytest.mark.parametrize("what", ["read", "write"])
async def test_connection_refused_is_retried_then_raised(api: Api, mode: str, what: str) -> None:
    """A closed port: nothing was sent, so every method is retried; then APIConnectionError."""
    transport = _counting(mode)
    client = api.make(mode, f"http://127.0.0.1:{unused_port()}", transport=transport)
    started = time.monotonic()
    try:
        with pytest.raises(APIConnectionError) as caught:
            await resolve(api.read(client) if what == "read" else api.write(client))
    finally:
        await close(client)
    assert not isinstance(caught.value, APITimeoutError)
    assert caught.value.status_code is None
    assert transport.attempts == client.retry.max_attempts == 4
    assert time.monotonic() - started < BOUND


# -- reset in the middle of a body -----------------------------------------------------------------

RESET_BUG = (
    "BUG: facade/craftapis/_base.py SyncAPIClient._send / AsyncAPIClient._send: a reset while the body "
    "of a 2xx answer is read is never retried, even for a GET or a call declared safe. PolicyTransport "
    "hands 2xx answers over unread (for streaming) and httpx reads the body after the transport "
    "returned, outside the retry loop; _send then raises APIConnectionError after 1 attempt. Fix: "
    "_send sets request extension craftapis.buffer (BUFFER_EXTENSION) on non-streaming requests."
)


async def test_reset_mid_body_of_a_read_is_retried(api: Api, mode: str, server: FaultServer) -> None:
    """Headers and half the announced body, then a TCP RST: a read is sent again and succeeds."""
    method, path = api.read_request
    server.script(ResetMidBody(), path=path)
    client = api.make(mode, server.url)
    started = time.monotonic()
    try:
        assert await resolve(api.read(client)) is not None
    finally:
        await close(client)
    assert server.count(method, path) == 2
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize(
    "api",
    [w for w in WRITES],
    ids=[w.name for w in WRITES],
)
async def test_reset_mid_body_of_a_write(api: Api, mode: str) -> None:
    """A write that may have been acted on is sent exactly once, unless it is declared safe."""
    method, path = api.write_request
    with FaultServer(api.app()) as server:
        server.script(ResetMidBody(), path=path)
        client = api.make(mode, server.url)
        started = time.monotonic()
        try:
            if api.write_safe:
                await resolve(api.write(client))
            else:
                with pytest.raises(APIConnectionError):
                    await resolve(api.write(client))
        finally:
            await close(client)
        assert server.count(method, path) == (2 if api.write_safe else 1)
        assert time.monotonic() - started < BOUND


# -- headers that never come -----------------------------------------------------------------------


@pytest.mark.parametrize("what", ["read", "write"])
async def test_headers_that_never_come_time_out(api: Api, mode: str, what: str) -> None:
    """The server accepts and stays silent: APITimeoutError after the short timeout, per attempt.
    Reads (and declared-safe writes) try 4 times; other writes once: they may have been received."""
    with SilentServer() as silent:
        client = api.make(mode, silent.url.removesuffix("/"), timeout=0.2)
        started = time.monotonic()
        try:
            with pytest.raises(APITimeoutError) as caught:
                await resolve(api.read(client) if what == "read" else api.write(client))
        finally:
            await close(client)
        elapsed = time.monotonic() - started
        retried = what == "read" or api.write_safe
        assert silent.accepted == (4 if retried else 1)
    assert "timed out" in str(caught.value)
    assert elapsed >= 0.2 * (4 if retried else 1) * 0.9
    assert elapsed < BOUND


def _buffered(cls: type[Any]) -> type[Any]:
    """`cls` with the fix suggested for RESET_BUG: non-streaming requests buffer their body."""

    class Buffered(cls):  # type: ignore[misc]
        def _send(self, kwargs: dict[str, Any], **options: Any) -> Any:
            extensions = {**(kwargs.get("extensions") or {}), BUFFER_EXTENSION: True}
            return super()._send({**kwargs, "extensions": extensions}, **options)

    return Buffered


@pytest.mark.parametrize(
    ("api", "factory", "cls"),
    [(MODRINTH, _modrinth, Modrinth), (POSTAL, _postal, Postal)],
    ids=["modrinth", "postal"],
)
async def test_suggested_fix_for_the_reset_bug(api: Api, factory: Any, cls: type[Any]) -> None:
    """Proof of the suggested fix: the read is retried once and succeeds; a write that is not
    declared safe is still sent exactly once."""
    fixed = dataclasses.replace(api, sync=factory(_buffered(cls)))
    with FaultServer(api.app()) as server:
        server.script(ResetMidBody(), path=api.read_request[1])
        server.script(ResetMidBody(), path=api.write_request[1])
        client = fixed.make("sync", server.url)
        try:
            assert fixed.read(client) is not None
            with pytest.raises(APIConnectionError):
                fixed.write(client)
        finally:
            client.close()
        assert server.count(*api.read_request) == 2
        assert server.count(*api.write_request) == 1
