"""BuiltByBit v1: friendly methods, two generated operations, pages, errors."""

from typing import assert_type

import craftapis
from craftapis import PageIterator
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1, SharedTokenError
from craftapis_generated.builtbybit_v1.models import BasicResource, Member, SortOrder, Version
from craftapis_generated.builtbybit_v1.operations import AsyncBuiltByBitV1Operations, BuiltByBitV1Operations


def sync_client(token: str) -> None:
    with BuiltByBitV1(private_token=token) as v1:
        assert_type(v1.api, BuiltByBitV1Operations)
        assert_type(v1.resources(), PageIterator[BasicResource])
        assert_type(v1.latest_version(42), Version)
        assert_type(v1.api.members.get_member(member_id=1), Member | None)
        assert_type(v1.api.resources.list_resources(order="desc", page=2), list[BasicResource] | None)
        assert_type(v1.api.resources.list_resources(order=SortOrder.ASC), list[BasicResource] | None)
        try:
            v1.latest_version(1)
        except SharedTokenError as error:
            assert_type(error, SharedTokenError)
        except craftapis.NotFoundError as error:
            assert_type(error.body, object)


async def async_client(token: str) -> None:
    async with AsyncBuiltByBitV1(shared_token=token) as v1:
        assert_type(v1.api, AsyncBuiltByBitV1Operations)
        assert_type(await v1.latest_version(42), Version)
        assert_type(await v1.api.members.get_member(member_id=1), Member | None)
        async for resource in v1.resources():
            assert_type(resource, BasicResource)
