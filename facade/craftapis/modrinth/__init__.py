"""The Modrinth (Labrinth API v2) client: `Modrinth`, `AsyncModrinth` and their helpers.

Example::

    from craftapis.modrinth import Facets, Modrinth

    with Modrinth(user_agent="you/your_project/1.0 (you@example.com)") as modrinth:
        for hit in modrinth.search("sodium", facets=Facets().project_type("mod"), limit=20):
            print(hit.title)
"""

from typing import TYPE_CHECKING

from ._auth import AUTHORIZE_URL, ModrinthTokenAuth, OAuthToken, authorize_url
from ._client import ProgressCallback
from ._download import HashMismatchError
from ._facets import OPERATORS, Facets, FacetsLike, Operator, facet
from ._hashing import hash_file
from ._profile import DEFAULT_BASE_URL, MODRINTH_PROFILE, STAGING_BASE_URL
from ._upload import FileSpec
from ._user_agent import MissingUserAgentWarning

if TYPE_CHECKING:  # checkers see `call("tag.operation", ...)` typed per operation (a generated stub)
    from craftapis_generated.modrinth.calls import AsyncModrinth, Modrinth
else:
    from ._sync_client import Modrinth

    def __getattr__(name: str) -> object:
        # The async client loads on first use (PEP 562): `from craftapis import Modrinth` imports no
        # asyncio, aiohttp or async transport (tests/speed/test_import_laziness.py holds it).
        if name == "AsyncModrinth":
            from ._async_client import AsyncModrinth

            globals()[name] = AsyncModrinth
            return AsyncModrinth
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | set(globals()))


__all__ = [
    "AUTHORIZE_URL",
    "DEFAULT_BASE_URL",
    "MODRINTH_PROFILE",
    "OPERATORS",
    "STAGING_BASE_URL",
    "AsyncModrinth",
    "Facets",
    "FacetsLike",
    "FileSpec",
    "HashMismatchError",
    "MissingUserAgentWarning",
    "Modrinth",
    "ModrinthTokenAuth",
    "OAuthToken",
    "Operator",
    "ProgressCallback",
    "authorize_url",
    "facet",
    "hash_file",
]
