"""The generated BuiltByBit v2 client parses what the server sends and sends what the server reads.

The payloads are built from the published spec's own examples (Resource, Price, Filter) and the
documented envelope (`{"result": "success", "data": ...}`, `data.stats` on lists, seed 001). They
exercise what specs/patches/builtbybit_v2.overlay.yaml fixes: null nested objects, lists and strings
(`ListPrice: null`, `Creator: null`), ids that are strings in one schema and integers in another,
unknown enum values, extra fields, comma-joined id lists, pagination, and `Authorization: Token …`.
"""

from __future__ import annotations

import copy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from craftapis_generated.builtbybit_v2 import AuthenticatedClient
from craftapis_generated.builtbybit_v2.api.resources_creator import (
    get_v2_resources_creator_purchases,
    get_v2_resources_creator_resources,
)
from craftapis_generated.builtbybit_v2.api.resources_discovery import (
    get_v2_resources_discover_resources,
)
from craftapis_generated.builtbybit_v2.models import (
    Addon,
    AddonState,
    GetV2EventsResponse200,
    GetV2ResourcesCreatorLicensesResponse200,
    GetV2ResourcesCreatorPurchasesResponse200,
    GetV2ResourcesDiscoverResourcesResponse200,
    Member,
    Price,
    QueryFilters,
    Resource,
    Result,
    SaleEvent,
    Version,
)
from craftapis_generated.builtbybit_v2.types import UNSET

# -- payloads ---------------------------------------------------------------------------------------

STATS = {"total": 53, "page": 1, "per_page": 25, "max_page": 3}
PRICE = {"value": 5.99, "currency": "USD", "formatted": "$5.99"}


def resource_with_hints() -> dict[str, Any]:
    """A resource fetched with `with=Creator,ListPrice,LatestVersion,SaleEventEntry,Category` where
    some hinted objects did not resolve (free resource: no list price; creator gone: null)."""
    return {
        "resource_id": 16682,
        "title": "NameGradient",
        "summary": "Sleek-looking and fully customisable HEX/RGB username gradients.",
        "url": "https://builtbybit.com/resources/16682/",
        "creator_id": 87939,
        "published_at": 1650000000,
        "last_updated_at": 1700000000,
        "purchases": 120,
        "downloads": 340,
        "cover_image_url": "https://cdn.example/cover.png",
        "carousel_image_urls": ["https://cdn.example/1.png"],
        "review_count": 12,
        "review_average": 4.5,
        "ListPrice": None,
        "FinalPrice": dict(PRICE),
        "Creator": None,
        "LatestVersion": {
            "version_id": 9001,
            "version_string": "v2.1.0",
            "resource_id": 16682,
            "created_at": 1700000000,
        },
        "SaleEventEntry": {
            "entry_id": 5,
            "event_id": 77,
            "content_type": "resource",
            "content_id": 16682,
            "discount": 20,
            "SaleEvent": {
                "event_id": "77",
                "title": "Summer",
                "started_at": "1720000000",
                "ended_at": "1721000000",
            },
        },
        "Category": None,
    }


def resource_plain(resource_id: int) -> dict[str, Any]:
    return {
        "resource_id": resource_id,
        "title": f"Resource {resource_id}",
        "creator_id": 87939,
        "ListPrice": dict(PRICE),
        "FinalPrice": {"value": 4.79, "currency": "USD", "formatted": "$4.79"},
        "Creator": {"user_id": "87939", "username": "someone", "registered_at": "1500000000"},
    }


