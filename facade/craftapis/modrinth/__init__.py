"""The Modrinth (Labrinth API v2) client: `Modrinth`, `AsyncModrinth` and their helpers.

Example::

    from craftapis.modrinth import Facets, Modrinth

    with Modrinth(user_agent="you/your_project/1.0 (you@example.com)") as modrinth:
        for hit in modrinth.search("sodium", facets=Facets().project_type("mod"), limit=20):
            print(hit.title)
"""

from ._async_client import AsyncModrinth
from ._auth import AUTHORIZE_URL, ModrinthTokenAuth, OAuthToken, authorize_url
from ._client import ProgressCallback
from ._download import HashMismatchError
from ._facets import OPERATORS, Facets, FacetsLike, Operator, facet
from ._hashing import hash_file
from ._profile import DEFAULT_BASE_URL, MODRINTH_PROFILE, STAGING_BASE_URL
from ._sync_client import Modrinth
from ._upload import FileSpec
from ._user_agent import MissingUserAgentWarning

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
