"""BuiltByBit v2: friendly methods, two generated operations (no friendly method for either), pages, errors."""

from typing import assert_type

import craftapis
from craftapis import PageIterator
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, LicenseCheck
from craftapis_generated.builtbybit_v2.models import (
    GetV2ResourcesCreatorCouponsResponse200Data,
    GetV2ResourcesDiscoverCartViewResponse200Data,
    PostV2ResourcesCreatorCouponsResponse200Data,
    Purchase,
    Resource,
)
from craftapis_generated.builtbybit_v2.operations import AsyncBuiltByBitOperations, BuiltByBitOperations


def sync_client(token: str) -> None:
    with BuiltByBit(token=token) as bbb:
        assert_type(bbb.api, BuiltByBitOperations)
        assert_type(bbb.health(), str)
        assert_type(bbb.resource(42), Resource)
        assert_type(bbb.purchases(resource_ids=[42]), PageIterator[Purchase])
        assert_type(bbb.check_license(resource_id=42, member_id=7), LicenseCheck)
        # generated: the envelope's `data`, typed
        assert_type(
            bbb.api.resources_discovery.get_v2_resources_discover_cart_view(),
            GetV2ResourcesDiscoverCartViewResponse200Data,
        )
        assert_type(
            bbb.api.resources_creator.get_v2_resources_creator_coupons(page=2, per_page=50),
            GetV2ResourcesCreatorCouponsResponse200Data | None,
        )
        # a model parameter also takes a plain mapping
        assert_type(
            bbb.api.resources_creator.post_v2_resources_creator_coupons(
                body={"type": "percent", "discount": 10.0, "label": "launch"}
            ),
            PostV2ResourcesCreatorCouponsResponse200Data | None,
        )
        try:
            bbb.resource(1)
        except craftapis.PermissionDeniedError as error:
            assert_type(error.url, str | None)


async def async_client(token: str) -> None:
    async with AsyncBuiltByBit(token=token) as bbb:
        assert_type(bbb.api, AsyncBuiltByBitOperations)
        assert_type(await bbb.resource(42), Resource)
        assert_type(
            await bbb.api.resources_discovery.get_v2_resources_discover_cart_view(),
            GetV2ResourcesDiscoverCartViewResponse200Data,
        )
        async for purchase in bbb.purchases(resource_ids=42):
            assert_type(purchase, Purchase)
