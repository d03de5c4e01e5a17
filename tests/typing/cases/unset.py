"""`craftapis.Unset`: a field the server may leave out is narrowed away with isinstance."""

from typing import assert_type

import craftapis
from craftapis import Unset
from craftapis_generated.modrinth.models import Project


def absent_or_null(project: Project) -> None:
    organization = project.organization
    if isinstance(organization, Unset):
        return
    assert_type(organization, str | None)


def any_api(value: int | craftapis.Unset) -> int:
    if isinstance(value, craftapis.Unset):
        return 0
    assert_type(value, int)
    return value
