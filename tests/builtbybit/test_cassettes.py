"""Every friendly method of BuiltByBit / AsyncBuiltByBit against recorded (synthetic) cassettes.

Each test runs twice (`mode`: sync, async), each with its own cassette under
cassettes/test_cassettes/. See conftest.py for how they are recorded and replayed, and
cassettes/README.md.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from craftapis import NotFoundError
from craftapis.builtbybit import LicenseStatus, OAuth2Session

from .fake_api import CLIENT_ID, CLIENT_SECRET, MEMBER, NONCE

pytestmark = pytest.mark.vcr

FIRST_OWN = 1000  # FakeBuiltByBit(): resources 1000..1006, own ones are the even positions


async def test_health(recorded: Any) -> None:
    assert await recorded()("health") == "ok"


async def test_discover_resources(recorded: Any) -> None:
    bbb = recorded()
    resources = await bbb("discover_resources", with_=["Creator", "ListPrice"], per_page=3)
    assert [r.resource_id for r in resources] == list(range(1000, 1007))
    assert resources[0].creator.username == "member900"
    # a hint that resolves to null (free content) parses as None
    assert resources[2].list_price is None and resources[0].list_price.value == 4.99


async def test_discover_resources_limit_and_ids(recorded: Any) -> None:
    resources = await recorded()("discover_resources", resource_ids=[1001, 1003, 1005], limit=2)
    assert [r.resource_id for r in resources] == [1001, 1003]


async def test_resource(recorded: Any) -> None:
    bbb = recorded()
    resource = await bbb("resource", 1004, with_="LatestVersion")
    assert resource.resource_id == 1004 and resource.latest_version.version_string == "1.2.0"
    with pytest.raises(NotFoundError, match="no resource 99"):
        await bbb("resource", 99)


async def test_my_resources(recorded: Any) -> None:
    resources = await recorded()("my_resources", per_page=2)
    assert [r.resource_id for r in resources] == [1000, 1002, 1004, 1006]


async def test_buyer_latest(recorded: Any) -> None:
    latest = await recorded()("buyer_latest", NONCE)
    assert latest.has_usage_rights is True
    assert (latest.current.version_string, latest.latest.version_string) == ("1.1.0", "1.2.0")


async def test_purchases(recorded: Any) -> None:
    bbb = recorded()
    everything = await bbb("purchases", with_=["Buyer", "FinalPrice"], per_page=4)
    assert [p.purchase_id for p in everything] == list(range(5000, 5009))
    assert everything[0].buyer.username == f"member{MEMBER}"
    assert everything[0].final_price.formatted == "$3.99"
    mine = await bbb("purchases", resource_ids=[FIRST_OWN], buyer_ids=[MEMBER], external_tids=["TX-0000"])
    assert [p.purchase_id for p in mine] == [5000]


async def test_licenses(recorded: Any) -> None:
    licenses = await recorded()("licenses", resource_ids=[1002], with_=["Buyer"])
    assert {lic.content_id for lic in licenses} == {1002}
    assert all(lic.buyer.user_id == str(lic.buyer_id) for lic in licenses)


async def test_owned_licenses(recorded: Any) -> None:
    licenses = await recorded()("owned_licenses", with_="Resource")
    assert licenses and all(lic.buyer_id == MEMBER for lic in licenses)
    assert licenses[0].resource.title == f"Synthetic Plugin {FIRST_OWN}"


async def test_check_license(recorded: Any) -> None:
    bbb = recorded()
    valid = await bbb("check_license", FIRST_OWN, MEMBER)
    assert valid and valid.status is LicenseStatus.VALID
    assert valid.license is not None and valid.license.permanent is True
    inactive = await bbb("check_license", FIRST_OWN, MEMBER + 1)
    assert not inactive and inactive.status is LicenseStatus.INACTIVE
    nobody = await bbb("check_license", 1002, MEMBER)
    assert not nobody and nobody.status is LicenseStatus.NO_LICENSE and nobody.license is None


async def test_reviews(recorded: Any) -> None:
    reviews = await recorded()("reviews", resource_ids=[1000, 1002], with_=["Reviewer"])
    assert [(r.review_id, r.reviewer.username) for r in reviews] == [(300, "member7100"), (301, "member7101")]


async def test_updates(recorded: Any) -> None:
    updates = await recorded()("updates", with_="Resource")
    assert [u.update_id for u in updates] == [400, 401, 402, 403]
    assert updates[1].resource.resource_id == 1002


async def test_versions(recorded: Any) -> None:
    versions = await recorded()("versions", resource_ids=[1006])
    assert [v.version_string for v in versions] == ["1.1.0", "1.2.0"]


async def test_analytics(recorded: Any) -> None:
    bbb = recorded()
    definitions = await bbb("analytics")
    purchases = definitions.analytics["purchases"]
    assert purchases.graph is True and purchases.periods == ["last_7_days", "custom_range"]
    assert purchases.filters["resource"].type_ == "resource"
    assert definitions.analytics["revenue"].filters is None


async def test_analytics_graph(recorded: Any) -> None:
    graph = await recorded()(
        "analytics_graph",
        ["purchases", "revenue"],
        period="custom_range",
        start_date=dt.date(2026, 5, 1),
        end_date="2026-05-03",
    )
    assert graph.period.start_date == "2026-05-01" and graph.period.end_date == "2026-05-03"
    assert graph.data["2"].values["revenue"] == 14.0


async def test_analytics_single(recorded: Any) -> None:
    single = await recorded()("analytics_single", "purchases", period="last_7_days")
    assert single.analytics["purchases"] == 9.0 and single.period.period == "last_7_days"


async def test_events_and_complete(recorded: Any, fake: Any) -> None:
    for _ in range(3):
        fake.add_event()
    bbb = recorded()
    events = await bbb("events", per_page=2)
    assert [e.event_id for e in events] == [800, 801, 802]
    assert events[0].trigger_data["buyer_id"] == MEMBER
    await bbb("complete_events", [800, 802])
    left = await bbb("events")
    assert [e.event_id for e in left] == [801]


async def test_deployments_upgrade(recorded: Any) -> None:
    credentials = await recorded()("deployments_upgrade", preauthorize=True, scopes=["read", "write"])
    assert credentials.client_id == CLIENT_ID
    assert credentials.tokens is not None and credentials.tokens.scope == "read write"
    assert CLIENT_SECRET not in repr(credentials)
    session = credentials.session()
    assert isinstance(session, OAuth2Session) and session.tokens is credentials.tokens


async def test_oauth2_code_refresh_revoke(recorded: Any, mode: str) -> None:
    from .fake_api import AUTH_CODE

    delivered: list[Any] = []
    session = OAuth2Session(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        redirect_uri="https://app.example/cb",
        on_token=delivered.append,
    )
    bbb = recorded(oauth2=session)
    tokens = await bbb("oauth2.exchange_code", AUTH_CODE)
    assert session.tokens is tokens and delivered == [tokens]
    assert await bbb("health") == "ok"  # with Bearer <access>
    refreshed = await bbb("oauth2.refresh")
    assert delivered == [tokens, refreshed] and refreshed.expires_at is not None
    await bbb("oauth2.revoke")
    assert session.tokens is None
