"""Issue 9 items 6 and 7 on every client twin: `with_options()` copies, `options()` bound to one client,
and `with_raw_response` for friendly, `call()` and generated methods."""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from craftapis import RetryPolicy
from craftapis._raw import RawResponse
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit
from craftapis.modrinth import AsyncModrinth, Modrinth

from ..modrinth.conftest import FAKE_TOKEN, USER_AGENT
from ..modrinth.fake_modrinth import AppServer, FakeModrinth, serve

FAST = RetryPolicy(initial_backoff=0.001, max_backoff=0.002, rng=random.Random(1))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def close(client: Any) -> None:
    await resolve(client.aclose() if hasattr(client, "aclose") else client.close())


class Counting:
    """A MockTransport handler answering `status` and recording every request."""

    def __init__(self, status: int = 503) -> None:
        self.status = status
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json={"error": "down", "description": "try later"})


def modrinth(mode: str, handler: Callable[[httpx.Request], httpx.Response], **kw: Any) -> Any:
    cls = Modrinth if mode == "sync" else AsyncModrinth
    return cls(user_agent=USER_AGENT, retry=FAST, transport=httpx.MockTransport(handler), **kw)


def bbb(mode: str, handler: Callable[[httpx.Request], httpx.Response]) -> Any:
    cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
    return cls(token="t0ken", retry=FAST, transport=httpx.MockTransport(handler))


async def attempts(client: Any, call: Callable[[Any], Any], handler: Counting) -> int:
    before = len(handler.requests)
    with pytest.raises(Exception):  # noqa: B017 - a 503 error of either API
        await resolve(call(client))
    return len(handler.requests) - before


# -- item 6 --------------------------------------------------------------------------------------


async def test_with_options_copy_shares_pool_auth_and_limiter(mode: str) -> None:
    handler = Counting(200)
    client = modrinth(mode, handler, token=FAKE_TOKEN)
    copy = client.with_options(headers={"X-Trace": "1"}, timeout=3.0)
    assert copy is not client and type(copy) is type(client)
    assert copy._http is client._http and copy._auth is client._auth
    assert copy.rate_limiter is client.rate_limiter
    await resolve(copy.request("GET", "/x", check=False))
    await resolve(client.request("GET", "/x", check=False))
    sent_by_copy, sent_by_client = handler.requests
    assert sent_by_copy.headers["X-Trace"] == "1" and "X-Trace" not in sent_by_client.headers
    assert sent_by_copy.headers["Authorization"] == sent_by_client.headers["Authorization"] == FAKE_TOKEN
    assert sent_by_copy.extensions["timeout"]["read"] == 3.0
    assert sent_by_client.extensions["timeout"]["read"] == 30.0
    await close(client)


async def test_with_options_retry_applies_to_the_copy_only(mode: str) -> None:
    handler = Counting(503)
    client = modrinth(mode, handler)
    once = client.with_options(retry=FAST.copy_with(max_attempts=1))
    assert await attempts(once, lambda c: c.get_project("sodium"), handler) == 1
    assert await attempts(client, lambda c: c.get_project("sodium"), handler) == FAST.max_attempts
    await close(client)


