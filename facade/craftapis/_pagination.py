"""Lazy pagination: `for`/`async for` over items, `iter_pages()`, and a total `limit`.

One iterator pair serves every API (`AsyncPageIterator` written once in `_async_pagination.py`,
`PageIterator` generated from it). What differs between APIs (how a page is asked for, where its
items are, how it says it is the last) is a `PagingStrategy`: pure functions over plain data, so they
are tested once, with no network. Memory is one page at a time, whatever the number of items.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, Never, Protocol, TypeVar, cast

__all__ = ["FixedSizePaging", "OffsetPaging", "Page", "PageNumberPaging", "PagingStrategy"]

T = TypeVar("T")
Params = dict[str, object]


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page: its items, the parameters that asked for it, and the total the server reported."""

    items: list[T]
    params: Params
    total: int | None = None
    raw: object = field(default=None, repr=False)


class PagingStrategy(Protocol):
    def first(self, params: Params) -> Params:
        """The parameters of the first page."""

    def items(self, body: object) -> list[object]:
        """The items of a decoded page body."""

    def total(self, body: object) -> int | None:
        """The total number of items the server reports, if it does."""

    def next(self, params: Params, body: object, count: int) -> Params | None:
        """The parameters of the next page, or None after the last page."""


def _int(value: object, default: int) -> int:
    """A page/offset/size parameter as an int (`default` when absent or 0); the values craftapis puts
    in the parameters are ints or their strings."""
    return int(value) if isinstance(value, int | str) and value else default


def _list(value: object) -> list[object]:
    """The items of a page as a list (None, absent or not a sequence of items: no items)."""
    if isinstance(value, Iterable) and not isinstance(value, str | bytes | Mapping):
        return list(value)
    return []


def _get(body: object, path: tuple[str, ...]) -> object:
    for key in path:
        body = body.get(key) if isinstance(body, Mapping) else getattr(body, key, None)
        if body is None:
            return None
    return body


class _AtPaths:
    """`items` and `total` of a strategy whose page body holds them at `items_at` and `total_at` (no
    `total_at`: the server reports no total)."""

    items_at: tuple[str, ...]
    total_at: tuple[str, ...] = ()

    def items(self, body: object) -> list[object]:
        return _list(_get(body, self.items_at))

    def total(self, body: object) -> int | None:
        value = _get(body, self.total_at) if self.total_at else None
        return int(value) if isinstance(value, int) else None


@dataclass(frozen=True)
class OffsetPaging(_AtPaths):
    """`offset`/`limit` paging with a reported total (Modrinth search: `{hits, offset, limit, total_hits}`).

    The server clamps `limit` (Modrinth to 100), so the next offset advances by what really came back,
    and a page shorter than asked is not the end while the reported total says there is more. Ends on an
    empty page or once `offset >= total`; without a total, on a short page.
    """

    page_size: int = 100
    items_at: tuple[str, ...] = ("hits",)
    total_at: tuple[str, ...] = ("total_hits",)
    offset_param: str = "offset"
    limit_param: str = "limit"

    def first(self, params: Params) -> Params:
        return {self.limit_param: self.page_size, self.offset_param: 0, **params}

    def next(self, params: Params, body: object, count: int) -> Params | None:
        offset = _int(params.get(self.offset_param), 0) + count
        total = self.total(body)
        if count == 0:
            return None
        if total is not None:
            return None if offset >= total else {**params, self.offset_param: offset}
        asked = _int(params.get(self.limit_param), self.page_size)
        return None if count < min(asked, self.page_size) else {**params, self.offset_param: offset}


@dataclass(frozen=True)
class PageNumberPaging(_AtPaths):
    """`page`/`per_page` paging with the last page number reported (BuiltByBit v2 `stats.max_page`,
    moonrope `flags.paginated.total_pages`). Ends at the last page, or on an empty page."""

    page_size: int = 100
    items_at: tuple[str, ...] = ("data",)
    last_page_at: tuple[str, ...] = ("stats", "max_page")
    total_at: tuple[str, ...] = ("stats", "total")
    page_param: str = "page"
    size_param: str | None = "per_page"

    def first(self, params: Params) -> Params:
        first: Params = {self.page_param: 1}
        if self.size_param:
            first[self.size_param] = self.page_size
        return {**first, **params}

    def next(self, params: Params, body: object, count: int) -> Params | None:
        page = _int(params.get(self.page_param), 1)
        last = _get(body, self.last_page_at)
        if count == 0 or (isinstance(last, int) and page >= last):
            return None
        return {**params, self.page_param: page + 1}


@dataclass(frozen=True)
class FixedSizePaging(_AtPaths):
    """`page` paging with a size the server fixes and never reports (BuiltByBit v1: 20 per page).
    Ends on a page shorter than that size (as the official client does)."""

    page_size: int = 20
    items_at: tuple[str, ...] = ("data",)
    page_param: str = "page"

    def first(self, params: Params) -> Params:
        return {self.page_param: 1, **params}

    def next(self, params: Params, body: object, count: int) -> Params | None:
        if count < self.page_size:
            return None
        return {**params, self.page_param: _int(params.get(self.page_param), 1) + 1}


class _Base(Generic[T]):
    def __init__(
        self,
        strategy: PagingStrategy,
        params: Params | None = None,
        *,
        limit: int | None = None,
        item: Callable[[Never], T] | None = None,
    ) -> None:
        if limit is not None and limit < 0:
            raise ValueError("limit must be >= 0 (or None for every item)")
        self._strategy = strategy
        self._params = strategy.first(dict(params or {}))
        self._limit = limit
        # called with the raw items of a page, whose type only the caller's `item` knows
        self._item = cast("Callable[[object], T] | None", item)

    def _page(self, params: Params, body: object, seen: int) -> tuple[Page[T], Params | None, int]:
        raw_items = self._strategy.items(body)
        count = len(raw_items)
        if self._limit is not None:
            raw_items = raw_items[: max(0, self._limit - seen)]
        # without an `item` converter, the items are what the API's parsed page holds: T by construction
        items = [self._item(i) for i in raw_items] if self._item else cast("list[T]", raw_items)
        seen += len(items)
        nxt = self._strategy.next(params, body, count)
        if self._limit is not None and seen >= self._limit:
            nxt = None
        return Page(items, params, self._strategy.total(body), body), nxt, seen
