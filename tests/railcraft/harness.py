"""Run one test body against the sync or the async client (the `mode` fixture)."""

from __future__ import annotations

import inspect
import random
from typing import Any

from craftapis import RetryPolicy
from craftapis.railcraft import AsyncRailcraftPack, RailcraftPack
from craftapis.railcraft._client import RAILCRAFT

from .fake import CLIENT_ID, CLIENT_SECRET


def make(mode: str, *, credentials: bool = True, **kwargs: Any) -> RailcraftPack | AsyncRailcraftPack:
    if credentials:
        kwargs = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **kwargs}
    return RailcraftPack(**kwargs) if mode == "sync" else AsyncRailcraftPack(**kwargs)


def fast_retry(**changes: Any) -> RetryPolicy:
    """Railcraft's default policy (POSTs resent) with short, seeded waits."""
    fast: dict[str, Any] = {"initial_backoff": 0.01, "max_backoff": 0.02, "rng": random.Random(7)}
    return RAILCRAFT.default_retry.copy_with(**{**fast, **changes})


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def close(client: RailcraftPack | AsyncRailcraftPack) -> None:
    if isinstance(client, AsyncRailcraftPack):
        await client.aclose()
    else:
        client.close()
