"""The five real clients, described once so every fault runs against each of them (sync and async).

Each `Api` knows how to build its client (`make`), the per-API fake that answers normally (`app`,
from tests/<api>/), one idempotent read and one write, and where those land on the server. The
writes differ in what they declare: Modrinth `create_version`, BuiltByBit `deployments_upgrade`, v1
`start_conversation` and Postal `send_message` must never be sent twice; BuiltByBit
`complete_events` and every Railcraft endpoint (reads behind POST) are declared safe to resend.
"""

from __future__ import annotations

import dataclasses
import inspect
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from craftapis import RetryPolicy
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis.postal import AsyncPostal, Postal
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack
from craftapis.railcraft._client import RAILCRAFT as RAILCRAFT_PROFILE

from tests.builtbybit import fake_api as bbb_fake
from tests.builtbybit_v1 import fake as v1_fake
from tests.modrinth.fake_modrinth import FakeModrinth
from tests.postal.postal_fake import API_KEY as POSTAL_KEY
from tests.postal.postal_fake import FakePostal
from tests.railcraft import fake as rc_fake

from .servers import App, bbb_v2_app, moonrope_app

__all__ = [
    "APIS",
    "BUILTBYBIT",
    "BUILTBYBIT_COMPLETE",
    "BUILTBYBIT_V1",
    "MODRINTH",
    "MODRINTH_TOKEN",
    "POSTAL",
    "RAILCRAFT",
    "USER_AGENT",
    "WRITES",
    "Api",
    "CountingAsyncTransport",
    "CountingTransport",
    "close",
    "fast_retry",
    "resolve",
]

MODRINTH_TOKEN = "mrp_FAKEfaultsTOKEN_5b1d0c"
USER_AGENT = "craftapis-tests/faults/1.0 (tests@example.invalid)"


def fast_retry(base: RetryPolicy | None = None, **changes: Any) -> RetryPolicy:
    """`base` (default: the default policy, 4 attempts) with short, seeded backoff: fast and
    deterministic, and otherwise what the client would use."""
    fast = (base or RetryPolicy()).copy_with(initial_backoff=0.01, max_backoff=0.05, rng=random.Random(7))
    return fast.copy_with(**changes)


async def resolve(value: Any) -> Any:
    """The value of a sync call, or the awaited value of an async one."""
    return await value if inspect.isawaitable(value) else value


async def close(client: Any) -> None:
    await resolve(client.aclose() if hasattr(client, "aclose") else client.close())


class CountingTransport(httpx.BaseTransport):
    """The real transport, counting what the policy transport above it sends (attempts)."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.attempts = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


class CountingAsyncTransport(httpx.AsyncBaseTransport):
    """The async twin of `CountingTransport`."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.attempts = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.attempts += 1
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass(frozen=True)
class Api:
    name: str
    #: a fresh fake answering like the API
    app: Callable[[], App]
    #: the path of the base URL on the fake server ("/v2" ...)
    prefix: str
    sync: Callable[..., Any]
    async_: Callable[..., Any]
    #: the auth header this client sends, and the secret it carries
    auth_header: str
    secret: str
    read: Callable[[Any], Any]
    read_request: tuple[str, str]
    write: Callable[[Any], Any]
    write_request: tuple[str, str]
    #: whether the write is declared safe to resend (then it is retried like a read)
    write_safe: bool
    #: the client's own default policy (Railcraft declares its POSTs safe in it)
    default_retry: RetryPolicy = dataclasses.field(default_factory=RetryPolicy)

    def make(self, mode: str, base_url: str, **kwargs: Any) -> Any:
        """The client for `mode` ("sync"/"async") against a server at `base_url` (its root)."""
        kwargs.setdefault("retry", fast_retry(self.default_retry))
        factory = self.sync if mode == "sync" else self.async_
        return factory(base_url + self.prefix, **kwargs)


# -- Modrinth ----------------------------------------------------------------------------------------


def _modrinth(cls: type[Any]) -> Callable[..., Any]:
    def make(base_url: str, **kwargs: Any) -> Any:
        return cls(token=MODRINTH_TOKEN, user_agent=USER_AGENT, base_url=base_url, **kwargs)

    return make


MODRINTH = Api(
    name="modrinth",
    app=lambda: FakeModrinth().handle,
    prefix="/v2",
    sync=_modrinth(Modrinth),
    async_=_modrinth(AsyncModrinth),
    auth_header="authorization",
    secret=MODRINTH_TOKEN,
    read=lambda c: c.get_project("AABBCCDD"),
    read_request=("GET", "/v2/project/AABBCCDD"),
    write=lambda c: c.create_version(
        "AABBCCDD",
        "1.0.0",
        [("synthetic.jar", b"synthetic jar bytes")],
        game_versions=["1.20.1"],
        loaders=["fabric"],
        primary_file="synthetic.jar",
    ),
    write_request=("POST", "/v2/version"),
    write_safe=False,
)

