"""Modrinth / AsyncModrinth construction, the profile, every generated operation, URLs, options."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import warnings
from collections.abc import Iterator
from enum import Enum
from functools import partial
from typing import Any
from unittest.mock import MagicMock

import httpx
import pytest
from craftapis import HeaderRateLimiter, RetryPolicy, ServerError
from craftapis._version import __version__
from craftapis.modrinth import (
    DEFAULT_BASE_URL,
    STAGING_BASE_URL,
    AsyncModrinth,
    MissingUserAgentWarning,
    Modrinth,
    _user_agent,
)
from craftapis_generated.modrinth.models import CategoryTag
from loopback import LoopbackServer, Reply

from .conftest import USER_AGENT, close, fast_retry, make_client, resolve
from .fake_modrinth import AppServer, FakeModrinth

Client = Modrinth | AsyncModrinth


def generated_operations() -> list[str]:
    """Every operation module of the generated Modrinth package, found by walking it."""
    api = importlib.import_module("craftapis_generated.modrinth.api")
    names = []
    for tag in pkgutil.iter_modules(api.__path__):
        package = importlib.import_module(f"{api.__name__}.{tag.name}")
        for op in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package.__name__}.{op.name}")
            assert callable(getattr(module, "_get_kwargs", None)), module.__name__
            names.append(f"{tag.name}.{op.name}")
    return names


@pytest.fixture
def quiet_user_agent(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Forget that the once-per-process warning was shown, and restore that afterwards."""
    monkeypatch.setattr(_user_agent, "_warned", False)
    yield


# -- every operation ----------------------------------------------------------------------------


async def test_every_generated_operation_is_reachable_on_both_clients() -> None:
    operations = generated_operations()
    assert len(operations) == 77
    sync, async_ = Modrinth(user_agent=USER_AGENT), AsyncModrinth(user_agent=USER_AGENT)
    try:
        for client in (sync, async_):
            assert sorted(dir(client.api)) == sorted({op.split(".")[0] for op in operations})
            for dotted in operations:
                tag, name = dotted.split(".")
                operation = getattr(getattr(client.api, tag), name)
                assert callable(operation), dotted
                assert operation.__name__ == dotted.split(".")[1]
                # what client.call(dotted) runs: the generated module of that name
                assert client._module(dotted).__name__ == f"craftapis_generated.modrinth.api.{dotted}"
                assert inspect.iscoroutinefunction(async_.call) and not inspect.iscoroutinefunction(sync.call)
            with pytest.raises(AttributeError, match=r"no operation 'projects\.nope'"):
                client.api.projects.nope  # noqa: B018
    finally:
        sync.close()
        await async_.aclose()


class _Sent(Exception):
    pass


def _dummy_arguments(module: Any) -> dict[str, Any]:
    """A value for every required parameter of a generated operation (mocks for models and enums)."""
    values: dict[str, Any] = {}
    for name, param in inspect.signature(module._get_kwargs).parameters.items():
        if param.default is not inspect.Parameter.empty:
            continue
        simple = {str: "x", int: 1, bool: True, float: 1.0}
        kind = param.annotation
        if isinstance(kind, type) and issubclass(kind, Enum):  # typed methods check enums: a real member
            values[name] = next(iter(kind))
        elif isinstance(kind, type) and hasattr(kind, "from_dict"):  # ... and models: a mock that is one
            values[name] = MagicMock(spec=kind, name=name)
        else:
            values[name] = simple.get(kind, MagicMock(name=name))
    return values


async def test_call_builds_every_operations_request_on_both_clients(monkeypatch: pytest.MonkeyPatch) -> None:
    """`client.call(op)` and `client.api.<tag>.<op>()` reach each of the 77 generated operations and
    hand its request to the sending path."""
    sent: list[dict[str, Any]] = []

    def capture(self: Any, kwargs: dict[str, Any], **_: Any) -> Any:
        sent.append(kwargs)
        raise _Sent

    async def acapture(self: Any, kwargs: dict[str, Any], **_: Any) -> Any:
        capture(self, kwargs)

    monkeypatch.setattr(Modrinth, "_send", capture)
    monkeypatch.setattr(AsyncModrinth, "_send", acapture)
    sync, async_ = Modrinth(user_agent=USER_AGENT), AsyncModrinth(user_agent=USER_AGENT)
    try:
        for dotted in generated_operations():
            module = importlib.import_module(f"craftapis_generated.modrinth.api.{dotted}")
            arguments = _dummy_arguments(module)
            expected = module._get_kwargs(**arguments)
            tag, name = dotted.split(".")
            for client in (sync, async_):
                for call in (partial(client.call, dotted), getattr(getattr(client.api, tag), name)):
                    sent.clear()
                    with pytest.raises(_Sent):
                        await resolve(call(**arguments))
                    assert len(sent) == 1, dotted
                    assert (sent[0]["method"], sent[0]["url"]) == (
                        expected["method"],
                        sync.root_url + expected["url"]
                        if dotted == "misc.forge_updates"
                        else expected["url"],
                    ), dotted
    finally:
        sync.close()
        await async_.aclose()


