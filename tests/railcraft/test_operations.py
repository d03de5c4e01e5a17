"""All 9 generated operations are reachable on both clients, and the facade's endpoint table says what
the authored spec says (paths, how sure we are of them, which need the token)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from craftapis._base import operation_names
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack
from craftapis.railcraft._paths import ENDPOINTS, resolve_paths

from .fake import CLIENT_ID, CLIENT_SECRET, FakeRailcraft
from .harness import close, make, resolve

PACKAGE = "craftapis_generated.railcraft"
SPEC = Path(__file__).resolve().parents[2] / "specs" / "authored" / "railcraft-pack.yaml"
OPERATIONS = sorted(operation_names(PACKAGE))


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def test_there_are_9_operations_and_the_table_matches_the_spec() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    assert spec["servers"][0]["url"] == "https://towerofawesome.org/railcraftpack/api"
    table: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        op = item["post"]
        table[f"{op['tags'][0]}.{_snake(op['operationId'])}"] = (
            "api" + path,  # the spec's server ends in /api; ours is the site root
            op["x-craftapis-path"]["status"],
            op["x-craftapis-authenticated"],
        )
    assert len(OPERATIONS) == 9
    assert set(OPERATIONS) == set(table) == set(ENDPOINTS)
    for name, endpoint in ENDPOINTS.items():
        assert (endpoint.path, endpoint.status, endpoint.authenticated) == table[name], name
    assert set(spec["x-craftapis-auth"]["authenticated-operations"]) == {
        spec["paths"][e.path[3:]]["post"]["operationId"] for e in ENDPOINTS.values() if e.authenticated
    }


@pytest.mark.parametrize("cls", [RailcraftPack, AsyncRailcraftPack])
def test_every_operation_is_a_callable_on_both_clients(cls: type[Any]) -> None:
    client = cls(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    assert callable(client.call)
    for dotted in OPERATIONS:
        tag, op = dotted.split(".")
        assert callable(getattr(getattr(client.api, tag), op)), dotted


def test_path_overrides_accept_operation_and_path_names() -> None:
    paths = resolve_paths(
        {"get_tag": "api/other/", "pack.list_optional_mods": "x/", "get_ads": "https://m/ads"}
    )
    assert paths["pack.get_current_tag"] == "api/other/"
    assert paths["pack.list_optional_mods"] == "x/"
    assert paths["ads.get_ads"] == "https://m/ads"
    assert paths["pack.download_archive"] == "api/get_file/"
    assert resolve_paths({"get_current_tag": "y/"})["pack.get_current_tag"] == "y/"
    with pytest.raises(ValueError, match=r"no endpoint called 'get_tags'; use one of: .*get_tag"):
        resolve_paths({"get_tags": "x/"})
    with pytest.raises(ValueError, match="non-empty path"):
        resolve_paths({"get_tag": " "})


async def test_generated_operations_go_through_paths_form_and_session(
    mode: str, server: str, fake: FakeRailcraft
) -> None:
    from craftapis_generated.railcraft.models import DownloadDetailsRequest, ErrorMessageRequest

    fake.paths = {"get_error_message": "api/errors/"}
    client = make(mode, base_url=server, paths={"get_error_message": "api/errors/"})
    try:
        tag = await resolve(client.api.pack.get_current_tag())
        msg = await resolve(
            client.call("messages.get_error_message", body=ErrorMessageRequest(error_code=11))
        )
        details = await resolve(
            client.api.pack.get_download_details(
                body=DownloadDetailsRequest(
                    client_id="x", client_secret="x", token="x", opt_mods=["dynmap", "optifine"]
                )
            )
        )
    finally:
        await close(client)
    assert tag.major == "1.12.2-5"
    assert msg.error_message == "No tags found"
    assert details.mod_count_opt == 2
    form = fake.forms("get_download_url")[-1]
    # the session's credentials replaced the placeholders, and the list went as opt_mods[]
    assert form["client_id"] == CLIENT_ID and form["token"].startswith("rc-session-FAKE-")
    assert form["opt_mods"] == ["dynmap", "optifine"]
    assert [s.method for s in fake.seen] == ["POST"] * len(fake.seen)


async def test_every_request_is_a_form_post(mode: str) -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"result": 0, "msg": "", "token": "t"})

    transport: Any = httpx.MockTransport(app)
    client = make(mode, transport=transport)
    try:
        await resolve(client.current_tag())
        await resolve(client.server_message(ignore_time_limit=True))
        await resolve(client.test_token())
    finally:
        await close(client)
    assert [(r.method, r.url.path) for r in seen] == [
        ("POST", "/railcraftpack/api/get_tag/"),
        ("POST", "/railcraftpack/api/get_server_message/"),
        ("POST", "/railcraftpack/api/auth/"),
        ("POST", "/railcraftpack/api/test_token/"),
    ]
    assert all(r.headers["content-type"] == "application/x-www-form-urlencoded" for r in seen)
    assert seen[1].content == b"ignore_time_limit=true"
    assert seen[2].content == f"client_id={CLIENT_ID}&client_secret={CLIENT_SECRET}".encode()
