"""BuiltByBit v1 lists: `sort`, `order`, `page`, and pages of 20 objects that the server fixes.

Seed 000: "Results are paginated with 20 objects per page"; there is no per-page parameter and no
total, so a page shorter than 20 is the last one (the official client stops there too). A list of
exactly 40 items therefore costs a third, empty request: nothing in the answer says it was the last.
"""

from __future__ import annotations

import importlib
from typing import Any, Final

from .._pagination import FixedSizePaging

__all__ = ["LIST_OPERATIONS", "PAGE_SIZE", "PAGING", "list_params", "resolve_list_operation"]

#: Objects per page (seed 000; fixed by the server).
PAGE_SIZE: Final = 20
#: `client.call()` returns the envelope's `data` (the list itself), so the items are the body.
PAGING: Final = FixedSizePaging(page_size=PAGE_SIZE, items_at=())

#: Every list operation of the spec (the 23 `list*` operationIds; a test keeps this in step).
LIST_OPERATIONS: Final = frozenset(
    {
        "addons.list_addon_licenses",
        "addons.list_addon_licenses_by_member",
        "addons.list_addon_purchases",
        "addons.list_addon_purchases_by_member",
        "alerts.list_unread_alerts",
        "conversations.list_conversation_replies",
        "conversations.list_unread_conversations",
        "downloads.list_resource_downloads",
        "downloads.list_resource_downloads_by_member",
        "downloads.list_resource_downloads_by_version",
        "licenses.list_resource_licenses",
        "members.list_bans",
        "profile_posts.list_profile_posts",
        "purchases.list_resource_purchases",
        "resources.list_collaborated_resources",
        "resources.list_owned_resources",
        "resources.list_resources",
        "resources.list_resources_by_author",
        "reviews.list_resource_reviews",
        "threads.list_thread_replies",
        "threads.list_threads",
        "updates.list_resource_updates",
        "versions.list_resource_versions",
    }
)


def resolve_list_operation(operation: str) -> str:
    """`"tag.list_x"` or just `"list_x"` → the dotted name; a clear error for anything else."""
    if operation in LIST_OPERATIONS:
        return operation
    matches = [name for name in LIST_OPERATIONS if name.split(".", 1)[1] == operation]
    if len(matches) == 1:
        return matches[0]
    raise ValueError(
        f"{operation!r} is not a BuiltByBit v1 list operation; paginate() takes one of: "
        + ", ".join(sorted(LIST_OPERATIONS))
    )


def _sort_order(order: Any) -> Any:
    enum = importlib.import_module("craftapis_generated.builtbybit_v1.models.sort_order").SortOrder
    if isinstance(order, enum):
        return order
    if order not in ("asc", "desc"):
        raise ValueError(f"order must be 'asc' or 'desc', got {order!r}")
    return enum(order)


def list_params(sort: str | None, order: str | None, params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a list operation (path ids in `params`), without `page`."""
    if "page" in params:
        raise TypeError("page is set by the iterator; use iter_pages() to see pages, limit= to stop early")
    out = dict(params)
    if sort is not None:
        out["sort"] = sort
    if order is not None:
        out["order"] = _sort_order(order)
    return out
