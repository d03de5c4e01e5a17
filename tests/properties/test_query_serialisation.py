"""Query values survive the URL the clients really build: encode with the client, decode the URL
that reached the transport, compare with what was passed.

BuiltByBit reads id lists and string lists as one comma-separated value; Modrinth reads id lists,
loaders and game versions as a JSON array in one value, and search facets as a JSON list of OR
groups. Each test sends through an `httpx.MockTransport` that records the requests.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from craftapis import NoRateLimiter, RetryPolicy
from craftapis.builtbybit import BuiltByBit
from craftapis.modrinth import Facets, Modrinth
from hypothesis import assume, given
from hypothesis import strategies as st

from .strategies import FAST, text

Answer = Callable[[httpx.Request], Any]


@contextmanager
def recording(answer: Answer) -> Iterator[tuple[list[httpx.Request], httpx.MockTransport]]:
    """A MockTransport answering JSON `answer(request)` with 200, and the requests it got."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=answer(request))

    yield seen, httpx.MockTransport(handler)


_QUIET: dict[str, Any] = {"retry": RetryPolicy(max_attempts=1), "rate_limiter": NoRateLimiter()}


def _bbb_page(items: str) -> Answer:
    def answer(request: httpx.Request) -> Any:
        stats = {"total": 0, "page": 1, "per_page": 100, "max_page": 1}
        return {"result": "success", "data": {items: [], "stats": stats}}

    return answer


def _modrinth(transport: httpx.MockTransport) -> Modrinth:
    return Modrinth(user_agent="props/1.0 (props@example.invalid)", transport=transport, **_QUIET)


# -- BuiltByBit: comma lists ---------------------------------------------------------------------------

ids = st.lists(
    st.integers(min_value=0, max_value=10**15) | st.integers(min_value=0, max_value=10**9).map(str),
    min_size=1,
    max_size=60,
)
#: external transaction ids: anything without the separator
tids = st.lists(text.filter(lambda s: s != "" and "," not in s), min_size=1, max_size=10)
#: `with` hints are identifiers, possibly dotted (Resource.Creator)
hints = st.lists(
    st.from_regex(r"[A-Za-z][A-Za-z0-9]{0,12}(\.[A-Za-z][A-Za-z0-9]{0,12}){0,2}", fullmatch=True), max_size=6
)


def test_builtbybit_comma_lists_round_trip() -> None:
    with (
        recording(_bbb_page("purchases")) as (seen, transport),
        BuiltByBit(token="props-token", transport=transport, **_QUIET) as client,
    ):

        @FAST
        @given(resource_ids=ids, buyer_ids=ids, external_tids=tids, with_=hints)
        def check(
            resource_ids: list[Any], buyer_ids: list[Any], external_tids: list[str], with_: list[str]
        ) -> None:
            seen.clear()
            assert (
                list(
                    client.purchases(
                        resource_ids=resource_ids,
                        buyer_ids=buyer_ids,
                        external_tids=external_tids,
                        with_=with_,
                    )
                )
                == []
            )
            (request,) = seen
            params = request.url.params
            assert params["resource_ids"].split(",") == [str(int(i)) for i in resource_ids]
            assert params["buyer_ids"].split(",") == [str(int(i)) for i in buyer_ids]
            assert params["external_tids"].split(",") == external_tids
            if with_:
                assert params["with"].split(",") == with_
            else:
                assert "with" not in params
            # one value each: never the repeated `a=1&a=2` form the server does not read
            assert all(len(params.get_list(name)) == 1 for name in params)

        check()


def test_builtbybit_call_joins_lists_like_the_friendly_methods() -> None:
    """`client.call(...)` with Python lists sends what the friendly method sends."""
    with (
        recording(_bbb_page("licenses")) as (seen, transport),
        BuiltByBit(token="props-token", transport=transport, **_QUIET) as client,
    ):

        @FAST
        @given(resource_ids=ids, with_=hints)
        def check(resource_ids: list[Any], with_: list[str]) -> None:
            seen.clear()
            client.call(
                "resources_creator.get_v2_resources_creator_licenses",
                resource_ids=resource_ids,
                with_=with_ or None,
            )
            list(client.licenses(resource_ids=resource_ids, with_=with_))
            called, friendly = seen
            assert called.url.params["resource_ids"] == friendly.url.params["resource_ids"]
            assert called.url.params.get("with") == friendly.url.params.get("with")

        check()


# -- Modrinth: JSON arrays -----------------------------------------------------------------------------

modrinth_ids = st.lists(text, max_size=230)


