"""What the recorder records, per API: scenarios written once for the sync and the async client.

A scenario is an async function `(client, params) -> summary`. It calls friendly methods (awaited
on an async client, plain on a sync one, through `resolve`/`collect`), may read ids from one
answer to ask for them next, and returns a summary of *shapes* (type names and counts, never
values, which scrubbing changes) that replay must reproduce. Read-only scenarios are recorded by
default; `write=True` ones only with `--writes`.

Each `Api` also knows its environment variables, its public base URL, how to build a client, the
in-process fake the synthetic copies are recorded from (`fake()`), and the credentials that fake
accepts.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

App = Callable[[httpx.Request], httpx.Response]


class Params(dict[str, str]):
    """A scenario's parameters, and `make(**credentials)`: another client like the one given
    (same API, mode, base URL and transport) with other credentials."""

    make: Callable[..., Any]


async def resolve(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one."""
    return await value if inspect.isawaitable(value) else value


async def collect(iterator: Any) -> list[Any]:
    """Every item of a sync or async page iterator."""
    if hasattr(iterator, "__aiter__"):
        return [item async for item in iterator]
    return list(iterator)


def shape(value: Any) -> Any:
    """A value's shape for a summary: its type name, with the length of a list."""
    if isinstance(value, list):
        return [type(value[0]).__name__ if value else "empty", len(value)]
    return type(value).__name__


@dataclass(frozen=True)
class Scenario:
    name: str
    run: Callable[[Any, Params], Awaitable[Any]]
    doc: str
    write: bool = False
    #: optional parameters (environment variables) without which the scenario is not recorded
    needs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Api:
    name: str
    #: credential variables, all required
    env: tuple[str, ...]
    #: the public base URL (what cassettes hold); `staging` for Modrinth writes
    public_url: str
    make: Callable[..., Any]
    scenarios: tuple[Scenario, ...]
    #: optional parameters: variable -> default (None: no default)
    params: dict[str, str | None] = field(default_factory=dict)
    #: variables write scenarios need on top of the credentials
    write_env: tuple[str, ...] = ()
    staging_url: str | None = None
    #: what a write does, for the warning
    write_warning: str = ""

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)


async def _close(client: Any) -> None:
    await resolve(client.aclose() if hasattr(client, "aclose") else client.close())


# -- Modrinth --------------------------------------------------------------------------------------


def _modrinth(mode: str, creds: dict[str, str], base_url: str | None, **kw: Any) -> Any:
    from craftapis.modrinth import AsyncModrinth, Modrinth

    cls = Modrinth if mode == "sync" else AsyncModrinth
    agent = creds.get("MODRINTH_USER_AGENT") or "craftapis/cassette-recorder (tests/recording)"
    return cls(token=creds["MODRINTH_TOKEN"], user_agent=agent, base_url=base_url, **kw)


async def _mr_versions(client: Any, p: Params) -> list[Any]:
    return list(
        await resolve(
            client.get_project_versions(
                p["project"], loaders=[p["loader"]], game_versions=[p["game_version"]]
            )
        )
    )


async def mr_search(client: Any, p: Params) -> Any:
    page = await resolve(client.search_page(p["project"], limit=5))
    return [shape(page), shape(list(page.hits))]


async def mr_project(client: Any, p: Params) -> Any:
    return shape(await resolve(client.get_project(p["project"])))


async def mr_project_versions(client: Any, p: Params) -> Any:
    return shape(await _mr_versions(client, p))


async def mr_version_by_hash(client: Any, p: Params) -> Any:
    versions = await _mr_versions(client, p)
    if not versions:
        return "no versions"
    first = versions[0]
    version = await resolve(client.get_version(first.id))
    found = await resolve(client.version_from_hash(version.files[0].hashes.sha1))
    many = await resolve(client.versions_from_hashes([version.files[0].hashes.sha512], "sha512"))
    return [shape(version), shape(found), len(many.additional_keys)]


async def mr_authors(client: Any, p: Params) -> Any:
    versions = await _mr_versions(client, p)
    authors = sorted({v.author_id for v in versions})[:5]
    return shape(list(await resolve(client.get_users(authors)))) if authors else "no versions"


