"""Modrinth's error bodies become typed errors; 410 says upgrade; a 429 waits as long as its body says."""

from __future__ import annotations

import pytest
from craftapis import (
    APIError,
    AuthenticationError,
    BadRequestError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
)
from craftapis.modrinth import AsyncModrinth, Modrinth
from loopback import LoopbackServer, Reply

from .conftest import close, fast_retry, make_client, resolve

Client = Modrinth | AsyncModrinth


def modrinth_429(millis: int) -> Reply:
    return Reply(
        429,
        {
            "error": "ratelimit_error",
            "description": f"rate limit exceeded; retry after {millis} milliseconds",
        },
        headers={"x-ratelimit-limit": "300", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "30"},
    )


async def test_410_api_deprecated_is_gone_and_says_upgrade(mode: str, loopback: LoopbackServer) -> None:
    loopback.script(
        Reply(
            410,
            {
                "error": "api_deprecated",
                "description": "You are using an application that uses an outdated version of Modrinth's API. Please either update it or switch to another application.",
            },
        )
    )
    client = make_client(mode, base_url=f"{loopback.url}/v2")
    try:
        with pytest.raises(GoneError) as caught:
            await resolve(client.get_project("AABBCCDD"))
    finally:
        await close(client)
    error = caught.value
    assert (error.status_code, error.code) == (410, "api_deprecated")
    assert "upgrade craftapis" in error.message and "pip install -U craftapis" in str(error)
    assert "outdated version of Modrinth's API" in error.message  # Modrinth's own words are kept
    assert error.url == f"{loopback.url}/v2/project/AABBCCDD"


async def test_410_without_a_body_still_says_upgrade(mode: str, loopback: LoopbackServer) -> None:
    loopback.script(Reply(410, ""))
    client = make_client(mode, base_url=f"{loopback.url}/v2")
    try:
        with pytest.raises(GoneError, match="upgrade craftapis"):
            await resolve(client.call("tags.loader_list"))
    finally:
        await close(client)


@pytest.mark.parametrize(
    ("status", "code", "description", "error_type"),
    [
        (400, "invalid_input", "Error while validating input: limit must be at most 100", BadRequestError),
        (
            401,
            "unauthorized",
            "Authentication Error: Invalid Authentication Credentials",
            AuthenticationError,
        ),
        (403, "custom_authentication", "You don't have permission to do this", PermissionDeniedError),
        (404, "not_found", "the requested route does not exist", NotFoundError),
        (418, "teapot", "an unusual status", APIError),
    ],
)
async def test_error_bodies_map_to_typed_errors(
    mode: str,
    loopback: LoopbackServer,
    status: int,
    code: str,
    description: str,
    error_type: type[APIError],
) -> None:
    loopback.script(Reply(status, {"error": code, "description": description}))
    client = make_client(mode, base_url=f"{loopback.url}/v2")
    try:
        with pytest.raises(error_type) as caught:
            await resolve(client.search_page("x"))
    finally:
        await close(client)
    error = caught.value
    assert type(error) is error_type
    assert (error.status_code, error.code, error.message) == (status, code, description)
    assert f"[{code}]" in str(error) and description in str(error)
    assert error.body == {"error": code, "description": description}
    assert (
        error.method == "GET" and error.url is not None and error.url.startswith(f"{loopback.url}/v2/search?")
    )


async def test_a_5xx_is_retried_then_raised(mode: str, loopback: LoopbackServer) -> None:
    loopback.script(*[Reply(502, "<html>Bad Gateway</html>") for _ in range(3)])
    client = make_client(mode, base_url=f"{loopback.url}/v2", retry=fast_retry(max_attempts=3))
    try:
        with pytest.raises(ServerError) as caught:
            await resolve(client.get_version("IIJJKKLL"))
    finally:
        await close(client)
    assert loopback.count() == 3 and caught.value.status_code == 502


async def test_429_waits_the_milliseconds_in_its_body_then_succeeds(
    mode: str, loopback: LoopbackServer
) -> None:
    loopback.script(modrinth_429(150), Reply(200, {"hits": [], "offset": 0, "limit": 10, "total_hits": 0}))
    client = make_client(mode, base_url=f"{loopback.url}/v2")
    try:
        page = await resolve(client.search_page("x"))
    finally:
        await close(client)
    assert page.total_hits == 0
    first, second = loopback.requests
    assert (first.status, second.status) == (429, 200)
    # the body's 150 ms, not the header's 30 s reset and not a backoff guess
    assert 0.14 <= second.at - first.at < 5.0


async def test_a_429_asking_longer_than_allowed_raises_rate_limit_error(
    mode: str, loopback: LoopbackServer
) -> None:
    loopback.script(modrinth_429(120_000))
    client = make_client(mode, base_url=f"{loopback.url}/v2")
    try:
        with pytest.raises(RateLimitError) as caught:
            await resolve(client.get_project("AABBCCDD"))
    finally:
        await close(client)
    assert loopback.count() == 1
    assert caught.value.retry_after == pytest.approx(120.0)
    assert caught.value.code == "ratelimit_error"
    assert "retry after 120 s" in str(caught.value)


async def test_a_post_is_resent_after_a_429(mode: str, loopback: LoopbackServer) -> None:
    """Modrinth's limiter rejects before acting, so even a version upload is safely re-sent."""
    version_json = {
        "id": "NEWVERS1", "project_id": "AABBCCDD", "author_id": "UUSSEERR", "name": "2.0.0",
        "version_number": "2.0.0", "game_versions": ["1.20.1"], "version_type": "release",
        "loaders": ["fabric"], "featured": False, "date_published": "2023-06-01T12:00:00Z",
        "downloads": 0, "files": [], "dependencies": [], "status": "listed", "requested_status": None,
        "changelog_url": None,
    }  # fmt: skip
    loopback.script(modrinth_429(20), Reply(200, version_json))
    client = make_client(mode, base_url=f"{loopback.url}/v2", token="mrp_x")
    try:
        version = await resolve(
            client.create_version(
                "AABBCCDD",
                "2.0.0",
                [("a.jar", b"\x00jar bytes\xff")],
                game_versions=["1.20.1"],
                loaders=["fabric"],
            )
        )
    finally:
        await close(client)
    first, second = loopback.requests
    assert version.id == "NEWVERS1"
    assert first.body == second.body and b"\x00jar bytes\xff" in second.body