async def test_options_block_affects_only_the_client_it_was_opened_on(mode: str) -> None:
    """The bug of issue 9: a BuiltByBit client made 1 attempt inside a Modrinth client's block."""
    mr_handler, bbb_handler = Counting(503), Counting(503)
    mr, other = modrinth(mode, mr_handler), bbb(mode, bbb_handler)
    copy = mr.with_options(headers={"X-Copy": "1"})
    with mr.options(retry=FAST.copy_with(max_attempts=1)):
        assert await attempts(mr, lambda c: c.get_project("sodium"), mr_handler) == 1
        assert await attempts(other, lambda c: c.health(), bbb_handler) == FAST.max_attempts
        assert await attempts(copy, lambda c: c.get_project("sodium"), mr_handler) == FAST.max_attempts
    assert await attempts(mr, lambda c: c.get_project("sodium"), mr_handler) == FAST.max_attempts
    await close(mr)
    await close(other)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"retry": 3}, TypeError),
        ({"timeout": "5"}, TypeError),
        ({"timeout": True}, TypeError),
        ({"timeout": -1}, ValueError),
        ({"idempotent": "yes"}, TypeError),
        ({"headers": [("X", "1")]}, TypeError),
    ],
)
def test_with_options_refuses_wrong_values_naming_them(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    client = modrinth("sync", Counting(200))
    with pytest.raises(error, match=next(iter(kwargs))):
        client.with_options(**kwargs)
    client.close()


# -- item 7 --------------------------------------------------------------------------------------


@pytest.fixture
def api() -> Any:
    yield from serve(FakeModrinth())


@pytest.fixture
async def loopback(mode: str, api: AppServer) -> Any:
    cls = Modrinth if mode == "sync" else AsyncModrinth
    client = cls(user_agent=USER_AGENT, retry=FAST, base_url=f"{api.url}/v2", token=FAKE_TOKEN)
    yield client
    await close(client)


async def test_raw_response_of_a_friendly_method(loopback: Any) -> None:
    raw = await resolve(loopback.with_raw_response.get_project("sodium"))
    assert isinstance(raw, RawResponse)
    assert raw.status_code == 200
    assert raw.headers["x-ratelimit-remaining"] == "299"
    assert raw.rate_limit == {
        "x-ratelimit-limit": "300",
        "x-ratelimit-remaining": "299",
        "x-ratelimit-reset": "59",
    }
    assert raw.request.url.path == "/v2/project/sodium" and raw.request.method == "GET"
    assert raw.parsed.slug == "sodium"
    assert raw.http_response.json()["slug"] == "sodium"


async def test_raw_response_of_call_and_of_a_generated_operation(loopback: Any) -> None:
    called = await resolve(loopback.with_raw_response.call("projects.get_project", id_slug="sodium"))
    assert called.status_code == 200 and called.parsed.slug == "sodium"
    generated = await resolve(loopback.with_raw_response.api.projects.get_project(id_slug="sodium"))
    assert generated.request.url.path == "/v2/project/sodium" and generated.parsed.slug == "sodium"


async def test_raw_response_of_an_error_is_the_error(mode: str) -> None:
    from craftapis import NotFoundError

    client = modrinth(mode, Counting(404))
    with pytest.raises(NotFoundError):
        await resolve(client.with_raw_response.get_project("no-such-project"))
    await close(client)


async def test_raw_response_of_a_lazy_iterator_says_what_to_do(loopback: Any) -> None:
    # not offered (a checker flags it too): refused when looked up, before anything is called or sent
    with pytest.raises(AttributeError, match=r"does not offer search\(\): it returns a lazy iterator.*api\."):
        loopback.with_raw_response.search  # noqa: B018
    assert not hasattr(loopback.with_raw_response, "search")


def test_raw_responses_are_not_recorded_outside_with_raw_response() -> None:
    from craftapis._base import _RAW_RESPONSES

    client = modrinth("sync", Counting(200))
    client.request("GET", "/x", check=False)
    assert _RAW_RESPONSES.get() is None
    client.close()


# -- item 8: one constructor convention -------------------------------------------------------------


async def test_builtbybit_takes_its_documented_base_url_and_the_host_root(mode: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": "success", "data": "ok"})

    cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
    for base in (
        "https://api.builtbybit.com/v2",
        "https://api.builtbybit.com/v2/",
        "https://api.builtbybit.com",
    ):
        client = cls(token="t0ken", base_url=base, transport=httpx.MockTransport(handler))
        assert await resolve(client.health()) == "ok"
        await close(client)
    assert [str(r.url) for r in seen] == ["https://api.builtbybit.com/v2/health"] * 3


@pytest.mark.parametrize(
    ("make", "base", "fixed"),
    [
        (
            lambda base: Modrinth(user_agent=USER_AGENT, base_url=base),
            "https://api.modrinth.com/v2/v2",
            "https://api.modrinth.com/v2",
        ),
        (
            lambda base: BuiltByBit(token="t", base_url=base),
            "https://api.builtbybit.com/v2/v2",
            "https://api.builtbybit.com/v2",
        ),
        (
            lambda base: __import__("craftapis").BuiltByBitV1(private_token="t", base_url=base),
            "https://api.builtbybit.com/v1/v1/",
            "https://api.builtbybit.com/v1",
        ),
    ],
)
def test_a_doubled_version_segment_is_refused_saying_what_to_pass(make: Any, base: str, fixed: str) -> None:
    with pytest.raises(ValueError, match=f"repeats its version segment; pass '{fixed}'"):
        make(base)


@pytest.mark.parametrize(
    ("base", "error"), [(123, TypeError), ("api.modrinth.com/v2", ValueError), ("ftp://x/v2", ValueError)]
)
def test_a_base_url_that_is_not_an_http_url_is_refused(base: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="base_url"):
        Modrinth(user_agent=USER_AGENT, base_url=base)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: BuiltByBit(token="Token abc"), "pass the token alone"),
        (
            lambda: __import__("craftapis").BuiltByBitV1(private_token="Private abc"),
            "pass the private_token alone",
        ),
        (
            lambda: __import__("craftapis").BuiltByBitV1(shared_token="Shared abc"),
            "pass the shared_token alone",
        ),
    ],
)
def test_a_token_with_its_scheme_prefix_is_refused_saying_what_to_pass(make: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()
