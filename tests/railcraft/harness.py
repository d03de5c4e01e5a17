"""Run one test body against the sync or the async client (the `mode` fixture)."""

from __future__ import annotations

import inspect
from typing import Any

from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack

from .fake import CLIENT_ID, CLIENT_SECRET


def make(mode: str, *, credentials: bool = True, **kwargs: Any) -> RailcraftPack | AsyncRailcraftPack:
    if credentials:
        kwargs = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **kwargs}
    return RailcraftPack(**kwargs) if mode == "sync" else AsyncRailcraftPack(**kwargs)


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def close(client: RailcraftPack | AsyncRailcraftPack) -> None:
    if isinstance(client, AsyncRailcraftPack):
        await client.aclose()
    else:
        client.close()
