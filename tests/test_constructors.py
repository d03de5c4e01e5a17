"""One constructor convention for every client (issue 9 item 8): keyword arguments only, the same names
for the same things, and a credential refused when it comes with its `Authorization` scheme."""

from __future__ import annotations

import inspect
from collections.abc import Callable

import craftapis
import pytest
from craftapis.builtbybit import OAuth2Session

SECRET = "s3cretVALUEnever-shown"

#: every public constructor that takes credentials, with a keyword call that works
CLIENTS: dict[str, tuple[type, dict[str, object]]] = {
    "Modrinth": (craftapis.Modrinth, {"token": SECRET, "user_agent": "me/tool/1.0"}),
    "AsyncModrinth": (craftapis.AsyncModrinth, {"token": SECRET, "user_agent": "me/tool/1.0"}),
    "BuiltByBit": (craftapis.BuiltByBit, {"token": SECRET}),
    "AsyncBuiltByBit": (craftapis.AsyncBuiltByBit, {"token": SECRET}),
    "BuiltByBitV1": (craftapis.BuiltByBitV1, {"private_token": SECRET}),
    "AsyncBuiltByBitV1": (craftapis.AsyncBuiltByBitV1, {"private_token": SECRET}),
    "Moonrope": (
        craftapis.Moonrope,
        {"base_url": "https://rpc.example.com", "auth_headers": {"X-Auth-Token": SECRET}},
    ),
    "AsyncMoonrope": (
        craftapis.AsyncMoonrope,
        {"base_url": "https://rpc.example.com", "auth_headers": {"X-Auth-Token": SECRET}},
    ),
    "Postal": (craftapis.Postal, {"base_url": "https://postal.example.com", "api_key": SECRET}),
    "AsyncPostal": (craftapis.AsyncPostal, {"base_url": "https://postal.example.com", "api_key": SECRET}),
    "RailcraftPack": (craftapis.RailcraftPack, {"client_id": "id", "client_secret": SECRET}),
    "AsyncRailcraftPack": (craftapis.AsyncRailcraftPack, {"client_id": "id", "client_secret": SECRET}),
    "OAuth2Session": (OAuth2Session, {"client_id": "id", "client_secret": SECRET}),
}

#: what the TypeError of a positional call tells the user to pass instead
HINTS = {
    "Modrinth": "Modrinth(user_agent=..., token=...)",
    "BuiltByBit": "BuiltByBit(token=... or oauth2=OAuth2Session(...))",
    "BuiltByBitV1": "BuiltByBitV1(private_token=... or shared_token=...)",
    "Moonrope": "Moonrope(base_url='https://...', auth_headers={...})",
    "Postal": "Postal(base_url='https://postal.example.com', api_key=...)",
    "RailcraftPack": "RailcraftPack(client_id=..., client_secret=...)",
    "OAuth2Session": "OAuth2Session(client_id=..., client_secret=..., redirect_uri=...)",
}


def _close(client: object) -> None:
    close = getattr(client, "close", None)
    if callable(close) and not inspect.iscoroutinefunction(close):
        close()


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_every_parameter_is_keyword_only(name: str) -> None:
    cls, _ = CLIENTS[name]
    parameters = list(inspect.signature(cls).parameters.values())
    assert parameters, name
    kinds = {p.name: p.kind for p in parameters}
    wrong = [n for n, kind in kinds.items() if kind not in (inspect.Parameter.KEYWORD_ONLY,)]
    assert not wrong, f"{name}: not keyword-only: {wrong}"


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_a_keyword_call_works(name: str) -> None:
    cls, kwargs = CLIENTS[name]
    _close(cls(**kwargs))


