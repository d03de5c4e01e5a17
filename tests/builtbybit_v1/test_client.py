"""BuiltByBitV1 / AsyncBuiltByBitV1 against the fake API on a loopback socket (sync and async twins)."""

from __future__ import annotations

import logging
import time
from typing import Any

import httpx
import pytest
from craftapis import (
    APIError,
    AuthenticationError,
    BucketRateLimiter,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RetryPolicy,
)
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1, LicenseCheck, SharedTokenError
from craftapis.builtbybit_v1._auth import TokenAuth
from craftapis.builtbybit_v1._license import evaluate_license
from craftapis.builtbybit_v1._profile import error_class_for_code

from .fake import NONCE, PRIVATE_TOKEN, SHARED_TOKEN, FakeBuiltByBit
from .harness import close, collect, make, pages, resolve, take

FAST = RetryPolicy(jitter=False, initial_backoff=0.01, max_backoff=0.05)


# -- construction and credentials -------------------------------------------------------------------
@pytest.mark.parametrize("cls", [BuiltByBitV1, AsyncBuiltByBitV1])
def test_exactly_one_token_is_required(cls: type[Any]) -> None:
    with pytest.raises(TypeError, match=r"exactly one of private_token= .* or shared_token="):
        cls()
    with pytest.raises(TypeError, match="exactly one"):
        cls(private_token=PRIVATE_TOKEN, shared_token=SHARED_TOKEN)
    with pytest.raises(ValueError, match="non-empty"):
        cls(private_token="  ")


@pytest.mark.parametrize(("kind", "token"), [("private", PRIVATE_TOKEN), ("shared", SHARED_TOKEN)])
async def test_authorization_header_carries_the_token_kind(
    mode: str, server: str, fake: FakeBuiltByBit, kind: str, token: str
) -> None:
    client = make(mode, base_url=server, **{f"{kind}_token": token})
    try:
        version = await resolve(client.latest_version(1001))
    finally:
        await close(client)
    assert version.name == "1.24.0"
    assert fake.seen[-1].authorization == f"{kind.capitalize()} {token}"
    assert client.token_kind == kind.capitalize()


def test_default_base_url_and_knob() -> None:
    assert BuiltByBitV1(private_token=PRIVATE_TOKEN).base_url == "https://api.builtbybit.com/v1"
    assert BuiltByBitV1(private_token=PRIVATE_TOKEN, base_url="https://api.mc-market.org/v1/").base_url == (
        "https://api.mc-market.org/v1"
    )
    assert isinstance(BuiltByBitV1(private_token=PRIVATE_TOKEN).rate_limiter, BucketRateLimiter)


# -- the Shared token ---------------------------------------------------------------------------------
async def test_shared_token_refused_for_a_private_operation_before_sending(
    mode: str, server: str, fake: FakeBuiltByBit
) -> None:
    client = make(mode, shared_token=SHARED_TOKEN, base_url=server)
    try:
        with pytest.raises(SharedTokenError) as info:
            await resolve(client.api.resources.get_resource(resource_id=1001))
        message = str(info.value)
        assert "resources.get_resource" in message
        assert "needs a Private token" in message
        assert info.value.status_code is None
        assert isinstance(info.value, PermissionDeniedError)
        with pytest.raises(SharedTokenError, match=r"resources\.list_resources needs a Private token"):
            client.resources()  # refused when the iterator is made, not at the first page
        with pytest.raises(SharedTokenError, match="GET /members/self needs a Private token"):
            await resolve(client.raw("GET", "/members/self"))
        with pytest.raises(SharedTokenError, match="POST /conversations needs a Private token"):
            await resolve(client.request("POST", "/conversations", json={}))
        assert fake.seen == []  # nothing reached the server
        # the two Shared operations do go through
        assert (await resolve(client.latest_version(1001))).version_id == 9024
        check = await resolve(client.validate_license(1001, 501, nonce=NONCE, timestamp=1_700_000_123))
        assert check.valid
    finally:
        await close(client)
    assert [s.path for s in fake.seen] == [
        "/resources/1001/versions/latest",
        "/resources/1001/licenses/members/501",
    ]


