"""Secrets (API token, client secret, codes, access and refresh tokens) never reach a cassette,
a repr, an error message or a log record."""

from __future__ import annotations

import logging
import pickle
import time
from pathlib import Path
from typing import Any

import pytest
from craftapis import APIError, AuthenticationError
from craftapis.builtbybit import (
    AsyncBuiltByBit,
    BuiltByBit,
    DeploymentCredentials,
    EventsConsumer,
    OAuth2Session,
    OAuth2Tokens,
    TokenAuth,
)

from .fake_api import AUTH_CODE, CLIENT_ID, CLIENT_SECRET, SECRETS, TOKEN, FakeBuiltByBit, Override

CASSETTES = Path(__file__).parent / "cassettes" / "test_cassettes"


def assert_clean(text: str, *extra: str) -> None:
    for secret in (*SECRETS, *extra):
        assert secret not in text, f"{secret!r} leaked"


def test_no_secret_in_any_cassette() -> None:
    files = sorted(CASSETTES.glob("*.yaml"))
    assert len(files) >= 38, "cassettes are missing: record them with --record-mode=rewrite"
    for path in files:
        text = path.read_text()
        assert "https://api.builtbybit.com/" in text, path.name
        assert "127.0.0.1" not in text, path.name
        assert_clean(
            text, "fake-access-", "fake-refresh-", "fake-upgraded-token", "Token ", "Bearer ", "Basic "
        )


def test_reprs_hide_secrets() -> None:
    tokens = OAuth2Tokens("access-secret-1", "refresh-secret-1", expires_at=123.0, scope="read")
    session = OAuth2Session(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, tokens=tokens)
    credentials = DeploymentCredentials(CLIENT_ID, CLIENT_SECRET, token=TOKEN, tokens=tokens)
    things: list[Any] = [
        BuiltByBit(token=TOKEN),
        AsyncBuiltByBit(token=TOKEN),
        TokenAuth(TOKEN),
        tokens,
        session,
        credentials,
        BuiltByBit(oauth2=session),
        BuiltByBit(oauth2=session).oauth2,
        session._basic,
    ]
    for thing in things:
        assert_clean(repr(thing) + str(thing), "access-secret-1", "refresh-secret-1")


def test_errors_hide_secrets(fake: FakeBuiltByBit, fake_url: str) -> None:
    with (
        BuiltByBit(token="wrong-" + TOKEN, base_url=fake_url) as bbb,
        pytest.raises(AuthenticationError) as caught,
    ):
        bbb.health()
    bad_secret = OAuth2Session(client_id=CLIENT_ID, client_secret="wrong-" + CLIENT_SECRET)
    with BuiltByBit(oauth2=bad_secret, base_url=fake_url) as bbb, pytest.raises(APIError) as oauth_error:
        bbb.oauth2.exchange_code(AUTH_CODE)
    with BuiltByBit(token=TOKEN, base_url=fake_url) as bbb, pytest.raises(APIError) as nonce_error:
        bbb.buyer_latest("secret-nonce-0000")
    for error in (caught.value, oauth_error.value, nonce_error.value):
        text = str(error) + repr(error) + repr(pickle.loads(pickle.dumps(error)))
        assert_clean(text, "secret-nonce-0000")
    assert "nonce=REDACTED" in str(nonce_error.value)


def test_debug_logs_hold_no_secret(
    fake: FakeBuiltByBit, fake_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    fake.overrides.append(
        Override(
            429,
            {"result": "error", "error": {"code": "RateLimitExceededError", "message": "m"}},
            headers={"Retry-After": "20"},
            path="/v2/health",
        )
    )
    fake.add_event()
    grant = fake.issue_tokens(ttl=5)
    tokens = OAuth2Tokens.from_grant(grant, now=time.time())
    with caplog.at_level(logging.DEBUG):
        with BuiltByBit(token=TOKEN, base_url=fake_url) as bbb:
            assert bbb.health() == "ok"  # a 429, a wait, a retry: all logged at DEBUG
            EventsConsumer(bbb, lambda event: None, idle_initial=0.01).run(stop_when_idle=True)
        session = OAuth2Session(client_id=CLIENT_ID, client_secret=CLIENT_SECRET, tokens=tokens)
        with BuiltByBit(oauth2=session, base_url=fake_url) as bbb:
            assert bbb.health() == "ok"  # refreshes first
            bbb.oauth2.revoke()
    assert fake.refresh_calls == 1 and any("retrying" in r.getMessage() for r in caplog.records)
    logged = caplog.text + "".join(repr(r.args) for r in caplog.records)
    assert_clean(logged, grant["access_token"], grant["refresh_token"], "fake-access-", "fake-refresh-")
