"""Bulk reads batched by 100, and lazy search pagination, over the loopback fake."""

from __future__ import annotations

import gc
import json
import tracemalloc
import weakref
from collections.abc import AsyncIterator
from typing import Any

import pytest
from craftapis.modrinth import AsyncModrinth, Facets, Modrinth

from .conftest import close, collect, make_client, resolve
from .fake_modrinth import AppServer, FakeModrinth

Client = Modrinth | AsyncModrinth


@pytest.mark.parametrize(
    ("method", "path"),
    [("get_projects", "/v2/projects"), ("get_versions", "/v2/versions"), ("get_users", "/v2/users")],
)
async def test_250_ids_are_sent_in_three_batches(
    mode: str, api: AppServer, fake: FakeModrinth, method: str, path: str
) -> None:
    ids = [f"ID{n:06d}" for n in range(250)]
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        results = await resolve(getattr(client, method)(ids))
    finally:
        await close(client)
    assert [r.id for r in results] == ids
    assert [s.path for s in fake.requests] == [path] * 3
    sent = [s.query("ids") for s in fake.requests]
    assert sent == [
        json.dumps(ids[a:b], separators=(",", ":")) for a, b in ((0, 100), (100, 200), (200, 250))
    ]
    assert [json.loads(s or "") for s in sent] == [ids[:100], ids[100:200], ids[200:]]


def _offsets(fake: FakeModrinth) -> list[tuple[int, int]]:
    return [(int(s.query("offset") or -1), int(s.query("limit") or -1)) for s in fake.requests]


async def test_search_yields_every_hit_exactly_once(mode: str, api: AppServer, fake: FakeModrinth) -> None:
    fake.search_total = 250
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        hits = await collect(client.search("x", facets=[["categories:utility"]]))
    finally:
        await close(client)
    ids = [h.project_id for h in hits]
    assert ids == [f"P{n:07d}" for n in range(250)] and len(set(ids)) == 250
    assert _offsets(fake) == [(0, 100), (100, 100), (200, 100)]
    assert {s.query("facets") for s in fake.requests} == {'[["categories:utility"]]'}


async def test_search_follows_the_server_clamp(mode: str, api: AppServer, fake: FakeModrinth) -> None:
    """Asking for 250 per page gets 100 (Modrinth clamps): paging advances by what came back."""
    fake.search_total = 250
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        hits = await collect(client.search("x", page_size=250))
    finally:
        await close(client)
    assert [h.project_id for h in hits] == [f"P{n:07d}" for n in range(250)]
    assert _offsets(fake) == [(0, 250), (100, 250), (200, 250)]


@pytest.mark.parametrize(
    ("limit", "expected_requests"), [(130, [(0, 100), (100, 100)]), (5, [(0, 5)]), (0, [])]
)
async def test_search_honours_limit(
    mode: str, api: AppServer, fake: FakeModrinth, limit: int, expected_requests: list[tuple[int, int]]
) -> None:
    fake.search_total = 250
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        hits = await collect(client.search("x", limit=limit, index="newest"))
    finally:
        await close(client)
    assert [h.project_id for h in hits] == [f"P{n:07d}" for n in range(limit)]
    assert _offsets(fake) == expected_requests
    assert all(s.query("index") == "newest" for s in fake.requests)


async def test_search_is_lazy_and_pages_report_the_total(
    mode: str, api: AppServer, fake: FakeModrinth
) -> None:
    fake.search_total = 250
    client = make_client(mode, base_url=f"{api.url}/v2")
    try:
        iterator = client.search(facets=Facets().versions("1.20.1"))
        assert fake.requests == []  # nothing is fetched before iterating
        pages = iterator.iter_pages()
        first = await anext(pages) if isinstance(pages, AsyncIterator) else next(pages)
        assert (len(first.items), first.total, len(fake.requests)) == (100, 250, 1)
    finally:
        await close(client)


async def test_search_memory_does_not_grow_with_the_total(
    mode: str, api: AppServer, fake: FakeModrinth
) -> None:
    """The iterator holds one page: peak memory for 2000 hits is about that of 200 hits.

    Garbage is collected after every page because each httpx response sits in a reference
    cycle (its stream points back at it) until the cyclic collector runs: that timing is
    httpx's, not what the iterator keeps alive, which is what this test measures.
    """
    client = make_client(mode, base_url=f"{api.url}/v2")

    async def peak(total: int) -> int:
        fake.search_total = total
        seen = 0
        raw_refs: list[weakref.ref[Any]] = []
        gc.collect()
        tracemalloc.start()
        try:
            pages = client.search("x").iter_pages()
            if hasattr(pages, "__anext__"):
                async for page in pages:
                    seen += len(page.items)
                    raw_refs.append(weakref.ref(page.raw))
                    del page
                    gc.collect(1)
            else:
                for page in pages:
                    seen += len(page.items)
                    raw_refs.append(weakref.ref(page.raw))
                    del page
                    gc.collect(1)
            _, top = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert seen == total
        gc.collect()
        # earlier pages were released as iteration moved on
        assert sum(ref() is not None for ref in raw_refs) <= 1
        return top

    try:
        await peak(100)  # warm-up: imports, connection pool, caches
        small = await peak(200)
        large = await peak(2000)
    finally:
        await close(client)
    # holding every hit instead would make it about 7 times as large
    assert large < small * 1.5, (small, large)
