"""The README's example, as a user writes it, with what a checker must infer at each step."""

from typing import assert_type

import craftapis
from craftapis_generated.modrinth.models import Project, ProjectResult


def readme_example() -> None:
    with craftapis.Modrinth(user_agent="myname/myplugin/1.0 (me@example.com)") as modrinth:
        assert_type(modrinth, craftapis.Modrinth)
        project = modrinth.get_project("sodium")
        assert_type(project, Project)
        for hit in modrinth.search("shaders", facets=craftapis.Facets().project_type("shader"), limit=50):
            assert_type(hit, ProjectResult)
            print(hit.slug)
