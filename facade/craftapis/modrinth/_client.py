"""What `AsyncModrinth` (`_async_client.py`, written once) and `Modrinth` (`_sync_client.py`, generated
from it) share: configuration, URL rules and pure planning, in `_ModrinthCore`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
from typing import Any

import httpx

from .._base import _ClientCore
from .._guards import origin
from .._pagination import Params
from ._auth import TOKEN_PATH, ModrinthTokenAuth, OAuthToken, authorize_url
from ._facets import FacetsLike
from ._hashing import check_algorithm
from ._params import SearchPaging, search_params, string_list
from ._profile import MODRINTH_PROFILE, STAGING_BASE_URL, root_of
from ._user_agent import resolve_user_agent

__all__ = ["ProgressCallback"]

logger = logging.getLogger("craftapis")

#: `progress(bytes_written, total_bytes_or_None)`, called after every chunk written. After an
#: interrupted transfer is restarted, `bytes_written` starts again from 0.
ProgressCallback = Callable[[int, int | None], object]


def _json_or_none(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class _ModrinthCore(_ClientCore):
    """What `Modrinth` and `AsyncModrinth` share: configuration, URL rules and pure planning."""

    _profile = MODRINTH_PROFILE

    #: The host root (base URL without `/v2`): Forge update files and OAuth live there.
    root_url: str
    #: Where `exchange_code` posts (default: `<root_url>/_internal/oauth/token`).
    oauth_token_url: str
    user_agent: str

    #: Build an OAuth2 authorize URL (see `craftapis.modrinth.authorize_url`).
    authorize_url = staticmethod(authorize_url)

    @staticmethod
    def _resolve(
        *,
        token: str | OAuthToken | None,
        auth: httpx.Auth | None,
        user_agent: str | None,
        headers: Mapping[str, str] | None,
        base_url: str | None,
        staging: bool,
    ) -> tuple[httpx.Auth | None, dict[str, str], str | None]:
        if staging and base_url is not None:
            raise TypeError("pass either base_url= or staging=True, not both")
        if token is not None and auth is not None:
            raise TypeError("pass either token= or auth=, not both")
        if token is not None:
            auth = ModrinthTokenAuth(token.access_token if isinstance(token, OAuthToken) else token)
        # stacklevel 3: _resolve -> __init__ -> the user's code
        merged = resolve_user_agent(user_agent, headers, stacklevel=3)
        return auth, merged, STAGING_BASE_URL if staging else base_url

    def _after_setup(self, oauth_token_url: str | None) -> None:
        self.root_url = root_of(self.base_url)
        self.oauth_token_url = oauth_token_url or self.root_url + TOKEN_PATH
        self.user_agent = self._headers["User-Agent"]
        self._forge_module = f"{self._profile.package}.api.misc.forge_updates"
        self._api_origin = origin(self.base_url)

    def _kwargs(self, module: ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
        request = super()._kwargs(module, kwargs)
        if module.__name__ == self._forge_module:
            # the spec's path is relative to the host root, not to /v2
            request["url"] = self.root_url + request["url"]
        return request

    def _download_auth(self, url: str) -> httpx.Auth | None:
        """The token goes only to the API's own origin; files on a CDN get no credentials."""
        return self._auth if origin(url) == self._api_origin else None

    @staticmethod
    def _search_setup(
        query: str | None,
        facets: FacetsLike | None,
        index: str | None,
        limit: int | None,
        page_size: int,
    ) -> tuple[Params, SearchPaging]:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        if limit is not None and limit > 0:
            page_size = min(page_size, limit)  # don't fetch 100 hits to show 5
        return search_params(query, facets, index), SearchPaging(page_size=page_size)

    @staticmethod
    def _latest_body(
        loaders: str | Iterable[str] | None,
        game_versions: str | Iterable[str] | None,
        version_types: str | Iterable[str] | None,
    ) -> dict[str, Any]:
        # An absent filter matches everything; an empty list would match nothing, so None is omitted.
        body: dict[str, Any] = {}
        for key, value in (
            ("loaders", loaders),
            ("game_versions", game_versions),
            ("version_types", version_types),
        ):
            if (values := string_list(value)) is not None:
                body[key] = values
        return body

    @staticmethod
    def _hash_list(hashes: Iterable[str], algorithm: str) -> Any:
        from craftapis_generated.modrinth.models import HashList, HashListAlgorithm

        if isinstance(hashes, str):
            raise TypeError("hashes must be a list of hashes (use version_from_hash for one)")
        return HashList(hashes=list(hashes), algorithm=HashListAlgorithm(check_algorithm(algorithm)))

    def __repr__(self) -> str:
        auth = type(self._auth).__name__ if self._auth is not None else None
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, auth={auth}, user_agent={self.user_agent!r})"
        )
