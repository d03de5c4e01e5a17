"""Fixtures for the Modrinth client tests: sync/async twins, the fake, cassettes.

Cassettes (tests/modrinth/cassettes/) are synthetic: recorded from `FakeModrinth` through
`httpx.MockTransport`, with the real API URLs in the requests. They replay in record mode `none`
through the client's normal transport. Re-record with

    CRAFTAPIS_RERECORD=1 pytest tests/modrinth -m vcr
    (or: pytest tests/modrinth -m vcr --record-mode=rewrite)
"""

from __future__ import annotations

import inspect
import json
import os
import random
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from craftapis import RetryPolicy
from craftapis.modrinth import AsyncModrinth, Modrinth

from .fake_modrinth import AppServer, FakeModrinth

FAKE_TOKEN = "mrp_FAKEcassetteTOKEN0123456789"
SECRETS = (
    FAKE_TOKEN,
    FakeModrinth.client_secret,
    FakeModrinth.oauth_code,
    FakeModrinth.access_token,
)
USER_AGENT = "craftapis-tests/modrinth-suite/1.0 (tests@example.invalid)"
RERECORD_ENV = "CRAFTAPIS_RERECORD"


def fast_retry(**changes: Any) -> RetryPolicy:
    return RetryPolicy(initial_backoff=0.01, max_backoff=0.05, rng=random.Random(7)).copy_with(**changes)


async def resolve(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterator: Any) -> list[Any]:
    if hasattr(iterator, "__aiter__"):
        return [item async for item in iterator]
    return list(iterator)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def make_client(mode: str, **kwargs: Any) -> Modrinth | AsyncModrinth:
    kwargs.setdefault("user_agent", USER_AGENT)
    kwargs.setdefault("retry", fast_retry())
    return Modrinth(**kwargs) if mode == "sync" else AsyncModrinth(**kwargs)


async def close(client: Modrinth | AsyncModrinth) -> None:
    if isinstance(client, AsyncModrinth):
        await client.aclose()
    else:
        client.close()


# -- loopback --------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeModrinth:
    return FakeModrinth()


@pytest.fixture
def api(fake: FakeModrinth) -> Iterator[AppServer]:
    with AppServer(fake) as server:
        yield server


@pytest.fixture
def cdn(fake: FakeModrinth) -> Iterator[AppServer]:
    """The same fake on a second port: another origin, like cdn.modrinth.com."""
    with AppServer(fake) as server:
        fake.cdn_base = server.url
        yield server


@pytest.fixture
async def client(mode: str, api: AppServer, cdn: AppServer) -> AsyncIterator[Modrinth | AsyncModrinth]:
    """A client with a token, talking to the fake over loopback (API and CDN on two origins)."""
    made = make_client(mode, base_url=f"{api.url}/v2", token=FAKE_TOKEN)
    try:
        yield made
    finally:
        await close(made)


# -- cassettes -------------------------------------------------------------------------------------


def _scrub_response(response: dict[str, Any]) -> dict[str, Any]:
    """Never let a token the server hands out into a cassette."""
    body = response.get("body", {}).get("string")
    if isinstance(body, bytes | str) and (
        b"access_token" in body if isinstance(body, bytes) else "access_token" in body
    ):
        payload = json.loads(body)
        payload["access_token"] = "REDACTED"
        encoded = json.dumps(payload)
        response["body"]["string"] = encoded.encode() if isinstance(body, bytes) else encoded
    return response


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    return {
        "filter_headers": ["authorization", "cookie", "set-cookie", "x-api-key"],
        "filter_query_parameters": ["access_token", "token", "client_secret", "code"],
        "filter_post_data_parameters": ["code", "client_secret", "access_token"],
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
    }


@pytest.fixture
def record_mode(request: pytest.FixtureRequest) -> str:
    """`none` (replay only) unless re-recording was asked for."""
    if os.environ.get(RERECORD_ENV) == "1":
        return "rewrite"
    return str(request.config.getoption("--record-mode") or "none")


@pytest.fixture
def default_cassette_name(request: pytest.FixtureRequest) -> str:
    """One cassette per test for both twins: `test_x[sync]` and `test_x[async]` replay `test_x`."""
    return re.sub(r"\[(sync|async)\]$", "", request.node.name).replace("[", "-").rstrip("]")


@pytest.fixture
async def cassette_client(mode: str, record_mode: str) -> AsyncIterator[Modrinth | AsyncModrinth]:
    """A client for api.modrinth.com: replaying cassettes, or recording them from the fake."""
    transport = httpx.MockTransport(FakeModrinth().handle) if record_mode != "none" else None
    made = make_client(mode, token=FAKE_TOKEN, transport=transport)
    try:
        yield made
    finally:
        await close(made)
