"""Wrong calls a checker must flag. Every line below carries the ignore that silences exactly its error,
for mypy (`# type: ignore[code]`) and for pyright (`# pyright: ignore[rule]`); both run with unused
ignores as errors (mypy `warn_unused_ignores`, pyright `reportUnnecessaryTypeIgnoreComment`, and
pyright's `enableTypeIgnoreComments` off so that it reads only its own), so if craftapis stopped
flagging one of these mistakes, the check would fail."""

import craftapis
from craftapis import RawResponse, RedisRateLimiter, RedisStore
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit, OAuth2Session
from craftapis.builtbybit_v1 import BuiltByBitV1
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis.moonrope import Moonrope
from craftapis.postal import Postal
from craftapis.railcraft import RailcraftPack
from craftapis_generated.modrinth.models import Project, Version

UA = "me/typing-check/1.0 (me@example.com)"


def modrinth_mistakes() -> None:
    modrinth = Modrinth(user_agent=UA)
    modrinth.get_project(123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    wrong: int = modrinth.get_project("sodium")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(wrong)
    # generated operations: a misspelt tag or operation, a positional or missing argument, a bad enum value
    _ = modrinth.api.projcts  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    modrinth.api.projects.get_projet(id_slug="x")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    modrinth.api.projects.get_project("sodium")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    modrinth.api.projects.get_project()  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    modrinth.api.version_files.version_from_hash(hash_="ab", algorithm="md5")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    modrinth.api.threads.submit_report(body=42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    modrinth.api.projects.search_projects(limit="50")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # the dynamic form is typed per operation: a misspelt name, a wrong or missing keyword, a wrong
    # value, a field its result does not have, a wrong result are all flagged
    modrinth.call("projects.get_projet", id_slug="sodium")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    modrinth.call("projects.get_project", id="sodium")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    modrinth.call("projects.get_project")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    modrinth.call("projects.get_project", id_slug=42)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    _ = modrinth.call("projects.get_project", id_slug="sodium").slugg  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    not_a_version: Version = modrinth.call("projects.get_project", id_slug="sodium")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(not_a_version)
    raw: RawResponse[Version] = modrinth.with_raw_response.call("projects.get_project", id_slug="x")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(raw)
    # with_options takes the knobs it names, with their types
    modrinth.with_options(retry=3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    modrinth.with_options(timout=5.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    # raw responses keep the operation's signature
    modrinth.with_raw_response.api.projects.get_project(id_slug=1)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # models build their nested fields on first access at run time (LazyModel.__getattr__), which the
    # checkers must not see: a misspelt field is still flagged, a real one still has its type
    versions = modrinth.get_project_versions("sodium")
    _ = versions[0].fils  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    size: str = versions[0].files[0].size  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(size)
    # a name craftapis does not export
    _ = craftapis.Modrinht  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]


async def async_mistakes() -> None:
    modrinth = AsyncModrinth(user_agent=UA)
    not_awaited: Project = modrinth.get_project("sodium")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(not_awaited)
    not_awaited_call: Project = modrinth.call("projects.get_project", id_slug="x")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(not_awaited_call)
    await modrinth.call("projects.get_project", slug="x")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    list(modrinth.search("x"))  # type: ignore[call-overload]  # pyright: ignore[reportArgumentType]


def other_api_mistakes(token: str) -> None:
    bbb = BuiltByBit(token=token)
    bbb.api.resources_creator.get_v2_resources_creator_coupons(page="2")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bbb.resource("42")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bbb.call("resources_creator.get_v2_resources_creator_licenses", jwt="yes")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    v1 = BuiltByBitV1(private_token=token)
    v1.api.resources.list_resources(order="up")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    v1.paginate("resources.get_resource")  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    v1.paginate("resources.list_resources", page=2)  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue]
    postal = Postal(base_url="https://postal.example.com", api_key=token)
    postal.send_message(to=123, from_="me@example.com")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    postal.call("send.send_mesage", body={})  # type: ignore[call-overload]  # pyright: ignore[reportCallIssue, reportArgumentType]
    postal.send_message(from_="me@example.com", to=["a@example.org"], attachments=42)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    rpc = Moonrope(base_url="https://rpc.example.com")
    _ = rpc.api.send  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType, reportUnknownVariableType]
    pack = RailcraftPack(client_id="id", client_secret=token)
    pack.ads(type="rent")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def constructor_mistakes(token: str) -> None:
    # every constructor takes keyword arguments only (at run time: a TypeError saying what to pass)
    Modrinth(UA)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    BuiltByBit(token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    AsyncBuiltByBit(token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    BuiltByBitV1(token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Postal("https://postal.example.com", token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Moonrope("https://rpc.example.com")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    RailcraftPack("id", token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    OAuth2Session("id", token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    BuiltByBit(tokn=token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    Postal(api_key=token)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]


def raw_friendly_mistakes(token: str) -> None:
    modrinth = Modrinth(user_agent=UA)
    modrinth.with_raw_response.get_project(123)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    modrinth.with_raw_response.get_project(id_or_slug="x", extra=1)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    wrong: RawResponse[Version] = modrinth.with_raw_response.get_project("x")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(wrong)
    # a lazy iterator is not offered raw (use .api.<tag>.<operation> for one page); a misspelt method
    modrinth.with_raw_response.search("x")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    modrinth.with_raw_response.get_projet("x")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    modrinth.with_raw_response.with_options(retry=None)  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    bbb = BuiltByBit(token=token)
    bbb.with_raw_response.licenses()  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
    bbb.with_raw_response.resource("42")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    postal = Postal(base_url="https://postal.example.com", api_key=token)
    postal.with_raw_response.send_message(to=123, from_="me@example.com")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    postal.with_raw_response.paginate("messages", "list")  # type: ignore[attr-defined]  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]


async def async_raw_friendly_mistakes(token: str) -> None:
    modrinth = AsyncModrinth(user_agent=UA)
    not_awaited: RawResponse[Project] = modrinth.with_raw_response.get_project("x")  # type: ignore[assignment]  # pyright: ignore[reportAssignmentType]
    print(not_awaited)
    await modrinth.with_raw_response.get_project(None)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    bbb = AsyncBuiltByBit(token=token)
    await bbb.with_raw_response.check_license("42", 7)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]


def options_and_redis_mistakes(token: str) -> None:
    modrinth = Modrinth(user_agent=UA)
    modrinth.options(retry=3)  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    modrinth.options(timout=5.0)  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
    modrinth.options(idempotent="yes")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    # a Redis client must have what craftapis calls (register_script, close)
    RedisStore(client=object())  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    RedisRateLimiter("redis://127.0.0.1:6379/0", socket_timeout="fast")  # type: ignore[arg-type]  # pyright: ignore[reportArgumentType]
    RedisRateLimiter("redis://127.0.0.1:6379/0", prefx="x")  # type: ignore[call-arg]  # pyright: ignore[reportCallIssue]
