"""Findings 1, 2, 4 (redirect loops) and 5: what a redirect may and may not carry away.

The hostile server redirects; the other origin (`Recorder`, 127.0.0.2) records every byte it is sent.
Nothing secret may arrive there, the call must end in an `APIError`, and a loop must stop.
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any

import httpx
import pytest
from craftapis import APIError, RedirectError, RetryPolicy, SignatureError
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, OAuth2Session
from craftapis.modrinth import AsyncModrinth, Modrinth

from tests.builtbybit import fake_api as bbb_fake
from tests.faults.apis import BUILTBYBIT, POSTAL, RAILCRAFT, USER_AGENT, Api, close, resolve
from tests.faults.servers import bbb_v2_app
from tests.railcraft import fake as rc_fake

from .server import HostileServer, Raw, Recorder, redirect

ALL_SECRETS = [
    bbb_fake.TOKEN,
    bbb_fake.CLIENT_SECRET,
    bbb_fake.AUTH_CODE,
    rc_fake.CLIENT_SECRET,
    rc_fake.CLIENT_ID,
    rc_fake.TOKEN_PREFIX,
    POSTAL.secret,
    "mrp_FAKEfaultsTOKEN_5b1d0c",
]


def _assert_nothing_secret(other: Recorder, secrets: list[str]) -> None:
    leaked = [s for s in secrets if other.saw(s)]
    assert leaked == [], f"secrets reached the other origin: {leaked}"


# -- finding 1: secrets in form bodies and cross-origin 307/308 ----------------------------------------


def _expired_session(fake: bbb_fake.FakeBuiltByBit) -> OAuth2Session:
    tokens = fake.issue_tokens(ttl=-60)  # already expired: the next call refreshes first
    return OAuth2Session(client_id=bbb_fake.CLIENT_ID, client_secret=bbb_fake.CLIENT_SECRET, tokens=tokens)


@pytest.mark.parametrize("status", [307, 308])
async def test_oauth2_refresh_token_does_not_follow_a_cross_origin_redirect(
    mode: str, status: int, elsewhere: Recorder
) -> None:
    fake = bbb_fake.FakeBuiltByBit()
    session = _expired_session(fake)
    refresh_token = session.tokens.refresh_token if session.tokens else None
    assert refresh_token
    with HostileServer(bbb_v2_app(fake)) as server:
        server.script(Raw(redirect(status, elsewhere.url + "/v2/oauth2/token")), path="/oauth2/token")
        cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
        client = cls(oauth2=session, base_url=server.url, retry=RetryPolicy(max_attempts=1))
        try:
            with pytest.raises(RedirectError) as caught:
                await resolve(client.health())
        finally:
            await close(client)
    assert elsewhere.url.split("//")[1] in str(caught.value)  # names where it was sent
    assert elsewhere.received == b""  # not a byte went there
    _assert_nothing_secret(elsewhere, [refresh_token, bbb_fake.CLIENT_SECRET])
    assert refresh_token not in str(caught.value) + repr(caught.value)


@pytest.mark.parametrize("status", [307, 308])
async def test_builtbybit_exchange_code_does_not_follow_a_cross_origin_redirect(
    mode: str, status: int, elsewhere: Recorder
) -> None:
    fake = bbb_fake.FakeBuiltByBit()
    session = OAuth2Session(
        client_id=bbb_fake.CLIENT_ID,
        client_secret=bbb_fake.CLIENT_SECRET,
        redirect_uri="https://app.invalid/cb",
    )
    with HostileServer(bbb_v2_app(fake)) as server:
        server.script(Raw(redirect(status, elsewhere.url + "/token")), path="/oauth2/token")
        cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
        client = cls(oauth2=session, base_url=server.url)
        try:
            with pytest.raises(RedirectError):
                await resolve(client.oauth2.exchange_code(bbb_fake.AUTH_CODE))
        finally:
            await close(client)
    assert elsewhere.received == b""
    _assert_nothing_secret(elsewhere, [bbb_fake.AUTH_CODE, bbb_fake.CLIENT_SECRET])


@pytest.mark.parametrize("status", [307, 308])
async def test_modrinth_exchange_code_does_not_follow_a_cross_origin_redirect(
    mode: str, status: int, elsewhere: Recorder
) -> None:
    code, secret = "modrinth-code-FAKE-4411", "modrinth-app-secret-FAKE-9900"
    with HostileServer() as server:
        server.always(Raw(redirect(status, elsewhere.url + "/token")))
        cls = Modrinth if mode == "sync" else AsyncModrinth
        client = cls(user_agent=USER_AGENT, base_url=server.url + "/v2")
        try:
            with pytest.raises(RedirectError):
                await resolve(
                    client.exchange_code(
                        code,
                        client_id="app",
                        client_secret=secret,
                        redirect_uri="https://app.invalid/cb",
                        token_url=server.url + "/_internal/oauth/token",
                    )
                )
        finally:
            await close(client)
        assert server.count("/_internal/oauth/token") == 1
    assert elsewhere.received == b""
    _assert_nothing_secret(elsewhere, [code, secret])


# -- finding 2: a user's follow_redirects=True client ---------------------------------------------------


def _user_client(mode: str) -> httpx.Client | httpx.AsyncClient:
    return httpx.Client(follow_redirects=True) if mode == "sync" else httpx.AsyncClient(follow_redirects=True)


@pytest.mark.parametrize("status", [302, 307, 308])
async def test_a_user_client_following_redirects_cannot_carry_credentials_away(
    api: Api, hostile: HostileServer, mode: str, status: int, elsewhere: Recorder
) -> None:
    """`http_client=httpx.Client(follow_redirects=True)`: craftapis sends through it with
    `follow_redirects=False` and applies its own policy, so the user's setting cannot bypass it."""
    call = api.write if api is RAILCRAFT else api.read  # Railcraft's authenticated call
    method, path = api.write_request if api is RAILCRAFT else api.read_request
    hostile.always(Raw(redirect(status, elsewhere.url + path)), path=path)
    user = _user_client(mode)
    client = api.make(mode, hostile.url, http_client=user)
    try:
        with contextlib.suppress(APIError):
            await resolve(call(client))
    finally:
        await close(client)
        await resolve(user.aclose() if isinstance(user, httpx.AsyncClient) else user.close())
    assert hostile.count(path) >= 1
    _assert_nothing_secret(elsewhere, [api.secret, *ALL_SECRETS])
    if method != "GET" and status in (307, 308):
        assert elsewhere.received == b""  # a body is never resent to another origin