@pytest.mark.parametrize("name", sorted(CLIENTS))
def test_a_positional_call_says_what_to_pass_without_showing_the_value(name: str) -> None:
    cls, kwargs = CLIENTS[name]
    positional = list(kwargs.values())
    with pytest.raises(TypeError) as caught:
        cls(*positional)
    message = str(caught.value)
    base = name.removeprefix("Async")
    shown = HINTS[base].replace(base, name, 1)
    assert message.startswith(f"{name}() takes keyword arguments only: {shown}"), message
    assert SECRET not in message
    assert f"{len(positional)} positional argument" in message
    # one positional, the others by keyword, is refused the same way
    first, *rest = kwargs
    with pytest.raises(TypeError, match="takes keyword arguments only"):
        cls(kwargs[first], **{k: kwargs[k] for k in rest})


#: (client, parameter, the other keyword arguments, a prefixed credential that must be refused)
PREFIXED: list[tuple[str, str, dict[str, object], str]] = [
    ("Modrinth", "token", {"user_agent": "me/tool/1.0"}, "Token"),
    ("Modrinth", "token", {"user_agent": "me/tool/1.0"}, "Basic"),
    ("AsyncModrinth", "token", {"user_agent": "me/tool/1.0"}, "Private"),
    ("BuiltByBit", "token", {}, "Token"),
    ("BuiltByBit", "token", {}, "Bearer"),
    ("AsyncBuiltByBit", "token", {}, "Basic"),
    ("AsyncBuiltByBit", "token", {}, "Private"),
    ("BuiltByBitV1", "private_token", {}, "Private"),
    ("BuiltByBitV1", "shared_token", {}, "Shared"),
    ("AsyncBuiltByBitV1", "private_token", {}, "Token"),
    ("AsyncBuiltByBitV1", "shared_token", {}, "Bearer"),
    ("Postal", "api_key", {"base_url": "https://postal.example.com"}, "Bearer"),
    ("AsyncPostal", "api_key", {"base_url": "https://postal.example.com"}, "Token"),
    ("RailcraftPack", "client_secret", {"client_id": "id"}, "Bearer"),
    ("AsyncRailcraftPack", "client_secret", {"client_id": "id"}, "Basic"),
    ("OAuth2Session", "client_secret", {"client_id": "id"}, "Basic"),
    ("OAuth2Session", "client_id", {"client_secret": SECRET}, "Bearer"),
]


@pytest.mark.parametrize(("name", "parameter", "others", "scheme"), PREFIXED)
def test_a_credential_with_its_scheme_is_refused(
    name: str, parameter: str, others: dict[str, object], scheme: str
) -> None:
    cls = CLIENTS[name][0]
    for spelling in (f"{scheme} {SECRET}", f"{scheme.lower()} {SECRET}", f"  {scheme.upper()}  {SECRET}"):
        with pytest.raises(ValueError) as caught:
            cls(**others, **{parameter: spelling})
        message = str(caught.value)
        assert f"pass the {parameter} alone, without '{scheme} '" in message, message
        assert SECRET not in message


@pytest.mark.parametrize("make", [craftapis.Modrinth, craftapis.AsyncModrinth])
def test_modrinth_takes_a_bearer_token_as_its_server_does(make: Callable[..., object]) -> None:
    client = make(token=f"Bearer {SECRET}", user_agent="me/tool/1.0")
    auth = client._auth  # type: ignore[attr-defined]
    import httpx

    request = next(auth.auth_flow(httpx.Request("GET", "https://api.modrinth.com/v2/project/x")))
    assert request.headers["Authorization"] == f"Bearer {SECRET}"
    _close(client)


def test_a_credential_that_merely_contains_a_space_word_is_not_mistaken_for_a_scheme() -> None:
    # only a leading scheme word followed by a space is refused; a token is otherwise sent as given
    client = craftapis.BuiltByBit(token="Tokenish" + SECRET)
    _close(client)


def test_a_users_subclass_with_its_own_positional_init_is_left_alone() -> None:
    class MyBot(craftapis.BuiltByBit):
        def __init__(self, token: str) -> None:
            super().__init__(token=token)

    bot = MyBot(SECRET)
    assert isinstance(bot, craftapis.BuiltByBit)
    _close(bot)
    # its own super().__init__ still takes keywords only
    with pytest.raises(TypeError, match="positional"):
        craftapis.BuiltByBit.__init__(bot, SECRET)  # type: ignore[misc]
