"""Search facets: an AND of OR groups, rendered to the JSON string Modrinth's `/search` wants.

    Facets().categories("fabric", "quilt").versions("1.20.1").project_type("mod")
    # -> [["categories:fabric","categories:quilt"],["versions:1.20.1"],["project_type:mod"]]

Each call adds one group; the values of one call are OR'ed. A facet is `{type}{operator}{value}`
with the operators Modrinth documents: `:` (equals), `!=`, `>=`, `>`, `<=`, `<`.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Final, Literal, TypeAlias, get_args

__all__ = ["OPERATORS", "Facets", "FacetsLike", "Operator", "facet", "render_facets"]

Operator: TypeAlias = Literal[":", "!=", ">=", ">", "<=", "<"]
#: Every operator Modrinth's search understands (`:` means equals).
OPERATORS: Final[tuple[str, ...]] = get_args(Operator)
_OPERATOR_CHARS: Final = frozenset(":!=<>")

FacetValue: TypeAlias = str | int | float | bool | datetime | date | enum.Enum


def _value(value: FacetValue) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):  # before int: bool is an int
        return "true" if value else "false"
    if isinstance(value, datetime):
        # Modrinth's date facets are Unix timestamps in seconds; a naive datetime is taken as UTC
        stamp = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
        return str(int(stamp.timestamp()))
    if isinstance(value, date):
        return str(int(datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()))
    text = str(value)
    if not text:
        raise ValueError("a facet value cannot be empty")
    return text


def facet(field: str, op: Operator, value: FacetValue) -> str:
    """One facet string, e.g. `facet("downloads", ">=", 1000)` -> `"downloads>=1000"`.

    Booleans render as `true`/`false`, datetimes (naive = UTC) and dates as Unix seconds.
    """
    if not field or _OPERATOR_CHARS.intersection(field) or field.strip() != field:
        raise ValueError(f"{field!r} is not a facet type (such as 'categories' or 'versions')")
    if op not in OPERATORS:
        raise ValueError(f"unknown facet operator {op!r}; use one of {', '.join(OPERATORS)}")
    return f"{field}{op}{_value(value)}"


def _group(values: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(values, str):
        values = (values,)
    group = tuple(values)
    if not group:
        raise ValueError("an OR group of facets cannot be empty")
    for item in group:
        if not isinstance(item, str) or not item:
            raise TypeError(f"a facet must be a non-empty string such as 'categories:fabric', got {item!r}")
    return group


class Facets:
    """An immutable AND of OR groups of search facets. Every method returns a new `Facets`.

    Build with the helpers (`categories`, `versions`, `project_type`, `license`, `client_side`,
    `server_side`, `open_source`, `downloads`, `follows`, `created_timestamp`, `modified_timestamp`,
    `author`, `title`, `project_id`), with `where(type, op, *values)`, or from raw strings:
    `Facets("project_type:mod", ["categories:fabric", "categories:quilt"])` (a string is a group of
    one, a list is an OR group), or `Facets.of([["versions:1.20.1"], ["project_type:mod"]])`.

    With `op="!="` the values of one call are AND'ed instead (one group each): "none of these",
    which is what excluding several values means. `str(facets)` is the JSON for `?facets=`.
    """

    __slots__ = ("_groups",)

    def __init__(self, *groups: str | Iterable[str]) -> None:
        self._groups: tuple[tuple[str, ...], ...] = tuple(_group(g) for g in groups)

    @classmethod
    def of(cls, facets: FacetsLike) -> Facets:
        """A `Facets` from another one, a raw list of groups (strings or lists of strings), or the
        JSON string itself."""
        if isinstance(facets, Facets):
            return facets
        if isinstance(facets, str):
            try:
                raw = json.loads(facets)
            except ValueError:
                raise ValueError(
                    f"facets string {facets!r} is not JSON; pass a list such as [['categories:fabric']] "
                    "or build one with Facets()"
                ) from None
            if not isinstance(raw, list):
                raise ValueError("facets JSON must be a list of lists of strings")
            facets = raw
        return cls(*facets)

    # -- composition ----------------------------------------------------------------------------

    def _with(self, *groups: tuple[str, ...]) -> Facets:
        new = Facets.__new__(Facets)
        new._groups = self._groups + groups
        return new

    def all_of(self, *facets: str) -> Facets:
        """AND: every facet string in its own group."""
        return self._with(*(_group(f) for f in facets))

    def any_of(self, *facets: str) -> Facets:
        """OR: one group holding these facet strings."""
        return self._with(_group(facets))

    def where(self, field: str, op: Operator, *values: FacetValue) -> Facets:
        """`field op value` for each value: OR'ed in one group (AND'ed, one group each, for `!=`)."""
        if not values:
            raise ValueError(f"where({field!r}, {op!r}) needs at least one value")
        rendered = tuple(facet(field, op, v) for v in values)
        if op == "!=":
            return self._with(*((r,) for r in rendered))
        return self._with(rendered)

    def __and__(self, other: Facets) -> Facets:
        if not isinstance(other, Facets):
            return NotImplemented
        return self._with(*other._groups)

    # -- helpers for the documented facet types ------------------------------------------------

    def categories(self, *values: str, op: Operator = ":") -> Facets:
        """Categories, loaders included (Modrinth lumps loaders into categories in search)."""
        return self.where("categories", op, *values)

    def versions(self, *values: str, op: Operator = ":") -> Facets:
        """Minecraft versions, e.g. `"1.20.1"`."""
        return self.where("versions", op, *values)

    def project_type(self, *values: str, op: Operator = ":") -> Facets:
        """`mod`, `modpack`, `resourcepack`, `shader`, `datapack`, `plugin`..."""
        return self.where("project_type", op, *values)

    def license(self, *values: str, op: Operator = ":") -> Facets:
        """SPDX-style license ids, e.g. `"mit"`."""
        return self.where("license", op, *values)

    def client_side(self, *values: str, op: Operator = ":") -> Facets:
        """`required`, `optional` or `unsupported`."""
        return self.where("client_side", op, *values)

    def server_side(self, *values: str, op: Operator = ":") -> Facets:
        """`required`, `optional` or `unsupported`."""
        return self.where("server_side", op, *values)

    def author(self, *values: str, op: Operator = ":") -> Facets:
        """Projects by these authors (usernames)."""
        return self.where("author", op, *values)

    def title(self, *values: str, op: Operator = ":") -> Facets:
        """Projects with this title."""
        return self.where("title", op, *values)

    def project_id(self, *values: str, op: Operator = ":") -> Facets:
        """These projects (by id), e.g. to search within a known set."""
        return self.where("project_id", op, *values)

    def open_source(self, value: bool = True) -> Facets:
        """Only open-source projects (or, with `False`, only closed-source ones)."""
        return self.where("open_source", ":", value)

    def downloads(self, op: Operator, value: int) -> Facets:
        """Download count, e.g. `downloads(">=", 10_000)`."""
        return self.where("downloads", op, value)

    def follows(self, op: Operator, value: int) -> Facets:
        """Follower count, e.g. `follows(">", 100)`."""
        return self.where("follows", op, value)

    def created_timestamp(self, op: Operator, when: datetime | date | int) -> Facets:
        """Creation date: a datetime (naive = UTC), a date, or Unix seconds."""
        return self.where("created_timestamp", op, when)

    def modified_timestamp(self, op: Operator, when: datetime | date | int) -> Facets:
        """Last modification date: a datetime (naive = UTC), a date, or Unix seconds."""
        return self.where("modified_timestamp", op, when)

    # -- output ----------------------------------------------------------------------------------

    def to_list(self) -> list[list[str]]:
        """The facets as Modrinth's nested list: a list of OR-groups, ANDed together."""
        return [list(g) for g in self._groups]

    def render(self) -> str:
        """The compact JSON string Modrinth wants, e.g. `[["categories:fabric"],["versions:1.20.1"]]`."""
        return json.dumps(self.to_list(), separators=(",", ":"), ensure_ascii=False)

    __str__ = render

    def __iter__(self) -> Iterator[list[str]]:
        return iter(self.to_list())

    def __len__(self) -> int:
        return len(self._groups)

    def __bool__(self) -> bool:
        return bool(self._groups)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Facets) and self._groups == other._groups

    def __hash__(self) -> int:
        return hash(self._groups)

    def __repr__(self) -> str:
        return f"Facets.of({self.to_list()!r})"


#: What `search(facets=...)` accepts.
FacetsLike: TypeAlias = Facets | str | Sequence[str | Iterable[str]]


def render_facets(facets: FacetsLike | None) -> str | None:
    """The `facets` query value for any accepted form, or None when there is no facet."""
    if facets is None:
        return None
    built = Facets.of(facets)
    return built.render() if built else None