# -- finding 4: redirect loops end in an APIError, after at most Limits.max_redirects hops ----------------


@pytest.mark.parametrize("status", [302, 307])
async def test_a_redirect_loop_stops_with_a_redirect_error(
    api: Api, hostile: HostileServer, mode: str, status: int
) -> None:
    call = api.write if api in (POSTAL, RAILCRAFT) else api.read
    _method, path = api.write_request if api in (POSTAL, RAILCRAFT) else api.read_request
    hostile.always(lambda seen: Raw(redirect(status, hostile.url + seen.path)), path=path)
    client = api.make(mode, hostile.url)
    try:
        with pytest.raises(APIError) as caught:
            await resolve(call(client))
    finally:
        await close(client)
    if api is RAILCRAFT:  # never follows: credentials are in every body
        assert "redirected to" in str(caught.value)
        assert hostile.count(path) == 1
    else:
        assert isinstance(caught.value, RedirectError)
        assert "max_redirects" in str(caught.value)
        assert hostile.count(path) <= 11  # the first try and 10 redirects


# -- finding 5: a signed answer replayed through a redirect ------------------------------------------------


async def test_a_signed_answer_for_another_request_is_rejected_after_a_redirect(mode: str) -> None:
    from tests.builtbybit.test_jwt import key_pair

    fake = bbb_fake.FakeBuiltByBit()
    private, public = key_pair()
    fake.jwt_key = private

    def to_1001(seen: Any) -> Raw:
        return Raw(redirect(302, seen.path.replace("1000", "1001")))

    with HostileServer(bbb_v2_app(fake)) as server:
        server.script(to_1001, path="/v2/resources")
        cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
        client = cls(token=bbb_fake.TOKEN, base_url=server.url, jwt=True, jwt_public_key=public)
        try:
            with pytest.raises(SignatureError, match="another request"):
                await resolve(client.resource(1000))
        finally:
            await close(client)
        routes = [s.path for s in server.seen]
    assert any("1001" in p for p in routes)  # the replayed, validly signed answer was fetched


# -- and what keeps working: same-origin redirects are followed -----------------------------------------


async def test_same_origin_redirects_are_still_followed(mode: str) -> None:
    api = dataclasses.replace(BUILTBYBIT)
    with HostileServer(api.app()) as server:
        server.script(Raw(redirect(301, "/v2/health")), path="/v2/old-health")
        server.script(Raw(redirect(308, server.url + "/v2/old-health")), path="/v2/health")
        client = api.make(mode, server.url)
        try:
            response = await resolve(client.request("GET", "/v2/health"))
        finally:
            await close(client)
    assert response.status_code == 200
    assert response.extensions["craftapis.redirects"] == [
        server.url + "/v2/old-health",
        server.url + "/v2/health",
    ]
    assert [s.route for s in server.seen] == ["/v2/health", "/v2/old-health", "/v2/health"]
    assert all(s.headers.get("authorization") == f"Token {bbb_fake.TOKEN}" for s in server.seen)
