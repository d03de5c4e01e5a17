"""Moonrope / AsyncMoonrope against a loopback moonrope server: statuses with HTTP 200, failures
outside the envelope, pagination, retry safety per action, and secrets kept out of sight."""

from __future__ import annotations

import inspect
import logging
import pickle
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import craftapis
import pytest
from craftapis import (
    APIError,
    AsyncPageIterator,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    ResponseParseError,
    RetryPolicy,
    ServerError,
    UnprocessableEntityError,
)
from craftapis.moonrope import (
    AccessDeniedError,
    AsyncMoonrope,
    Envelope,
    HTTPNotSupportedError,
    InvalidActionError,
    InvalidJSONError,
    MaintenanceError,
    Moonrope,
    MoonropeError,
    MoonropeNotFoundError,
    MoonropeServerError,
    ParameterError,
    ValidationError,
)

from .moonrope_fake import Answer, Call, MoonropeServer, envelope, failure

TOKEN = "tok-7f3a9c2e-SECRET-token"
SECRET = "sec-91b4d0aa-SECRET-secret"
AUTH = {"X-Auth-Token": TOKEN, "X-Auth-Secret": SECRET}
RECORDS = [{"id": i, "name": f"widget {i}"} for i in range(1, 26)]  # 25: three pages of 10
FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff=0.0, jitter=False)


class GenericApp:
    """A moonrope deployment with a few actions, one per behaviour under test."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.flaky_left: dict[str, int] = {}

    def __call__(self, call: Call) -> Answer:
        if not call.path.startswith("/api/v1/"):
            return failure(400, "invalid-controller-or-action")
        if call.headers.get("x-auth-token") != TOKEN or call.headers.get("x-auth-secret") != SECRET:
            return envelope("access-denied", {"message": "Must be authenticated"})
        if call.action.startswith("fail/"):
            return self._failure(call.action.removeprefix("fail/"))
        if call.action.startswith("status/"):
            return self._status(call.action.removeprefix("status/"))
        if call.action.startswith("flaky/"):
            with self.lock:
                left = self.flaky_left.get(call.action, 0)
                self.flaky_left[call.action] = left - 1
            if left > 0:
                return Answer(503)
            return envelope("success", {"done": call.action})
        params = call.params
        if call.action == "widgets/info":
            if "id" not in params:
                return envelope("parameter-error", {"message": "`id` parameter is required but is missing"})
            return envelope("success", {"id": params["id"], "echo": params}, time=None)
        if call.action == "widgets/list":
            page = int(params.get("page", 1))
            per_page = min(int(params.get("per_page", 30)), 60)
            total_pages = max(1, -(-len(RECORDS) // per_page))
            items = RECORDS[(page - 1) * per_page : page * per_page]
            flags = {
                "paginated": {
                    "page": page,
                    "per_page": per_page,
                    "total_pages": total_pages,
                    "total_records": len(RECORDS),
                }
            }
            return envelope("success", items, flags=flags)
        if call.action == "widgets/all":  # a list action that does not paginate
            return envelope("success", RECORDS[:3])
        if call.action == "weird/html":
            return Answer(200, b"<html>login</html>", {"Content-Type": "text/html"})
        if call.action == "weird/echo-token":
            return envelope(
                "error", {"code": "BadToken", "message": f"token {TOKEN} is not valid", "token": TOKEN}
            )
        return failure(400, "invalid-controller-or-action")

    @staticmethod
    def _status(status: str) -> Answer:
        if status == "error":
            return envelope(
                "error",
                {"code": "WidgetLocked", "message": "The widget is locked", "widget_id": 7, "until": None},
            )
        if status == "validation-error":
            return envelope("validation-error", {"errors": {"name": ["is too short"]}})
        return envelope(status, {"message": f"{status} happened"})

    @staticmethod
    def _failure(kind: str) -> Answer:
        if kind == "invalid-json":
            return failure(400, "invalid-json", details="unexpected token at '{oops'")
        if kind == "http":
            return failure(400, "http-not-supported")
        if kind == "500":
            return failure(500, "internal-server-error")
        if kind == "503":
            return Answer(503)
        return failure(400, "invalid-controller-or-action")


@pytest.fixture
def app() -> GenericApp:
    return GenericApp()


@pytest.fixture
def server(app: GenericApp) -> Iterator[MoonropeServer]:
    with MoonropeServer(app) as srv:
        yield srv


@pytest.fixture(params=["sync", "async"])
async def client(
    request: pytest.FixtureRequest, server: MoonropeServer
) -> AsyncIterator[Moonrope | AsyncMoonrope]:
    kind = request.param
    cls = Moonrope if kind == "sync" else AsyncMoonrope
    c = cls(
        base_url=server.url,
        auth_headers=AUTH,
        safe_actions=["widgets/info", "widgets/list", "flaky/read"],
        retry=FAST_RETRY,
    )
    try:
        yield c
    finally:
        if isinstance(c, Moonrope):
            c.close()
        else:
            await c.aclose()


async def run(value: Any) -> Any:
    """The same test body drives the sync and the async client."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterator: Any) -> list[Any]:
    if isinstance(iterator, AsyncPageIterator):
        return [item async for item in iterator]
    return list(iterator)