# -- BuiltByBit v2 -----------------------------------------------------------------------------------


def _bbb(cls: type[Any]) -> Callable[..., Any]:
    def make(base_url: str, **kwargs: Any) -> Any:
        return cls(token=bbb_fake.TOKEN, base_url=base_url, **kwargs)

    return make


BUILTBYBIT = Api(
    name="builtbybit",
    app=lambda: bbb_v2_app(bbb_fake.FakeBuiltByBit()),
    prefix="",
    sync=_bbb(BuiltByBit),
    async_=_bbb(AsyncBuiltByBit),
    auth_header="authorization",
    secret=bbb_fake.TOKEN,
    read=lambda c: c.health(),
    read_request=("GET", "/v2/health"),
    write=lambda c: c.deployments_upgrade(),
    write_request=("POST", "/v2/deployments/upgrade"),
    write_safe=False,
)

#: BuiltByBit v2 with a write it declares safe: completing events twice changes nothing.
BUILTBYBIT_COMPLETE = dataclasses.replace(
    BUILTBYBIT,
    name="builtbybit-complete_events",
    write=lambda c: c.complete_events([801, 802]),
    write_request=("POST", "/v2/events/complete"),
    write_safe=True,
)

# -- BuiltByBit v1 -----------------------------------------------------------------------------------


def _v1(cls: type[Any]) -> Callable[..., Any]:
    def make(base_url: str, **kwargs: Any) -> Any:
        return cls(private_token=v1_fake.PRIVATE_TOKEN, base_url=base_url, **kwargs)

    return make


def _start_conversation(client: Any) -> Any:
    from craftapis_generated.builtbybit_v1.models.start_conversation_request import (
        StartConversationRequest,
    )

    body = StartConversationRequest(title="Synthetic", message="Hello", recipient_ids=[77])
    return client.call("conversations.start_conversation", body=body)


BUILTBYBIT_V1 = Api(
    name="builtbybit_v1",
    app=lambda: v1_fake.FakeBuiltByBit(),
    prefix="/v1",
    sync=_v1(BuiltByBitV1),
    async_=_v1(AsyncBuiltByBitV1),
    auth_header="authorization",
    secret=v1_fake.PRIVATE_TOKEN,
    read=lambda c: c.health(),
    read_request=("GET", "/v1/health"),
    write=_start_conversation,
    write_request=("POST", "/v1/conversations"),
    write_safe=False,
)

# -- Postal (moonrope) -------------------------------------------------------------------------------


def _postal_app() -> App:
    fake = FakePostal()
    # message 101 exists, so the read (messages/deliveries) succeeds
    fake.send_message({"to": ["a@example.org"], "from": "me@example.com", "plain_body": "hello"})
    return moonrope_app(fake)


def _postal(cls: type[Any]) -> Callable[..., Any]:
    def make(base_url: str, **kwargs: Any) -> Any:
        return cls(base_url=base_url, api_key=POSTAL_KEY, **kwargs)

    return make


POSTAL = Api(
    name="postal",
    app=_postal_app,
    prefix="",
    sync=_postal(Postal),
    async_=_postal(AsyncPostal),
    auth_header="x-server-api-key",
    secret=POSTAL_KEY,
    read=lambda c: c.get_deliveries(101),
    read_request=("POST", "/api/v1/messages/deliveries"),
    write=lambda c: c.send_message(to=["b@example.org"], from_="me@example.com", plain_body="hi"),
    write_request=("POST", "/api/v1/send/message"),
    write_safe=False,
)

# -- Railcraft pack ----------------------------------------------------------------------------------


def _railcraft(cls: type[Any]) -> Callable[..., Any]:
    def make(base_url: str, **kwargs: Any) -> Any:
        return cls(
            client_id=rc_fake.CLIENT_ID, client_secret=rc_fake.CLIENT_SECRET, base_url=base_url, **kwargs
        )

    return make


RAILCRAFT = Api(
    name="railcraft",
    app=lambda: rc_fake.FakeRailcraft(),
    prefix="/railcraftpack",
    sync=_railcraft(RailcraftPack),
    async_=_railcraft(AsyncRailcraftPack),
    auth_header="",  # credentials travel in the form body
    secret=rc_fake.CLIENT_SECRET,
    read=lambda c: c.current_tag(),
    read_request=("POST", "/railcraftpack/api/get_tag/"),
    write=lambda c: c.download_details(),
    write_request=("POST", "/railcraftpack/api/get_download_url/"),
    write_safe=True,
    default_retry=RAILCRAFT_PROFILE.default_retry,
)

APIS: tuple[Api, ...] = (MODRINTH, BUILTBYBIT, BUILTBYBIT_V1, POSTAL, RAILCRAFT)
WRITES: tuple[Api, ...] = (*APIS, BUILTBYBIT_COMPLETE)
