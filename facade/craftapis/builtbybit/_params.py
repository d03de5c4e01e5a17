"""How Python values become BuiltByBit v2 query values.

The server reads id lists and `with` hints as one comma-separated value (`resource_ids=1,2,3`,
`with=Creator,ListPrice`). The patched spec declares them as strings (openapi-python-client would
send a list as `a=1&a=2`), so lists are joined here, once, for the friendly methods and for
`client.call(...)` alike.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Mapping
from typing import Any, Final

__all__ = [
    "COMMA_JOINED",
    "Hints",
    "IdList",
    "format_date",
    "join_hints",
    "join_ids",
    "join_strings",
    "normalise_call_kwargs",
]

#: What a caller may pass where the API takes a comma-separated id list.
IdList = int | str | Iterable[int | str]
#: What a caller may pass as `with_` hints: "Creator,ListPrice" or ["Creator", "ListPrice"].
Hints = str | Iterable[str]

#: Generated keyword arguments whose wire form is one comma-separated value.
_ID_PARAMS: Final = frozenset(
    {"resource_ids", "buyer_ids", "bundle_ids", "sale_event_ids", "coupon_ids", "batch_ids"}
)
_STRING_LIST_PARAMS: Final = frozenset({"external_tids", "analytics"})
COMMA_JOINED: Final = _ID_PARAMS | _STRING_LIST_PARAMS | {"with_"}


def join_ids(name: str, value: IdList) -> str:
    """`[1, 2, 3]` → `"1,2,3"`; a single id or an already joined string passes through (checked).

    Raises ValueError for an empty list (the API reads an empty filter as *no* filter, which would
    silently widen the query to everything) and for anything that is not a non-negative integer id.
    """
    if isinstance(value, bool):
        raise TypeError(f"{name} takes integer ids, not a bool")
    if isinstance(value, int):
        items: list[int | str] = [value]
    elif isinstance(value, str):
        items = [part.strip() for part in value.split(",")] if value else []
    else:
        items = list(value)
    if not items:
        raise ValueError(
            f"{name} is empty; BuiltByBit reads an empty filter as no filter at all. "
            "Pass None to ask for everything, or at least one id."
        )
    parts: list[str] = []
    for item in items:
        text = str(item).strip() if not isinstance(item, bool) else ""
        if not text.isdigit():
            raise ValueError(f"{name} takes non-negative integer ids, got {item!r}")
        parts.append(str(int(text)))
    return ",".join(parts)


def join_strings(name: str, value: str | Iterable[str]) -> str:
    """`["a", "b"]` → `"a,b"` for comma-separated string lists (`external_tids`, `analytics`)."""
    items = [value] if isinstance(value, str) else [str(item) for item in value]
    if not items or not all(items):
        raise ValueError(f"{name} needs at least one non-empty value, got {value!r}")
    for item in items:
        if "," in item:
            raise ValueError(f"{name} values cannot contain a comma (it separates them): {item!r}")
    return ",".join(items)


def join_hints(value: Hints | None) -> str | None:
    """`with_` hints as the API wants them: `["Creator", "Resource.Creator"]` → `"Creator,Resource.Creator"`.

    None or an empty list means no hints (the parameter is left out).
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value or None
    joined = ",".join(str(hint).strip() for hint in value if str(hint).strip())
    return joined or None


def format_date(value: _dt.date | str | None) -> str | None:
    """A date for the analytics endpoints (`YYYY-MM-DD`); strings pass through unchanged."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        value = value.date()
    return value.isoformat()


def normalise_call_kwargs(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Join list values of comma-separated parameters and wrap a `filters` mapping, in place.

    Lets `client.call(..., resource_ids=[1, 2], with_=["Creator"], filters={"rf[genre]": "rpg"})`
    work like the friendly methods. Strings are left as they are (the caller joined them).
    """
    for name in COMMA_JOINED.intersection(kwargs):
        value = kwargs[name]
        if value is None or isinstance(value, str):
            continue
        if name == "with_":
            kwargs[name] = join_hints(value)
        elif name in _ID_PARAMS:
            kwargs[name] = join_ids(name, value)
        else:
            kwargs[name] = join_strings(name, value)
    filters = kwargs.get("filters")
    if isinstance(filters, Mapping):
        from craftapis_generated.builtbybit_v2.models.query_filters import QueryFilters

        kwargs["filters"] = QueryFilters.from_dict({str(k): str(v) for k, v in filters.items()})
    return kwargs