def resource_list() -> dict[str, Any]:
    """/v2/resources/discover/resources with `with=filters`; the filters follow the spec's own
    Filter examples (no `type`, choices under `options` with `option_key`)."""
    return {
        "result": "success",
        "data": {
            "resources": [resource_plain(1), resource_with_hints()],
            "filters": [
                {"filter_id": "__keywords", "order": 0, "primary": True, "title": "Search", "options": []},
                {
                    "filter_id": "type",
                    "order": 0,
                    "primary": True,
                    "title": "Price",
                    "options": [
                        {"option_key": "", "count": 0, "query_field": "type", "title": "Any"},
                        {"option_key": "free", "count": None, "query_field": "type", "title": "Free"},
                    ],
                },
            ],
            "stats": dict(STATS),
        },
    }


def events_list() -> dict[str, Any]:
    return {
        "result": "success",
        "data": {
            "events": [
                {
                    "event_id": 101,
                    "listener_id": 3,
                    "created_at": 1720000000,
                    "trigger_type": "resource_purchase",
                    "trigger_data": {
                        "buyer_username": "alice",
                        "resource_title": "NameGradient",
                        "price": "5.99",
                    },
                },
                {
                    "event_id": 102,
                    "listener_id": 3,
                    "created_at": 1720000100,
                    "trigger_type": "new_review",
                    "trigger_data": None,
                },
            ],
            "stats": {"total": 2, "page": 1, "per_page": 25, "max_page": 1},
        },
    }


def licenses_list() -> dict[str, Any]:
    return {
        "result": "success",
        "data": {
            "licenses": [
                {
                    "content_type": "resource",
                    "content_id": 16682,
                    "buyer_id": 555,
                    "permanent": True,
                    "active": True,
                    "start_date": None,
                    "end_date": None,
                    "Resource": None,
                    "Buyer": {
                        "user_id": 555,
                        "username": "alice",
                        "registered_at": "1600000000",
                        "avatar_url": None,
                    },
                }
            ],
            "stats": {"total": 1, "page": 1, "per_page": 25, "max_page": 1},
        },
    }


def purchases_list() -> dict[str, Any]:
    return {
        "result": "success",
        "data": {
            "purchases": [
                {
                    "purchase_id": 42,
                    "content_type": "resource",
                    "content_id": 16682,
                    "buyer_id": 555,
                    "seller_id": 87939,
                    "created_at": 1720000000,
                    "validated_at": 1720000005,
                    "bundle_id": None,
                    "sale_event_id": None,
                    "external_tid": "tbx-123",
                    "gateway": "tebex",
                    "ListPrice": dict(PRICE),
                    "FinalPrice": dict(PRICE),
                    "PlatformFee": {"value": 0.3, "currency": "USD", "formatted": "$0.30"},
                    "AdFeePayment": None,
                    "AdFeeCredit": None,
                    "Buyer": {"user_id": "555", "username": "alice"},
                    "Seller": {"user_id": 87939, "username": "someone"},
                    "Addon": {
                        "addon_id": 7,
                        "resource_id": 16682,
                        "title": "Extra",
                        "state": "archived",
                        "ListPrice": None,
                    },
                }
            ],
            "stats": {"total": 1, "page": 1, "per_page": 25, "max_page": 1},
        },
    }


# -- parsing ----------------------------------------------------------------------------------------


def test_resource_list_with_stats_and_filters_parses() -> None:
    payload = resource_list()
    parsed = GetV2ResourcesDiscoverResourcesResponse200.from_dict(payload)
    assert parsed.result == Result.SUCCESS
    data = parsed.data
    assert (data.stats.total, data.stats.page, data.stats.per_page, data.stats.max_page) == (53, 1, 25, 3)
    first = data.resources[0]
    assert isinstance(first, Resource)
    assert isinstance(first.list_price, Price) and first.list_price.formatted == "$5.99"
    assert isinstance(first.creator, Member) and first.creator.user_id == "87939"
    price_filter = data.filters[1]
    assert price_filter.type_ is UNSET  # the example omits `type`, which upstream called required
    assert [o.option_key for o in price_filter.options] == ["", "free"]
    assert price_filter.options[1].count is None
    assert parsed.to_dict() == payload


