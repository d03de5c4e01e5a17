"""The lean default HTTP path (`_http.py`): what it skips must not change what a client sees.

* cookies are still extracted from a response that sets one, and not looked for when none came;
* a response craftapis read is freed as soon as it is dropped (no reference cycle through httpx's
  bound stream), which is what keeps long paginations at one page's memory.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import httpx
import pytest
from craftapis._async_base import AsyncAPIClient
from craftapis._async_http import build_async_client
from craftapis._base import ApiProfile
from craftapis._sync_base import SyncAPIClient
from craftapis._sync_http import build_client

PROFILE = ApiProfile(name="lean", package="craftapis_generated.modrinth", base_url="http://127.0.0.1:9/v2")


class Client(SyncAPIClient):
    _profile = PROFILE


class AsyncClient(AsyncAPIClient):
    _profile = PROFILE


def _answer(request: httpx.Request) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if request.url.path.endswith("/login"):
        headers["Set-Cookie"] = "session=abc; Path=/"
    return httpx.Response(200, content=b'{"ok": true}', headers=headers)


@pytest.fixture
def gc_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _identity(inner: httpx.BaseTransport, follow_redirects: bool) -> httpx.BaseTransport:
    return inner


def test_cookies_are_still_kept_when_a_response_sets_one() -> None:
    http = build_client(
        base_url="http://127.0.0.1:9",
        policy=_identity,
        http_client=None,
        transport=httpx.MockTransport(_answer),
        timeout=httpx.Timeout(5),
        headers={},
    )
    with http:
        http.get("/login")
        assert http.cookies.get("session") == "abc"
        # and the next request sends it back, as httpx does
        assert http.get("/other").request.headers.get("cookie") == "session=abc"


def test_no_cookie_extraction_runs_for_a_response_without_set_cookie(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = httpx.Cookies.extract_cookies

    def counting(self: httpx.Cookies, response: httpx.Response) -> None:
        calls.append(response.url.path)
        original(self, response)

    monkeypatch.setattr(httpx.Cookies, "extract_cookies", counting)
    with Client(transport=httpx.MockTransport(_answer)) as client:
        client.request("GET", "/plain")
        client.request("GET", "/login")
    assert calls == ["/v2/login"]


def test_a_read_response_is_freed_when_dropped_sync(gc_off: None) -> None:
    with Client(transport=httpx.MockTransport(_answer)) as client:
        response = client.request("GET", "/x")
        assert response.json() == {"ok": True} and response.is_closed
        ref = weakref.ref(response)
        del response
        assert ref() is None, "the response survived its last reference: a reference cycle keeps it"


async def test_a_read_response_is_freed_when_dropped_async(gc_off: None) -> None:
    async with AsyncClient(transport=httpx.MockTransport(_answer)) as client:
        response = await client.request("GET", "/x")
        assert response.json() == {"ok": True}
        assert response.read() == b'{"ok": true}'  # the body is still there to read again
        ref = weakref.ref(response)
        del response
        assert ref() is None


def test_a_plain_httpx_client_does_keep_the_cycle(gc_off: None) -> None:
    """The control: without craftapis' lean client, httpx's bound stream keeps the response alive."""
    with httpx.Client(transport=httpx.MockTransport(_answer)) as client:
        response = client.get("http://127.0.0.1:9/x")
        ref = weakref.ref(response)
        del response
        assert ref() is not None
    gc.collect()


async def test_async_builder_builds_the_lean_client() -> None:
    http = build_async_client(
        base_url="http://127.0.0.1:9",
        policy=lambda inner, follow_redirects: inner,
        http_client=None,
        transport=httpx.MockTransport(_answer),
        timeout=httpx.Timeout(5),
        headers={},
    )
    async with http:
        await http.get("/login")
        assert http.cookies.get("session") == "abc"


def test_a_streamed_response_keeps_its_stream() -> None:
    with (
        Client(transport=httpx.MockTransport(_answer)) as client,
        client._http.stream("GET", "/x") as response,
    ):
        assert response.read() == b'{"ok": true}'