async def test_call_and_api_send_through_the_policy(mode: str, api: AppServer, fake: FakeModrinth) -> None:
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        by_call = await resolve(client.call("tags.category_list"))
        by_attr = await resolve(client.api.tags.category_list())
        project = await resolve(client.api.projects.get_project(id_slug="AABBCCDD"))
    finally:
        await close(client)
    assert [c.name for c in by_call] == [c.name for c in by_attr] == ["utility"]
    assert isinstance(by_call[0], CategoryTag)
    assert project.id == "AABBCCDD"
    assert [s.path for s in fake.requests] == ["/v2/tag/category", "/v2/tag/category", "/v2/project/AABBCCDD"]


# -- the profile --------------------------------------------------------------------------------


def test_profile_defaults() -> None:
    client = Modrinth(user_agent=USER_AGENT)
    try:
        assert client.base_url == DEFAULT_BASE_URL == "https://api.modrinth.com/v2"
        assert client.root_url == "https://api.modrinth.com"
        assert client.oauth_token_url == "https://api.modrinth.com/_internal/oauth/token"
        assert isinstance(client.rate_limiter, HeaderRateLimiter)
        assert (client.rate_limiter.limit, client.rate_limiter._window) == (300, 60.0)
        assert client._profile.unwrap("anything") == "anything"
    finally:
        client.close()


def test_staging_shortcut_and_base_url_knob() -> None:
    staging = Modrinth(user_agent=USER_AGENT, staging=True)
    custom = Modrinth(user_agent=USER_AGENT, base_url="http://127.0.0.1:9/v2/")
    try:
        assert staging.base_url == STAGING_BASE_URL == "https://staging-api.modrinth.com/v2"
        assert staging.oauth_token_url == "https://staging-api.modrinth.com/_internal/oauth/token"
        assert custom.base_url == "http://127.0.0.1:9/v2"
        assert custom.root_url == "http://127.0.0.1:9"
    finally:
        staging.close()
        custom.close()
    with pytest.raises(TypeError, match="base_url= or staging=True"):
        Modrinth(user_agent=USER_AGENT, staging=True, base_url="https://example.invalid/v2")
    with pytest.raises(TypeError, match="token= or auth="):
        Modrinth(user_agent=USER_AGENT, token="mrp_x", auth=httpx.BasicAuth("a", "b"))


async def test_forge_updates_lives_at_the_host_root(mode: str, api: AppServer, fake: FakeModrinth) -> None:
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        updates = await resolve(client.forge_updates("my_mod"))
        via_api = await resolve(client.api.misc.forge_updates(id_slug="my_mod"))
    finally:
        await close(client)
    assert updates.homepage == via_api.homepage == "https://modrinth.com/mod/synthetic"
    assert [s.path for s in fake.requests] == ["/updates/my_mod/forge_updates.json"] * 2


# -- user agent ---------------------------------------------------------------------------------


