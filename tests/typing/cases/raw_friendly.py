"""`with_raw_response.<friendly method>(...)`: the method's parameters, `RawResponse[<its result>]`
(awaited on async clients), for every client; overloads keep their per-overload result."""

from pathlib import Path
from typing import assert_type

import httpx
from craftapis import RawResponse
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, LicenseCheck, OAuth2Session, OAuth2Tokens
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis.moonrope import AsyncMoonrope, Envelope, Moonrope
from craftapis.postal import AsyncPostal, Postal
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack
from craftapis_generated.builtbybit_v1.models import Version as V1Version
from craftapis_generated.builtbybit_v2.models import Resource
from craftapis_generated.modrinth.models import HashVersionMap, Project, SearchResults, Version
from craftapis_generated.postal.models import Delivery, SendResult
from craftapis_generated.railcraft.models import TagReply

UA = "me/typing-check/1.0 (me@example.com)"


def sync_raw_friendly(token: str) -> None:
    modrinth = Modrinth(user_agent=UA)
    raw = modrinth.with_raw_response.get_project("sodium")
    assert_type(raw, RawResponse[Project])
    assert_type(raw.parsed, Project)
    assert_type(raw.headers, httpx.Headers)
    assert_type(modrinth.with_raw_response.get_projects(["a", "b"]), RawResponse[list[Project]])
    assert_type(modrinth.with_raw_response.search_page("shaders", limit=5), RawResponse[SearchResults])
    assert_type(modrinth.with_raw_response.versions_from_hashes(["ab"]), RawResponse[HashVersionMap])
    version = modrinth.get_version("v1")
    assert_type(modrinth.with_raw_response.download_version_file(version, "out.jar"), RawResponse[Path])
    assert_type(modrinth.with_raw_response.call("projects.get_project", id_slug="x"), RawResponse[Project])
    assert_type(modrinth.with_raw_response.request("GET", "/tag/loader"), RawResponse[httpx.Response])
    # the raw form of an operation stays available next to the friendly one
    assert_type(modrinth.with_raw_response.api.projects.get_project(id_slug="x"), RawResponse[Project])

    bbb = BuiltByBit(token=token)
    assert_type(bbb.with_raw_response.health(), RawResponse[str])
    assert_type(bbb.with_raw_response.resource(42), RawResponse[Resource])
    assert_type(bbb.with_raw_response.check_license(42, 7), RawResponse[LicenseCheck])
    assert_type(bbb.with_raw_response.complete_events([1, 2]), RawResponse[None])
    session = OAuth2Session(client_id="id", client_secret=token)
    with_oauth = BuiltByBit(oauth2=session)
    assert_type(with_oauth.with_raw_response.oauth2.refresh(), RawResponse[OAuth2Tokens])

    v1 = BuiltByBitV1(private_token=token)
    assert_type(v1.with_raw_response.latest_version(42), RawResponse[V1Version])
    assert_type(v1.with_raw_response.health(), RawResponse[str | None])

    rpc = Moonrope(base_url="https://rpc.example.com")
    assert_type(rpc.with_raw_response.call_action("things", "list"), RawResponse[object])
    assert_type(rpc.with_raw_response.call_action("things", "list", envelope=True), RawResponse[Envelope])

    postal = Postal(base_url="https://postal.example.com", api_key=token)
    sent = postal.with_raw_response.send_message(to=["a@example.org"], from_="me@example.com", subject="Hi")
    assert_type(sent, RawResponse[SendResult])
    assert_type(postal.with_raw_response.get_deliveries(1), RawResponse[list[Delivery]])

    pack = RailcraftPack(client_id="id", client_secret=token)
    assert_type(pack.with_raw_response.current_tag(), RawResponse[TagReply])
    assert_type(pack.with_raw_response.test_token(), RawResponse[bool])


async def async_raw_friendly(token: str) -> None:
    modrinth = AsyncModrinth(user_agent=UA)
    raw = await modrinth.with_raw_response.get_project("sodium")
    assert_type(raw, RawResponse[Project])
    assert_type(await modrinth.with_raw_response.get_version("v1"), RawResponse[Version])
    assert_type(await modrinth.with_raw_response.search_page("x"), RawResponse[SearchResults])

    bbb = AsyncBuiltByBit(token=token)
    assert_type(await bbb.with_raw_response.resource(42), RawResponse[Resource])
    assert_type(await bbb.with_raw_response.check_license(42, 7), RawResponse[LicenseCheck])

    v1 = AsyncBuiltByBitV1(shared_token=token)
    assert_type(await v1.with_raw_response.latest_version(42), RawResponse[V1Version])

    rpc = AsyncMoonrope(base_url="https://rpc.example.com")
    assert_type(await rpc.with_raw_response.call_action("a", "b", envelope=True), RawResponse[Envelope])

    postal = AsyncPostal(base_url="https://postal.example.com", api_key=token)
    assert_type(await postal.with_raw_response.get_deliveries("1"), RawResponse[list[Delivery]])

    pack = AsyncRailcraftPack(client_id="id", client_secret=token)
    assert_type(await pack.with_raw_response.current_tag(), RawResponse[TagReply])
