"""Any JSON (or non-JSON) body, with any status, fed to each client's response path: the client
returns normally or raises an `APIError` subclass, never anything else (a KeyError or TypeError from
an error decoder would escape the `except APIError` every caller writes).

Two paths per client: `request()` (the profile's `_check`: envelope and error decoding) and a typed
operation (`_check`, then the generated model parsing and the profile's unwrap).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from craftapis import APIError, NoRateLimiter, RetryPolicy
from craftapis.builtbybit import BuiltByBit
from craftapis.builtbybit_v1 import BuiltByBitV1
from craftapis.modrinth import Modrinth
from craftapis.moonrope import Moonrope
from craftapis.postal import Postal
from craftapis.railcraft import RailcraftPack
from hypothesis import given
from hypothesis import strategies as st

from .strategies import FAST, json_values, shaped_bodies, text

STATUSES = st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 410, 422, 429, 500, 502, 503])


class Scripted:
    """A MockTransport handler answering whatever the test last set."""

    def __init__(self) -> None:
        self.status = 200
        self.content = b""
        self.content_type = "application/json"

    def __call__(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(self.status, content=self.content, headers={"Content-Type": self.content_type})


_QUIET: dict[str, Any] = {"retry": RetryPolicy(max_attempts=1), "rate_limiter": NoRateLimiter()}

Client = Any
Clients: dict[str, tuple[Callable[[httpx.MockTransport], Client], Callable[[Client], Any]]] = {
    "modrinth": (
        lambda t: Modrinth(
            token="mrp_props", user_agent="props/1.0 (p@example.invalid)", transport=t, **_QUIET
        ),
        lambda c: c.get_project("AABBCCDD"),
    ),
    "builtbybit": (
        lambda t: BuiltByBit(token="props-token", transport=t, **_QUIET),
        lambda c: list(c.purchases(limit=5)),
    ),
    "builtbybit_v1": (
        lambda t: BuiltByBitV1(private_token="props-token", transport=t, **_QUIET),
        lambda c: list(c.resources(limit=5)),
    ),
    "postal": (
        lambda t: Postal(
            base_url="https://postal.example.invalid", api_key="props-key", transport=t, **_QUIET
        ),
        lambda c: c.get_message(1, expansions=True),
    ),
    "moonrope": (
        lambda t: Moonrope(
            base_url="https://rpc.example.invalid", auth_headers={"X-Auth-Token": "t"}, transport=t, **_QUIET
        ),
        lambda c: list(c.paginate("things", "list", limit=5)),
    ),
    "railcraft": (
        lambda t: RailcraftPack(client_id="props-id", client_secret="props-secret", transport=t, **_QUIET),
        lambda c: c.ads(),
    ),
}

bodies = json_values | shaped_bodies


def _exercise(client: Client, typed: Callable[[Client], Any], outcomes: set[str]) -> None:
    """Both paths; records what happened ("returned" or the error class) in `outcomes`."""
    attempts: tuple[Callable[[], Any], ...] = (
        lambda: client.request("POST", "/anything", json={}),
        lambda: typed(client),
    )
    for attempt in attempts:
        try:
            attempt()
        except APIError as error:
            outcomes.add(type(error).__name__)
        else:
            outcomes.add("returned")


@pytest.mark.parametrize("name", list(Clients))
def test_any_json_body_raises_only_api_errors(name: str) -> None:
    make, typed = Clients[name]
    answer = Scripted()
    with make(httpx.MockTransport(answer)) as client:

        @FAST
        @given(status=STATUSES, body=bodies)
        def check(status: int, body: Any) -> None:
            answer.status, answer.content = status, json.dumps(body).encode()
            _exercise(client, typed, outcomes)

        outcomes: set[str] = set()
        check()
    # not vacuous: the bodies reached several of the decoders' outcomes
    assert len(outcomes) >= 4, outcomes


@pytest.mark.parametrize("name", list(Clients))
def test_any_text_body_raises_only_api_errors(name: str) -> None:
    """Bodies that are not JSON (or are, by accident), under a JSON or a text content type."""
    make, typed = Clients[name]
    answer = Scripted()
    with make(httpx.MockTransport(answer)) as client:

        @FAST
        @given(
            status=STATUSES,
            body=text | st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
            content_type=st.sampled_from(["application/json", "text/html; charset=UTF-8", "text/plain"]),
        )
        def check(status: int, body: str, content_type: str) -> None:
            answer.status, answer.content, answer.content_type = status, body.encode(), content_type
            _exercise(client, typed, outcomes)

        outcomes: set[str] = set()
        check()
    assert len(outcomes) >= 3, outcomes
