"""OAuth2 against the loopback fake: code exchange with Basic auth, refresh before expiry and after a
401, rotated refresh tokens delivered, one refresh for many concurrent callers, revoke."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from craftapis import AuthenticationError
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, OAuth2Session, OAuth2Tokens

from .conftest import Twin
from .fake_api import AUTH_CODE, CLIENT_ID, CLIENT_SECRET, FakeBuiltByBit

BASIC = "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()


def form(body: bytes) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(body.decode()).items()}


def session(**kwargs: Any) -> OAuth2Session:
    return OAuth2Session(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri="https://app.example/callback",
        **kwargs,
    )


def expiring(fake: FakeBuiltByBit, seconds: float) -> OAuth2Tokens:
    """A token set the fake accepts, expiring in `seconds` (within the session's refresh margin)."""
    grant = fake.issue_tokens(ttl=int(seconds))
    return OAuth2Tokens.from_grant(grant, now=time.time())


def test_authorize_url() -> None:
    url = session().authorize_url(scope=["read", "write"], state="xyz")
    parts = urlsplit(url)
    assert (
        f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://builtbybit.com/account/external/authorize"
    )
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": [CLIENT_ID],
        "redirect_uri": ["https://app.example/callback"],
        "scope": ["read write"],
        "state": ["xyz"],
    }
    assert CLIENT_SECRET not in url


async def test_exchange_code_uses_basic_auth_and_form(twin: Any, fake: FakeBuiltByBit) -> None:
    delivered: list[OAuth2Tokens] = []
    oauth = session(on_token=delivered.append)
    bbb: Twin = twin(oauth2=oauth)
    tokens = await bbb("oauth2.exchange_code", AUTH_CODE)
    request = fake.requests[0]
    assert (request.method, request.path) == ("POST", "/oauth2/token")
    assert request.headers["authorization"] == BASIC
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(request.body) == {
        "grant_type": "authorization_code",
        "code": AUTH_CODE,
        "redirect_uri": "https://app.example/callback",
    }
    assert delivered == [tokens] and oauth.tokens is tokens
    assert tokens.access_token in fake.access_tokens and tokens.expires_at is not None
    await bbb("health")
    assert fake.requests[1].headers["authorization"] == f"Bearer {tokens.access_token}"


async def test_bad_code_is_an_authentication_error_with_advice(twin: Any) -> None:
    bbb = twin(oauth2=session())
    with pytest.raises(AuthenticationError) as caught:
        await bbb("oauth2.exchange_code", "not-the-code")
    text = str(caught.value)
    assert "invalid_grant" in repr(caught.value) and "single-use" in text
    assert CLIENT_SECRET not in text and "not-the-code" not in text


async def test_no_tokens_yet_says_what_to_do(twin: Any, fake: FakeBuiltByBit) -> None:
    with pytest.raises(AuthenticationError, match="exchange_code"):
        await twin(oauth2=session())("health")
    assert fake.requests == []


async def test_refresh_before_expiry_and_rotated_token_delivered(twin: Any, fake: FakeBuiltByBit) -> None:
    old = expiring(fake, 10)  # inside the 60 s refresh margin
    delivered: list[OAuth2Tokens] = []
    bbb = twin(oauth2=session(tokens=old, on_token=delivered.append))
    assert await bbb("health") == "ok"
    token_call, api_call = fake.requests
    assert token_call.path == "/oauth2/token" and token_call.headers["authorization"] == BASIC
    assert form(token_call.body) == {"grant_type": "refresh_token", "refresh_token": old.refresh_token}
    [new] = delivered
    assert new.refresh_token != old.refresh_token  # rotated, and handed over for storage
    assert old.refresh_token not in fake.refresh_tokens and new.refresh_token in fake.refresh_tokens
    assert api_call.headers["authorization"] == f"Bearer {new.access_token}"
    assert fake.refresh_calls == 1


async def test_refresh_once_on_401_then_success(twin: Any, fake: FakeBuiltByBit) -> None:
    tokens = expiring(fake, 3600)
    del fake.access_tokens[tokens.access_token]  # the server forgot it: 401
    delivered: list[OAuth2Tokens] = []
    bbb = twin(oauth2=session(tokens=tokens, on_token=delivered.append))
    assert await bbb("health") == "ok"
    assert [r.path for r in fake.requests] == ["/v2/health", "/oauth2/token", "/v2/health"]
    assert fake.refresh_calls == 1 and len(delivered) == 1
    assert fake.requests[2].headers["authorization"] == f"Bearer {delivered[0].access_token}"