async def mr_authenticated_user(client: Any, p: Params) -> Any:
    return shape(await resolve(client.call("users.get_user_from_auth")))


async def mr_forge_updates(client: Any, p: Params) -> Any:
    return shape(await resolve(client.forge_updates(p["project"])))


async def mr_create_and_delete_version(client: Any, p: Params) -> Any:
    jar = b"PK\x03\x04 craftapis cassette recording: safe to delete\n"
    version = await resolve(
        client.create_version(
            p["write_project"],
            "0.0.0-craftapis-cassette",
            [("craftapis-cassette.jar", jar)],
            game_versions=[p["game_version"]],
            loaders=[p["loader"]],
            changelog="Recorded by craftapis' cassette recorder; deleted right after.",
        )
    )
    await resolve(client.call("versions.delete_version", id=version.id))
    return shape(version)


MODRINTH = Api(
    name="modrinth",
    env=("MODRINTH_TOKEN",),
    public_url="https://api.modrinth.com/v2",
    staging_url="https://staging-api.modrinth.com/v2",
    make=_modrinth,
    params={
        "MODRINTH_USER_AGENT": "craftapis/cassette-recorder (tests/recording)",
        "MODRINTH_RECORD_PROJECT": "sodium",
        "MODRINTH_RECORD_GAME_VERSION": "1.20.1",
        "MODRINTH_RECORD_LOADER": "fabric",
    },
    write_env=("MODRINTH_WRITE_PROJECT",),
    write_warning="creates a version of MODRINTH_WRITE_PROJECT on Modrinth's staging API and deletes it",
    scenarios=(
        Scenario("search", mr_search, "GET /search (one page of 5 hits)"),
        Scenario("project", mr_project, "GET /project/{slug}"),
        Scenario(
            "project_versions", mr_project_versions, "GET /project/{slug}/version?loaders&game_versions"
        ),
        Scenario(
            "version_by_hash",
            mr_version_by_hash,
            "project versions, GET /version/{id}, GET /version_file/{sha1}, POST /version_files",
        ),
        Scenario("authors", mr_authors, "project versions, then GET /users?ids=[their authors]"),
        Scenario("authenticated_user", mr_authenticated_user, "GET /user (the token's own account)"),
        Scenario("forge_updates", mr_forge_updates, "GET /updates/{slug}/forge_updates.json"),
        Scenario(
            "create_and_delete_version",
            mr_create_and_delete_version,
            "POST /version (multipart), DELETE /version/{id} on staging",
            write=True,
        ),
    ),
)

# -- BuiltByBit v2 -----------------------------------------------------------------------------------


def _builtbybit(mode: str, creds: dict[str, str], base_url: str | None, **kw: Any) -> Any:
    from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit

    cls = BuiltByBit if mode == "sync" else AsyncBuiltByBit
    return cls(token=creds["BUILTBYBIT_TOKEN"], base_url=base_url, **kw)


def _bbb_list(method: str, **kwargs: Any) -> Callable[[Any, Params], Awaitable[Any]]:
    async def run(client: Any, p: Params) -> Any:
        return shape(await collect(getattr(client, method)(**kwargs)))

    run.__name__ = f"bbb_{method}"
    return run


async def bbb_health(client: Any, p: Params) -> Any:
    return await resolve(client.health())


async def bbb_own_resource(client: Any, p: Params) -> Any:
    mine = await collect(client.my_resources(per_page=5, limit=1))
    if not mine:
        return "no resources"
    resource = await resolve(client.resource(mine[0].resource_id, with_="LatestVersion"))
    versions = await collect(client.versions(resource_ids=[resource.resource_id], per_page=5, limit=5))
    return [shape(resource), shape(versions)]


async def bbb_analytics(client: Any, p: Params) -> Any:
    return shape(await resolve(client.analytics()))


