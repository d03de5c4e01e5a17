"""Moonrope's `page`/`per_page` pagination, reported in `flags.paginated`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from .._pagination import PageNumberPaging

__all__ = ["DEFAULT_PER_PAGE", "MAX_PER_PAGE", "MoonropePaging", "check_per_page"]

#: moonrope's own default and maximum page sizes
DEFAULT_PER_PAGE: Final = 30
MAX_PER_PAGE: Final = 60


def check_per_page(per_page: object) -> int:
    """``per_page`` as an int, or ValueError: moonrope caps it at 60 (a larger value would silently
    give smaller pages than asked)."""
    if isinstance(per_page, bool) or not isinstance(per_page, int) or not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(
            f"per_page must be an int from 1 to {MAX_PER_PAGE} (moonrope's maximum), got {per_page!r}"
        )
    return per_page


@dataclass(frozen=True)
class MoonropePaging(PageNumberPaging):
    """Pages of an action flagged `paginated`: items in `data`, `flags.paginated.total_pages` ends it.

    An action that does not report `flags.paginated` is not paginated: its one answer is the only page
    (asking for page 2 would get the same items again).
    """

    page_size: int = DEFAULT_PER_PAGE
    items_at: tuple[str, ...] = ("data",)
    last_page_at: tuple[str, ...] = ("flags", "paginated", "total_pages")
    total_at: tuple[str, ...] = ("flags", "paginated", "total_records")

    def next(self, params: dict[str, object], body: object, count: int) -> dict[str, object] | None:
        """The next page's parameters, or None after the last page (or when the action is not paginated)."""
        flags = body.get("flags") if isinstance(body, Mapping) else None
        if not isinstance(flags, Mapping) or not isinstance(flags.get("paginated"), Mapping):
            return None
        return super().next(params, body, count)
