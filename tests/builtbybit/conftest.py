"""Fixtures for the BuiltByBit v2 client tests: the fake API, sync/async twins, cassettes.

Cassettes (tests/builtbybit/cassettes/) are synthetic: recorded from `fake_api.FakeBuiltByBit`
served on 127.0.0.1, through a transport that forwards `https://api.builtbybit.com` requests to it,
so they hold the real base URL. Re-record with

    pytest tests/builtbybit --record-mode=rewrite

Without `--record-mode` (pytest-recording's default, "none") they are replayed through the
normal httpx transport and a request missing from a cassette fails the test.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx
import pytest
from craftapis import AsyncPageIterator, PageIterator
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit

from .fake_api import SECRETS, TOKEN, FakeBuiltByBit, serve

# Keys whose values are secrets wherever they appear in a recorded JSON body.
_SECRET_KEYS = frozenset({"access_token", "refresh_token", "oauth2_secret", "token"})
REDACTED = "REDACTED"


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (REDACTED if k in _SECRET_KEYS and v else _scrub(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """vcrpy `before_record_response`: no token in a body, no volatile headers."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("date", "server", "content-length"):  # the length changes with scrubbing
            del headers[name]
    body = response.get("body", {}).get("string")
    if body:
        text = body.decode() if isinstance(body, bytes) else body
        with contextlib.suppress(ValueError):  # not JSON: the plain-text scrub below still applies
            text = json.dumps(_scrub(json.loads(text)))
        for secret in SECRETS:
            text = text.replace(secret, REDACTED)
        response["body"]["string"] = text.encode()
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": ["authorization", "cookie"],
        "filter_query_parameters": ["nonce"],
        "filter_post_data_parameters": ["code", "refresh_token", "token", "client_secret"],
        "before_record_response": scrub_response,
        # the forwarding hop to the loopback fake is not part of the recording
        "ignore_localhost": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query"],
    }


@pytest.fixture
def fake() -> FakeBuiltByBit:
    return FakeBuiltByBit()


@pytest.fixture
def fake_url(fake: FakeBuiltByBit) -> Iterator[str]:
    with serve(fake) as url:
        yield url


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


class Twin:
    """One client, sync or async, driven the same way: `await twin("purchases", limit=3)` returns
    the result (lists collected from iterators, coroutines awaited)."""

    def __init__(self, mode: str, **kwargs: Any) -> None:
        self.mode = mode
        self.client: BuiltByBit | AsyncBuiltByBit = (
            BuiltByBit(**kwargs) if mode == "sync" else AsyncBuiltByBit(**kwargs)
        )

    async def __call__(self, name: str, *args: Any, **kwargs: Any) -> Any:
        target: Any = self.client
        for part in name.split("."):
            target = getattr(target, part)
        return await settle(target(*args, **kwargs))

    async def close(self) -> None:
        if isinstance(self.client, AsyncBuiltByBit):
            await self.client.aclose()
        else:
            self.client.close()


async def settle(result: Any) -> Any:
    if isinstance(result, PageIterator):
        return list(result)
    if isinstance(result, AsyncPageIterator):
        return [item async for item in result]
    if inspect.isawaitable(result):
        return await result
    return result


@pytest.fixture
async def twin(mode: str, fake_url: str) -> AsyncIterator[Callable[..., Twin]]:
    """Make a Twin against the loopback fake: `twin(token=..., retry=...)`."""
    made: list[Twin] = []

    def make(**kwargs: Any) -> Twin:
        kwargs.setdefault("base_url", fake_url)
        if "auth" not in kwargs and "oauth2" not in kwargs:
            kwargs.setdefault("token", TOKEN)
        made.append(Twin(mode, **kwargs))
        return made[-1]

    yield make
    for one in made:
        await one.close()


def forwarding_transport(mode: str, upstream: str) -> httpx.BaseTransport | httpx.AsyncBaseTransport:
    """Sends requests for https://api.builtbybit.com to the loopback fake (for recording): vcrpy
    records the MockTransport's request, with the real URL; the loopback hop is ignored."""
    http = httpx.Client(base_url=upstream, timeout=10.0)

    def forward(request: httpx.Request) -> httpx.Response:
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        answer = http.request(
            request.method, request.url.raw_path.decode("ascii"), headers=headers, content=request.read()
        )
        keep = {k: v for k, v in answer.headers.items() if k.lower() in ("content-type", "retry-after")}
        return httpx.Response(answer.status_code, headers=keep, content=answer.content)

    return httpx.MockTransport(forward)


@pytest.fixture
async def recorded(mode: str, record_mode: str, fake: FakeBuiltByBit) -> AsyncIterator[Callable[..., Twin]]:
    """Make a Twin for a cassette test: replays through the normal transport, or (with
    `--record-mode=rewrite`) records from the loopback fake behind https://api.builtbybit.com."""
    made: list[Twin] = []
    with serve(fake) as upstream:

        def make(**kwargs: Any) -> Twin:
            if record_mode != "none":
                kwargs["transport"] = forwarding_transport(mode, upstream)
            if "auth" not in kwargs and "oauth2" not in kwargs:
                kwargs.setdefault("token", TOKEN)
            made.append(Twin(mode, **kwargs))
            return made[-1]

        yield make
        for one in made:
            await one.close()