BUILTBYBIT = Api(
    name="builtbybit",
    env=("BUILTBYBIT_TOKEN",),
    public_url="https://api.builtbybit.com",
    make=_builtbybit,
    scenarios=(
        Scenario("health", bbb_health, "GET /v2/health"),
        Scenario(
            "my_resources",
            _bbb_list("my_resources", per_page=5, limit=5),
            "GET /v2/resources/creator/resources",
        ),
        Scenario(
            "own_resource", bbb_own_resource, "your first resource with its LatestVersion, then its versions"
        ),
        Scenario(
            "purchases",
            _bbb_list("purchases", with_=["Buyer"], per_page=5, limit=5),
            "GET /v2/resources/creator/purchases?with=Buyer",
        ),
        Scenario(
            "licenses", _bbb_list("licenses", per_page=5, limit=5), "GET /v2/resources/creator/licenses"
        ),
        Scenario("reviews", _bbb_list("reviews", per_page=5, limit=5), "GET /v2/resources/creator/reviews"),
        Scenario("updates", _bbb_list("updates", per_page=5, limit=5), "GET /v2/resources/creator/updates"),
        Scenario("analytics", bbb_analytics, "GET /v2/analytics (the definitions)"),
        Scenario(
            "events", _bbb_list("events", per_page=5, limit=5), "GET /v2/events (read only: none completed)"
        ),
    ),
)

# -- BuiltByBit v1 -----------------------------------------------------------------------------------


def _builtbybit_v1(mode: str, creds: dict[str, str], base_url: str | None, **kw: Any) -> Any:
    from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1

    cls = BuiltByBitV1 if mode == "sync" else AsyncBuiltByBitV1
    return cls(private_token=creds["BUILTBYBIT_V1_TOKEN"], base_url=base_url, **kw)


def _v1_list(method: str, **kwargs: Any) -> Callable[[Any, Params], Awaitable[Any]]:
    async def run(client: Any, p: Params) -> Any:
        return shape(await collect(getattr(client, method)(**kwargs)))

    run.__name__ = f"v1_{method}"
    return run


async def v1_health(client: Any, p: Params) -> Any:
    return shape(await resolve(client.health()))


async def v1_own_resource(client: Any, p: Params) -> Any:
    owned = await collect(client.owned_resources(limit=1))
    if not owned:
        return "no resources"
    rid = owned[0].resource_id
    summary = [shape(await resolve(client.latest_version(rid)))]
    for method in ("versions", "purchases", "licenses", "reviews", "updates"):
        summary.append(shape(await collect(getattr(client, method)(rid, limit=5))))
    return summary


BUILTBYBIT_V1 = Api(
    name="builtbybit_v1",
    env=("BUILTBYBIT_V1_TOKEN",),
    public_url="https://api.builtbybit.com/v1",
    make=_builtbybit_v1,
    scenarios=(
        Scenario("health", v1_health, "GET /v1/health"),
        Scenario("resources", _v1_list("resources", limit=5), "GET /v1/resources (first page)"),
        Scenario("owned_resources", _v1_list("owned_resources", limit=5), "GET /v1/resources/owned"),
        Scenario(
            "own_resource",
            v1_own_resource,
            "your first resource: latest version, versions, purchases, licenses, reviews, updates",
        ),
        Scenario("alerts", _v1_list("alerts", limit=5), "GET /v1/alerts"),
        Scenario("conversations", _v1_list("conversations", limit=5), "GET /v1/conversations"),
    ),
)

# -- Postal ------------------------------------------------------------------------------------------

INVALID_POSTAL_KEY = "craftapis-cassette-invalid-key-0000"


def _postal(mode: str, creds: dict[str, str], base_url: str | None, **kw: Any) -> Any:
    from craftapis.postal import AsyncPostal, Postal

    cls = Postal if mode == "sync" else AsyncPostal
    return cls(base_url=base_url or creds["POSTAL_URL"], api_key=creds["POSTAL_KEY"], **kw)


async def postal_message_not_found(client: Any, p: Params) -> Any:
    from craftapis.postal import MessageNotFoundError

    try:
        await resolve(client.get_message(0))
    except MessageNotFoundError as error:
        return type(error).__name__
    return "found"


async def postal_invalid_key(client: Any, p: Params) -> Any:
    from craftapis.postal import InvalidServerAPIKeyError

    wrong = p.make(POSTAL_KEY=INVALID_POSTAL_KEY)
    try:
        await resolve(wrong.get_message(1))
    except InvalidServerAPIKeyError as error:
        return type(error).__name__
    finally:
        await _close(wrong)
    return "accepted"


