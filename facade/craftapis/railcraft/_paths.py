"""Where each Railcraft endpoint lives, and the user's overrides.

Seed 003 lost most paths: only `api/get_download_url/` and `api/get_file/` are documented, `api/auth/`
was seen in a 2017 client, the other six are guesses (`x-craftapis-path` in the authored spec). So
every path can be overridden. Paths are written as the server's documentation writes them, relative
to the site root `https://towerofawesome.org/railcraftpack` (the spec's server URL plus its paths give
the same URLs).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["ENDPOINTS", "Endpoint", "resolve_paths"]

PathStatus = Literal["documented", "client-observed", "inferred"]


@dataclass(frozen=True)
class Endpoint:
    """One endpoint: its generated operation (`tag.module`), default path, how sure we are of the
    path, and whether it needs `client_id`, `client_secret` and `token`."""

    operation: str
    path: str
    status: PathStatus
    authenticated: bool

    @property
    def names(self) -> tuple[str, ...]:
        """The keys `paths=` accepts for it: `get_current_tag`, `pack.get_current_tag`, `get_tag`."""
        return (self.operation.split(".", 1)[1], self.operation, self.path.rstrip("/").rsplit("/", 1)[-1])


ENDPOINTS: Final[Mapping[str, Endpoint]] = {
    e.operation: e
    for e in (
        Endpoint("pack.get_current_tag", "api/get_tag/", "inferred", False),
        Endpoint("auth.acquire_token", "api/auth/", "client-observed", False),
        Endpoint("pack.get_download_details", "api/get_download_url/", "documented", True),
        Endpoint("pack.download_archive", "api/get_file/", "documented", True),
        Endpoint("messages.get_server_message", "api/get_server_message/", "inferred", False),
        Endpoint("auth.test_token", "api/test_token/", "inferred", True),
        Endpoint("pack.list_optional_mods", "api/get_optional_mods/", "inferred", False),
        Endpoint("messages.get_error_message", "api/get_error_message/", "inferred", False),
        Endpoint("ads.get_ads", "api/get_ads/", "inferred", True),
    )
}


def resolve_paths(overrides: Mapping[str, str] | None) -> dict[str, str]:
    """Operation -> path, with `overrides` applied. A key may be the operation's name
    (`get_current_tag`, `pack.get_current_tag`) or its default path's name (`get_tag`); a value is a
    path relative to the base URL (`api/other/`) or an absolute URL."""
    paths = {operation: endpoint.path for operation, endpoint in ENDPOINTS.items()}
    if not overrides:
        return paths
    by_name = {name: e.operation for e in ENDPOINTS.values() for name in e.names}
    for key, value in overrides.items():
        operation = by_name.get(key)
        if operation is None:
            raise ValueError(
                f"paths= has no endpoint called {key!r}; use one of: " + ", ".join(sorted(by_name))
            )
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"paths[{key!r}] must be a non-empty path such as 'api/get_tag/'")
        paths[operation] = value.strip()
    return paths