def test_resource_with_hints_tolerates_null_hinted_objects() -> None:
    payload = resource_with_hints()
    resource = Resource.from_dict(payload)
    assert resource.list_price is None
    assert resource.creator is None
    assert resource.category is None
    assert isinstance(resource.final_price, Price) and resource.final_price.value == 5.99
    assert isinstance(resource.latest_version, Version) and resource.latest_version.version_string == "v2.1.0"
    entry = resource.sale_event_entry
    assert entry.event_id == 77  # integer here…
    assert isinstance(entry.sale_event, SaleEvent) and entry.sale_event.event_id == "77"  # …string there
    assert resource.to_dict() == payload  # nulls are written back as nulls, not dropped


def test_events_list_parses() -> None:
    payload = events_list()
    parsed = GetV2EventsResponse200.from_dict(payload)
    first, second = parsed.data.events
    assert (first.event_id, first.listener_id, first.trigger_type) == (101, 3, "resource_purchase")
    assert first.trigger_data.additional_properties["buyer_username"] == "alice"
    assert second.trigger_data is None
    assert parsed.data.stats.max_page == 1
    assert parsed.to_dict() == payload


def test_license_parses() -> None:
    payload = licenses_list()
    parsed = GetV2ResourcesCreatorLicensesResponse200.from_dict(payload)
    (license_,) = parsed.data.licenses
    assert (license_.content_type, license_.content_id, license_.permanent) == ("resource", 16682, True)
    assert license_.resource is None
    assert license_.start_date is None
    assert license_.buyer.user_id == 555 and license_.buyer.avatar_url is None  # an integer user_id here
    assert parsed.to_dict() == payload


def test_purchase_parses() -> None:
    payload = purchases_list()
    parsed = GetV2ResourcesCreatorPurchasesResponse200.from_dict(payload)
    (purchase,) = parsed.data.purchases
    assert purchase.purchase_id == 42 and purchase.external_tid == "tbx-123"
    assert purchase.platform_fee.value == 0.3
    assert purchase.ad_fee_payment is None and purchase.bundle_id is None
    assert purchase.buyer.user_id == "555" and purchase.seller.user_id == 87939
    assert isinstance(purchase.addon, Addon) and purchase.addon.list_price is None
    assert parsed.to_dict() == payload


def test_unknown_enum_values_are_kept() -> None:
    payload = purchases_list()
    payload["result"] = "partial"
    parsed = GetV2ResourcesCreatorPurchasesResponse200.from_dict(payload)
    assert isinstance(parsed.result, Result) and parsed.result.is_unknown and parsed.result.value == "partial"
    state = parsed.data.purchases[0].addon.state
    assert isinstance(state, AddonState) and state.is_unknown and state.value == "archived"
    assert AddonState("visible") is AddonState.VISIBLE
    dumped = parsed.to_dict()
    assert dumped["result"] == "partial"
    assert dumped["data"]["purchases"][0]["Addon"]["state"] == "archived"


def test_null_nested_object_list_and_string_are_kept() -> None:
    payload = resource_plain(3)
    payload.update(
        {"Creator": None, "carousel_image_urls": None, "LatestReviews": None, "title": None, "Addons": None}
    )
    resource = Resource.from_dict(payload)
    assert resource.creator is None
    assert resource.carousel_image_urls is None
    assert resource.latest_reviews is None
    assert resource.title is None
    assert resource.addons is None
    dumped = resource.to_dict()
    for key in ("Creator", "carousel_image_urls", "LatestReviews", "title", "Addons"):
        assert key in dumped and dumped[key] is None
    stats_null = {"result": "success", "data": {"resources": [], "stats": None}}
    assert GetV2ResourcesDiscoverResourcesResponse200.from_dict(stats_null).data.stats is None


