"""A response that does not fit its model, at any depth, is a `craftapis.ResponseParseError` (an `APIError`).

Issue 12 (lazy models): a response's top-level models defer their nested models, their dates and their
`additional_properties` to the first read. What `_require` can see without building anything (a missing
required field, a nested model that is no JSON object, a list whose items are not objects) fails the call;
what only building shows (a date that is no date, an enum value that is a list inside a nested model, a
list that is null) fails the first read of that field. Either way the user gets a `ResponseParseError`,
never a bare `ValueError`/`TypeError`, with the model, the field and the raw value (docs/errors.md). What
the models tolerate stays tolerated, with the raw value kept: unknown enum values, nulls where a union
allows them, extra fields at every depth.

Each case goes through the real client (sync and async) over a `MockTransport`, then reads every field of
what it returned (`to_dict()`, `==`, `repr()`), which is what a user reading everything would do.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from craftapis import APIError, ResponseParseError
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis_generated.modrinth.models import (
    BaseVersionVersionType,
    FileType,
    Project,
    SearchResults,
    Version,
)

from .test_modrinth_parsing import _project, _version, _version_file

UA = "craftapis-tests/1.0 (tests@example.invalid)"

_HIT = {
    "project_id": "AABBCCDD",
    "project_type": "mod",
    "slug": "my_project",
    "author": "someone",
    "title": "My Project",
    "description": "A short description",
    "categories": ["technology"],
    "display_categories": ["technology"],
    "versions": ["1.20.1"],
    "downloads": 10,
    "follows": 2,
    "icon_url": None,
    "date_created": "2023-01-01T00:00:00Z",
    "date_modified": "2023-01-02T00:00:00Z",
    "latest_version": "1.20.1",
    "license": "MIT",
    "client_side": "required",
    "server_side": "optional",
    "gallery": [],
    "featured_gallery": None,
    "color": None,
}
_IMAGE = {
    "url": "https://cdn.modrinth.com/g.png",
    "featured": True,
    "title": None,
    "description": None,
    "created": "2023-01-01T00:00:00Z",
    "ordering": 0,
}


def _versions(**changes: Any) -> list[dict[str, Any]]:
    return [_version(**changes), _version(id="ZZZZZZZZ")]


def _page(*hits: dict[str, Any]) -> dict[str, Any]:
    return {"hits": list(hits), "offset": 0, "limit": 10, "total_hits": len(hits)}


def _call(mode: str, method: str, body: Any) -> Any:
    """The client's answer for `method` when the server sends `body` (200, JSON)."""
    transport: Any
    arguments: dict[str, Any] = {"search_page": {"query": "x"}}.get(method, {"id_or_slug": "sodium"})
    if mode == "sync":
        transport = httpx.MockTransport(lambda request: httpx.Response(200, json=body))
        with Modrinth(user_agent=UA, transport=transport) as client:
            return getattr(client, method)(**arguments)

    async def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=body)

    async def run() -> Any:
        async with AsyncModrinth(user_agent=UA, transport=httpx.MockTransport(handler)) as client:
            return await getattr(client, method)(**arguments)

    return asyncio.run(run())


def _read_everything(result: Any) -> None:
    items = result if isinstance(result, list) else [result]
    for item in items:
        item.to_dict()
        repr(item)
        assert item == item
        for name in ("hits", "files", "gallery"):  # the nested models' own (eager) fields too
            for nested in getattr(item, name, None) or []:
                nested.to_dict()


def _outcome(mode: str, method: str, body: Any) -> tuple[str, APIError | None]:
    """Where the misfit surfaced: "call", "read" (a first read of a deferred field) or "ok" (tolerated).
    Anything raised that is not an APIError fails the test, as it would fail a user's `except APIError`."""
    try:
        result = _call(mode, method, body)
    except APIError as exc:
        return "call", exc
    try:
        _read_everything(result)
    except APIError as exc:
        return "read", exc
    return "ok", None


