"""The lean send path (issue 12): `RequestTemplate.build` and `LeanClient.send_lean` (in `_http.py`,
`_async_http.py`) skip httpx's Client layer for every JSON call; what a caller, a server, an auth flow,
a cookie jar, an event hook or a log handler sees must not change.

* `build` makes the request `httpx.Client(base_url=..., headers=..., timeout=...).build_request` makes:
  same method, URL, headers (as a multiset), extensions and body, over a corpus and over generated
  paths and query parameters (hypothesis);
* `send_lean` keeps cookies, runs event hooks, drives auth flows (a flow that answers a 401 with a
  second request), refuses a closed client, sets `elapsed`, logs httpx's INFO line (URL redacted).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

import craftapis
import httpx
import pytest
from craftapis._async_base import AsyncAPIClient
from craftapis._async_http import build_async_client
from craftapis._base import ApiProfile
from craftapis._http import RequestTemplate
from craftapis._sync_base import SyncAPIClient
from craftapis._sync_http import LeanClient, build_client
from hypothesis import given, settings
from hypothesis import strategies as st

BASES = [
    "http://127.0.0.1:9/v2",
    "https://api.example.com",
    "https://api.example.com/api/v1/",
    "http://[::1]:8080/x",
]
HEADERS = {"User-Agent": "craftapis-test/1", "Accept-Encoding": "gzip, deflate", "X-Extra": "a"}
TIMEOUT = httpx.Timeout(30.0, connect=10.0)

CASES: list[dict[str, Any]] = [
    {"method": "get", "url": "/project/sodium"},
    {"method": "GET", "url": "/project/a%20b/version", "params": {"loaders": '["fabric"]', "featured": True}},
    {
        "method": "get",
        "url": "/search",
        "params": {"query": "x y", "limit": 20, "offset": 0, "facets": '[["a:b"]]'},
    },
    {"method": "get", "url": "/search", "params": {}},
    {"method": "get", "url": "/search", "params": {"a": None, "b": False, "c": 1.5, "d": "100%", "e": "%41"}},
    {"method": "get", "url": "/search", "params": {"a": ["x", "y"], "b": ("z",), 3: "int key"}},
    {"method": "get", "url": "/search", "params": {"ü": "€ & = ? # / + ~"}},
    {"method": "get", "url": "/search", "params": [("a", 1), ("a", 2)]},
    {"method": "get", "url": "/search", "params": "q=1&r=%20"},
    {"method": "get", "url": "/a/./b"},
    {"method": "get", "url": "/a/../b"},
    {"method": "get", "url": "/a/%2E%2E/b"},
    {"method": "get", "url": "/with?query=inline", "params": {"more": 1}},
    {"method": "get", "url": "//other-host/path"},
    {"method": "get", "url": "/"},
    {"method": "get", "url": "/ümlaut/€"},
    {"method": "get", "url": "/space here/{braces}"},
    {"method": "get", "url": "https://cdn.example.org/file.jar?x=1"},
    {"method": "delete", "url": "/thing/1", "headers": {"X-Extra": "override", "Authorization": "Token t"}},
    {"method": "head", "url": "/thing/1", "headers": {"host": "other.example"}},
    {"method": "post", "url": "/thing", "json": {"a": [1, 2], "b": "ü"}},
    {"method": "post", "url": "/thing"},
    {"method": "patch", "url": "/thing", "content": b"raw"},
    {"method": "put", "url": "/form", "data": {"k": "v"}},
    {"method": "post", "url": "/upload", "files": {"f": ("a.txt", b"abc", "text/plain")}, "data": {"k": "v"}},
    {"method": "get", "url": "/t", "timeout": 5.0},
    {
        "method": "get",
        "url": "/t",
        "extensions": {"timeout": {"connect": 1.0, "read": 1.0, "write": 1.0, "pool": 1.0}},
    },
    {"method": "get", "url": "/t", "extensions": {"craftapis.buffer": True}},
]


@functools.cache
def _httpx_client(base: str) -> httpx.Client:  # one per base: building one makes an SSL context
    return httpx.Client(base_url=base, headers=HEADERS, timeout=TIMEOUT)


def _expected(base: str, case: dict[str, Any]) -> httpx.Request:
    client = _httpx_client(base)
    kwargs = dict(case)
    extensions = kwargs.pop("extensions", None)
    return client.build_request(**kwargs, extensions=dict(extensions) if extensions else None)


def _built(base: str, case: dict[str, Any]) -> httpx.Request:
    client = _httpx_client(base)
    template = RequestTemplate(client.base_url, client.headers, client.timeout)
    kwargs = dict(case)
    extensions = kwargs.pop("extensions", None)
    return template.build(**kwargs, extensions=dict(extensions) if extensions else None)


def _same(built: httpx.Request, expected: httpx.Request) -> None:
    assert vars(built).keys() == vars(expected).keys()  # `build` may make a request without __init__
    assert vars(built.headers).keys() >= vars(expected.headers).keys()
    assert built.headers.encoding == expected.headers.encoding
    assert built.method == expected.method
    assert str(built.url) == str(expected.url)
    assert (built.url.raw_scheme, built.url.raw_host, built.url.port, built.url.raw_path) == (
        expected.url.raw_scheme,
        expected.url.raw_host,
        expected.url.port,
        expected.url.raw_path,
    )
    assert built.extensions == expected.extensions
    if "multipart" in expected.headers.get("content-type", ""):  # a random boundary: the rest must agree
        assert len(built.read()) == len(expected.read())
        built.headers["content-type"] = expected.headers["content-type"] = "multipart/form-data"
    else:
        assert built.read() == expected.read()
    assert sorted(built.headers.multi_items()) == sorted(expected.headers.multi_items())


@pytest.mark.parametrize("base", BASES)
@pytest.mark.parametrize("case", CASES, ids=[f"{c['method']} {c['url']}" for c in CASES])
def test_build_is_what_httpx_client_builds(base: str, case: dict[str, Any]) -> None:
    _same(_built(base, case), _expected(base, case))


_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
_SEGMENT = st.one_of(
    _TEXT,
    st.sampled_from([".", "..", "%2E", "%zz", "%41", "a%2Fb", "~user", "a;b=c", "@", ":", "!$&'()*+,"]),
)


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(BASES),
    segments=st.lists(_SEGMENT, min_size=1, max_size=4),
    params=st.none()
    | st.dictionaries(
        _TEXT, st.one_of(_TEXT, st.integers(), st.floats(), st.booleans(), st.none()), max_size=3
    ),
)
def test_build_matches_httpx_on_generated_paths(base: str, segments: list[str], params: Any) -> None:
    case = {"method": "GET", "url": "/" + "/".join(segments), "params": params}
    try:
        expected = _expected(base, case)
    except (httpx.InvalidURL, UnicodeError) as exc:  # httpx refuses it: so must the lean build
        with pytest.raises(type(exc)):
            _built(base, case)
        return
    _same(_built(base, case), expected)


def test_the_fast_url_is_taken_for_generated_paths() -> None:
    """The point of the template: a generated path and its parameters do not go through httpx's parser."""
    template = RequestTemplate(httpx.URL("http://127.0.0.1:9/v2/"), httpx.Headers(HEADERS), TIMEOUT)
    assert template.url("/project/sodium", None) is not None
    assert template.url("/search", {"query": "x", "limit": 20}) is not None
    for slow in ("/a/../b", "//host/x", "https://x.example/y", "/sp ace", "/q?x=1", "/%zz"):
        assert template.url(slow, None) is None, slow