async def collect_pages(iterator: Any) -> list[Any]:
    if isinstance(iterator, AsyncPageIterator):
        return [page async for page in iterator.iter_pages()]
    return list(iterator.iter_pages())


# -- success -----------------------------------------------------------------------------------------
async def test_call_action_posts_json_with_auth_headers_and_returns_data(
    client: Any, server: MoonropeServer
) -> None:
    data = await run(client.call_action("widgets", "info", {"id": 3, "tags": ["a", "b"]}))
    assert data == {"id": 3, "echo": {"id": 3, "tags": ["a", "b"]}}
    (call,) = server.calls
    assert call.method == "POST"
    assert call.path == "/api/v1/widgets/info"
    assert call.headers["content-type"] == "application/json"
    assert call.params == {"id": 3, "tags": ["a", "b"]}
    assert call.headers["x-auth-token"] == TOKEN and call.headers["x-auth-secret"] == SECRET


async def test_envelope_with_null_time(client: Any) -> None:
    result = await run(client.call_action("widgets", "info", {"id": 1}, envelope=True))
    assert isinstance(result, Envelope)
    assert result.status == "success" and result.time is None and result.flags == {}
    assert result.data["id"] == 1
    paged = await run(client.call_action("widgets", "list", {"per_page": 10}, envelope=True))
    assert paged.time == pytest.approx(0.004)
    assert paged.flags["paginated"]["total_pages"] == 3


# -- statuses with HTTP 200 ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "error_type", "generic", "message"),
    [
        ("parameter-error", ParameterError, BadRequestError, "parameter-error happened"),
        ("access-denied", AccessDeniedError, PermissionDeniedError, "access-denied happened"),
        ("not-found", MoonropeNotFoundError, NotFoundError, "not-found happened"),
    ],
)
async def test_message_statuses_raise_their_type(
    client: Any, status: str, error_type: type[APIError], generic: type[APIError], message: str
) -> None:
    with pytest.raises(error_type) as info:
        await run(client.call_action("status", status))
    err = info.value
    assert isinstance(err, MoonropeError) and isinstance(err, generic) and isinstance(err, APIError)
    assert err.status == status and err.code == status
    assert err.message == message
    assert err.status_code == 200
    assert f"moonrope status {status}" in str(err) and message in str(err)
    assert "/api/v1/status/" in str(err)


async def test_validation_error_has_errors(client: Any) -> None:
    with pytest.raises(ValidationError) as info:
        await run(client.call_action("status", "validation-error"))
    err = info.value
    assert isinstance(err, UnprocessableEntityError)
    assert err.errors == {"name": ["is too short"]}
    assert err.code == "validation-error" and "is too short" in err.message


async def test_error_status_carries_code_message_and_attributes(client: Any) -> None:
    with pytest.raises(MoonropeError.for_code("WidgetLocked")) as info:
        await run(client.call_action("status", "error"))
    err = info.value
    assert type(err) is MoonropeError.for_code("WidgetLocked")
    assert err.status == "error" and err.code == "WidgetLocked"
    assert err.message == "The widget is locked"
    assert err.attributes == {"widget_id": 7, "until": None}
    assert "[WidgetLocked]" in str(err)
    # another code's class does not catch it
    assert not isinstance(err, MoonropeError.for_code("SomethingElse"))


async def test_unknown_action_is_invalid_action_error(client: Any) -> None:
    with pytest.raises(InvalidActionError) as info:
        await run(client.call_action("nope", "nothing"))
    assert isinstance(info.value, BadRequestError)
    assert info.value.status_code == 400 and info.value.code == "invalid-controller-or-action"


