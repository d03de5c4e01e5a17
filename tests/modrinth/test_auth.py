"""Tokens, the OAuth2 code flow, and proof that secrets never show: reprs, errors, logs, cassettes."""

from __future__ import annotations

import logging
import pickle
import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from craftapis import AuthenticationError, BadRequestError, RateLimitError
from craftapis.modrinth import (
    AsyncModrinth,
    Modrinth,
    ModrinthTokenAuth,
    OAuthToken,
    authorize_url,
)
from loopback import LoopbackServer, Reply

from . import test_cassettes
from .conftest import FAKE_TOKEN, SECRETS, close, make_client, resolve
from .fake_modrinth import AppServer, FakeModrinth

Client = Modrinth | AsyncModrinth
CASSETTES = Path(__file__).parent / "cassettes"


def _auth_header(headers: dict[str, str]) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)


# -- tokens ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [FAKE_TOKEN, f"Bearer {FAKE_TOKEN}"])
async def test_the_token_is_sent_raw_in_authorization(
    mode: str, loopback: LoopbackServer, token: str
) -> None:
    client = make_client(mode, base_url=loopback.url, token=token)
    try:
        await resolve(client.request("GET", "/user"))
    finally:
        await close(client)
    assert _auth_header(loopback.requests[0].headers) == token


async def test_no_token_sends_no_authorization(mode: str, loopback: LoopbackServer) -> None:
    client = make_client(mode, base_url=loopback.url)
    try:
        await resolve(client.request("GET", "/x"))
    finally:
        await close(client)
    assert _auth_header(loopback.requests[0].headers) is None


def test_token_auth_hides_and_validates_the_token() -> None:
    auth = ModrinthTokenAuth(FAKE_TOKEN)
    assert FAKE_TOKEN not in repr(auth) and FAKE_TOKEN not in str(auth)
    with pytest.raises(TypeError, match="secret"):
        pickle.dumps(auth)
    with pytest.raises(ValueError) as caught:
        ModrinthTokenAuth("mrp_leaky\r\nX-Evil: 1")
    assert "mrp_leaky" not in str(caught.value)
    with pytest.raises(ValueError, match="empty"):
        ModrinthTokenAuth("  ")


# -- OAuth2 ---------------------------------------------------------------------------------------


def test_authorize_url() -> None:
    url = authorize_url(
        "FAKEclientID", "https://app.example.invalid/callback", ["USER_READ", "PROJECT_WRITE"], "st4te"
    )
    assert url == (
        "https://modrinth.com/auth/authorize?response_type=code&client_id=FAKEclientID"
        "&redirect_uri=https%3A%2F%2Fapp.example.invalid%2Fcallback&scope=USER_READ+PROJECT_WRITE&state=st4te"
    )
    other = authorize_url(
        "c", "http://127.0.0.1:1/cb", "USER_READ", endpoint="https://staging.example.invalid/auth/authorize"
    )
    parts = urlsplit(other)
    assert (parts.netloc, parts.path) == ("staging.example.invalid", "/auth/authorize")
    assert parse_qs(parts.query) == {
        "response_type": ["code"],
        "client_id": ["c"],
        "redirect_uri": ["http://127.0.0.1:1/cb"],
        "scope": ["USER_READ"],
    }
    assert Modrinth.authorize_url is authorize_url or Modrinth.authorize_url("c", "r", "s") == authorize_url(
        "c", "r", "s"
    )


async def test_exchange_code_posts_the_form_with_the_secret_and_the_token_then_works(
    mode: str, api: AppServer, fake: FakeModrinth
) -> None:
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        token = await resolve(
            client.exchange_code(
                fake.oauth_code,
                client_id=fake.client_id,
                client_secret=fake.client_secret,
                redirect_uri=fake.redirect_uri,
            )
        )
    finally:
        await close(client)
    assert isinstance(token, OAuthToken)
    assert (token.access_token, token.token_type, token.expires_in) == (fake.access_token, "Bearer", 3600)
    assert not token.is_expired() and token.expires_at is not None
    assert fake.access_token not in repr(token)
    seen = fake.requests[0]
    assert (seen.method, seen.path) == ("POST", "/_internal/oauth/token")  # the host root, not /v2
    assert seen.headers["authorization"] == fake.client_secret
    assert seen.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(seen.body.decode()) == {
        "grant_type": ["authorization_code"],
        "code": [fake.oauth_code],
        "client_id": [fake.client_id],
        "redirect_uri": [fake.redirect_uri],
    }

    user_client = make_client(mode, base_url=f"{api.url}/v2", token=token)
    try:
        await resolve(user_client.get_project("AABBCCDD"))
    finally:
        await close(user_client)
    assert fake.requests[-1].headers["authorization"] == fake.access_token


