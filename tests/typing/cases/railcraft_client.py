"""Railcraft pack: friendly methods, two generated operations, errors."""

from typing import assert_type

from craftapis.railcraft import AsyncRailcraftPack, RailcraftError, RailcraftPack
from craftapis_generated.railcraft.models import Ad, AdsReply, ServerMessageReply, TagReply
from craftapis_generated.railcraft.operations import AsyncRailcraftPackOperations, RailcraftPackOperations


def sync_client(client_id: str, secret: str) -> None:
    with RailcraftPack(client_id=client_id, client_secret=secret) as pack:
        assert_type(pack.api, RailcraftPackOperations)
        assert_type(pack.current_tag(), TagReply)
        assert_type(pack.ads(type="buy", limit=5), list[Ad])
        assert_type(pack.server_message(ignore_time_limit=True), ServerMessageReply)
        assert_type(pack.api.pack.get_current_tag(), TagReply)
        assert_type(pack.api.ads.get_ads(body={"type": "sell", "limit": 3}), AdsReply)
        try:
            pack.test_token()
        except RailcraftError as error:
            assert_type(error.error_code, int | None)


async def async_client(client_id: str, secret: str) -> None:
    async with AsyncRailcraftPack(client_id=client_id, client_secret=secret) as pack:
        assert_type(pack.api, AsyncRailcraftPackOperations)
        assert_type(await pack.current_tag(), TagReply)
        assert_type(await pack.api.pack.get_current_tag(), TagReply)