async def test_failures_outside_the_envelope(client: Any, server: MoonropeServer) -> None:
    with pytest.raises(InvalidJSONError) as json_info:
        await run(client.call_action("fail", "invalid-json"))
    assert json_info.value.status_code == 400 and "unexpected token" in str(json_info.value)
    assert json_info.value.attributes == {"details": "unexpected token at '{oops'"}
    with pytest.raises(HTTPNotSupportedError) as http_info:
        await run(client.call_action("fail", "http"))
    assert "https://" in str(http_info.value)
    # fail/500 and fail/503 are not declared safe: sent once, not retried
    with pytest.raises(MoonropeServerError) as server_info:
        await run(client.call_action("fail", "500"))
    assert isinstance(server_info.value, ServerError) and server_info.value.status_code == 500
    with pytest.raises(MaintenanceError) as maintenance:
        await run(client.call_action("fail", "503"))
    assert maintenance.value.status_code == 503 and "maintenance" in str(maintenance.value)
    assert len(server.calls_to("fail/500")) == 1 and len(server.calls_to("fail/503")) == 1


async def test_answer_that_is_not_an_envelope(client: Any) -> None:
    with pytest.raises(ResponseParseError) as info:
        await run(client.call_action("weird", "html"))
    assert "not a moonrope envelope" in str(info.value)


# -- retry safety ------------------------------------------------------------------------------------
async def test_safe_action_is_retried_unsafe_is_not(
    client: Any, app: GenericApp, server: MoonropeServer
) -> None:
    app.flaky_left = {"flaky/read": 1, "flaky/write": 1}
    assert await run(client.call_action("flaky", "read")) == {"done": "flaky/read"}
    assert len(server.calls_to("flaky/read")) == 2
    with pytest.raises(MaintenanceError):
        await run(client.call_action("flaky", "write"))
    assert len(server.calls_to("flaky/write")) == 1
    # the caller may declare one call safe
    app.flaky_left["flaky/write"] = 1
    with client.options(idempotent=True):
        assert await run(client.call_action("flaky", "write")) == {"done": "flaky/write"}
    assert len(server.calls_to("flaky/write")) == 3


async def test_unsafe_action_stays_unretried_even_if_policy_treats_post_as_safe(
    server: MoonropeServer, app: GenericApp
) -> None:
    app.flaky_left = {"flaky/write": 1}
    policy = FAST_RETRY.copy_with(safe_methods=frozenset({"GET", "POST"}))
    with Moonrope(base_url=server.url, auth_headers=AUTH, retry=policy) as c, pytest.raises(MaintenanceError):
        c.call_action("flaky", "write")
    assert len(server.calls_to("flaky/write")) == 1


# -- pagination ----------------------------------------------------------------------------------------
async def test_paginate_three_pages_each_item_once(client: Any, server: MoonropeServer) -> None:
    items = await collect(client.paginate("widgets", "list", per_page=10))
    assert items == RECORDS
    assert [c.params for c in server.calls] == [
        {"page": 1, "per_page": 10},
        {"page": 2, "per_page": 10},
        {"page": 3, "per_page": 10},
    ]


async def test_paginate_pages_and_totals(client: Any) -> None:
    pages = await collect_pages(client.paginate("widgets", "list", {"extra": "kept"}, per_page=10))
    assert [len(p.items) for p in pages] == [10, 10, 5]
    assert all(p.total == 25 for p in pages)
    assert [p.params["page"] for p in pages] == [1, 2, 3]
    assert all(p.params["extra"] == "kept" for p in pages)


async def test_paginate_limit_stops_early(client: Any, server: MoonropeServer) -> None:
    items = await collect(client.paginate("widgets", "list", per_page=10, limit=12))
    assert items == RECORDS[:12]
    assert len(server.calls) == 2  # the third page is never asked for


async def test_paginate_item_converter_and_default_page_size(client: Any, server: MoonropeServer) -> None:
    names = await collect(client.paginate("widgets", "list", item=lambda r: r["name"]))
    assert names == [r["name"] for r in RECORDS]
    assert server.calls[0].params == {"page": 1, "per_page": 30}
    assert len(server.calls) == 1


async def test_action_without_paginated_flag_is_one_page(client: Any, server: MoonropeServer) -> None:
    assert await collect(client.paginate("widgets", "all")) == RECORDS[:3]
    assert len(server.calls) == 1