async def test_exchange_code_token_url_knobs(mode: str, loopback: LoopbackServer) -> None:
    body = {"access_token": "mro_x", "token_type": "Bearer", "expires_in": 60}
    loopback.script(Reply(200, body), Reply(200, body))
    client = make_client(
        mode, base_url="https://api.modrinth.invalid/v2", oauth_token_url=f"{loopback.url}/oauth/one"
    )
    try:
        await resolve(client.exchange_code("c", client_id="i", client_secret="s", redirect_uri="r"))
        await resolve(
            client.exchange_code(
                "c", client_id="i", client_secret="s", redirect_uri="r", token_url=f"{loopback.url}/oauth/two"
            )
        )
    finally:
        await close(client)
    assert [r.path for r in loopback.requests] == ["/oauth/one", "/oauth/two"]


async def test_a_rejected_exchange_is_typed_and_shows_no_secret(
    mode: str, api: AppServer, fake: FakeModrinth
) -> None:
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        with pytest.raises(AuthenticationError) as wrong_secret:
            await resolve(
                client.exchange_code(
                    fake.oauth_code,
                    client_id=fake.client_id,
                    client_secret="mrs_wrong_SECRET",
                    redirect_uri=fake.redirect_uri,
                )
            )
        with pytest.raises(BadRequestError) as wrong_code:
            await resolve(
                client.exchange_code(
                    "stale-CODE-123",
                    client_id=fake.client_id,
                    client_secret=fake.client_secret,
                    redirect_uri=fake.redirect_uri,
                )
            )
    finally:
        await close(client)
    assert wrong_code.value.code == "invalid_request"
    for error in (wrong_secret.value, wrong_code.value):
        for text in (str(error), repr(error), str(pickle.loads(pickle.dumps(error)))):
            for secret in ("mrs_wrong_SECRET", fake.client_secret, "stale-CODE-123", fake.oauth_code):
                assert secret not in text


# -- secrets never show ---------------------------------------------------------------------------


async def test_the_token_is_not_in_the_client_repr(mode: str) -> None:
    client = make_client(mode, token=FAKE_TOKEN)
    try:
        text = repr(client)
    finally:
        await close(client)
    assert FAKE_TOKEN not in text and "ModrinthTokenAuth" in text and "user_agent=" in text


async def test_the_token_is_not_in_errors_or_debug_logs(
    mode: str, loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    loopback.script(
        Reply(
            429,
            {"error": "ratelimit_error", "description": "rate limit exceeded; retry after 5 milliseconds"},
        ),
        Reply(
            401,
            {
                "error": "unauthorized",
                "description": "Authentication Error: Invalid Authentication Credentials",
            },
        ),
        Reply(
            429,
            {
                "error": "ratelimit_error",
                "description": "rate limit exceeded; retry after 999999 milliseconds",
            },
        ),
    )
    caplog.set_level(logging.DEBUG)  # every logger: craftapis, httpx, httpcore, asyncio
    client = make_client(mode, base_url=f"{loopback.url}/v2", token=FAKE_TOKEN)
    errors: list[Exception] = []
    try:
        with pytest.raises(AuthenticationError) as unauthorized:
            await resolve(client.get_project("AABBCCDD"))
        errors.append(unauthorized.value)
        with pytest.raises(RateLimitError) as limited:
            await resolve(client.search_page("sodium"))
        errors.append(limited.value)
    finally:
        await close(client)
    assert _auth_header(loopback.requests[0].headers) == FAKE_TOKEN  # it was really sent
    assert any(r.name.startswith("craftapis") for r in caplog.records)  # the retry was logged
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert FAKE_TOKEN not in logged
    for error in errors:
        assert FAKE_TOKEN not in str(error) and FAKE_TOKEN not in repr(error)


def test_cassettes_hold_no_secret_and_only_real_hosts() -> None:
    cassettes = sorted((CASSETTES / "test_cassettes").rglob("*.yaml"))  # live/ is tests/recording's
    expected = {f"{name}.yaml" for name in dir(test_cassettes) if name.startswith("test_")}
    assert {c.name for c in cassettes} == expected, "re-record the cassettes (see cassettes/README.md)"
    for cassette in cassettes:
        text = cassette.read_text()
        for secret in SECRETS:
            assert secret not in text, f"{cassette.name} contains a secret"
        assert not re.search(r"^\s*authorization:", text, re.IGNORECASE | re.MULTILINE), cassette.name
        assert "127.0.0.1" not in text and "localhost" not in text
        uris = [
            line.split("uri:", 1)[1].strip() for line in text.splitlines() if line.strip().startswith("uri:")
        ]
        assert uris, cassette.name
        for uri in uris:
            assert uri.startswith(("https://api.modrinth.com/", "https://cdn.modrinth.com/")), uri
