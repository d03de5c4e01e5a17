"""A credential that expires in the middle of a run: the run completes, every item exactly once, with
one refresh. BuiltByBit OAuth2 (a 401 mid-pagination refreshes the access token) and Railcraft
(code 6 mid-run renews the session token)."""

from __future__ import annotations

import asyncio
import concurrent.futures
from typing import Any

import pytest
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, OAuth2Session

from tests.builtbybit import fake_api as bbb_fake
from tests.railcraft import fake as rc_fake

from .apis import RAILCRAFT, close, fast_retry
from .servers import FaultServer, Seen, bbb_v2_app

PURCHASES = "/v2/resources/creator/purchases"


@pytest.mark.parametrize("expire_on_page", [1, 3, 5])
async def test_builtbybit_oauth_token_expires_mid_pagination(mode: str, expire_on_page: int) -> None:
    fake = bbb_fake.FakeBuiltByBit()
    tokens = fake.issue_tokens()
    pages = 0

    def expire(seen: Seen) -> None:
        nonlocal pages
        if seen.route == PURCHASES:
            pages += 1
            if pages == expire_on_page:  # the server forgets the token as this page is asked for
                fake.access_tokens[tokens["access_token"]] = 0.0

    with FaultServer(bbb_v2_app(fake)) as server:
        server.on_request = expire
        session = OAuth2Session(
            client_id=bbb_fake.CLIENT_ID,
            client_secret=bbb_fake.CLIENT_SECRET,
            tokens=tokens,
            refresh_margin=0,
        )
        cls: Any = BuiltByBit if mode == "sync" else AsyncBuiltByBit
        client = cls(oauth2=session, base_url=server.url, retry=fast_retry())
        try:
            listing = client.purchases(per_page=2)
            if mode == "sync":
                got = [p.purchase_id for p in listing]
            else:
                got = [p.purchase_id async for p in listing]
        finally:
            await close(client)
        authorizations = [s.headers["authorization"] for s in server.requests("GET", PURCHASES)]

    expected = [p["purchase_id"] for p in fake.purchases]
    assert got == expected  # every item, once, in order
    assert fake.refresh_calls == 1 and session.grants == 1
    pages_total = -(-len(expected) // 2)
    assert len(authorizations) == pages_total + 1  # the page that got the 401 was asked again
    assert session.tokens is not None and session.tokens.access_token != tokens["access_token"]
    old, new = f"Bearer {tokens['access_token']}", f"Bearer {session.tokens.access_token}"
    assert authorizations == [old] * expire_on_page + [new] * (pages_total + 1 - expire_on_page)


async def test_railcraft_code_6_mid_run(mode: str) -> None:
    """Twelve authenticated calls; the server expires every token after the fourth: the fifth gets
    code 6, the client renews once and resends it, and the run goes on."""
    fake = rc_fake.FakeRailcraft()
    ads_route = "/railcraftpack/api/get_ads/"
    with FaultServer(fake) as server:
        client = RAILCRAFT.make(mode, server.url)
        results = []
        try:
            for n in range(12):
                if n == 4:
                    fake.expire_tokens()
                result = client.ads() if mode == "sync" else await client.ads()
                results.append([ad.id for ad in result])
        finally:
            await close(client)
        replies = server.count("POST", ads_route)
    assert results == [[ad["id"] for ad in rc_fake.ADS]] * 12
    assert fake.acquisitions == 2  # the first token, and one renewal
    assert replies == 13  # twelve calls, one of them sent twice


async def test_railcraft_code_6_with_concurrent_callers(mode: str) -> None:
    """Eight callers at once find the token expired: one renewal serves them all."""
    fake = rc_fake.FakeRailcraft()
    with FaultServer(fake) as server:
        client = RAILCRAFT.make(mode, server.url)
        try:
            if mode == "sync":
                assert client.test_token()
                fake.expire_tokens()
                with concurrent.futures.ThreadPoolExecutor(8) as pool:
                    outcomes = list(pool.map(lambda _: len(client.ads()), range(8)))
            else:
                assert await client.test_token()
                fake.expire_tokens()
                outcomes = [len(ads) for ads in await asyncio.gather(*(client.ads() for _ in range(8)))]
        finally:
            await close(client)
    assert outcomes == [len(rc_fake.ADS)] * 8
    assert fake.acquisitions == 2