def test_modrinth_id_lists_round_trip_in_batches() -> None:
    with recording(lambda request: []) as (seen, transport), _modrinth(transport) as client:

        @FAST
        @given(modrinth_ids)
        def check(values: list[str]) -> None:
            seen.clear()
            assert client.get_projects(values) == []
            sent: list[str] = []
            for request in seen:
                assert request.url.path == "/v2/projects"
                batch = json.loads(request.url.params["ids"])
                assert isinstance(batch, list) and 1 <= len(batch) <= 100
                sent += batch
            assert sent == values
            assert len(seen) == -(-len(values) // 100)

        check()


def test_modrinth_loaders_and_game_versions_round_trip() -> None:
    with recording(lambda request: []) as (seen, transport), _modrinth(transport) as client:

        @FAST
        @given(
            slug=text.filter(lambda s: s not in ("", ".", "..")),
            loaders=st.lists(text, max_size=8),
            game_versions=st.lists(text, max_size=8) | text,
            featured=st.none() | st.booleans(),
        )
        def check(
            slug: str, loaders: list[str], game_versions: list[str] | str, featured: bool | None
        ) -> None:
            seen.clear()
            client.get_project_versions(slug, loaders=loaders, game_versions=game_versions, featured=featured)
            (request,) = seen
            params = request.url.params
            assert json.loads(params["loaders"]) == loaders
            expected = [game_versions] if isinstance(game_versions, str) else game_versions
            assert json.loads(params["game_versions"]) == expected
            assert params.get("featured") == (None if featured is None else str(featured).lower())
            # the slug is one path segment, whatever it holds ("/", "?", "#", "%", spaces...)
            prefix, segment, suffix = request.url.raw_path.decode("ascii").split("?")[0].rsplit("/", 2)
            assert (prefix, suffix) == ("/v2/project", "version")
            assert httpx.URL("/" + segment).path[1:] == slug

        check()


# -- Modrinth: facets ----------------------------------------------------------------------------------

facet_strings = text.filter(bool)
raw_groups = st.lists(st.lists(facet_strings, min_size=1, max_size=4), max_size=6)

fields = st.from_regex(r"[a-z_]{1,16}", fullmatch=True)
ops = st.sampled_from([":", "!=", ">=", ">", "<=", "<"])
values = st.lists(facet_strings | st.integers(-(10**12), 10**12) | st.booleans(), min_size=1, max_size=4)


def _rendered(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _search_answer(request: httpx.Request) -> Any:
    return {"hits": [], "offset": 0, "limit": 1, "total_hits": 0}


def test_modrinth_raw_facet_groups_round_trip() -> None:
    with recording(_search_answer) as (seen, transport), _modrinth(transport) as client:

        @FAST
        @given(raw_groups)
        def check(groups: list[list[str]]) -> None:
            seen.clear()
            assert list(client.search("q", facets=Facets(*groups), limit=1)) == []
            (request,) = seen
            if groups:
                assert json.loads(request.url.params["facets"]) == groups
            else:
                assert "facets" not in request.url.params  # no facet: no parameter

        check()


def test_modrinth_facets_builder_round_trip() -> None:
    """`Facets().where(field, op, *values)` calls: one OR group per call, or for `!=` one group per
    value (excluding several values means none of them); the URL carries exactly that."""
    with recording(_search_answer) as (seen, transport), _modrinth(transport) as client:

        @FAST
        @given(st.lists(st.tuples(fields, ops, values), min_size=1, max_size=5))
        def check(calls: list[tuple[str, str, list[Any]]]) -> None:
            facets = Facets()
            expected: list[list[str]] = []
            for field, op, vals in calls:
                assume(all(_rendered(v) for v in vals))
                facets = facets.where(field, op, *vals)  # type: ignore[arg-type]
                rendered = [f"{field}{op}{_rendered(v)}" for v in vals]
                expected += [[r] for r in rendered] if op == "!=" else [rendered]
            seen.clear()
            list(client.search(facets=facets, limit=1))
            (request,) = seen
            assert json.loads(request.url.params["facets"]) == expected
            assert len(facets) == len(expected)

        check()


@pytest.mark.parametrize("slug", [".", ".."])
def test_modrinth_dot_segment_slugs_stay_in_their_segment(slug: str) -> None:
    with recording(lambda request: []) as (seen, transport), _modrinth(transport) as client:
        client.get_project_versions(slug)
    (request,) = seen
    parts = request.url.raw_path.decode("ascii").split("/")
    assert parts[:3] == ["", "v2", "project"] and parts[4:] == ["version"]
    assert unquote(parts[3]) == slug
