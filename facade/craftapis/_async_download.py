"""The loop every download runs (Modrinth's version files, Railcraft's archives): stream the answer
into the `Transfer`'s sink, and when the body breaks off, wait as the retry policy says and ask
again, for the rest (`Range`) or the whole file; what each answer means is `Transfer`'s (`_files.py`).

Written once, async (`_async_download.py`); `_sync_download.py` is generated from it by
`scripts/unasync.py`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import httpx

from ._files import Transfer
from ._primitives import async_sleep

if TYPE_CHECKING:
    from ._async_base import AsyncAPIClient

__all__ = ["fetch_into"]


async def fetch_into(
    client: AsyncAPIClient,
    transfer: Transfer,
    request_for: Callable[[dict[str, str]], Awaitable[Any]],
    *,
    chunk_size: int,
    auth: httpx.Auth | None = None,
) -> httpx.Response:
    """Download into `transfer.sink` and return the last answer (its body read, the sink not yet
    closed). `request_for(headers)` gives each attempt's request (httpx arguments, as
    `client._stream` takes them) with `headers` (`Transfer.headers()`) among its own."""
    while True:
        request = await request_for(transfer.headers())
        wait: float | None = None
        async with client._stream(request, auth=auth) as response:
            transfer.begin(response)
            try:
                async for chunk in response.aiter_bytes(chunk_size):
                    transfer.write(chunk)
            except httpx.TransportError as exc:
                wait = transfer.broke(exc, response.request)
        if wait is None:
            return response
        await async_sleep(wait)
