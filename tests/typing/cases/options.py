"""`with_options(...)`: a configured copy of the same client, typed as that client."""

from typing import assert_type

import craftapis
from craftapis.builtbybit import AsyncBuiltByBit, BuiltByBit
from craftapis.modrinth import AsyncModrinth, Modrinth
from craftapis_generated.modrinth.models import Project, Version

UA = "me/typing-check/1.0 (me@example.com)"


def sync_copies(token: str) -> None:
    modrinth = Modrinth(user_agent=UA)
    patient = modrinth.with_options(retry=craftapis.RetryPolicy(max_attempts=8), timeout=60.0)
    assert_type(patient, Modrinth)
    assert_type(patient.get_project("sodium"), Project)
    assert_type(modrinth.with_options(headers={"X-Trace": "1"}).api.versions.get_version(id="x"), Version)
    assert_type(BuiltByBit(token=token).with_options(idempotent=True), BuiltByBit)


async def async_copies(token: str) -> None:
    modrinth = AsyncModrinth(user_agent=UA).with_options(timeout=5.0)
    assert_type(modrinth, AsyncModrinth)
    assert_type(await modrinth.get_project("sodium"), Project)
    assert_type(AsyncBuiltByBit(token=token).with_options(idempotent=False), AsyncBuiltByBit)
