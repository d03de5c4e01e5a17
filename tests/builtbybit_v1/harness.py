"""Run one test body against the sync or the async client (the `mode` fixture)."""

from __future__ import annotations

import inspect
from typing import Any

from craftapis import AsyncPageIterator, Page
from craftapis.builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1


def make(mode: str, **kwargs: Any) -> BuiltByBitV1 | AsyncBuiltByBitV1:
    return BuiltByBitV1(**kwargs) if mode == "sync" else AsyncBuiltByBitV1(**kwargs)


async def resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


async def collect(iterator: Any) -> list[Any]:
    if isinstance(iterator, AsyncPageIterator):
        return [item async for item in iterator]
    return list(iterator)


async def pages(iterator: Any) -> list[Page[Any]]:
    if isinstance(iterator, AsyncPageIterator):
        return [page async for page in iterator.iter_pages()]
    return list(iterator.iter_pages())


async def take(iterator: Any, n: int) -> list[Any]:
    out: list[Any] = []
    if isinstance(iterator, AsyncPageIterator):
        async for item in iterator:
            out.append(item)
            if len(out) == n:
                break
    else:
        for item in iterator:
            out.append(item)
            if len(out) == n:
                break
    return out


async def close(client: BuiltByBitV1 | AsyncBuiltByBitV1) -> None:
    if isinstance(client, AsyncBuiltByBitV1):
        await client.aclose()
    else:
        client.close()