def test_extra_fields_are_kept() -> None:
    payload = resource_with_hints()
    payload["description_raw"] = "[b]bold[/b]"
    payload["SomeNewHint"] = {"nested": [1, 2]}
    payload["FinalPrice"]["tax_included"] = False
    resource = Resource.from_dict(copy.deepcopy(payload))
    assert resource.additional_properties["description_raw"] == "[b]bold[/b]"
    assert resource.additional_properties["SomeNewHint"] == {"nested": [1, 2]}
    assert resource.final_price.additional_properties == {"tax_included": False}
    assert resource.to_dict() == payload


# -- the request on the wire ------------------------------------------------------------------------


class _Loopback:
    """What the test server saw, and what it answers (a JSON body, settable per test)."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.requests: list[dict[str, Any]] = []
        self.reply: dict[str, Any] = purchases_list()


class _Recorder(BaseHTTPRequestHandler):
    state: _Loopback

    def do_GET(self) -> None:
        self.state.requests.append({"path": self.path, "headers": dict(self.headers.items())})
        body = json.dumps(self.state.reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[_Loopback]:
    """A loopback HTTP server on 127.0.0.1 (free port) recording every GET; stopped after the test."""
    state = _Loopback("")
    handler = type("Handler", (_Recorder,), {"state": state})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    state.base_url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _query(path: str) -> tuple[str, dict[str, list[str]]]:
    parts = urlsplit(path)
    return parts.path, parse_qs(parts.query, keep_blank_values=True)


def test_id_lists_are_sent_comma_joined_with_pagination_and_token_auth(server: _Loopback) -> None:
    base_url, seen = server.base_url, server.requests
    with AuthenticatedClient(base_url=base_url, token="x", prefix="Token") as client:
        response = get_v2_resources_creator_purchases.sync_detailed(
            client=client, resource_ids="1,2,3", buyer_ids="555", page=2, per_page=50, with_="Buyer,Resource"
        )
    assert response.status_code == 200
    assert isinstance(response.parsed, GetV2ResourcesCreatorPurchasesResponse200)
    assert response.parsed.data.purchases[0].purchase_id == 42
    (request,) = seen
    path, query = _query(request["path"])
    assert path == "/v2/resources/creator/purchases"
    # one `resource_ids` field holding the comma-joined list (httpx percent-encodes the commas as
    # %2C, which the server decodes), not `resource_ids=1&resource_ids=2&resource_ids=3`
    assert query == {
        "resource_ids": ["1,2,3"],
        "buyer_ids": ["555"],
        "page": ["2"],
        "per_page": ["50"],
        "with": ["Buyer,Resource"],
    }
    assert request["path"].count("resource_ids=") == 1
    assert request["headers"]["Authorization"] == "Token x"


def test_per_page_defaults_to_25(server: _Loopback) -> None:
    base_url, seen = server.base_url, server.requests
    server.reply = {"result": "success", "data": {"resources": [], "stats": dict(STATS)}}
    with AuthenticatedClient(base_url=base_url, token="x", prefix="Token") as client:
        get_v2_resources_creator_resources.sync_detailed(client=client)
    _, query = _query(seen[0]["path"])
    assert query == {"per_page": ["25"]}


def test_discovery_filters_are_sent_as_their_own_query_fields(server: _Loopback) -> None:
    base_url, seen = server.base_url, server.requests
    server.reply = resource_list()
    filters = QueryFilters()
    filters.additional_properties = {"rf[genre]": "action", "type": "paid"}
    with AuthenticatedClient(base_url=base_url, token="x", prefix="Token") as client:
        response = get_v2_resources_discover_resources.sync_detailed(
            client=client, filters=filters, resource_ids="7,8", page=1
        )
    assert response.parsed.data.stats.max_page == 3
    _, query = _query(seen[0]["path"])
    assert query == {
        "rf[genre]": ["action"],
        "type": ["paid"],
        "resource_ids": ["7,8"],
        "page": ["1"],
        "per_page": ["25"],
    }
    assert "filters" not in query
