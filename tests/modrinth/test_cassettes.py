"""Every friendly method, sync and async, replayed from synthetic cassettes of api.modrinth.com.

The cassettes were recorded from `FakeModrinth` (see cassettes/README.md); here they replay in
record mode `none` through the client's normal transport, so the requests the client builds
must match the recorded ones (method, scheme, host, port, path and query).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from craftapis import NotFoundError
from craftapis.modrinth import AsyncModrinth, Facets, Modrinth, OAuthToken
from craftapis_generated.modrinth.models import (
    ForgeUpdates,
    HashVersionMap,
    Project,
    ProjectResult,
    SearchResults,
    User,
    Version,
)

from .conftest import collect, resolve
from .fake_modrinth import FakeModrinth, digests, file_bytes

pytestmark = pytest.mark.vcr

Client = Modrinth | AsyncModrinth


async def test_search_iterates_every_hit(cassette_client: Client) -> None:
    facets = Facets().categories("utility").versions("1.20.1").project_type("mod")
    hits = await collect(cassette_client.search("synthetic", facets=facets, index="downloads"))
    assert len(hits) == 150  # two pages: 100 + 50
    assert all(isinstance(h, ProjectResult) for h in hits)
    assert [h.project_id for h in hits] == [f"P{n:07d}" for n in range(150)]


async def test_search_with_limit_stops_early(cassette_client: Client) -> None:
    hits = await collect(cassette_client.search("synthetic", limit=7))
    assert [h.slug for h in hits] == [f"project-{n}" for n in range(7)]


async def test_search_page(cassette_client: Client) -> None:
    page = await resolve(cassette_client.search_page("synthetic", offset=20, limit=5))
    assert isinstance(page, SearchResults)
    assert (page.offset, page.limit, page.total_hits) == (20, 5, 150)
    assert [h.project_id for h in page.hits] == [f"P{n:07d}" for n in range(20, 25)]


async def test_get_project(cassette_client: Client) -> None:
    project = await resolve(cassette_client.get_project("AABBCCDD"))
    assert isinstance(project, Project)
    assert (project.id, project.slug, project.followers) == ("AABBCCDD", "aabbccdd", 42)


async def test_get_project_missing_is_not_found(cassette_client: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        await resolve(cassette_client.get_project("missing"))
    assert caught.value.status_code == 404
    assert caught.value.url == "https://api.modrinth.com/v2/project/missing"


async def test_get_projects(cassette_client: Client) -> None:
    projects = await resolve(cassette_client.get_projects(["AABBCCDD", "EEFFGGHH"]))
    assert [p.id for p in projects] == ["AABBCCDD", "EEFFGGHH"]
    assert all(isinstance(p, Project) for p in projects)


async def test_get_project_versions_filtered(cassette_client: Client) -> None:
    versions = await resolve(
        cassette_client.get_project_versions("AABBCCDD", loaders=["fabric"], game_versions=["1.20.1"])
    )
    assert [v.id for v in versions] == ["IIJJKKLL"]
    assert all(isinstance(v, Version) for v in versions)


async def test_get_version(cassette_client: Client) -> None:
    version = await resolve(cassette_client.get_version("IIJJKKLL"))
    assert isinstance(version, Version)
    assert version.files[0].hashes.sha1 == digests(file_bytes("IIJJKKLL"))["sha1"]


async def test_get_versions(cassette_client: Client) -> None:
    versions = await resolve(cassette_client.get_versions(["IIJJKKLL", "QQRRSSTT"]))
    assert [(v.id, v.project_id) for v in versions] == [("IIJJKKLL", "AABBCCDD"), ("QQRRSSTT", "EEFFGGHH")]


async def test_get_users(cassette_client: Client) -> None:
    users = await resolve(cassette_client.get_users(["UUSSEERR", "OTHERUSR"]))
    assert all(isinstance(u, User) for u in users)
    assert [u.id for u in users] == ["UUSSEERR", "OTHERUSR"]


async def test_version_from_hash(cassette_client: Client) -> None:
    sha1 = digests(file_bytes("QQRRSSTT"))["sha1"]
    version = await resolve(cassette_client.version_from_hash(sha1))
    assert (version.id, version.project_id) == ("QQRRSSTT", "EEFFGGHH")


async def test_versions_from_hashes(cassette_client: Client) -> None:
    known = [digests(file_bytes(v))["sha512"] for v in ("IIJJKKLL", "QQRRSSTT")]
    found = await resolve(cassette_client.versions_from_hashes([*known, "0" * 128], "sha512"))
    assert isinstance(found, HashVersionMap)
    assert sorted(found.additional_keys) == sorted(known)
    assert found[known[1]].id == "QQRRSSTT"


async def test_version_from_file(cassette_client: Client, tmp_path: Path) -> None:
    path = tmp_path / "mod.jar"
    path.write_bytes(file_bytes("MMNNOOPP"))
    version = await resolve(cassette_client.version_from_file(path))
    assert version.id == "MMNNOOPP"


async def test_latest_version_from_hash(cassette_client: Client) -> None:
    sha1 = digests(file_bytes("IIJJKKLL"))["sha1"]
    latest = await resolve(
        cassette_client.latest_version_from_hash(sha1, loaders=["fabric"], game_versions=["1.20.1"])
    )
    assert (latest.id, latest.version_number) == ("MMNNOOPP", "1.1.0")


async def test_download_version_file(cassette_client: Client, tmp_path: Path) -> None:
    version = await resolve(cassette_client.get_version("IIJJKKLL"))
    assert version.files[0].url.startswith("https://cdn.modrinth.com/data/")
    written = await resolve(cassette_client.download_version_file(version, tmp_path))
    assert written == tmp_path / "iijjkkll-1.0.0.jar"
    assert written.read_bytes() == file_bytes("IIJJKKLL")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["iijjkkll-1.0.0.jar"]


async def test_create_version(cassette_client: Client, tmp_path: Path) -> None:
    jar = tmp_path / "mymod-2.0.0.jar"
    jar.write_bytes(b"PK\x03\x04 synthetic jar\r\n--not-a-boundary\x00\xff")
    version = await resolve(
        cassette_client.create_version(
            "AABBCCDD",
            "2.0.0",
            [jar, ("mymod-2.0.0-sources.jar", b"synthetic sources")],
            game_versions=["1.20.1"],
            loaders=["fabric"],
            primary_file="mymod-2.0.0.jar",
            changelog="Synthetic release",
            file_types={"mymod-2.0.0-sources.jar": "sources-jar"},
        )
    )
    assert isinstance(version, Version)
    assert version.version_number == "2.0.0" and version.name == "2.0.0"
    assert [(f.filename, f.primary) for f in version.files] == [
        ("mymod-2.0.0.jar", True),
        ("mymod-2.0.0-sources.jar", False),
    ]
    assert version.files[0].hashes.sha512 == digests(jar.read_bytes())["sha512"]


async def test_forge_updates(cassette_client: Client) -> None:
    updates = await resolve(cassette_client.forge_updates("synthetic"))
    assert isinstance(updates, ForgeUpdates)
    assert updates.promos["1.20.1-latest"] == "1.0.0"


async def test_exchange_code(cassette_client: Client, record_mode: str) -> None:
    token = await resolve(
        cassette_client.exchange_code(
            FakeModrinth.oauth_code,
            client_id=FakeModrinth.client_id,
            client_secret=FakeModrinth.client_secret,
            redirect_uri=FakeModrinth.redirect_uri,
        )
    )
    assert isinstance(token, OAuthToken)
    assert (token.token_type, token.expires_in) == ("Bearer", 3600)
    # the cassette keeps no token: replay hands back the scrubbed placeholder
    expected = FakeModrinth.access_token if record_mode != "none" else "REDACTED"
    assert token.access_token == expected
    assert expected not in repr(token)