async def test_validate_license_sends_nonce_and_timestamp_as_query(
    mode: str, server: str, fake: FakeBuiltByBit
) -> None:
    client = make(mode, shared_token=SHARED_TOKEN, base_url=server)
    try:
        await resolve(client.validate_license(1001, 501, nonce=NONCE, timestamp=1_700_000_123))
        with pytest.raises(ValueError, match="nonce= and timestamp="):
            await resolve(client.validate_license(1001, 501))
    finally:
        await close(client)
    assert fake.seen[-1].query == {"nonce": str(NONCE), "timestamp": "1700000123"}
    assert len(fake.seen) == 1


async def test_validate_license_outcomes(mode: str, server: str) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        valid = await resolve(client.validate_license(1001, 501))
        inactive = await resolve(client.validate_license(1001, 502))
        expired = await resolve(client.validate_license(1001, 503))
        missing = await resolve(client.validate_license(1001, 999))
    finally:
        await close(client)
    assert isinstance(valid, LicenseCheck)
    assert valid and valid.valid and valid.license is not None and valid.license.license_id == 1
    assert not inactive and inactive.reason == "the license is inactive" and inactive.license is not None
    assert not expired and "expired at 2023-" in expired.reason
    assert not missing and missing.license is None
    assert "member 999 holds no license for resource 1001" in missing.reason


async def test_validate_license_raises_when_the_check_cannot_run(mode: str, server: str) -> None:
    client = make(mode, private_token="wrong-token", base_url=server)
    try:
        with pytest.raises(AuthenticationError, match="InvalidTokenError"):
            await resolve(client.validate_license(1001, 501))
    finally:
        await close(client)


def test_license_evaluation_rules() -> None:
    class Lic:
        def __init__(self, **kw: Any) -> None:
            self.__dict__.update(kw)

    assert evaluate_license(Lic(active=True, permanent=False, end_date=2000), 1, 2, now=1999).valid
    assert not evaluate_license(Lic(active=True, permanent=False, end_date=2000), 1, 2, now=2000).valid
    assert evaluate_license(Lic(active=True, permanent=True, end_date=5), 1, 2, now=2000).valid
    assert evaluate_license(Lic(active=True, permanent=False, end_date=0), 1, 2, now=2000).valid
    assert evaluate_license(Lic(permanent=False, end_date=None), 1, 2, now=2000).valid
    assert not evaluate_license(None, 1, 2).valid


# -- pagination ---------------------------------------------------------------------------------------
async def test_45_items_over_3_pages_every_item_once(mode: str, server: str, fake: FakeBuiltByBit) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        items = await collect(client.resources())
    finally:
        await close(client)
    ids = [item.resource_id for item in items]
    assert ids == [1000 + i for i in range(45)]
    assert [s.query["page"] for s in fake.seen] == ["1", "2", "3"]


async def test_pages_are_fetched_lazily_and_limit_stops_early(
    mode: str, server: str, fake: FakeBuiltByBit
) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        iterator = client.resources()
        assert fake.seen == []  # nothing is fetched before iterating
        first = await take(iterator, 5)
        assert len(first) == 5 and fake.count("/resources") == 1
        limited = await collect(client.resources(limit=25))
        assert len(limited) == 25 and fake.count("/resources") == 3  # 1 + 2 pages
        sizes = [len(page.items) for page in await pages(client.resources())]
        assert sizes == [20, 20, 5]
    finally:
        await close(client)


async def test_a_full_last_page_costs_one_empty_request(mode: str, server: str, fake: FakeBuiltByBit) -> None:
    fake.resources = fake.resources[:40]
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        assert len(await collect(client.resources())) == 40
    finally:
        await close(client)
    assert [s.query["page"] for s in fake.seen] == ["1", "2", "3"]


async def test_sort_and_order_are_sent_on_every_page(mode: str, server: str, fake: FakeBuiltByBit) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        items = await collect(client.resources(sort="resource_id", order="desc"))
        with pytest.raises(ValueError, match="'asc' or 'desc'"):
            client.resources(order="down")
    finally:
        await close(client)
    assert [item.resource_id for item in items] == [1000 + i for i in reversed(range(45))]
    assert {(s.query["sort"], s.query["order"]) for s in fake.seen} == {("resource_id", "desc")}


