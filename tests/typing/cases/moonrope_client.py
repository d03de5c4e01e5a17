"""Any moonrope API (the generic client): actions by name, envelopes, typed or raw pages, errors."""

from collections.abc import Mapping
from typing import assert_type

import craftapis
from craftapis import AsyncPageIterator, PageIterator
from craftapis.moonrope import AsyncMoonrope, Envelope, Moonrope, MoonropeError


def server_name(item: Mapping[str, object]) -> str:
    return str(item.get("name"))


def sync_client(token: str) -> None:
    with Moonrope(base_url="https://rpc.example.com", auth_headers={"X-Auth-Token": token}) as rpc:
        data = rpc.call_action("servers", "list", {"page": 1})
        assert_type(data, object)  # JSON of a shape only the deployment knows: narrow it
        if isinstance(data, list):
            print(len(data))  # pyright: ignore[reportUnknownArgumentType]
        assert_type(rpc.call_action("servers", "list", envelope=True), Envelope)
        assert_type(rpc.paginate("servers", "list"), PageIterator[object])
        assert_type(rpc.paginate("servers", "list", item=server_name), PageIterator[str])
        try:
            rpc.call_action("servers", "info", {"id": 1})
        except MoonropeError as error:
            assert_type(error.code, str | None)
            assert_type(error.data, object)
        except craftapis.APIConnectionError as error:
            assert_type(error.url, str | None)


async def async_client() -> None:
    async with AsyncMoonrope(base_url="https://rpc.example.com", api_version=2) as rpc:
        assert_type(await rpc.call_action("servers", "list"), object)
        assert_type(rpc.paginate("servers", "list", item=server_name), AsyncPageIterator[str])
        async for name in rpc.paginate("servers", "list", item=server_name):
            assert_type(name, str)