async def postal_message(client: Any, p: Params) -> Any:
    message = await resolve(client.get_message(int(p["message_id"]), expansions=True))
    deliveries = await resolve(client.get_deliveries(int(p["message_id"])))
    return [shape(message), shape(list(deliveries))]


async def postal_send_message(client: Any, p: Params) -> Any:
    result = await resolve(
        client.send_message(
            to=[p["to"]],
            from_=p["from"],
            subject="craftapis cassette recording",
            plain_body="Sent by craftapis' cassette recorder (scripts/record.py --writes).",
        )
    )
    return [shape(result), len(result.messages.additional_properties)]


POSTAL = Api(
    name="postal",
    env=("POSTAL_URL", "POSTAL_KEY"),
    public_url="https://postal.example.com",
    make=_postal,
    params={"POSTAL_RECORD_MESSAGE_ID": None, "POSTAL_RECORD_TO": None, "POSTAL_RECORD_FROM": None},
    write_env=("POSTAL_RECORD_TO", "POSTAL_RECORD_FROM"),
    write_warning="sends one real e-mail from POSTAL_RECORD_FROM to POSTAL_RECORD_TO",
    scenarios=(
        Scenario(
            "message_not_found", postal_message_not_found, "messages/message with id 0 (MessageNotFound)"
        ),
        Scenario(
            "invalid_key", postal_invalid_key, "messages/message with a wrong key (InvalidServerAPIKey)"
        ),
        Scenario(
            "message",
            postal_message,
            "messages/message with every expansion, messages/deliveries",
            needs=("POSTAL_RECORD_MESSAGE_ID",),
        ),
        Scenario("send_message", postal_send_message, "send/message to POSTAL_RECORD_TO", write=True),
    ),
)

# -- Railcraft pack ----------------------------------------------------------------------------------


def _railcraft(mode: str, creds: dict[str, str], base_url: str | None, **kw: Any) -> Any:
    from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack

    cls = RailcraftPack if mode == "sync" else AsyncRailcraftPack
    return cls(
        client_id=creds["RAILCRAFT_CLIENT_ID"],
        client_secret=creds["RAILCRAFT_CLIENT_SECRET"],
        base_url=base_url or creds["RAILCRAFT_URL"],
        **kw,
    )


def _rc(method: str, **kwargs: Any) -> Callable[[Any, Params], Awaitable[Any]]:
    async def run(client: Any, p: Params) -> Any:
        return shape(await resolve(getattr(client, method)(**kwargs)))

    run.__name__ = f"rc_{method}"
    return run


RAILCRAFT = Api(
    name="railcraft",
    env=("RAILCRAFT_URL", "RAILCRAFT_CLIENT_ID", "RAILCRAFT_CLIENT_SECRET"),
    public_url="https://towerofawesome.org/railcraftpack",
    make=_railcraft,
    scenarios=(
        Scenario("current_tag", _rc("current_tag"), "api/get_tag/"),
        Scenario("server_message", _rc("server_message", ignore_time_limit=True), "api/get_server_message/"),
        Scenario("optional_mods", _rc("optional_mods"), "api/get_optional_mods/"),
        Scenario("error_message", _rc("error_message", error_code=12), "api/get_error_message/ (code 12)"),
        Scenario("error_messages", _rc("error_message"), "api/get_error_message/ (every code)"),
        Scenario("test_token", _rc("test_token"), "api/auth/, then api/test_token/"),
        Scenario("ads", _rc("ads", type="any", limit=5), "api/auth/, then api/get_ads/"),
        Scenario(
            "download_details",
            _rc("download_details", opt_mods=[]),
            "api/auth/, then api/get_download_url/ (no download)",
        ),
    ),
)

APIS: dict[str, Api] = {api.name: api for api in (MODRINTH, BUILTBYBIT, BUILTBYBIT_V1, POSTAL, RAILCRAFT)}


