"""Pure request arguments for the friendly methods: JSON-array strings, id batches, search paging."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Final

from .._pagination import OffsetPaging
from ._facets import FacetsLike, render_facets

__all__ = [
    "BATCH_SIZE",
    "SEARCH_PAGE_SIZE",
    "SearchPaging",
    "id_batches",
    "json_array",
    "project_version_params",
    "search_params",
    "string_list",
]

#: Ids per bulk request (`/projects`, `/versions`, `/users`): what other Modrinth clients use,
#: and a URL that stays well under common length limits.
BATCH_SIZE: Final = 100
#: Modrinth's maximum search page (it clamps `limit` to 100).
SEARCH_PAGE_SIZE: Final = 100


def json_array(values: Iterable[str]) -> str:
    """The compact JSON array Modrinth's bulk query parameters take: `["A","B"]`."""
    return json.dumps(list(values), separators=(",", ":"), ensure_ascii=False)


def string_list(values: str | Iterable[str] | None) -> list[str] | None:
    """A list of strings from one string or an iterable (None stays None)."""
    if values is None:
        return None
    if isinstance(values, str):
        return [values]
    out = list(values)
    for value in out:
        if not isinstance(value, str):
            raise TypeError(f"expected strings, got {value!r}")
    return out


def id_batches(ids: Iterable[str], size: int = BATCH_SIZE) -> list[str]:
    """The `ids` query values for `ids`, at most `size` per request (empty: no request at all)."""
    if isinstance(ids, str):
        raise TypeError(
            "ids must be a list of ids or slugs, not one string (use the singular method for one)"
        )
    items = string_list(ids) or []
    return [json_array(items[i : i + size]) for i in range(0, len(items), size)]


def project_version_params(
    loaders: str | Iterable[str] | None, game_versions: str | Iterable[str] | None, featured: bool | None
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if (loader_list := string_list(loaders)) is not None:
        params["loaders"] = json_array(loader_list)
    if (version_list := string_list(game_versions)) is not None:
        params["game_versions"] = json_array(version_list)
    if featured is not None:
        params["featured"] = featured
    return params


def search_params(query: str | None, facets: FacetsLike | None, index: str | None) -> dict[str, Any]:
    from craftapis_generated.modrinth.models import SearchProjectsIndex

    params: dict[str, Any] = {}
    if query is not None:
        params["query"] = query
    if (rendered := render_facets(facets)) is not None:
        params["facets"] = rendered
    if index is not None:
        params["index"] = SearchProjectsIndex(getattr(index, "value", index))
    return params


# Search pages with the shared offset strategy: it trusts `total_hits` over page lengths, since
# Modrinth clamps `limit` (to 100 today) and a short page is not the end while the total says more.
SearchPaging = OffsetPaging
