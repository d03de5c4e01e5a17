"""A redirect to another origin must not carry the credentials along.

Server A (the API) answers the request with a redirect to server B: another port on 127.0.0.1, or
127.0.0.2 (another host). B records what reached it. For every auth scheme (Modrinth's raw token,
BuiltByBit `Token` and OAuth2 `Bearer`, v1 `Private`, moonrope's `X-Server-API-Key` and
`X-Auth-Token`/`X-Auth-Secret`, Railcraft's credentials in the form body) nothing secret may arrive
at B. The call's own outcome is beside the point here (B may refuse it).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from craftapis import APIError
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, OAuth2Session
from craftapis.moonrope import AsyncMoonrope, Moonrope
from craftapis.moonrope._auth import leaves_origin

from tests.builtbybit import fake_api as bbb_fake
from tests.moonrope.moonrope_fake import envelope

from .apis import BUILTBYBIT, BUILTBYBIT_V1, MODRINTH, POSTAL, RAILCRAFT, Api, close, resolve
from .servers import FaultServer, Redirect, moonrope_app

# -- the two schemes that need more than an Api --------------------------------------------------------

_OAUTH_FAKE = bbb_fake.FakeBuiltByBit()
_OAUTH_TOKENS = _OAUTH_FAKE.issue_tokens()


def _oauth(cls: type[Any]) -> Any:
    def make(base_url: str, **kwargs: Any) -> Any:
        session = OAuth2Session(
            client_id=bbb_fake.CLIENT_ID, client_secret=bbb_fake.CLIENT_SECRET, tokens=_OAUTH_TOKENS
        )
        return cls(oauth2=session, base_url=base_url, **kwargs)

    return make


BUILTBYBIT_OAUTH = dataclasses.replace(
    BUILTBYBIT,
    name="builtbybit-oauth2",
    sync=_oauth(BuiltByBit),
    async_=_oauth(AsyncBuiltByBit),
    secret=_OAUTH_TOKENS["access_token"],
)

MOONROPE_TOKEN, MOONROPE_SECRET = "mr-token-FAKE-77aa", "mr-secret-FAKE-88bb"


def _moonrope(cls: type[Any]) -> Any:
    def make(base_url: str, **kwargs: Any) -> Any:
        headers = {"X-Auth-Token": MOONROPE_TOKEN, "X-Auth-Secret": MOONROPE_SECRET}
        return cls(base_url=base_url, auth_headers=headers, safe_actions=["things/list"], **kwargs)

    return make


MOONROPE = dataclasses.replace(
    POSTAL,
    name="moonrope-x-auth",
    app=lambda: moonrope_app(lambda call: envelope("success", [])),
    sync=_moonrope(Moonrope),
    async_=_moonrope(AsyncMoonrope),
    auth_header="x-auth-secret",
    secret=MOONROPE_SECRET,
    read=lambda c: c.call_action("things", "list"),
    read_request=("POST", "/api/v1/things/list"),
)

# -- what must not reach B ---------------------------------------------------------------------------


def _secrets(api: Api) -> list[str]:
    if api.name == MOONROPE.name:
        return [MOONROPE_TOKEN, MOONROPE_SECRET]
    if api.name == RAILCRAFT.name:
        from tests.railcraft.fake import CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX

        return [CLIENT_SECRET, CLIENT_ID, TOKEN_PREFIX]
    return [api.secret]


def _leaks(server: FaultServer, secrets: list[str]) -> list[str]:
    found = []
    for seen in server.requests():
        for name, value in seen.headers.items():
            found += [f"header {name}" for secret in secrets if secret in value]
        found += [f"body of {seen.method} {seen.route}" for secret in secrets if secret.encode() in seen.body]
    return found


@contextlib.contextmanager
def _origins(api: Api, elsewhere: str) -> Iterator[tuple[FaultServer, FaultServer]]:
    with FaultServer(api.app()) as a, FaultServer(api.app(), host=elsewhere) as b:
        assert (a.host, a.port) != (b.host, b.port)
        yield a, b


async def _redirected(api: Api, mode: str, elsewhere: str, status: int) -> tuple[list[str], int]:
    """(what leaked to B, how many requests B got) when `api`'s read is redirected to B."""
    method, path = api.read_request
    with _origins(api, elsewhere) as (a, b):
        a.script(Redirect(b.url + path, status=status), path=path)
        client = api.make(mode, a.url)
        try:
            with contextlib.suppress(APIError):
                await resolve(api.read(client))
        finally:
            await close(client)
        assert a.count(method, path) >= 1
        return _leaks(b, _secrets(api)), b.count(path=path)


ELSEWHERE = ["127.0.0.1", "127.0.0.2"]  # another port on the same host / another host

HEADER_SCHEMES = [MODRINTH, BUILTBYBIT, BUILTBYBIT_OAUTH, BUILTBYBIT_V1]


@pytest.mark.parametrize("elsewhere", ELSEWHERE, ids=["other-port", "other-host"])
@pytest.mark.parametrize("api", HEADER_SCHEMES, ids=[a.name for a in HEADER_SCHEMES])
@pytest.mark.parametrize("status", [302, 307])
async def test_authorization_does_not_follow_a_redirect(
    api: Api, mode: str, elsewhere: str, status: int
) -> None:
    leaks, reached = await _redirected(api, mode, elsewhere, status)
    assert reached >= 1  # the redirect was followed
    assert leaks == []


