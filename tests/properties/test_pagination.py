"""Pagination against random totals, page sizes, server clamps and limits, with a fake fetch: every
item exactly once, in order; `limit=` honoured; no page fetched that is not needed (but the one
empty page a strategy without a total cannot avoid)."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from craftapis import AsyncPageIterator, Page, PageIterator
from craftapis._pagination import FixedSizePaging, OffsetPaging, PageNumberPaging, Params
from craftapis.moonrope import MoonropePaging
from hypothesis import given
from hypothesis import strategies as st

from .strategies import FAST

totals = st.integers(min_value=0, max_value=400)
sizes = st.integers(min_value=1, max_value=120)
limits = st.none() | st.integers(min_value=0, max_value=450)


def _items(total: int) -> list[dict[str, int]]:
    return [{"n": n} for n in range(total)]


def _check(
    got: list[Any], items: list[Any], limit: int | None, fetches: int, per_page: int, *, slack: int
) -> None:
    expected = items if limit is None else items[:limit]
    assert got == expected  # every item exactly once, in order, and no more than `limit`
    if limit == 0:
        assert fetches == 0
        return
    needed = max(1, math.ceil(len(expected) / per_page))
    assert needed <= fetches <= needed + slack


@FAST
@given(
    total=totals,
    page_size=sizes,
    clamp=st.integers(min_value=1, max_value=100),
    limit=limits,
    report_total=st.booleans(),
)
def test_offset_paging(total: int, page_size: int, clamp: int, limit: int | None, report_total: bool) -> None:
    """Modrinth search: the server clamps `limit`; paging follows what really came back. Without a
    reported total a short page ends the walk, so that case is only sound when the server does not
    clamp below the page size (as the strategy documents)."""
    if not report_total:
        clamp = max(clamp, page_size)
    items = _items(total)
    fetched: list[Params] = []

    def fetch(params: Params) -> Any:
        fetched.append(params)
        offset, asked = params["offset"], min(params["limit"], clamp)
        body: dict[str, Any] = {"hits": items[offset : offset + asked], "offset": offset, "limit": asked}
        if report_total:
            body["total_hits"] = total
        return body

    got: list[Any] = list(PageIterator(fetch, OffsetPaging(page_size=page_size), {"query": "x"}, limit=limit))
    _check(got, items, limit, len(fetched), min(page_size, clamp), slack=0 if report_total else 1)
    assert all(p["query"] == "x" for p in fetched)
    assert [p["offset"] for p in fetched] == [min(page_size, clamp) * i for i in range(len(fetched))]


@FAST
@given(total=totals, per_page=st.integers(min_value=1, max_value=100), limit=limits)
def test_page_number_paging(total: int, per_page: int, limit: int | None) -> None:
    """BuiltByBit v2: `page`/`per_page`, the last page in `stats.max_page`."""
    items = _items(total)
    fetched: list[Params] = []

    def fetch(params: Params) -> Any:
        fetched.append(params)
        page, size = params["page"], params["per_page"]
        max_page = max(1, math.ceil(total / size))
        chunk = items[(page - 1) * size : page * size]
        return {
            "resources": chunk,
            "stats": {"total": total, "page": page, "per_page": size, "max_page": max_page},
        }

    strategy = PageNumberPaging(page_size=per_page, items_at=("resources",))
    pages: list[Page[Any]] = list(
        PageIterator(fetch, strategy, {"with": "Creator"}, limit=limit).iter_pages()
    )
    got = [item for page in pages for item in page.items]
    _check(got, items, limit, len(fetched), per_page, slack=0)
    assert [p["page"] for p in fetched] == list(range(1, len(fetched) + 1))
    assert all(page.total == total for page in pages)


@FAST
@given(total=totals, fixed=st.integers(min_value=1, max_value=30), limit=limits)
def test_fixed_size_paging(total: int, fixed: int, limit: int | None) -> None:
    """BuiltByBit v1: the server fixes the page size and reports nothing; a short page is the last,
    so a total that is a multiple of the size costs one empty page more."""
    items = _items(total)
    fetched: list[Params] = []

    def fetch(params: Params) -> Any:
        fetched.append(params)
        page = params["page"]
        return items[(page - 1) * fixed : page * fixed]  # `call()` returns the envelope's data: the list

    got: list[Any] = list(PageIterator(fetch, FixedSizePaging(page_size=fixed, items_at=()), limit=limit))
    _check(got, items, limit, len(fetched), fixed, slack=1)


def _moonrope_fetch(items: list[Any], fetched: list[Params]) -> Any:
    def fetch(params: Params) -> Any:
        fetched.append(params)
        page, size = params["page"], params["per_page"]
        pages = math.ceil(len(items) / size)
        return {
            "status": "success",
            "data": items[(page - 1) * size : page * size],
            "flags": {
                "paginated": {
                    "page": page,
                    "per_page": size,
                    "total_pages": pages,
                    "total_records": len(items),
                }
            },
        }

    return fetch


@FAST
@given(total=totals, per_page=st.integers(min_value=1, max_value=60), limit=limits)
def test_moonrope_paging(total: int, per_page: int, limit: int | None) -> None:
    """moonrope: `flags.paginated.total_pages` (0 for no records) ends the walk."""
    items = _items(total)
    fetched: list[Params] = []
    iterator: PageIterator[Any] = PageIterator(
        _moonrope_fetch(items, fetched),
        MoonropePaging(page_size=per_page),
        {"per_page": per_page},
        limit=limit,
    )
    _check(list(iterator), items, limit, len(fetched), per_page, slack=0)


@FAST
@given(total=totals, per_page=st.integers(min_value=1, max_value=60), limit=limits)
def test_async_iterator_walks_the_same_pages(total: int, per_page: int, limit: int | None) -> None:
    items = _items(total)
    sync_fetched: list[Params] = []
    async_fetched: list[Params] = []
    sync_fetch = _moonrope_fetch(items, sync_fetched)
    fetch_async = _moonrope_fetch(items, async_fetched)

    async def afetch(params: Params) -> Any:
        await asyncio.sleep(0)
        return fetch_async(params)

    async def walk() -> list[Any]:
        iterator: AsyncPageIterator[Any] = AsyncPageIterator(
            afetch, MoonropePaging(page_size=per_page), {"per_page": per_page}, limit=limit
        )
        return [item async for item in iterator]

    expected: list[Any] = list(
        PageIterator(sync_fetch, MoonropePaging(page_size=per_page), {"per_page": per_page}, limit=limit)
    )
    assert asyncio.run(walk()) == expected
    assert async_fetched == sync_fetched


def test_a_moonrope_action_without_paginated_flags_is_one_page() -> None:
    """An action that is not paginated answers the same items for any page: one fetch only."""
    fetched: list[Params] = []

    def fetch(params: Params) -> Any:
        fetched.append(params)
        return {"status": "success", "data": [1, 2, 3], "flags": {}}

    assert list(PageIterator(fetch, MoonropePaging(page_size=2), {"per_page": 2})) == [1, 2, 3]
    assert len(fetched) == 1
