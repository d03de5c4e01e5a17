"""The socket transports under craftapis' policy: models parsed, retries, errors, secrets unseen."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from craftapis import APIError
from craftapis._base import ApiProfile, AsyncAPIClient, SyncAPIClient
from craftapis._errors import APIConnectionError, APITimeoutError, NotFoundError
from craftapis._fasttransport import AsyncFastHTTPTransport, FastHTTPTransport
from craftapis._retry import RetryPolicy
from craftapis._transport import BUFFER_EXTENSION, AsyncPolicyTransport, PolicyTransport
from loopback import LoopbackServer, Reply, unused_port

PROFILE = ApiProfile(
    name="modrinth", package="craftapis_generated.modrinth", base_url="https://api.modrinth.com/v2"
)
SECRET = "mrp_FAKEsecretFORfasttransportTESTS"
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.0, max_backoff=0.0, jitter=False)


class Sync(SyncAPIClient):
    _profile = PROFILE


class Async(AsyncAPIClient):
    _profile = PROFILE


def project(slug: str = "bench-api") -> dict[str, Any]:
    """A synthetic project with every field the spec requires."""
    return {
        "id": "AABBCCDD",
        "slug": slug,
        "project_type": "mod",
        "team": "MMNNOOPP",
        "title": "Bench API",
        "description": "A synthetic project.",
        "body": "# Bench API",
        "published": "2021-01-22T11:04:41.419169Z",
        "updated": "2025-08-08T13:30:53.673725Z",
        "status": "approved",
        "client_side": "optional",
        "server_side": "optional",
        "downloads": 10,
        "followers": 2,
        "categories": ["library"],
        "additional_categories": [],
        "loaders": ["fabric"],
        "game_versions": ["1.20.1"],
        "versions": ["IIJJKKLL"],
        "gallery": [],
        "donation_urls": [],
        "license": {"id": "MIT", "name": "MIT License", "url": None},
        # required since Modrinth's spec 366f528 (real answers always carry them)
        "thread_id": "TTHHRREE",
        "monetization_status": "monetized",
    }


class _Token(httpx.Auth):
    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = SECRET
        yield request


class Either:
    """A craftapis client over the fast transport of one kind, called the same way by tests."""

    def __init__(self, kind: str, base_url: str, **kwargs: Any) -> None:
        self.kind = kind
        if kind == "sync":
            self.client: Any = Sync(base_url=base_url, transport=FastHTTPTransport(), **kwargs)
        else:
            self.client = Async(base_url=base_url, transport=AsyncFastHTTPTransport(), **kwargs)

    async def call(self, operation: str, **kwargs: Any) -> Any:
        result = self.client.call(operation, **kwargs)
        return result if self.kind == "sync" else await result

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        result = self.client.request(method, url, **kwargs)
        return result if self.kind == "sync" else await result

    async def close(self) -> None:
        if self.kind == "sync":
            self.client.close()
        else:
            await self.client.aclose()


@pytest.fixture
async def sdk(kind: str, loopback: LoopbackServer) -> Any:
    made: list[Either] = []

    def make(**kwargs: Any) -> Either:
        kwargs.setdefault("retry", FAST_RETRY)
        client = Either(kind, kwargs.pop("base_url", loopback.url + "/v2"), **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.close()


async def test_call_parses_the_generated_model(sdk: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(200, project("fabric-api")), path="/v2/project/fabric-api")
    result = await sdk().call("projects.get_project", id_slug="fabric-api")
    assert type(result).__name__ == "Project"
    assert result.slug == "fabric-api"
    assert result.license_.id == "MIT"
    assert loopback.requests[0].path == "/v2/project/fabric-api"


async def test_transient_status_is_retried(sdk: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(503, {"error": "busy"}), Reply(200, project()))
    result = await sdk().call("projects.get_project", id_slug="bench-api")
    assert result.slug == "bench-api"
    assert loopback.statuses() == [503, 200]


async def test_connection_reset_inside_a_buffered_body_is_retried(
    kind: str, loopback: LoopbackServer
) -> None:
    # With the buffer extension the policy reads the body itself: a reset mid-body must surface
    # there as an httpx.TransportError, which the policy retries like a failed connect.
    loopback.script(Reply(200, project(), reset_after=50), Reply(200, project()))
    extensions = {BUFFER_EXTENSION: True}
    if kind == "sync":
        with httpx.Client(transport=PolicyTransport(FastHTTPTransport(), retry=FAST_RETRY)) as client:
            response = client.get(loopback.url + "/v2/project/bench-api", extensions=extensions)
    else:
        transport = AsyncPolicyTransport(AsyncFastHTTPTransport(), retry=FAST_RETRY)
        async with httpx.AsyncClient(transport=transport) as aclient:
            response = await aclient.get(loopback.url + "/v2/project/bench-api", extensions=extensions)
    assert response.json()["slug"] == "bench-api"
    assert loopback.count() == 2


async def test_error_status_is_mapped(sdk: Any, loopback: LoopbackServer) -> None:
    loopback.script(Reply(404, {"error": "not_found", "description": "no such project"}))
    with pytest.raises(NotFoundError) as caught:
        await sdk().request("GET", "/project/missing")
    assert caught.value.status_code == 404


async def test_timeouts_become_api_timeout_errors(sdk: Any, loopback: LoopbackServer) -> None:
    loopback.default = Reply(200, project(), delay=0.5)
    client = sdk(timeout=httpx.Timeout(5.0, read=0.1))
    with pytest.raises(APITimeoutError):
        await client.call("projects.get_project", id_slug="bench-api")
    assert loopback.count() == FAST_RETRY.max_attempts  # every attempt was made, then it gave up


async def test_refused_connection_becomes_api_connection_error(sdk: Any) -> None:
    client = sdk(base_url=f"http://127.0.0.1:{unused_port()}/v2")
    with pytest.raises(APIConnectionError) as caught:
        await client.call("projects.get_project", id_slug="x")
    assert not isinstance(caught.value, APITimeoutError)


async def test_secret_never_in_errors_or_logs(
    sdk: Any, loopback: LoopbackServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    loopback.script(
        Reply(503, {"error": "busy"}), Reply(401, {"error": "unauthorized", "description": "bad token"})
    )
    client = sdk(auth=_Token())
    with pytest.raises(APIError) as caught:
        await client.call("projects.get_project", id_slug="bench-api")
    assert loopback.requests[0].headers["Authorization"] == SECRET  # it was sent...
    for text in (str(caught.value), repr(caught.value), repr(client.client), caplog.text):
        assert SECRET not in text  # ...and shown nowhere