@pytest.mark.parametrize("elsewhere", ELSEWHERE, ids=["other-port", "other-host"])
@pytest.mark.parametrize("api", [POSTAL, MOONROPE], ids=["postal", "moonrope-x-auth"])
@pytest.mark.parametrize("status", [302, 307])
async def test_moonrope_credential_headers_do_not_follow_a_redirect(
    api: Api, mode: str, elsewhere: str, status: int
) -> None:
    """httpx strips only `Authorization`; craftapis' redirect policy drops every credential header on a
    hop that leaves the server. A 302 turns the POST into a GET, which may go there stripped; a 307
    would resend the POST and its body to the other origin, so it is refused (`RedirectError`)."""
    leaks, reached = await _redirected(api, mode, elsewhere, status)
    assert reached == (1 if status == 302 else 0)
    assert leaks == []


BODY_CREDENTIALS_BUG = (
    "BUG: facade/craftapis/railcraft/_client.py: client_id, client_secret and the session token go in "
    "the form body, and httpx re-sends the body on a 307/308 redirect to another origin, so they reach "
    "that origin. Fix: send Railcraft requests with follow_redirects=False (or refuse a cross-origin "
    "307/308 for requests carrying credentials) and raise a clear error naming the Location instead."
)


@pytest.mark.parametrize("elsewhere", ELSEWHERE, ids=["other-port", "other-host"])
@pytest.mark.parametrize("status", [302, 303, 307])
async def test_railcraft_body_credentials_do_not_follow_a_redirect(
    mode: str, elsewhere: str, status: int
) -> None:
    """An authenticated Railcraft call (download_details) redirected to another origin."""
    method, path = RAILCRAFT.write_request
    with _origins(RAILCRAFT, elsewhere) as (a, b):
        a.script(Redirect(b.url + path, status=status), path=path)
        client = RAILCRAFT.make(mode, a.url)
        try:
            with pytest.raises(APIError, match=r"redirected to .* did not follow") as caught:
                await resolve(RAILCRAFT.write(client))
        finally:
            await close(client)
        assert a.count(method, path) >= 1
        # credentials travel in the body: Railcraft never follows a redirect, the error names its target
        assert b.count(path=path) == 0
        assert b.url.split("//")[1] in str(caught.value)
        assert _leaks(b, _secrets(RAILCRAFT)) == []


async def test_modrinth_download_sends_no_token_to_the_cdn(mode: str, tmp_path: Any) -> None:
    """The token goes to the API's origin only: not to a CDN URL, nor after a redirect from the API
    origin to the CDN."""
    from .test_downloads import CONTENT, _digests, _version_file

    route = "/data/AABBCCDD/versions/IIJJKKLL/small.jar"
    with _origins(MODRINTH, "127.0.0.2") as (api, cdn):
        cdn.app = lambda request: httpx.Response(200, content=CONTENT)
        api.script(Redirect(cdn.url + route), path="/files/small.jar")
        client = MODRINTH.make(mode, api.url)
        try:
            for url in (cdn.url + route, api.url + "/files/small.jar"):
                file = _version_file(url, len(CONTENT), _digests(iter([CONTENT])))
                await resolve(client.download_version_file(file, tmp_path / "small.jar"))
        finally:
            await close(client)
        assert cdn.count("GET", route) == 2
        assert _leaks(cdn, [MODRINTH.secret]) == []
        assert "authorization" in api.requests("GET", "/files/small.jar")[0].headers  # same origin: sent


# -- the moonrope guard -------------------------------------------------------------------------------


async def test_moonrope_credential_headers_still_reach_their_own_server(mode: str) -> None:
    """The guard drops nothing on the server's own origin, redirects within it included."""
    method, path = MOONROPE.read_request
    with FaultServer(MOONROPE.app()) as server:
        server.script(Redirect(server.url + path, status=307), path=path)
        client = MOONROPE.make(mode, server.url)
        try:
            assert await resolve(MOONROPE.read(client)) == []
        finally:
            await close(client)
        seen = server.requests(method, path)
    assert len(seen) == 2
    assert all(s.headers["x-auth-secret"] == MOONROPE_SECRET for s in seen)
    assert all(s.headers["x-auth-token"] == MOONROPE_TOKEN for s in seen)


@pytest.mark.parametrize(
    ("url", "home", "leaves"),
    [
        ("https://postal.example.com/api/v1/x", "https://postal.example.com", False),
        ("https://postal.example.com:443/other", "https://postal.example.com", False),
        ("https://postal.example.com/x", "http://postal.example.com", False),  # an https upgrade, as httpx
        ("http://postal.example.com/x", "https://postal.example.com", True),  # a downgrade
        ("https://postal.example.com:8443/x", "https://postal.example.com", True),
        ("https://cdn.example.com/x", "https://postal.example.com", True),
        ("http://127.0.0.2:8080/x", "http://127.0.0.1:8080", True),
    ],
)
def test_leaves_origin(url: str, home: str, leaves: bool) -> None:
    assert leaves_origin(httpx.URL(url), httpx.URL(home)) is leaves
