"""`with_raw_response`: the generated operations give `RawResponse[<model>]` with the HTTP response."""

from typing import assert_type

import httpx
from craftapis import RawResponse
from craftapis.builtbybit import AsyncBuiltByBit
from craftapis.modrinth import Modrinth
from craftapis_generated.builtbybit_v2.models import GetV2HealthResponse200Data
from craftapis_generated.modrinth.models import Project, Version

UA = "me/typing-check/1.0 (me@example.com)"


def sync_raw() -> None:
    modrinth = Modrinth(user_agent=UA)
    raw = modrinth.with_raw_response.api.projects.get_project(id_slug="sodium")
    assert_type(raw, RawResponse[Project])
    assert_type(raw.parsed, Project)
    assert_type(raw.status_code, int)
    assert_type(raw.headers, httpx.Headers)
    assert_type(raw.rate_limit, dict[str, str])
    assert_type(raw.request, httpx.Request)
    versions = modrinth.with_raw_response.api.versions.get_project_versions(id_slug="sodium")
    assert_type(versions.parsed, list[Version])


async def async_raw(token: str) -> None:
    bbb = AsyncBuiltByBit(token=token)
    raw = await bbb.with_raw_response.api.health.get_v2_health()
    assert_type(raw, RawResponse[GetV2HealthResponse200Data | None])
