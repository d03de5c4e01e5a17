"""Modrinth, sync and async: friendly methods, two generated operations, pages and errors."""

from typing import assert_type

import craftapis
from craftapis import Page
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis_generated.modrinth.models import (
    HashVersionMap,
    Project,
    ProjectResult,
    SearchResults,
    Version,
    VersionFromHashAlgorithm,
)
from craftapis_generated.modrinth.operations import AsyncModrinthOperations, ModrinthOperations

UA = "me/typing-check/1.0 (me@example.com)"


def sync_client() -> None:
    with Modrinth(user_agent=UA, timeout=10.0, retry=craftapis.RetryPolicy(max_attempts=3)) as modrinth:
        assert_type(modrinth.api, ModrinthOperations)
        assert_type(modrinth.get_projects(["AANobbMI", "P7dR8mSH"]), list[Project])
        assert_type(modrinth.get_version("IIJJKKLL"), Version)
        assert_type(modrinth.versions_from_hashes(["abc"]), HashVersionMap)
        # generated operations: keyword arguments, the parsed model back
        assert_type(modrinth.api.versions.get_project_versions(id_slug="sodium"), list[Version])
        assert_type(modrinth.api.version_files.version_from_hash(hash_="ab12", algorithm="sha512"), Version)
        assert_type(
            modrinth.api.version_files.version_from_hash(
                hash_="ab12", algorithm=VersionFromHashAlgorithm.SHA1
            ),
            Version,
        )
        assert_type(modrinth.api.projects.search_projects(query="sodium", limit=5), SearchResults)
        assert_type(modrinth.api.projects.delete_project(id_slug="mine"), None)
        # pages
        pages = modrinth.search("sodium", limit=20)
        for page in pages.iter_pages():
            assert_type(page, Page[ProjectResult])
            assert_type(page.items, list[ProjectResult])
            assert_type(page.total, int | None)
        # errors
        try:
            modrinth.get_project("does-not-exist")
        except craftapis.NotFoundError as error:
            assert_type(error.status_code, int | None)
            assert_type(error.code, str | None)
            assert_type(error.message, str)
        except craftapis.RateLimitError as error:
            assert_type(error.retry_after, float | None)
        except craftapis.APIError as error:
            assert_type(error, craftapis.APIError)


async def async_client() -> None:
    async with AsyncModrinth(user_agent=UA) as modrinth:
        assert_type(modrinth.api, AsyncModrinthOperations)
        assert_type(await modrinth.get_project("sodium"), Project)
        assert_type(await modrinth.api.versions.get_project_versions(id_slug="sodium"), list[Version])
        assert_type(await modrinth.api.version_files.version_from_hash(hash_="ab", algorithm="sha1"), Version)
        async for hit in modrinth.search("sodium", limit=5):
            assert_type(hit, ProjectResult)
        async for page in modrinth.search("sodium").iter_pages():
            assert_type(page, Page[ProjectResult])