@pytest.mark.parametrize("per_page", [0, 61, 100, "10", True])
async def test_per_page_is_validated_before_sending(
    client: Any, server: MoonropeServer, per_page: Any
) -> None:
    # a wrong type is a TypeError from the argument check every friendly method has (issue 9 item 9)
    expected = TypeError if isinstance(per_page, str) else ValueError
    with pytest.raises(expected, match="per_page must be"):
        await collect(client.paginate("widgets", "list", per_page=per_page))
    with pytest.raises(ValueError, match="per_page"):
        await collect(client.paginate("widgets", "list", {"per_page": per_page}))
    assert server.calls == []


# -- secrets -------------------------------------------------------------------------------------------
async def test_secrets_stay_out_of_repr_errors_and_logs(
    client: Any, caplog: pytest.LogCaptureFixture, server: MoonropeServer
) -> None:
    caplog.set_level(logging.DEBUG)
    await run(client.call_action("widgets", "info", {"id": 1}))
    errors: list[APIError] = []
    for controller, action in [("status", "access-denied"), ("weird", "echo-token"), ("fail", "500")]:
        with pytest.raises(APIError) as info:
            await run(client.call_action(controller, action))
        errors.append(info.value)
    echoed = errors[1]
    assert echoed.code == "BadToken"
    assert echoed.attributes == {"token": "REDACTED"}
    assert echoed.message == "token REDACTED is not valid"
    texts = [repr(client), repr(client._auth), *caplog.text.splitlines()]
    for err in errors:
        texts += [
            str(err),
            repr(err),
            repr(getattr(err, "attributes", None)),
            repr(getattr(err, "data", None)),
            repr(err.body),
        ]
        texts.append(repr(pickle.loads(pickle.dumps(err))))
    assert caplog.records, "DEBUG logging should have recorded the requests"
    for text in texts:
        assert TOKEN not in text and SECRET not in text
    assert "X-Auth-Token=***" in repr(client)
    # the secrets did reach the server
    assert server.calls[0].headers["x-auth-token"] == TOKEN


# -- configuration (no server) -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("base_url", "api_version", "expected"),
    [
        ("https://rpc.example.com", 1, "https://rpc.example.com/api/v1"),
        ("https://rpc.example.com/", "v2", "https://rpc.example.com/api/v2"),
        ("https://rpc.example.com", "/api/v1", "https://rpc.example.com/api/v1"),
        ("https://rpc.example.com/api/v1", 1, "https://rpc.example.com/api/v1"),
        ("https://rpc.example.com/sub", "/rpc/v3/", "https://rpc.example.com/sub/rpc/v3"),
    ],
)
def test_base_url_and_api_version(base_url: str, api_version: Any, expected: str) -> None:
    with Moonrope(base_url=base_url, api_version=api_version) as c:
        assert c.base_url == expected
        assert str(c._http.base_url).rstrip("/") == expected


@pytest.mark.parametrize("bad", ["postal.example.com", "", "ftp://x"])
def test_base_url_must_be_http(bad: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        Moonrope(base_url=bad)


def test_bad_api_version_and_empty_credentials() -> None:
    with pytest.raises(ValueError, match="api_version"):
        Moonrope(base_url="https://x.example", api_version="version one")
    with pytest.raises(ValueError, match="X-Auth-Token"):
        Moonrope(base_url="https://x.example", auth_headers={"X-Auth-Token": ""})


def test_generic_client_has_no_generated_operations() -> None:
    with Moonrope(base_url="https://x.example") as c:
        with pytest.raises(AttributeError, match="call_action"):
            _ = c.api
        with pytest.raises(TypeError, match="call_action"):
            c.call("send.send_message")


def test_error_code_classes_are_stable_and_picklable() -> None:
    cls = MoonropeError.for_code("SomeCode")
    assert cls is MoonropeError.for_code("SomeCode")
    assert issubclass(cls, MoonropeError) and cls.error_code == "SomeCode"
    err = cls("boom", status="error", code="SomeCode", attributes={"x": 1})
    copy = pickle.loads(pickle.dumps(err))
    assert type(copy) is cls and copy.attributes == {"x": 1} and copy.message == "boom"


def test_public_names() -> None:
    import craftapis.moonrope as moonrope

    for name in moonrope.__all__:
        assert hasattr(moonrope, name), name
    assert issubclass(moonrope.MoonropeError, craftapis.APIError)
