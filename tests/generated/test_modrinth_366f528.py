"""What taking Modrinth's v2.7.0/366f528 spec promises: the new fields are typed, old payloads still parse,
nothing is sent that the caller did not ask for, and the patched request bodies say what the server takes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import httpx
import pytest
from craftapis import Modrinth
from craftapis_generated.modrinth.api.version_files import get_latest_version_from_hash
from craftapis_generated.modrinth.api.versions import get_project_versions
from craftapis_generated.modrinth.models import (
    CreatableVersion,
    DisclosureTypeEnum,
    EnvironmentEnum,
    FileType,
    GetLatestVersionFromHashBody,
    GetLatestVersionFromHashBodyVersionTypesItem,
    Project,
    ProjectResult,
    Version,
)
from craftapis_generated.modrinth.types import UNSET

ROOT = Path(__file__).resolve().parents[2]
MODRINTH = (
    Path(os.environ.get("CRAFTAPIS_REAL_RESPONSES") or ROOT.parent / "shared" / "real-responses") / "modrinth"
)


def _real(name: str) -> Any:
    if not (MODRINTH / name).exists():
        message = f"no recorded Modrinth response {MODRINTH / name} (set CRAFTAPIS_REAL_RESPONSES)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return json.loads((MODRINTH / name).read_text(encoding="utf-8"))


def test_a_recorded_project_without_the_new_fields_still_parses() -> None:
    project = Project.from_dict(_real("project-fabric-api.json"))
    assert project.environment is UNSET and project.organization is None


def test_the_new_project_fields_are_typed() -> None:
    body = _real("project-fabric-api.json")
    body.update(environment=["client_and_server", "a_future_environment"], organization="fabricmc")
    project = Project.from_dict(body)
    assert project.environment == ["client_and_server", "a_future_environment"]
    assert isinstance(project.environment[0], EnvironmentEnum) and not project.environment[0].is_unknown
    assert project.environment[1].is_unknown  # open enums keep values the spec does not list yet
    assert project.organization == "fabricmc"
    assert project.to_dict()["environment"] == ["client_and_server", "a_future_environment"]


def test_search_hits_expose_the_disclosures_and_environment() -> None:
    hit = _real("search_projects_response.json")["hits"][0]
    assert ProjectResult.from_dict(hit).disclosure_types is UNSET  # recorded before the disclosures
    hit.update(disclosure_types=["ai_content", "telemetry_opt_in"], environment=["client_only"], slug=None)
    parsed = ProjectResult.from_dict(hit)
    assert parsed.disclosure_types == [DisclosureTypeEnum.AI_CONTENT, DisclosureTypeEnum.TELEMETRY_OPT_IN]
    assert parsed.environment == ["client_only"] and parsed.slug is None


def test_versions_carry_their_environment_when_sent() -> None:
    versions = _real("project-discordsrv-versions.json")
    assert Version.from_dict(versions[0]).environment is UNSET
    assert Version.from_dict({**versions[0], "environment": "server_only"}).environment == "server_only"


def test_get_project_versions_sends_include_changelog_only_when_asked() -> None:
    """Upstream's `default: true` would be sent on every call; the patch removes it."""
    assert "include_changelog" not in get_project_versions._get_kwargs(id_slug="sodium")["params"]
    asked = get_project_versions._get_kwargs(id_slug="sodium", include_changelog=False)["params"]
    assert asked["include_changelog"] is False


def test_the_facade_versions_request_has_only_the_asked_filters() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with Modrinth(
        user_agent="craftapis-tests/1.0 (tests@example.invalid)", transport=httpx.MockTransport(handler)
    ) as m:
        assert m.get_project_versions("sodium", loaders=["fabric"]) == []
    assert dict(seen[0].url.params) == {"loaders": '["fabric"]'}


@pytest.mark.parametrize(("asked", "sent"), [(False, "false"), (True, "true")])
def test_the_facade_sends_include_changelog_when_asked(asked: bool, sent: str) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=[])

    with Modrinth(
        user_agent="craftapis-tests/1.0 (tests@example.invalid)", transport=httpx.MockTransport(handler)
    ) as m:
        assert m.get_project_versions("sodium", include_changelog=asked) == []
    assert dict(seen[0].url.params) == {"include_changelog": sent}


def test_version_types_is_a_list_of_version_types() -> None:
    """Upstream put the enum on the array, which generated a single enum value; patched onto the items."""
    item = GetLatestVersionFromHashBodyVersionTypesItem
    body = GetLatestVersionFromHashBody(
        loaders=["fabric"], game_versions=["1.20.1"], version_types=[item.RELEASE, item.BETA]
    )
    kwargs = get_latest_version_from_hash._get_kwargs(hash_="abc", body=body)
    assert kwargs["json"]["version_types"] == ["release", "beta"]


def test_creatable_version_file_types_may_be_null() -> None:
    """Upstream's new `file_types` map cannot say null; the patch keeps null (an ordinary file) expressible."""
    data = {
        "name": "2.0.0",
        "version_number": "2.0.0",
        "dependencies": [],
        "game_versions": ["1.20.1"],
        "version_type": "release",
        "loaders": ["fabric"],
        "featured": False,
        "project_id": "AABBCCDD",
        "file_parts": ["a.jar", "a-sources.jar"],
        "file_types": {"a-sources.jar": "sources-jar", "a.jar": None},
    }
    version = CreatableVersion.from_dict(data)
    assert version.file_types is not UNSET
    assert version.file_types["a-sources.jar"] == FileType.SOURCES_JAR
    assert version.to_dict()["file_types"] == {"a-sources.jar": "sources-jar", "a.jar": None}
