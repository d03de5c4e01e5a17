"""Faults in what the server says: bursts of 5xx, HTML error pages, broken JSON, wrong content types.

Every API's real client, sync and async, against its fake with the fault scripted in front.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from craftapis import APIError, ResponseParseError, ServerError

from .apis import RAILCRAFT, WRITES, Api, close, fast_retry, resolve
from .servers import App, FaultServer, Respond

BOUND = 10.0

# A proxy's error page: what a 502 in front of any of these APIs looks like.
HTML_502 = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title>"
    "<style>body{font-family:sans-serif}</style></head>\n<body><center><h1>502 Bad Gateway</h1></center>"
    + "<p>"
    + "The upstream server did not answer in time. " * 80
    + "</p>"
    + "<hr><center>nginx/1.25.3</center>\n</body></html>\n"
)


def _plain(value: Any) -> Any:
    """A result as plain data, to compare two answers."""
    if isinstance(value, list):
        return [_plain(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    return to_dict() if callable(to_dict) else value


# -- 5xx -------------------------------------------------------------------------------------------


async def test_a_burst_of_5xx_then_success(api: Api, mode: str, server: FaultServer) -> None:
    """500, 502, 503, then the real answer: a read succeeds on its fourth attempt."""
    method, path = api.read_request
    server.script(Respond(500), Respond(502), Respond(503), path=path)
    client = api.make(mode, server.url)
    started = time.monotonic()
    try:
        assert await resolve(api.read(client)) is not None
    finally:
        await close(client)
    assert server.count(method, path) == 4
    assert time.monotonic() - started < BOUND


@pytest.mark.parametrize("api", WRITES, ids=[w.name for w in WRITES])
async def test_a_5xx_on_a_write(api: Api, mode: str) -> None:
    """A write that is not declared safe is not repeated after a 5xx (it may have been acted on);
    one declared safe rides out the burst like a read."""
    method, path = api.write_request
    with FaultServer(api.app()) as server:
        server.script(Respond(500), Respond(502), Respond(503), path=path)
        client = api.make(mode, server.url)
        try:
            if api.write_safe:
                await resolve(api.write(client))
            else:
                with pytest.raises(ServerError) as caught:
                    await resolve(api.write(client))
                assert caught.value.status_code == 500
        finally:
            await close(client)
        assert server.count(method, path) == (4 if api.write_safe else 1)


async def test_a_502_html_page_gives_a_readable_server_error(
    api: Api, mode: str, server: FaultServer
) -> None:
    """After the retries, a ServerError that says what happened in one line: no HTML dump."""
    method, path = api.read_request
    page = Respond(502, HTML_502, content_type="text/html; charset=utf-8")
    server.script(page, page, page, page, path=path)
    client = api.make(mode, server.url)
    try:
        with pytest.raises(ServerError) as caught:
            await resolve(api.read(client))
    finally:
        await close(client)
    error = caught.value
    assert server.count(method, path) == 4
    assert error.status_code == 502
    for text in (str(error), repr(error)):
        assert "502" in text
        assert "<" not in text and "nginx" not in text and "upstream" not in text
        assert len(text) < 400, text
    assert path in str(error)  # says where
    assert error.body == HTML_502  # the page itself stays available


# -- bodies that are not the JSON they claim -------------------------------------------------------

BROKEN_BODIES = {
    "not-json": "this is not JSON at all",
    "python-repr": "{'result': 'success', 'data': 'ok'}",
    "truncated": '{"result": "success", "data": {"id": "AABBCCDD", "slug": "synth',
    "trailing-garbage": '{"status": "success", "data": []} <!-- cached -->',
}


@pytest.mark.parametrize("broken", list(BROKEN_BODIES), ids=list(BROKEN_BODIES))
async def test_invalid_json_with_200_is_a_parse_error_with_the_raw_text(
    api: Api, mode: str, server: FaultServer, broken: str
) -> None:
    raw = BROKEN_BODIES[broken]
    method, path = api.read_request
    server.script(Respond(200, raw, content_type="application/json"), path=path)
    client = api.make(mode, server.url)
    try:
        with pytest.raises(ResponseParseError) as caught:
            await resolve(api.read(client))
    finally:
        await close(client)
    assert caught.value.text == raw
    assert caught.value.status_code == 200
    assert server.count(method, path) == 1  # a parse error is not retried: the answer would not change


def _relabel(app: App, content_type: str) -> App:
    def relabelled(request: httpx.Request) -> httpx.Response:
        response = app(request)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-type"}
        return httpx.Response(
            response.status_code,
            headers={**headers, "Content-Type": content_type},
            content=response.read(),
        )

    return relabelled


@pytest.mark.parametrize("label", ["text/html; charset=UTF-8", "text/plain", "application/octet-stream"])
async def test_json_under_a_wrong_content_type_is_parsed(api: Api, mode: str, label: str) -> None:
    """Decision (documented in craftapis._base._decode): the body is read as JSON whatever its
    Content-Type claims. PHP servers (Railcraft's) label JSON `text/html`, and proxies relabel; a
    body that is not JSON is a ResponseParseError (above), never silently accepted."""
    app = api.app()
    with FaultServer(app) as honest:
        client = api.make(mode, honest.url)
        try:
            expected = _plain(await resolve(api.read(client)))
        finally:
            await close(client)
    with FaultServer(_relabel(app, label)) as relabelled:
        client = api.make(mode, relabelled.url)
        try:
            got = _plain(await resolve(api.read(client)))
        finally:
            await close(client)
        assert relabelled.requests()[-1].route == api.read_request[1]
    assert got == expected


async def test_an_error_body_under_a_wrong_content_type_is_still_typed(
    api: Api, mode: str, server: FaultServer
) -> None:
    """The same decision for errors: a JSON error body labelled text/html is decoded and typed."""
    bodies: dict[str, Callable[[], Respond]] = {
        "modrinth": lambda: Respond(404, {"error": "not_found", "description": "gone fishing"}),
        "builtbybit": lambda: Respond(
            404, {"result": "error", "error": {"code": "NotFoundError", "message": "gone fishing"}}
        ),
        "builtbybit_v1": lambda: Respond(
            404, {"result": "error", "error": {"code": "NotFoundError", "message": "gone fishing"}}
        ),
        "postal": lambda: Respond(
            200,
            {
                "status": "error",
                "time": 0.01,
                "flags": {},
                "data": {"code": "MessageNotFound", "message": "gone fishing"},
            },
        ),
        "railcraft": lambda: Respond(200, {"result": 11, "msg": "gone fishing"}),
    }
    reply = bodies[api.name]()
    reply.content_type = "text/html; charset=UTF-8"
    server.script(reply, path=api.read_request[1])
    client = api.make(mode, server.url)
    try:
        with pytest.raises(APIError) as caught:
            await resolve(api.read(client))
    finally:
        await close(client)
    assert not isinstance(caught.value, ResponseParseError)
    assert "gone fishing" in str(caught.value)


SAFE_POST_BUG = (
    "BUG: facade/craftapis/railcraft/_client.py declares its POST endpoints safe to resend only in "
    "RAILCRAFT.default_retry (safe_methods with POST); a user who passes retry=RetryPolicy(...) (say, "
    "to change max_attempts) silently loses that, and reads behind POST are no longer retried on "
    "5xx, timeouts or resets. Fix: mark the requests themselves idempotent (request extension "
    "craftapis.idempotent=True in _RailcraftCore._form_request), as Moonrope does per action."
)


async def test_railcraft_reads_stay_retried_with_a_custom_retry_policy(mode: str) -> None:
    method, path = RAILCRAFT.read_request
    with FaultServer(RAILCRAFT.app()) as server:
        server.script(Respond(503), path=path)
        client = RAILCRAFT.make(mode, server.url, retry=fast_retry(max_attempts=3))
        try:
            assert await resolve(RAILCRAFT.read(client)) is not None
        finally:
            await close(client)
        assert server.count(method, path) == 2
