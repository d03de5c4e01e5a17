"""The argument check's fast path (`_validate._Plan`) decides exactly as `Signature.bind` + `_matches`
(the slow check, which writes the error messages), for every friendly method of every client, on
arguments drawn at random: right and wrong types, too many or too few positionals, unknown keywords,
an argument given twice. And the fast path is the one a well-formed call takes."""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from typing import Any

import pytest
from craftapis import RetryPolicy
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis.moonrope import AsyncMoonrope, Moonrope
from craftapis.postal import AsyncPostal, Postal
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

URL = "http://127.0.0.1:9"  # nothing is sent: only the checks run


class Colour(enum.Enum):
    RED = "red"


VALUES: list[Any] = [None, 0, 7, -1, 1.5, True, False, "x", "", b"x", [], ["x"], ("a",), {"a": 1}, {}]
VALUES += [frozenset({"x"}), Colour.RED, object(), lambda: None, RetryPolicy()]


def _clients() -> list[Any]:
    ua = "craftapis-tests/validation/1.0 (tests@example.invalid)"
    return [
        Modrinth(user_agent=ua, token="mrp_x", base_url=f"{URL}/v2"),
        AsyncModrinth(user_agent=ua, token="mrp_x", base_url=f"{URL}/v2"),
        BuiltByBit(token="t", base_url=URL),
        AsyncBuiltByBit(token="t", base_url=URL),
        BuiltByBitV1(private_token="t", base_url=f"{URL}/v1"),
        AsyncBuiltByBitV1(private_token="t", base_url=f"{URL}/v1"),
        Moonrope(base_url=URL, auth_headers={"X-Auth-Token": "k"}),
        AsyncMoonrope(base_url=URL, auth_headers={"X-Auth-Token": "k"}),
        Postal(base_url=URL, api_key="key"),
        AsyncPostal(base_url=URL, api_key="key"),
        RailcraftPack(client_id="i", client_secret="s", base_url=URL),
        AsyncRailcraftPack(client_id="i", client_secret="s", base_url=URL),
    ]


def _methods() -> list[tuple[Any, str, Callable[..., Any], Callable[..., Any], inspect.Signature]]:
    found = []
    for client in _clients():
        seen = set()
        for klass in type(client).__mro__:
            for name, member in vars(klass).items():
                checks = getattr(member, "__argument_checks__", None)
                if checks is None or name in seen:
                    continue
                seen.add(name)
                found.append((client, name, *checks, inspect.signature(member)))
    return found


METHODS = _methods()


def _verdict(check: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> str | None:
    try:
        check(args, kwargs)
    except TypeError as exc:
        return str(exc)
    return None


def test_every_friendly_method_is_covered() -> None:
    assert len({(type(c).__name__, n) for c, n, *_ in METHODS}) >= 100


@settings(max_examples=3000, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_the_fast_path_decides_as_bind_and_match(data: st.DataObject) -> None:
    client, _name, check, slow, signature = data.draw(st.sampled_from(METHODS))
    names = [p for p in signature.parameters if p != "self"] + ["bogus"]
    positional = data.draw(st.lists(st.sampled_from(VALUES), max_size=4))
    keywords = data.draw(st.dictionaries(st.sampled_from(names), st.sampled_from(VALUES), max_size=4))
    args = (client, *positional)
    assert _verdict(check, args, keywords) == _verdict(slow, args, keywords)


@pytest.mark.parametrize(
    ("method", "args", "kwargs"),
    [
        ("get_project", ("fabric-api",), {}),
        ("get_project", (), {"id_or_slug": "fabric-api"}),
        ("search_page", ("x",), {"limit": 20}),
        ("search_page", (), {"query": None, "offset": 5, "index": "downloads"}),
        ("get_project_versions", ("sodium",), {"loaders": ["fabric"], "featured": True}),
    ],
)
def test_a_well_formed_call_takes_the_fast_path(
    method: str, args: tuple[Any, ...], kwargs: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _clients()[0]
    check, _ = getattr(type(client), method).__argument_checks__
    check((client, *args), kwargs)  # the plan is built on the first call

    def bind(*a: Any, **k: Any) -> Any:
        raise AssertionError("Signature.bind called for a well-formed call")

    monkeypatch.setattr(inspect.Signature, "bind", bind)
    check((client, *args), kwargs)


def test_a_wrong_type_still_names_parameter_and_annotation() -> None:
    client = _clients()[0]
    with pytest.raises(TypeError, match=r"^Modrinth.get_project\(\): id_or_slug must be str, got int$"):
        client.get_project(5)
    with pytest.raises(TypeError, match=r"^Modrinth.get_project\(\): missing a required argument"):
        client.get_project()