def parameters(api: Api, environ: dict[str, str] | None = None) -> Params:
    """The scenario parameters of `api`, from the environment or their defaults."""
    environ = dict(os.environ if environ is None else environ)
    names = {
        "MODRINTH_RECORD_PROJECT": "project",
        "MODRINTH_RECORD_GAME_VERSION": "game_version",
        "MODRINTH_RECORD_LOADER": "loader",
        "MODRINTH_WRITE_PROJECT": "write_project",
        "POSTAL_RECORD_MESSAGE_ID": "message_id",
        "POSTAL_RECORD_TO": "to",
        "POSTAL_RECORD_FROM": "from",
    }
    out = Params()
    for variable, default in {**api.params, **dict.fromkeys(api.write_env)}.items():
        value = environ.get(variable) or default
        if value is not None and variable in names:
            out[names[variable]] = value
    return out


# -- the fakes the synthetic copies come from --------------------------------------------------------


@dataclass
class Fake:
    """An in-process fake of one API: its app, the credentials it accepts, and the parameters
    its data answers."""

    app: App
    creds: dict[str, str]
    params: dict[str, str] = field(default_factory=dict)


def fake(api: str, params: dict[str, str] | None = None) -> Fake:
    """A fresh fake of `api` (the tests' own fakes), ready for every read scenario. `params`
    (a cassette's parameters) seeds it with what they name (Postal: the message id)."""
    if api == "modrinth":
        from tests.modrinth.conftest import FAKE_TOKEN
        from tests.modrinth.fake_modrinth import FakeModrinth

        return Fake(
            FakeModrinth().handle, {"MODRINTH_TOKEN": FAKE_TOKEN}, {"MODRINTH_WRITE_PROJECT": "AABBCCDD"}
        )
    if api == "builtbybit":
        from tests.builtbybit.fake_api import TOKEN, FakeBuiltByBit

        bbb = FakeBuiltByBit(events=3)

        def app(request: httpx.Request) -> httpx.Response:
            status, headers, payload = bbb.handle(
                request.method, request.url.raw_path.decode("ascii"), dict(request.headers), request.read()
            )
            return httpx.Response(status, headers=headers, content=payload)

        return Fake(app, {"BUILTBYBIT_TOKEN": TOKEN})
    if api == "builtbybit_v1":
        from tests.builtbybit_v1.fake import PRIVATE_TOKEN, FakeBuiltByBit

        return Fake(FakeBuiltByBit(), {"BUILTBYBIT_V1_TOKEN": PRIVATE_TOKEN})
    if api == "postal":
        from tests.moonrope.moonrope_fake import mock_transport
        from tests.postal.postal_fake import API_KEY, FakePostal

        postal = FakePostal()
        if params and str(params.get("message_id", "")).isdigit():
            postal.next_id = int(params["message_id"])
        handler = mock_transport(postal).handler  # type: ignore[attr-defined]
        seeded = httpx.Client(transport=httpx.MockTransport(handler), base_url=POSTAL.public_url)
        sent = seeded.post(
            "/api/v1/send/message",
            headers={"X-Server-API-Key": API_KEY},
            json={"to": ["ann@example.org"], "from": "shop@example.com", "plain_body": "Hi"},
        ).json()
        seeded.close()
        message_id = str(sent["data"]["messages"]["ann@example.org"]["id"])
        return Fake(
            handler,
            {"POSTAL_URL": POSTAL.public_url, "POSTAL_KEY": API_KEY},
            {
                "POSTAL_RECORD_MESSAGE_ID": message_id,
                "POSTAL_RECORD_TO": "ann@example.org",
                "POSTAL_RECORD_FROM": "shop@example.com",
            },
        )
    if api == "railcraft":
        from tests.railcraft.fake import CLIENT_ID, CLIENT_SECRET, FakeRailcraft

        rail = FakeRailcraft()
        rail.archive_size = 3000
        return Fake(
            rail,
            {
                "RAILCRAFT_URL": RAILCRAFT.public_url,
                "RAILCRAFT_CLIENT_ID": CLIENT_ID,
                "RAILCRAFT_CLIENT_SECRET": CLIENT_SECRET,
            },
        )
    raise KeyError(api)