# -- send_lean ------------------------------------------------------------------------------------------


def _answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("/login"):
        return httpx.Response(200, json={"ok": True}, headers={"Set-Cookie": "session=abc; Path=/"})
    if request.url.path.endswith("/guarded") and request.headers.get("authorization") != "Bearer fresh":
        return httpx.Response(401, json={"error": "expired"})
    return httpx.Response(
        200, json={"cookie": request.headers.get("cookie"), "auth": request.headers.get("authorization")}
    )


def _identity(inner: httpx.BaseTransport, follow_redirects: bool) -> httpx.BaseTransport:
    return inner


def _client(**kwargs: Any) -> LeanClient:
    return build_client(
        base_url="http://127.0.0.1:9/v2",
        policy=_identity,
        http_client=None,
        transport=httpx.MockTransport(_answer),
        timeout=TIMEOUT,
        headers={"User-Agent": "t/1"},
        **kwargs,
    )


class _Refreshing(httpx.Auth):
    """Sends a stale token, and on a 401 a fresh one: the shape of OAuth2 refresh."""

    def __init__(self) -> None:
        self.sent: list[str] = []

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = "Bearer stale"
        self.sent.append("stale")
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = "Bearer fresh"
            self.sent.append("fresh")
            yield request


def test_send_lean_keeps_and_sends_cookies() -> None:
    with _client() as http:
        http.send_lean(http.template.build("GET", "/login"), None)
        assert http.cookies.get("session") == "abc"
        response = http.send_lean(http.template.build("GET", "/next"), None)
        assert response.json()["cookie"] == "session=abc"