async def test_user_agent_names_the_app_then_craftapis(
    mode: str, loopback: LoopbackServer, quiet_user_agent: None
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        client = make_client(
            mode, base_url=loopback.url, user_agent="me/my_launcher/1.56.0 (me@example.invalid)"
        )
        from_headers = make_client(
            mode, base_url=loopback.url, user_agent=None, headers={"user-agent": "me/tool/2"}
        )
    try:
        await resolve(client.request("GET", "/x"))
        await resolve(from_headers.request("GET", "/x"))
    finally:
        await close(client)
        await close(from_headers)
    assert not [w for w in caught if issubclass(w.category, MissingUserAgentWarning)]
    sent = [r.headers.get("User-Agent") or r.headers.get("user-agent") for r in loopback.requests]
    assert sent == [
        f"me/my_launcher/1.56.0 (me@example.invalid) craftapis/{__version__}",
        f"me/tool/2 craftapis/{__version__}",
    ]


async def test_missing_user_agent_warns_once_per_process(
    mode: str, loopback: LoopbackServer, quiet_user_agent: None
) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first: Client = (
            Modrinth(base_url=loopback.url) if mode == "sync" else AsyncModrinth(base_url=loopback.url)
        )
        second = make_client(mode, base_url=loopback.url, user_agent="   ")
        third = Modrinth(base_url=loopback.url)
    try:
        await resolve(first.request("GET", "/x"))
    finally:
        await close(first)
        await close(second)
        third.close()
    warned = [w for w in caught if issubclass(w.category, MissingUserAgentWarning)]
    assert len(warned) == 1
    message = str(warned[0].message)
    assert "blocks bare library user agents" in message and "user_agent=" in message
    assert warned[0].filename == __file__  # points at the line that built the client
    # header names are case-insensitive; the async default transport (aiohttp) sends them lower-case
    sent = {name.lower(): value for name, value in loopback.requests[0].headers.items()}
    assert sent.get("user-agent") == f"craftapis/{__version__}"


def test_user_agent_must_be_one_line() -> None:
    with pytest.raises(ValueError, match="one line"):
        Modrinth(user_agent="me/app\r\nX-Injected: 1")


# -- per-call options, http_client, transport ---------------------------------------------------


async def test_options_override_the_retry_policy_per_call(mode: str, loopback: LoopbackServer) -> None:
    client = make_client(mode, base_url=loopback.url, retry=fast_retry(max_attempts=3))
    loopback.script(
        Reply(503), Reply(503), Reply(200, [{"icon": "", "name": "a", "project_type": "mod", "header": "h"}])
    )
    try:
        tags = await resolve(client.call("tags.category_list"))
        assert [t.name for t in tags] == ["a"] and loopback.count() == 3
        loopback.script(Reply(503), Reply(200, []))
        with client.options(retry=RetryPolicy(max_attempts=1)), pytest.raises(ServerError):
            await resolve(client.call("tags.category_list"))
        assert loopback.count() == 4
    finally:
        await close(client)


async def test_users_http_client_and_transport_are_used(mode: str, api: AppServer) -> None:
    seen: list[str] = []
    if mode == "sync":

        def hook(request: httpx.Request) -> None:
            seen.append(str(request.url))

        own = httpx.Client(event_hooks={"request": [hook]})
        client: Client = Modrinth(user_agent=USER_AGENT, base_url=f"{api.url}/v2", http_client=own)
        project = client.get_project("AABBCCDD")
        client.close()
        assert not own.is_closed  # the user's client is theirs to close
        own.close()
    else:

        async def ahook(request: httpx.Request) -> None:
            seen.append(str(request.url))

        aown = httpx.AsyncClient(event_hooks={"request": [ahook]})
        client = AsyncModrinth(user_agent=USER_AGENT, base_url=f"{api.url}/v2", http_client=aown)
        project = await client.get_project("AABBCCDD")
        await client.aclose()
        assert not aown.is_closed
        await aown.aclose()
    assert project.id == "AABBCCDD"
    assert seen == [f"{api.url}/v2/project/AABBCCDD"]

    fake = FakeModrinth()
    mocked = make_client(mode, transport=httpx.MockTransport(fake.handle))
    try:
        assert (await resolve(mocked.get_project("EEFFGGHH"))).id == "EEFFGGHH"
    finally:
        await close(mocked)
    assert str(fake.requests[0].url) == "https://api.modrinth.com/v2/project/EEFFGGHH"


def test_bulk_ids_must_be_a_list() -> None:
    client = Modrinth(user_agent=USER_AGENT, transport=httpx.MockTransport(FakeModrinth().handle))
    try:
        with pytest.raises(TypeError, match="not one string"):
            client.get_projects("AABBCCDD")
        assert client.get_projects([]) == []
        with pytest.raises(TypeError, match="list of hashes"):
            client.versions_from_hashes("abc")
        with pytest.raises(ValueError, match="sha1 or sha512"):
            client.version_from_hash("abc", "md5")
    finally:
        client.close()


async def test_get_project_versions_sends_json_array_strings(
    mode: str, api: AppServer, fake: FakeModrinth
) -> None:
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        forge = await resolve(client.get_project_versions("AABBCCDD", loaders="forge", featured=True))
        both = await resolve(client.get_project_versions("AABBCCDD", game_versions=["1.20.1", "1.19.4"]))
    finally:
        await close(client)
    assert [v.id for v in forge] == ["MMNNOOPP"]
    assert [v.id for v in both] == ["IIJJKKLL", "MMNNOOPP"]
    first, second = fake.requests
    assert first.query("loaders") == '["forge"]' and first.query("featured") == "true"
    assert first.query("game_versions") is None
    assert second.query("game_versions") == '["1.20.1","1.19.4"]'
    assert json.loads(second.query("game_versions") or "") == ["1.20.1", "1.19.4"]