@pytest.mark.parametrize(
    ("method", "args", "kwargs", "path"),
    [
        ("owned_resources", (), {}, "/resources/owned"),
        ("purchases", (1001,), {}, "/resources/1001/purchases"),
        ("licenses", (1001,), {}, "/resources/1001/licenses"),
        ("reviews", (1001,), {}, "/resources/1001/reviews"),
        ("updates", (1001,), {}, "/resources/1001/updates"),
        ("versions", (1001,), {}, "/resources/1001/versions"),
        ("downloads", (1001,), {}, "/resources/1001/downloads"),
        ("downloads", (1001,), {"member_id": 501}, "/resources/1001/downloads/members/501"),
        ("downloads", (1001,), {"version_id": 9001}, "/resources/1001/downloads/versions/9001"),
        ("conversations", (), {}, "/conversations"),
        ("alerts", (), {}, "/alerts"),
        ("threads", (), {}, "/threads"),
    ],
)
async def test_friendly_lists(
    mode: str,
    server: str,
    fake: FakeBuiltByBit,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    path: str,
) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        items = await collect(getattr(client, method)(*args, **kwargs))
    finally:
        await close(client)
    assert items, method
    assert all(not isinstance(item, dict) for item in items)  # parsed into models
    assert {s.path for s in fake.seen} == {path}
    assert [s.query for s in fake.seen] == [{"page": str(n + 1)} for n in range(len(items) // 20 + 1)]


async def test_every_list_operation_paginates(mode: str) -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        page = int(request.url.params["page"])
        return httpx.Response(
            200, json={"result": "success", "data": [{"n": i} for i in range(20 if page == 1 else 3)]}
        )

    transport: Any = httpx.MockTransport(app)
    client = make(mode, private_token=PRIVATE_TOKEN, transport=transport)
    from craftapis.builtbybit_v1 import LIST_OPERATIONS

    try:
        for dotted in sorted(LIST_OPERATIONS):
            module = __import__(f"craftapis_generated.builtbybit_v1.api.{dotted}", fromlist=["_get_kwargs"])
            ids = {
                name: 5
                for name, p in __import__("inspect").signature(module._get_kwargs).parameters.items()
                if p.kind is p.POSITIONAL_OR_KEYWORD
            }
            before = len(seen)
            items = await collect(client.paginate(dotted, **ids))
            assert len(items) == 23, dotted
            assert [r.url.params["page"] for r in seen[before:]] == ["1", "2"], dotted
        short = await collect(client.paginate("list_threads"))  # the bare operation name works too
        assert len(short) == 23
        with pytest.raises(ValueError, match="not a BuiltByBit v1 list operation"):
            client.paginate("resources.get_resource", resource_id=1)
        with pytest.raises(TypeError, match="page is set by the iterator"):
            client.paginate("list_threads", page=2)
    finally:
        await close(client)


# -- envelopes and errors -----------------------------------------------------------------------------
async def test_error_envelope_with_http_200_raises_a_typed_error(
    mode: str, server: str, fake: FakeBuiltByBit
) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        fake.fail_next_with_200("ResourceNotFoundError", "Resource 5 does not exist.")
        with pytest.raises(NotFoundError) as info:
            await resolve(client.api.resources.get_resource(resource_id=5))
        fake.fail_next_with_200("WeirdNewError", "Something else.")
        with pytest.raises(APIError) as other:
            await resolve(client.health())
    finally:
        await close(client)
    err = info.value
    assert err.status_code == 200 and err.code == "ResourceNotFoundError"
    assert err.message == "Resource 5 does not exist."
    assert "HTTP 200" in str(err) and "[ResourceNotFoundError]" in str(err)
    assert type(other.value) is APIError and other.value.code == "WeirdNewError"


async def test_error_envelope_with_an_error_status(mode: str, server: str) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        with pytest.raises(NotFoundError) as info:
            await resolve(client.api.members.get_member(member_id=1))  # the fake has no such route
    finally:
        await close(client)
    assert info.value.status_code == 404 and info.value.code == "NotFoundError"


def test_error_codes_pick_classes() -> None:
    assert error_class_for_code("HeaderMissingError") is AuthenticationError
    assert error_class_for_code("RateLimitExceededError") is RateLimitError
    assert error_class_for_code("InvalidTokenError") is AuthenticationError
    assert error_class_for_code("SomethingNotFoundError") is NotFoundError
    assert error_class_for_code(None) is APIError


async def test_a_post_answers_the_new_id(mode: str, server: str) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    from craftapis_generated.builtbybit_v1.models import StartConversationRequest

    try:
        new_id = await resolve(
            client.api.conversations.start_conversation(
                body=StartConversationRequest(title="t", message="m", recipient_ids=[501])
            )
        )
    finally:
        await close(client)
    assert new_id == 41


# -- rate limits ----------------------------------------------------------------------------------------
async def test_retry_after_is_read_as_milliseconds(mode: str, server: str, fake: FakeBuiltByBit) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server, retry=FAST)
    fake.throttle(300)
    start = time.monotonic()
    try:
        assert await resolve(client.health()) == "ok"
        elapsed = time.monotonic() - start
        limiter = client.rate_limiter
        assert isinstance(limiter, BucketRateLimiter)
        assert limiter.blocked_until("READ") > 0 and limiter.blocked_until("WRITE") == 0.0  # READ only
    finally:
        await close(client)
    assert 0.3 <= elapsed < 5.0  # 300 ms, not 300 s (which would exceed max_retry_after and fail)
    assert [s.path for s in fake.seen] == ["/health", "/health"]


async def test_a_retry_after_beyond_the_policy_raises_rate_limit_error(
    mode: str, server: str, fake: FakeBuiltByBit
) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server, retry=FAST)
    fake.throttle(120_000)
    try:
        with pytest.raises(RateLimitError) as info:
            await resolve(client.health())
    finally:
        await close(client)
    assert info.value.retry_after == 120.0
    assert info.value.code == "RateLimitError"
    assert len(fake.seen) == 1


