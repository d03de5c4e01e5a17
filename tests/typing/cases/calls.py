"""`client.call("tag.operation", **kwargs)`: each operation's own keywords and result (generated
overloads, `craftapis_generated.<api>.calls`), sync, async and under `with_raw_response`."""

from typing import assert_type

from craftapis import AsyncPageIterator, PageIterator, RawResponse
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis.postal import AsyncPostal, Postal
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack
from craftapis_generated.builtbybit_v1.models import BasicResource, Purchase, SortOrder
from craftapis_generated.builtbybit_v2.models import GetV2ResourcesCreatorLicensesResponse200Data
from craftapis_generated.modrinth.models import Project, SearchResults, Version
from craftapis_generated.postal.models import Message, MessageRequest
from craftapis_generated.railcraft.models import TagReply

UA = "me/typing-check/1.0 (me@example.com)"


def sync_calls(token: str) -> None:
    modrinth = Modrinth(user_agent=UA)
    assert_type(modrinth.call("projects.get_project", id_slug="sodium"), Project)
    assert_type(modrinth.call("projects.search_projects", query="sodium", limit=5), SearchResults)
    assert_type(modrinth.call("versions.get_project_versions", id_slug="sodium"), list[Version])
    assert_type(modrinth.call("projects.delete_project", id_slug="mine"), None)
    assert_type(modrinth.with_raw_response.call("projects.get_project", id_slug="x"), RawResponse[Project])
    with Modrinth(user_agent=UA) as entered:  # `with` keeps the typed class
        assert_type(entered.call("projects.get_project", id_slug="x"), Project)
    assert_type(modrinth.with_options(retry=None).call("projects.get_project", id_slug="x"), Project)
    bbb = BuiltByBit(token=token)
    assert_type(
        bbb.call("resources_creator.get_v2_resources_creator_licenses", jwt=True),
        GetV2ResourcesCreatorLicensesResponse200Data | None,
    )
    v1 = BuiltByBitV1(private_token=token)
    assert_type(v1.call("resources.list_resources", order=SortOrder.DESC), list[BasicResource] | None)
    # v1's paginate("tag.list_x") (or its short name): a page iterator of the list's items
    assert_type(v1.paginate("resources.list_resources", sort="title", limit=50), PageIterator[BasicResource])
    assert_type(v1.paginate("list_resource_purchases", resource_id=1), PageIterator[Purchase])
    postal = Postal(base_url="https://postal.example.com", api_key=token)
    assert_type(postal.call("messages.get_message", body=MessageRequest(id=1)), Message)
    pack = RailcraftPack(client_id="id", client_secret=token)
    assert_type(pack.call("pack.get_current_tag"), TagReply)
    assert_type(pack.with_raw_response.call("pack.get_current_tag"), RawResponse[TagReply])


async def async_calls(token: str) -> None:
    modrinth = AsyncModrinth(user_agent=UA)
    assert_type(await modrinth.call("projects.get_project", id_slug="sodium"), Project)
    assert_type(
        await modrinth.with_raw_response.call("projects.get_project", id_slug="x"), RawResponse[Project]
    )
    async with AsyncModrinth(user_agent=UA) as entered:
        assert_type(await entered.call("versions.get_project_versions", id_slug="x"), list[Version])
    bbb = AsyncBuiltByBit(token=token)
    assert_type(
        await bbb.call("resources_creator.get_v2_resources_creator_licenses"),
        GetV2ResourcesCreatorLicensesResponse200Data | None,
    )
    v1 = AsyncBuiltByBitV1(private_token=token)
    assert_type(await v1.call("resources.list_resources", page=2), list[BasicResource] | None)
    assert_type(v1.paginate("resources.list_resources", order="desc"), AsyncPageIterator[BasicResource])
    postal = AsyncPostal(base_url="https://postal.example.com", api_key=token)
    assert_type(await postal.call("messages.get_message", body=MessageRequest(id=1)), Message)
    pack = AsyncRailcraftPack(client_id="id", client_secret=token)
    assert_type(await pack.call("pack.get_current_tag"), TagReply)