def _with(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return body


# (id, client method, body, path of the value replaced, the value, where it surfaces, (model, field) on a read)
CASES: list[tuple[str, str, Any, tuple[Any, ...], Any, str, tuple[str, str] | None]] = [
    # depth 1: the top-level model's own fields
    ("enum-a-list", "get_project_versions", _versions(), (0, "version_type"), ["release"], "call", None),
    (
        "date-no-date",
        "get_project_versions",
        _versions(),
        (0, "date_published"),
        "yesterday",
        "read",
        ("Version", "date_published"),
    ),
    (
        "date-a-number",
        "get_project_versions",
        _versions(),
        (0, "date_published"),
        1700000000,
        "read",
        ("Version", "date_published"),
    ),
    (
        "project-date",
        "get_project",
        _project(),
        ("published",),
        "not a date",
        "read",
        ("Project", "published"),
    ),
    # depth 2: a nested model / a list of them is the wrong kind of JSON value
    ("files-an-object", "get_project_versions", _versions(), (0, "files"), {"url": "x"}, "call", None),
    ("files-a-string", "get_project_versions", _versions(), (0, "files"), "files", "call", None),
    ("files-not-objects", "get_project_versions", _versions(), (0, "files"), [1, 2], "call", None),
    ("dependency-null", "get_project_versions", _versions(), (0, "dependencies"), [None], "call", None),
    ("files-null", "get_project_versions", _versions(), (0, "files"), None, "read", ("Version", "files")),
    ("license-a-string", "get_project", _project(), ("license",), "MIT", "call", None),
    ("gallery-not-objects", "get_project", _project(), ("gallery",), [["u"]], "call", None),
    ("hits-not-objects", "search_page", _page(_HIT), ("hits",), [1], "call", None),
    ("hits-an-object", "search_page", _page(_HIT), ("hits",), {"a": _HIT}, "call", None),
    # depth 2: a value inside a nested model that only building it shows
    (
        "nested-enum-a-list",
        "get_project_versions",
        _versions(dependencies=[{"dependency_type": "required"}]),
        (0, "dependencies", 0, "dependency_type"),
        ["required"],
        "read",
        ("Version", "dependencies"),
    ),
    (
        "nested-date",
        "get_project",
        _project(gallery=[_IMAGE]),
        ("gallery", 0, "created"),
        "yesterday",
        "read",
        ("Project", "gallery"),
    ),
    (
        "hit-date",
        "search_page",
        _page(_HIT),
        ("hits", 0, "date_created"),
        "soon",
        "read",
        ("SearchResults", "hits"),
    ),
    (
        "hit-enum-a-list",
        "search_page",
        _page(_HIT),
        ("hits", 0, "client_side"),
        [],
        "read",
        ("SearchResults", "hits"),
    ),
    # depth 3: inside the model inside the list
    ("hashes-a-list", "get_project_versions", _versions(), (0, "files", 0, "hashes"), ["sha1"], "call", None),
    ("hashes-a-string", "get_project_versions", _versions(), (0, "files", 0, "hashes"), "c84d", "call", None),
    (
        "hashes-missing",
        "get_project_versions",
        _versions(files=[{"url": "u"}]),
        (0, "files", 0, "size"),
        1,
        "call",
        None,
    ),
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(
    ("method", "body", "path", "value", "where", "named"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_a_misfit_at_any_depth_is_a_response_parse_error(
    mode: str,
    method: str,
    body: Any,
    path: tuple[Any, ...],
    value: Any,
    where: str,
    named: tuple[str, str] | None,
) -> None:
    hostile = _with(body, path, value)
    surfaced, error = _outcome(mode, method, hostile)
    assert surfaced == where
    assert isinstance(error, ResponseParseError)
    message = str(error)
    assert "report" in message  # says what to do
    if where == "call":
        assert error.status_code == 200 and error.url is not None and error.body == hostile
    else:
        assert named is not None
        assert (error.model, error.field) == named
        assert f"{named[0]}.{named[1]}" in message
        # the raw value the server sent for that field
        parent = hostile[path[0]] if isinstance(hostile, list) else hostile
        assert error.body == parent[path[1] if isinstance(hostile, list) else path[0]]


def test_a_deferred_field_that_fails_keeps_failing_and_leaves_the_rest_readable() -> None:
    versions = _call("sync", "get_project_versions", _with(_versions(), (0, "date_published"), "yesterday"))
    for _ in range(2):
        with pytest.raises(ResponseParseError):
            _ = versions[0].date_published
    assert versions[0].name == "Version 1.0.0" and versions[0].files[0].filename == "my_file.jar"
    assert versions[1].date_published.year == 2023


# what the models tolerate: the call succeeds, every field reads, the raw value is kept and round-trips
TOLERATED: list[tuple[str, str, Any, Callable[[Any], None]]] = [
    (
        "unknown-enums",
        "get_project_versions",
        _versions(version_type="nightly", files=[_version_file(file_type="shader-pack")]),
        lambda r: (
            r[0].version_type.is_unknown
            and r[0].version_type.value == "nightly"
            and isinstance(r[0].version_type, BaseVersionVersionType)
            and isinstance(r[0].files[0].file_type, FileType)
            and r[0].files[0].file_type.value == "shader-pack"
        ),
    ),
    (
        "nested-enum-not-a-string",
        "get_project_versions",
        _versions(files=[_version_file(file_type={"kind": "jar"})]),
        lambda r: r[0].files[0].file_type == {"kind": "jar"},  # a union keeps what none of its members reads
    ),
    (
        "nulls-where-allowed",
        "get_project_versions",
        _versions(requested_status=None, changelog=None, files=[_version_file(file_type=None)]),
        lambda r: r[0].requested_status is None and r[0].files[0].file_type is None,
    ),
    (
        "extra-fields-at-every-depth",
        "get_project_versions",
        _versions(
            loader_fields={"x": 1}, files=[_version_file(hashes={"sha1": "a", "sha256": "b"}, extra=[1])]
        ),
        lambda r: (
            r[0].additional_properties == {"loader_fields": {"x": 1}}
            and r[0].files[0].additional_properties == {"extra": [1]}
            and r[0].files[0].hashes.additional_properties == {"sha256": "b"}
        ),
    ),
    (
        "search-extra-fields",
        "search_page",
        {**_page({**_HIT, "future": True}), "facets_used": []},
        lambda r: (
            r.additional_properties == {"facets_used": []}
            and r.hits[0].additional_properties == {"future": True}
        ),
    ),
]


@pytest.mark.parametrize("mode", ["sync", "async"])
@pytest.mark.parametrize(("method", "body", "check"), [pytest.param(*t[1:], id=t[0]) for t in TOLERATED])
def test_what_the_models_tolerate_survives_with_the_raw_value_kept(
    mode: str, method: str, body: Any, check: Callable[[Any], Any]
) -> None:
    result = _call(mode, method, copy.deepcopy(body))
    assert check(result)
    items = result if isinstance(result, list) else [result]
    assert [item.to_dict() for item in items] == (body if isinstance(body, list) else [body])
    cls = {"get_project_versions": Version, "search_page": SearchResults, "get_project": Project}[method]
    assert items == [
        cls.from_dict(copy.deepcopy(item)) for item in (body if isinstance(body, list) else [body])
    ]