# -- formats ----------------------------------------------------------------------------------------------
async def test_raw_returns_xml_and_yaml_text(mode: str, server: str, fake: FakeBuiltByBit) -> None:
    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        xml = await resolve(client.raw("GET", "/resources/1001/versions/latest", format="xml"))
        yml = await resolve(client.raw("GET", "/health", format="yaml"))
        pretty = await resolve(client.raw("GET", "/health", pretty=True))
        with pytest.raises(ValueError, match="json, xml, yaml"):
            await resolve(client.raw("GET", "/health", format="csv"))  # type: ignore[arg-type]
    finally:
        await close(client)
    assert xml.startswith('<?xml version="1.0"?><response><result>success</result>')
    assert "<name>1.24.0</name>" in xml
    assert yml == "data: ok\nresult: success\n"
    assert pretty == '{\n  "result": "success",\n  "data": "ok"\n}'
    assert [s.query for s in fake.seen] == [
        {"format": "xml"},
        {"format": "yaml"},
        {"format": "json", "pretty": "true"},
    ]


async def test_parsed_calls_refuse_other_formats(mode: str, server: str, fake: FakeBuiltByBit) -> None:
    from craftapis_generated.builtbybit_v1.models import ResponseFormat

    client = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    try:
        with pytest.raises(ValueError, match=r"parses JSON only .* use client.raw"):
            await resolve(client.api.health.get_health(format_=ResponseFormat.XML))
        assert await resolve(client.api.health.get_health(format_=ResponseFormat.JSON)) == "ok"
    finally:
        await close(client)
    assert len(fake.seen) == 1


# -- secrets ----------------------------------------------------------------------------------------------
async def test_tokens_never_leak(mode: str, server: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    private = make(mode, private_token=PRIVATE_TOKEN, base_url=server)
    shared = make(mode, shared_token=SHARED_TOKEN, base_url=server)
    bad = make(mode, private_token=PRIVATE_TOKEN + "-revoked", base_url=server)
    errors: list[BaseException] = []
    try:
        await resolve(private.health())
        await resolve(shared.validate_license(1001, 501, nonce=NONCE, timestamp=1))
        for call in (lambda: shared.api.members.get_self(), lambda: bad.health()):
            try:
                await resolve(call())
            except APIError as exc:
                errors.append(exc)
    finally:
        for client in (private, shared, bad):
            await close(client)
    assert len(errors) == 2
    texts = [repr(private), repr(shared), repr(bad), repr(private._auth), str(private.__dict__)]
    texts += [str(e) for e in errors] + [repr(e) for e in errors]
    texts += [record.getMessage() for record in caplog.records]
    assert any("HTTP Request" in record.getMessage() for record in caplog.records)  # logging did happen
    for text in texts:
        assert PRIVATE_TOKEN not in text and SHARED_TOKEN not in text, text
    assert repr(TokenAuth("Private", PRIVATE_TOKEN)) == "TokenAuth(kind='Private', token='<redacted>')"
