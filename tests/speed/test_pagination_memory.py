"""Paginating keeps one page alive, not two: the previous page is let go before the next is fetched.

(The memory benchmark in bench/run.py measures the same thing in bytes: iterating 100,000 search hits
peaked at 6.8x one page's memory before, because the previous page and every unread response stayed
alive; tests assert the behaviour, with weak references, not the bytes.)
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from craftapis._async_pagination import AsyncPageIterator
from craftapis._pagination import OffsetPaging
from craftapis._sync_pagination import PageIterator


class Hit:
    def __init__(self, n: int) -> None:
        self.n = n


PAGE, PAGES = 10, 6


@pytest.fixture(autouse=True)
def gc_off() -> Iterator[None]:
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Server:
    """Pages of `Hit`s; at every fetch, counts how many hits of the pages before the last are still alive."""

    def __init__(self) -> None:
        self.refs: list[list[weakref.ref[Hit]]] = []
        self.alive_at_fetch: list[int] = []

    def fetch(self, params: dict[str, Any]) -> dict[str, Any]:
        # every hit but the last of the previous page (the caller's loop variable may hold that one)
        self.alive_at_fetch.append(sum(1 for page in self.refs for ref in page[:-1] if ref() is not None))
        offset = int(params.get("offset", 0))
        hits = [Hit(offset + i) for i in range(PAGE)] if offset < PAGE * PAGES else []
        self.refs.append([weakref.ref(h) for h in hits])
        return {"hits": hits, "offset": offset, "limit": PAGE, "total_hits": PAGE * PAGES}


def _strategy() -> OffsetPaging:
    return OffsetPaging(page_size=PAGE)


def test_iterating_items_keeps_at_most_one_page_alive() -> None:
    server = Server()
    count = 0
    for hit in PageIterator(server.fetch, _strategy()):
        count += hit.n >= 0
    assert count == PAGE * PAGES
    assert server.alive_at_fetch == [0] * len(server.alive_at_fetch), server.alive_at_fetch


def test_iterating_pages_keeps_at_most_one_page_alive() -> None:
    server = Server()
    for page in PageIterator(server.fetch, _strategy()).iter_pages():
        assert len(page.items) == PAGE
        del page
    assert set(server.alive_at_fetch) == {0}, server.alive_at_fetch


async def test_async_iteration_keeps_at_most_one_page_alive() -> None:
    server = Server()

    async def fetch(params: dict[str, Any]) -> dict[str, Any]:
        return server.fetch(params)

    count = 0
    async for hit in AsyncPageIterator(fetch, _strategy()):
        count += hit.n >= 0
    assert count == PAGE * PAGES
    assert set(server.alive_at_fetch) == {0}, server.alive_at_fetch