def test_the_empty_jar_is_known_without_walking_it_and_every_change_is_seen(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`send_lean` asks the jar for a cookie before every request: empty, it answers without walking
    the `CookieJar` (which cost 0.48 us a call); a cookie stored, removed one by one or cleared is
    seen by the next request."""
    with _client() as http:
        jar = http.cookies.jar
        walks: list[int] = []
        walk = type(jar).__iter__
        monkeypatch.setattr(type(jar), "__iter__", lambda self: (walks.append(1), walk(self))[1])

        def sent() -> object:
            return http.send_lean(http.template.build("GET", "/next"), None).json()["cookie"]

        assert sent() is None
        assert walks == []
        http.send_lean(http.template.build("GET", "/login"), None)
        assert sent() == "session=abc"
        http.cookies.delete("session")
        assert sent() is None
        http.send_lean(http.template.build("GET", "/login"), None)
        assert sent() == "session=abc"
        http.cookies.clear()
        walks.clear()
        assert sent() is None
        assert walks == []
        http.cookies = {"late": "1"}  # httpx's setter: a plain `Cookies`, asked as httpx asks it
        assert http.cookies.get("late") == "1" and bool(http.cookies)


def test_send_lean_drives_an_auth_flow_that_answers_a_401() -> None:
    auth = _Refreshing()
    with _client() as http:
        response = http.send_lean(http.template.build("GET", "/guarded"), auth)
    assert auth.sent == ["stale", "fresh"]
    assert response.status_code == 200 and response.json()["auth"] == "Bearer fresh"


async def test_send_lean_drives_an_auth_flow_async() -> None:
    auth = _Refreshing()
    http = build_async_client(
        base_url="http://127.0.0.1:9/v2",
        policy=lambda inner, follow_redirects: inner,
        http_client=None,
        transport=httpx.MockTransport(_answer),
        timeout=TIMEOUT,
        headers={},
    )
    async with http:
        response = await http.send_lean(http.template.build("GET", "/guarded"), auth)
        assert response.json()["auth"] == "Bearer fresh" and auth.sent == ["stale", "fresh"]
        hooked: list[str] = []

        async def on_request(request: httpx.Request) -> None:
            hooked.append(request.url.path)

        http.event_hooks["request"].append(on_request)
        await http.send_lean(http.template.build("GET", "/hooked"), None)
        assert hooked == ["/v2/hooked"]


def test_send_lean_runs_event_hooks_in_order() -> None:
    seen: list[str] = []
    with _client() as http:
        http.event_hooks["request"].append(lambda r: seen.append(f"request {r.url.path}"))
        http.event_hooks["response"].append(lambda r: seen.append(f"response {r.status_code}"))
        http.send_lean(http.template.build("GET", "/x"), None)
    assert seen == ["request /v2/x", "response 200"]


def test_a_failing_response_hook_closes_the_response_and_propagates() -> None:
    def boom(response: httpx.Response) -> None:
        raise LookupError("hook says no")

    with _client() as http:
        http.event_hooks["response"].append(boom)
        with pytest.raises(LookupError, match="hook says no"):
            http.send_lean(http.template.build("GET", "/x"), None)


def test_send_lean_refuses_a_closed_client() -> None:
    http = _client()
    http.close()
    with pytest.raises(RuntimeError, match="client has been closed"):
        http.send_lean(http.template.build("GET", "/x"), None)


def test_send_lean_reads_the_body_and_sets_elapsed() -> None:
    with _client() as http:
        response = http.send_lean(http.template.build("GET", "/x"), None)
    assert response.is_stream_consumed and response.content
    assert response.elapsed.total_seconds() >= 0.0
    assert response.request.url == "http://127.0.0.1:9/v2/x"


def test_send_lean_binds_a_transport_error_to_its_request() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    http = build_client(
        base_url="http://127.0.0.1:9/v2",
        policy=_identity,
        http_client=None,
        transport=httpx.MockTransport(refuse),
        timeout=TIMEOUT,
        headers={},
    )
    request = http.template.build("GET", "/x")
    with http, pytest.raises(httpx.ConnectError) as caught:
        http.send_lean(request, None)
    assert caught.value.request is request


def test_send_lean_logs_httpx_info_line_with_the_url_redacted(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="httpx"), _client() as http:
        http.send_lean(http.template.build("GET", "/x", params={"nonce": "s3cr3t-nonce", "page": 2}), None)
    lines = [r.getMessage() for r in caplog.records if r.name == "httpx"]
    assert len(lines) == 1 and lines[0].startswith("HTTP Request: GET ") and '"HTTP/1.1 200 OK"' in lines[0]
    assert "s3cr3t-nonce" not in lines[0] and "page=2" in lines[0]


# -- the clients take the lean path ---------------------------------------------------------------------

PROFILE = ApiProfile(name="lean", package="craftapis_generated.modrinth", base_url="http://127.0.0.1:9/v2")


class _Sync(SyncAPIClient):
    _profile = PROFILE


class _Async(AsyncAPIClient):
    _profile = PROFILE


def test_a_json_call_does_not_go_through_httpx_client_send(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: httpx.Client, *args: object, **kwargs: object) -> httpx.Response:
        raise AssertionError("httpx.Client.send was used for a JSON call")

    monkeypatch.setattr(httpx.Client, "send", refuse)
    with _Sync(transport=httpx.MockTransport(_answer)) as client:
        assert client.request("GET", "/x", params={"a": 1}).json() == {"cookie": None, "auth": None}


async def test_an_async_json_call_does_not_go_through_httpx_client_send(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def refuse(self: httpx.AsyncClient, *args: object, **kwargs: object) -> httpx.Response:
        raise AssertionError("httpx.AsyncClient.send was used for a JSON call")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)
    async with _Async(transport=httpx.MockTransport(_answer)) as client:
        response = await client.request("GET", "/login")
        assert response.json() == {"ok": True}
        assert client._http.cookies.get("session") == "abc"


def test_call_options_blocks_still_reach_the_transport() -> None:
    """`_call_options` skips merging when no block is open; inside one the block's options apply."""
    seen: list[object] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"]["read"])
        return httpx.Response(200, json={})

    with _Sync(transport=httpx.MockTransport(record), timeout=30.0) as client:
        client.request("GET", "/a")
        with craftapis.call_options(timeout=2.5):
            client.request("GET", "/b")
        with client.options(timeout=1.5):
            client.request("GET", "/c")
        client.with_options(timeout=4.0).request("GET", "/d")
    assert seen == [30.0, 2.5, 1.5, 4.0]


def test_a_buffered_response_comes_back_read_closed_and_decoded() -> None:
    """The policy transport marks its replay of a buffered body read (`_http.mark_read`): the content is
    the decoded body, and reading, iterating or decoding it again gives the same bytes."""
    import gzip

    payload = b'{"hits": [' + b",".join(b'{"slug": "p%d"}' % i for i in range(200)) + b"]}"

    def gzipped(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=gzip.compress(payload),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    with _Sync(transport=httpx.MockTransport(gzipped)) as client:
        response = client.request("GET", "/x")
    assert response.is_closed and response.is_stream_consumed
    assert response.content == payload and response.read() == payload
    assert b"".join(response.iter_bytes()) == payload
    assert response.json()["hits"][199] == {"slug": "p199"}
    assert "content-encoding" not in response.headers and response.headers["content-length"] == str(
        len(payload)
    )
