"""BuiltByBit / AsyncBuiltByBit against loopback servers: operations, auth, parameters, errors,
Retry-After in milliseconds, READ/WRITE buckets and pagination. Most tests run sync and async."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from craftapis import (
    APIError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
    ServerError,
)
from craftapis._base import operation_names
from craftapis.builtbybit import (
    AsyncBuiltByBit,
    BuiltByBit,
    TokenAuth,
    error_class_for_code,
)
from craftapis.builtbybit._profile import PROFILE, decode_error
from loopback import LoopbackServer, Reply

from .conftest import Twin
from .fake_api import TOKEN, FakeBuiltByBit

PACKAGE = "craftapis_generated.builtbybit_v2"


def envelope_error(code: str, message: str = "went wrong") -> dict[str, Any]:
    return {"result": "error", "error": {"code": code, "message": message}}


def query_of(path: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(path).query, keep_blank_values=True)


# -- every operation is reachable -------------------------------------------------------------


def test_all_37_operations_are_callables_on_both_clients() -> None:
    names = sorted(operation_names(PACKAGE))
    assert len(names) == 37
    for client in (BuiltByBit(token=TOKEN), AsyncBuiltByBit(token=TOKEN)):
        for dotted in names:
            tag, op = dotted.split(".")
            operation = getattr(getattr(client.api, tag), op)
            assert callable(operation), dotted
            assert operation.__name__ == dotted.split(".")[1]
            assert callable(client._module(dotted)._get_kwargs)
        assert sorted(dir(client.api)) == sorted({n.split(".")[0] for n in names})


def test_profile_is_builtbybit() -> None:
    assert PROFILE.base_url == "https://api.builtbybit.com"
    assert PROFILE.errors_in_success is True
    response = httpx.Response(429, headers={"Retry-After": "1500"})
    assert PROFILE.wait_hint(response) == 1.5  # milliseconds, not seconds
    limiter = PROFILE.make_limiter()
    assert type(limiter).__name__ == "BucketRateLimiter"
    # every generated path already carries /v2 (or /oauth2), so the base URL must not
    client = BuiltByBit(token=TOKEN)
    assert client.base_url == "https://api.builtbybit.com"
    assert client._module("health.get_v2_health")._get_kwargs()["url"] == "/v2/health"
    assert client._module("oauth2.post_oauth2_token_revoke").__name__.endswith("post_oauth2_token_revoke")


def test_one_auth_only_and_token_prefix_checks() -> None:
    with pytest.raises(TypeError, match="one of token=, oauth2= or auth="):
        BuiltByBit(token=TOKEN, auth=httpx.BasicAuth("a", "b"))
    with pytest.raises(ValueError, match="Token "):
        TokenAuth(f"Token {TOKEN}")
    with pytest.raises(ValueError, match="non-empty"):
        TokenAuth("")


# -- auth and parameters on the wire ---------------------------------------------------------


async def test_token_header_and_comma_joined_ids(twin: Any, fake: FakeBuiltByBit) -> None:
    bbb: Twin = twin()
    await bbb(
        "api.resources_creator.get_v2_resources_creator_purchases",
        resource_ids=[1000, 1002],
        buyer_ids=(4242,),
        external_tids=["TX-0000", "TX-0003"],
        with_=["Buyer", "Resource.Creator"],
    )
    await bbb("purchases", resource_ids=[1000, 1002, 1004], buyer_ids=4242, limit=1)
    await bbb("call", "resources_discovery.get_v2_resources_discover_resources", resource_ids="1001,1003")
    first, second, third = fake.requests
    assert first.headers["authorization"] == f"Token {TOKEN}"
    assert first.query["resource_ids"] == ["1000,1002"]  # one value, comma-joined (not a=1&a=2)
    assert first.query["buyer_ids"] == ["4242"]
    assert first.query["external_tids"] == ["TX-0000,TX-0003"]
    assert first.query["with"] == ["Buyer,Resource.Creator"]
    assert second.query["resource_ids"] == ["1000,1002,1004"] and second.query["buyer_ids"] == ["4242"]
    assert second.query["per_page"] == ["1"] and second.query["page"] == ["1"]
    assert third.query["resource_ids"] == ["1001,1003"]


async def test_filters_mapping_becomes_query_fields(twin: Any, fake: FakeBuiltByBit) -> None:
    await twin()(
        "discover_resources", filters={"rf[genre]": "action", "rf[mc]": "1.21"}, category_id=7, limit=1
    )
    query = fake.requests[0].query
    assert query["rf[genre]"] == ["action"] and query["rf[mc]"] == ["1.21"] and query["category_id"] == ["7"]


async def test_bad_id_lists_are_refused_before_sending(twin: Any, fake: FakeBuiltByBit) -> None:
    bbb = twin()
    with pytest.raises(ValueError, match="empty filter"):
        await bbb("purchases", resource_ids=[])
    with pytest.raises(ValueError, match="integer ids"):
        await bbb("licenses", resource_ids=["12a"])
    with pytest.raises(ValueError, match="per_page"):
        await bbb("versions", per_page=500)
    assert fake.requests == []


# -- errors -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (200, "RateLimitExceededError", RateLimitError),
        (200, "HeaderMissingError", AuthenticationError),
        (200, "ResourceNotFoundError", NotFoundError),
        (200, "SomethingOddError", APIError),
        (400, "InvalidParameterError", BadRequestError),
        (400, "UnknownResourceNotFoundError", NotFoundError),
        (401, "TokenInvalidError", AuthenticationError),
        (403, "InsufficientScopeError", PermissionDeniedError),
        (404, "EndpointNotFoundError", NotFoundError),
        (418, "ScopeMissingError", PermissionDeniedError),
        (500, "InternalError", ServerError),
    ],
)
async def test_envelope_errors_are_typed(
    mode: str, loopback: LoopbackServer, status: int, code: str, expected: type[APIError]
) -> None:
    loopback.script(Reply(status, envelope_error(code, "the message")))
    bbb = Twin(mode, token=TOKEN, base_url=loopback.url, retry=RetryPolicy(max_attempts=1))
    try:
        with pytest.raises(APIError) as caught:
            await bbb("health")
    finally:
        await bbb.close()
    error = caught.value
    assert type(error) is expected
    assert (error.status_code, error.code, error.message) == (status, code, "the message")
    assert error.url == f"{loopback.url}/v2/health"
    assert TOKEN not in str(error) and TOKEN not in repr(error)


def test_error_codes_map_and_non_envelopes_pass() -> None:
    assert error_class_for_code("RateLimitExceededError") is RateLimitError
    assert error_class_for_code("HeaderMissingError") is AuthenticationError
    assert error_class_for_code(None) is None and error_class_for_code("Mystery") is None
    ok = httpx.Response(200, json={"result": "success", "data": "ok"})
    assert decode_error(ok, ok.json()) is None
    assert decode_error(ok, "plain text") is None


async def test_success_envelope_is_unwrapped(twin: Any) -> None:
    data = await twin()("call", "resources_creator.get_v2_resources_creator_versions", resource_ids=[1000])
    assert type(data).__name__ == "GetV2ResourcesCreatorVersionsResponse200Data"
    assert [v.version_id for v in data.versions] == [100001, 100002]
    assert data.stats.max_page == 1


# -- Retry-After in milliseconds, READ/WRITE buckets -----------------------------------------


async def test_429_waits_retry_after_milliseconds_then_succeeds(mode: str, loopback: LoopbackServer) -> None:
    loopback.script(
        Reply(429, envelope_error("RateLimitExceededError", "slow down"), headers={"Retry-After": "400"}),
        Reply(200, {"result": "success", "data": "ok"}),
    )
    bbb = Twin(mode, token=TOKEN, base_url=loopback.url)
    try:
        assert await bbb("health") == "ok"
    finally:
        await bbb.close()
    first, second = loopback.requests
    waited = second.at - first.at
    assert 0.4 <= waited < 2.0  # 400 ms, not 400 s, and not the jittered backoff (<= 0.5 s) alone
    assert loopback.statuses() == [429, 200]


async def test_rate_limit_error_carries_retry_after_when_over_policy(
    mode: str, loopback: LoopbackServer
) -> None:
    loopback.script(Reply(429, envelope_error("RateLimitExceededError"), headers={"Retry-After": "120000"}))
    bbb = Twin(mode, token=TOKEN, base_url=loopback.url)  # 120 s > max_retry_after 60 s: no retry
    try:
        with pytest.raises(RateLimitError) as caught:
            await bbb("health")
    finally:
        await bbb.close()
    assert caught.value.retry_after == 120.0 and loopback.count() == 1


async def test_read_bucket_blocked_while_write_goes_on(mode: str, loopback: LoopbackServer) -> None:
    loopback.script(
        Reply(429, envelope_error("RateLimitExceededError"), headers={"Retry-After": "1200"}),
        path="/v2/health",
    )
    loopback.default = Reply(200, {"result": "success", "data": "ok"})
    bbb = Twin(mode, token=TOKEN, base_url=loopback.url, retry=RetryPolicy(max_attempts=1))
    try:
        start = time.monotonic()
        with pytest.raises(RateLimitError) as caught:
            await bbb("health")  # READ gets a 429: the READ bucket is blocked for 1.2 s
        assert caught.value.retry_after == 1.2
        await bbb("complete_events", [1, 2])  # WRITE is not blocked
        write_done = time.monotonic() - start
        assert await bbb("health") == "ok"  # READ waits for its bucket
        read_done = time.monotonic() - start
    finally:
        await bbb.close()
    assert write_done < 0.6
    assert read_done >= 1.2
    methods = [(r.method, r.path) for r in loopback.requests]
    assert methods == [("GET", "/v2/health"), ("POST", "/v2/events/complete"), ("GET", "/v2/health")]


# -- pagination ---------------------------------------------------------------------------------


async def test_pagination_every_item_once_stops_at_max_page(twin: Any, fake: FakeBuiltByBit) -> None:
    bbb = twin()
    resources = await bbb("discover_resources", per_page=2)
    ids = [r.resource_id for r in resources]
    assert ids == list(range(1000, 1007)) and len(set(ids)) == 7
    pages = [r.query["page"] for r in fake.requests]
    assert pages == [["1"], ["2"], ["3"], ["4"]]  # max_page = 4: no fifth request


async def test_pagination_limit_stops_early(twin: Any, fake: FakeBuiltByBit) -> None:
    resources = await twin()("discover_resources", per_page=2, limit=5)
    assert [r.resource_id for r in resources] == [1000, 1001, 1002, 1003, 1004]
    assert [r.query["page"] for r in fake.requests] == [["1"], ["2"], ["3"]]


async def test_iter_pages_reports_totals(mode: str, fake_url: str) -> None:
    if mode == "sync":
        with BuiltByBit(token=TOKEN, base_url=fake_url) as bbb:
            pages = list(bbb.purchases(per_page=4).iter_pages())
    else:
        async with AsyncBuiltByBit(token=TOKEN, base_url=fake_url) as abbb:
            pages = [page async for page in abbb.purchases(per_page=4).iter_pages()]
    assert [len(p.items) for p in pages] == [4, 4, 1]
    assert {p.total for p in pages} == {9}
    assert [p.params["page"] for p in pages] == [1, 2, 3]


async def test_a_list_without_stats_ends_on_an_empty_page(mode: str, loopback: LoopbackServer) -> None:
    loopback.script(
        Reply(
            200,
            {
                "result": "success",
                "data": {
                    "events": [
                        {
                            "event_id": 1,
                            "listener_id": 2,
                            "created_at": 3,
                            "trigger_type": "t",
                            "trigger_data": {},
                        }
                    ]
                },
            },
        ),
        Reply(200, {"result": "success", "data": {"events": []}}),
    )
    bbb = Twin(mode, token=TOKEN, base_url=loopback.url)
    try:
        events = await bbb("events", per_page=1)
    finally:
        await bbb.close()
    assert [e.event_id for e in events] == [1] and loopback.count() == 2