async def test_401_after_refresh_is_not_retried_again(twin: Any, fake: FakeBuiltByBit) -> None:
    tokens = expiring(fake, 3600)
    del fake.access_tokens[tokens.access_token]
    fake.refresh_tokens.discard(tokens.refresh_token or "")  # the refresh token is dead too
    bbb = twin(oauth2=session(tokens=tokens))
    with pytest.raises(AuthenticationError, match="authorize_url"):
        await bbb("health")
    assert [r.path for r in fake.requests] == ["/v2/health", "/oauth2/token"]


async def test_refresh_without_rotation_keeps_the_refresh_token(twin: Any, fake: FakeBuiltByBit) -> None:
    fake.rotate_refresh_tokens = False
    old = expiring(fake, 5)
    oauth = session(tokens=old)
    await twin(oauth2=oauth)("health")
    assert oauth.tokens is not None and oauth.tokens.refresh_token == old.refresh_token
    assert oauth.tokens.access_token != old.access_token


def slow_token_endpoint(fake: FakeBuiltByBit) -> None:
    def on_request(seen: Any) -> None:
        if seen.path == "/oauth2/token":
            time.sleep(0.3)  # keep the refresh in flight while the other callers pile up

    fake.on_request = on_request


def test_eight_threads_share_one_refresh(fake: FakeBuiltByBit, fake_url: str) -> None:
    slow_token_endpoint(fake)
    delivered: list[OAuth2Tokens] = []
    oauth = session(tokens=expiring(fake, 10), on_token=delivered.append)
    results: list[str] = []
    barrier = threading.Barrier(8)
    with BuiltByBit(oauth2=oauth, base_url=fake_url) as bbb:

        def work() -> None:
            barrier.wait()
            results.append(bbb.health())

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == ["ok"] * 8
    assert fake.refresh_calls == 1 and len(delivered) == 1
    bearer = {r.headers["authorization"] for r in fake.requests if r.path == "/v2/health"}
    assert bearer == {f"Bearer {delivered[0].access_token}"}


async def test_eight_tasks_share_one_refresh(fake: FakeBuiltByBit, fake_url: str) -> None:
    slow_token_endpoint(fake)
    delivered: list[OAuth2Tokens] = []
    oauth = session(tokens=expiring(fake, 10), on_token=delivered.append)
    async with AsyncBuiltByBit(oauth2=oauth, base_url=fake_url) as bbb:
        results = await asyncio.gather(*(bbb.health() for _ in range(8)))
    assert results == ["ok"] * 8
    assert fake.refresh_calls == 1 and len(delivered) == 1


def test_eight_threads_after_401_share_one_refresh(fake: FakeBuiltByBit, fake_url: str) -> None:
    slow_token_endpoint(fake)
    tokens = expiring(fake, 3600)
    del fake.access_tokens[tokens.access_token]
    oauth = session(tokens=tokens)
    results: list[str] = []
    barrier = threading.Barrier(8)
    with BuiltByBit(oauth2=oauth, base_url=fake_url) as bbb:

        def work() -> None:
            barrier.wait()
            results.append(bbb.health())

        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(10)
    assert results == ["ok"] * 8 and fake.refresh_calls == 1


async def test_revoke(twin: Any, fake: FakeBuiltByBit) -> None:
    tokens = expiring(fake, 3600)
    oauth = session(tokens=tokens)
    bbb = twin(oauth2=oauth)
    await bbb("oauth2.revoke")
    request = fake.requests[0]
    assert (request.path, request.headers["authorization"]) == ("/oauth2/token/revoke", BASIC)
    assert form(request.body) == {"token": tokens.refresh_token, "token_hint": "refresh_token"}
    assert fake.revoked == [tokens.refresh_token] and oauth.tokens is None
    with pytest.raises(AuthenticationError, match="no access token"):
        await bbb("health")


async def test_explicit_refresh(twin: Any, fake: FakeBuiltByBit) -> None:
    old = expiring(fake, 3600)
    oauth = session(tokens=old)
    new = await twin(oauth2=oauth)("oauth2.refresh")
    assert oauth.tokens is new and new.access_token != old.access_token and fake.refresh_calls == 1


def test_tokens_round_trip_and_hide_secrets() -> None:
    tokens = OAuth2Tokens.from_grant(
        {"access_token": "acc-1", "refresh_token": "ref-1", "expires_in": 60, "scope": "read"}, now=1000.0
    )
    assert tokens.expires_at == 1060.0 and tokens.expires_in(now=1030.0) == 30.0
    assert OAuth2Tokens.from_dict(tokens.to_dict()) == tokens
    assert "acc-1" not in repr(tokens) and "ref-1" not in repr(tokens)
    oauth = session(tokens=tokens.to_dict(), clock=lambda: 1001.0)
    assert oauth.needs_refresh() is True  # 59 s left < 60 s margin
    assert CLIENT_SECRET not in repr(oauth) and "acc-1" not in repr(oauth)
    with pytest.raises(ValueError, match="client_id and client_secret"):
        OAuth2Session(client_id=CLIENT_ID, client_secret="")
