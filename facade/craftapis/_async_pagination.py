"""`AsyncPageIterator`: lazy iteration over any paginated list (strategies and pages in `_pagination.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Never, TypeVar

from ._pagination import Page, PagingStrategy, Params, _Base

__all__ = ["AsyncPageIterator"]

T = TypeVar("T")


class AsyncPageIterator(_Base[T]):
    """Iterate lazily over every item of a paginated list (`async for item in ...`); `iter_pages()`
    for whole pages.

    `fetch(params)` returns one decoded page body; it is called only when the previous page is used up.
    """

    def __init__(
        self,
        fetch: Callable[[Params], Awaitable[object]],
        strategy: PagingStrategy,
        params: Params | None = None,
        *,
        limit: int | None = None,
        item: Callable[[Never], T] | None = None,
    ) -> None:
        super().__init__(strategy, params, limit=limit, item=item)
        self._fetch = fetch

    async def iter_pages(self) -> AsyncIterator[Page[T]]:
        """Every page, fetched lazily; each carries its items, parameters and the reported total."""
        params: Params | None = self._params
        seen = 0
        if self._limit == 0:
            return
        while params is not None:
            page, params, seen = self._page(params, await self._fetch(params), seen)
            yield page
            # dropped before the next fetch: at most one page is alive, not the last one and the next
            del page

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            items = page.items
            del page
            for item in items:
                yield item
            del items  # (see iter_pages) the next page is fetched only after this one is let go

    async def first_page(self) -> Page[T]:
        """The first page only (an empty page when there is none)."""
        async for page in self.iter_pages():
            return page
        return Page([], self._params)
