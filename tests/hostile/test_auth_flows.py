"""Finding 3: the automatic OAuth2 refresh is bounded by the call's timeout, sync and async, and does not
keep the session's refresh lock when it fails; its body is read like any JSON call's (bounded, typed)."""

from __future__ import annotations

import time

import pytest
from craftapis import APIError, APITimeoutError, RetryPolicy
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, OAuth2Session

from tests.builtbybit import fake_api as bbb_fake
from tests.faults.apis import close, resolve
from tests.faults.servers import bbb_v2_app

from .server import HostileServer, Raw, deep_json, response


def _client(mode: str, server: HostileServer, session: OAuth2Session, **kwargs: object) -> object:
    cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
    return cls(oauth2=session, base_url=server.url, **kwargs)


async def test_a_stalled_token_endpoint_times_out_and_releases_the_refresh_lock(mode: str) -> None:
    fake = bbb_fake.FakeBuiltByBit()
    session = OAuth2Session(
        client_id=bbb_fake.CLIENT_ID, client_secret=bbb_fake.CLIENT_SECRET, tokens=fake.issue_tokens(ttl=-60)
    )
    with HostileServer(bbb_v2_app(fake)) as server:
        server.script(Raw(b"", stall=120.0), path="/oauth2/token")
        client = _client(mode, server, session, timeout=1.0, retry=RetryPolicy(max_attempts=1))
        try:
            started = time.monotonic()
            with pytest.raises(APITimeoutError):
                await resolve(client.health())
            assert time.monotonic() - started < 10.0  # the 1 s timeout, not for ever
            # the lock is free again: the next call refreshes (the fake answers now) and succeeds
            assert await resolve(client.health()) == "ok"
        finally:
            await close(client)
        assert server.count("/oauth2/token") == 2


@pytest.mark.parametrize(
    "answer",
    [
        Raw(response(200, b"zz", {"Content-Encoding": "gzip", "Content-Type": "application/json"})),
        Raw(response(200, deep_json(100_000), {"Content-Type": "application/json"})),
        Raw(response(200, b"not json at all")),
    ],
    ids=["bad-gzip", "deep-json", "not-json"],
)
async def test_a_hostile_token_answer_is_an_api_error(mode: str, answer: Raw) -> None:
    fake = bbb_fake.FakeBuiltByBit()
    session = OAuth2Session(
        client_id=bbb_fake.CLIENT_ID, client_secret=bbb_fake.CLIENT_SECRET, tokens=fake.issue_tokens(ttl=-60)
    )
    with HostileServer(bbb_v2_app(fake)) as server:
        server.script(answer, path="/oauth2/token")
        client = _client(mode, server, session, retry=RetryPolicy(max_attempts=1))
        try:
            with pytest.raises(APIError):
                await resolve(client.health())
        finally:
            await close(client)
