"""`Modrinth` and `AsyncModrinth`: every generated operation, plus friendly methods for the common jobs.

Both clients share configuration and every decision through `_ModrinthCore` and the pure helpers
in this package (`_params`, `_download`, `_upload`, `_auth`); the twins differ only in `await`.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

import httpx

from .._base import AsyncAPIClient, SyncAPIClient, _ClientCore
from .._context import current_call_options
from .._pagination import AsyncPageIterator, PageIterator, Params
from .._ratelimit import RateLimiter
from .._retry import RetryPolicy
from ._auth import (
    TOKEN_PATH,
    ModrinthTokenAuth,
    OAuthToken,
    authorize_url,
    parse_token_response,
    token_request,
)
from ._bulk import AsyncBulkLookups, BulkLookups
from ._download import DOWNLOAD_CHUNK, AtomicDownload, plan_download
from ._facets import FacetsLike
from ._hashing import check_algorithm, hash_file
from ._params import (
    SEARCH_PAGE_SIZE,
    SearchPaging,
    id_batches,
    project_version_params,
    search_params,
    string_list,
)
from ._profile import MODRINTH_PROFILE, STAGING_BASE_URL, root_of
from ._upload import FileSpec, prepare_create_version
from ._user_agent import resolve_user_agent

if TYPE_CHECKING:
    from craftapis_generated.modrinth.models import (
        ForgeUpdates,
        HashVersionMap,
        Project,
        ProjectResult,
        SearchResults,
        User,
        Version,
        VersionDependency,
        VersionFile,
    )

__all__ = ["AsyncModrinth", "Modrinth", "ProgressCallback"]

logger = logging.getLogger("craftapis")

#: `progress(bytes_written, total_bytes_or_None)`, called after every chunk written. After an
#: interrupted transfer is restarted, `bytes_written` starts again from 0.
ProgressCallback = Callable[[int, int | None], object]

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}


def _origin(url: str | httpx.URL) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port or _DEFAULT_PORTS.get(parsed.scheme)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length")
    return int(value) if value is not None and value.isdigit() else None


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
        self._api_origin = _origin(self.base_url)

    def _kwargs(self, module: ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
        request = super()._kwargs(module, kwargs)
        if module.__name__ == self._forge_module:
            # the spec's path is relative to the host root, not to /v2
            request["url"] = self.root_url + request["url"]
        return request

    def _download_auth(self, url: str) -> httpx.Auth | None:
        """The token goes only to the API's own origin; files on a CDN get no credentials."""
        return self._auth if _origin(url) == self._api_origin else None

    def _download_request(
        self, http: httpx.Client | httpx.AsyncClient, url: str
    ) -> tuple[httpx.Request, httpx.Auth | None]:
        auth = self._download_auth(url)
        timeout = self._timeout_for_call()
        request = http.build_request(
            "GET", url, timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT
        )
        if auth is None:  # also drop one the user put in headers=
            request.headers.pop("Authorization", None)
        return request, auth

    def _restart_wait(
        self, attempt: int, start: float, exc: httpx.TransportError, request: httpx.Request
    ) -> float:
        """How long to wait before restarting a download whose body broke off; raises if not to retry."""
        options = current_call_options()
        policy = options.retry if options.retry is not None else self.retry
        decision = policy.decide(
            attempt=attempt,
            method="GET",
            idempotent=options.idempotent,
            response=None,
            error=exc,
            elapsed=time.monotonic() - start,
            wait_hint=None,
        )
        if not decision.retry:
            raise self._connection_error(request, exc) from exc
        logger.debug("restarting download %s: %s", request.url, decision.reason)
        return decision.wait

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


class Modrinth(_ModrinthCore, BulkLookups, SyncAPIClient):
    """A synchronous client for Modrinth's Labrinth API v2.

    Every generated operation is `client.api.<tag>.<operation>(...)` or
    `client.call("<tag>.<operation>", ...)`; the friendly methods below cover the common jobs and
    return the generated models. Requests are paced to Modrinth's rate limit (300/min, learnt from
    its headers), retried on 429 (waiting as long as the 429 says) and transient errors, and errors
    are raised as `craftapis.APIError` subclasses.

    Args:
        token: a personal access token (`mrp_...`), an OAuth access token or `OAuthToken`, sent raw
            in `Authorization` (a `"Bearer ..."` string is sent as is). Never shown by `repr()`.
        user_agent: identifies *your* application, e.g. `"you/your_project/1.0 (you@example.com)"`;
            craftapis appends `craftapis/<version>`. Modrinth blocks bare library user agents, so
            without one a `MissingUserAgentWarning` is issued (once per process).
        base_url: the API root (default `https://api.modrinth.com/v2`).
        staging: use `https://staging-api.modrinth.com/v2` (Modrinth's test deployment).
        oauth_token_url: the OAuth token endpoint (default `<host root>/_internal/oauth/token`).
        auth: any `httpx.Auth` instead of `token`.
        headers: extra default headers (a `User-Agent` here counts as `user_agent`).
        timeout: seconds or an `httpx.Timeout` (default 30 s, 10 s to connect).
        retry: the `RetryPolicy` (default: 4 attempts, full-jitter backoff, server waits honoured).
        rate_limiter: default `HeaderRateLimiter()`; pass one to share it between clients.
        http_client: your own `httpx.Client` to send through (never closed by craftapis).
        transport: an `httpx.BaseTransport` to send through instead.
    """

    def __init__(
        self,
        *,
        token: str | OAuthToken | None = None,
        user_agent: str | None = None,
        base_url: str | None = None,
        staging: bool = False,
        oauth_token_url: str | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        auth, merged, base_url = self._resolve(
            token=token, auth=auth, user_agent=user_agent, headers=headers, base_url=base_url, staging=staging
        )
        super().__init__(
            base_url=base_url,
            auth=auth,
            headers=merged,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )
        self._after_setup(oauth_token_url)

    def _call_json(self, operation: str, json_body: Any, /, **kwargs: Any) -> Any:
        """`call()`, with the JSON body replaced (when the generated model cannot omit a field)."""
        module = self._module(operation)
        request = self._kwargs(module, kwargs)
        request["json"] = json_body
        response, body = self._send(request)
        return self._parse(module, response, body)

    def _batched(self, operation: str, ids: Iterable[str]) -> list[Any]:
        out: list[Any] = []
        for batch in id_batches(ids):
            out.extend(self.call(operation, ids=batch))
        return out

    # -- search ------------------------------------------------------------------------------------

    def search(
        self,
        query: str | None = None,
        *,
        facets: FacetsLike | None = None,
        index: str | None = None,
        limit: int | None = None,
        page_size: int = SEARCH_PAGE_SIZE,
    ) -> PageIterator[ProjectResult]:
        """Every matching project (`ProjectResult`), fetched lazily one page at a time.

        Args:
            query: the search text.
            facets: a `Facets`, a raw list of OR groups, or the JSON string.
            index: sort order: `relevance` (default), `downloads`, `follows`, `newest`, `updated`.
            limit: stop after this many hits (default: all of them).
            page_size: hits per request (Modrinth clamps to 100; paging follows what comes back).

        Returns a `PageIterator`: iterate for hits, `.iter_pages()` for whole pages with `total`.
        """
        params, strategy = self._search_setup(query, facets, index, limit, page_size)
        return PageIterator(self._search_fetch, strategy, params, limit=limit)

    def _search_fetch(self, params: Params) -> SearchResults:
        result: SearchResults = self.call("projects.search_projects", **params)
        return result

    def search_page(
        self,
        query: str | None = None,
        *,
        facets: FacetsLike | None = None,
        index: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResults:
        """One page of search results (`hits`, `offset`, `limit`, `total_hits`); `limit` defaults to
        Modrinth's (10) and is clamped by it to 100."""
        params = search_params(query, facets, index)
        params["offset"] = offset
        if limit is not None:
            params["limit"] = limit
        result: SearchResults = self.call("projects.search_projects", **params)
        return result

    # -- projects, versions, users -----------------------------------------------------------------

    def get_project(self, id_or_slug: str) -> Project:
        """One project by id or slug (`NotFoundError` if there is none, or it is private)."""
        result: Project = self.call("projects.get_project", id_slug=id_or_slug)
        return result

    def get_projects(self, ids: Iterable[str]) -> list[Project]:
        """Projects by id or slug, 100 per request; unknown ids are left out (order not guaranteed)."""
        return self._batched("projects.get_projects", ids)

    def get_project_versions(
        self,
        id_or_slug: str,
        *,
        loaders: str | Iterable[str] | None = None,
        game_versions: str | Iterable[str] | None = None,
        featured: bool | None = None,
    ) -> list[Version]:
        """A project's versions, optionally only those for some loaders / Minecraft versions / featured."""
        params = project_version_params(loaders, game_versions, featured)
        result: list[Version] = self.call("versions.get_project_versions", id_slug=id_or_slug, **params)
        return result

    def get_version(self, id: str) -> Version:
        """One version by id."""
        result: Version = self.call("versions.get_version", id=id)
        return result

    def get_versions(self, ids: Iterable[str]) -> list[Version]:
        """Versions by id, 100 per request; unknown ids are left out."""
        return self._batched("versions.get_versions", ids)

    def get_users(self, ids: Iterable[str]) -> list[User]:
        """Users by id or username, 100 per request; unknown ones are left out."""
        return self._batched("users.get_users", ids)

    # -- files and hashes --------------------------------------------------------------------------

    def version_from_hash(self, hash: str, algorithm: str = "sha1") -> Version:
        """The version a file belongs to, from the file's sha1 or sha512 hex digest."""
        from craftapis_generated.modrinth.models import VersionFromHashAlgorithm

        result: Version = self.call(
            "version_files.version_from_hash",
            hash_=hash.lower(),
            algorithm=VersionFromHashAlgorithm(check_algorithm(algorithm)),
        )
        return result

    def versions_from_hashes(self, hashes: Iterable[str], algorithm: str = "sha1") -> HashVersionMap:
        """The versions of many files at once: a `HashVersionMap` from hash to `Version` (unknown
        hashes are left out; `in`, `[hash]` and `.additional_properties` work on it)."""
        result: HashVersionMap = self.call(
            "version_files.versions_from_hashes", body=self._hash_list(hashes, algorithm)
        )
        return result

    def version_from_file(self, path: str | os.PathLike[str], algorithm: str = "sha512") -> Version:
        """The version a local file belongs to; the hash is computed in a stream, 1 MiB at a time."""
        return self.version_from_hash(hash_file(path, algorithm), algorithm)

    def latest_version_from_hash(
        self,
        hash: str,
        *,
        algorithm: str = "sha1",
        loaders: str | Iterable[str] | None = None,
        game_versions: str | Iterable[str] | None = None,
        version_types: str | Iterable[str] | None = None,
    ) -> Version:
        """The newest version of the project a file belongs to, for these loaders / Minecraft
        versions / version types (`release`, `beta`, `alpha`); an omitted filter matches all."""
        from craftapis_generated.modrinth.models import GetLatestVersionFromHashAlgorithm

        result: Version = self._call_json(
            "version_files.get_latest_version_from_hash",
            self._latest_body(loaders, game_versions, version_types),
            hash_=hash.lower(),
            algorithm=GetLatestVersionFromHashAlgorithm(check_algorithm(algorithm)),
        )
        return result

    def download_version_file(
        self,
        version_or_file: Version | VersionFile,
        dest_path: str | os.PathLike[str],
        *,
        verify: bool = True,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Download a version's primary file (or the given `VersionFile`) to `dest_path`.

        The file is streamed from its CDN URL through this client (retries and timeouts apply; the
        token is sent only to the API's own origin), written to a temporary file beside the
        destination, checked against the sha512 (else sha1) Modrinth lists, then renamed into
        place: a mismatch (`HashMismatchError`) or an interruption leaves nothing at `dest_path`.
        A transfer that breaks off mid-body is restarted as the retry policy allows.

        Args:
            version_or_file: a `Version` (its primary file, else its first) or a `VersionFile`.
            dest_path: the file to write, or an existing directory to write the file's own name into.
            verify: check the hash (default). Without a listed hash, pass `verify=False`.
            progress: `progress(bytes_written, total_or_None)` after every chunk.

        Returns the path written.
        """
        plan = plan_download(version_or_file, dest_path, verify=verify)
        start = time.monotonic()
        attempt = 0
        with AtomicDownload(plan) as sink:
            while True:
                attempt += 1
                response = self._open_download(plan.url)
                try:
                    total = plan.size if plan.size is not None else _content_length(response)
                    for chunk in response.iter_bytes(DOWNLOAD_CHUNK):
                        sink.write(chunk)
                        if progress is not None:
                            progress(sink.written, total)
                except httpx.TransportError as exc:
                    wait = self._restart_wait(attempt, start, exc, response.request)
                    sink.restart()
                    time.sleep(wait)
                    continue
                finally:
                    response.close()
                return sink.commit()

    def _open_download(self, url: str) -> httpx.Response:
        request, auth = self._download_request(self._http, url)
        try:
            response = self._http.send(request, stream=True, auth=auth)
        except httpx.TransportError as exc:  # already retried by the policy transport
            raise self._connection_error(request, exc) from exc
        if response.status_code >= 400:
            try:
                response.read()
            finally:
                response.close()
            self._check(response)
        return response

    # -- publishing ----------------------------------------------------------------------------

    def create_version(
        self,
        project_id: str,
        version_number: str,
        files: Sequence[FileSpec],
        *,
        game_versions: Iterable[str],
        loaders: Iterable[str],
        name: str | None = None,
        version_type: str = "release",
        primary_file: str | None = None,
        changelog: str | None = None,
        dependencies: Iterable[VersionDependency | Mapping[str, Any]] | None = None,
        featured: bool = False,
        status: str | None = None,
        requested_status: str | None = None,
        file_types: Mapping[str, str | None] | None = None,
    ) -> Version:
        """Publish a new version with its files (needs a token with the VERSION_CREATE scope).

        Args:
            project_id: the project's id.
            version_number: e.g. `"1.2.0"`; also the name unless `name` is given.
            files: paths, or `(file name, bytes or binary file)` pairs. Each becomes a multipart
                part named after its file name (listed in `file_parts`); paths are streamed.
            game_versions / loaders: e.g. `["1.20.1"]` / `["fabric"]`.
            version_type: `release`, `beta` or `alpha`.
            primary_file: the file name (or path) of the primary file.
            changelog: Markdown.
            dependencies: `VersionDependency` models or dicts such as
                `{"project_id": "P7dR8mSH", "dependency_type": "required"}`.
            featured / status / requested_status: as in Modrinth's version model.
            file_types: file name -> `sources-jar`, `dev-jar`, `javadoc-jar`, `signature`,
                `required-resource-pack`, `optional-resource-pack` (or None).

        A POST is not retried after it may have reached the server, except after a 429 (Modrinth
        rejects before acting); the files are re-sent from the start then.
        """
        upload = prepare_create_version(
            project_id=project_id,
            version_number=version_number,
            files=files,
            game_versions=game_versions,
            loaders=loaders,
            name=name,
            version_type=version_type,
            primary_file=primary_file,
            changelog=changelog,
            dependencies=dependencies,
            featured=featured,
            status=status,
            requested_status=requested_status,
            file_types=file_types,
        )
        try:
            result: Version = self.call("versions.create_version", body=upload.body)
            return result
        finally:
            upload.close()

    def forge_updates(self, id_or_slug: str) -> ForgeUpdates:
        """The Forge update-checker JSON of a project (served at the host root, outside /v2)."""
        result: ForgeUpdates = self.call("misc.forge_updates", id_slug=id_or_slug)
        return result

    # -- OAuth2 --------------------------------------------------------------------------------

    def exchange_code(
        self,
        code: str,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        token_url: str | None = None,
    ) -> OAuthToken:
        """Exchange the `code` Modrinth sent to your redirect URI for an access token.

        Posts the form Modrinth wants (`grant_type=authorization_code`, `code`, `client_id`,
        `redirect_uri`) with the application's secret raw in `Authorization`. `redirect_uri` must be
        the one used in `authorize_url`. A code works once: a failure means starting the
        authorization again. Use the result as `Modrinth(token=oauth_token)`.

        Args:
            token_url: default `self.oauth_token_url` (`<host root>/_internal/oauth/token`).
        """
        request = token_request(
            code=code,
            client_id=client_id,
            redirect_uri=redirect_uri,
            token_url=token_url or self.oauth_token_url,
        )
        response, _ = self._send(request, auth=ModrinthTokenAuth(client_secret, what="client_secret"))
        return parse_token_response(response, _json_or_none(response))


class AsyncModrinth(_ModrinthCore, AsyncBulkLookups, AsyncAPIClient):
    """The asyncio twin of `Modrinth`: the same arguments and methods, awaited.

    `search()` returns an `AsyncPageIterator` (`async for hit in client.search(...)`).
    """

    def __init__(
        self,
        *,
        token: str | OAuthToken | None = None,
        user_agent: str | None = None,
        base_url: str | None = None,
        staging: bool = False,
        oauth_token_url: str | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        auth, merged, base_url = self._resolve(
            token=token, auth=auth, user_agent=user_agent, headers=headers, base_url=base_url, staging=staging
        )
        super().__init__(
            base_url=base_url,
            auth=auth,
            headers=merged,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )
        self._after_setup(oauth_token_url)

    async def _call_json(self, operation: str, json_body: Any, /, **kwargs: Any) -> Any:
        module = self._module(operation)
        request = self._kwargs(module, kwargs)
        request["json"] = json_body
        response, body = await self._send(request)
        return self._parse(module, response, body)

    async def _batched(self, operation: str, ids: Iterable[str]) -> list[Any]:
        out: list[Any] = []
        for batch in id_batches(ids):
            out.extend(await self.call(operation, ids=batch))
        return out

    # -- search ------------------------------------------------------------------------------------

    def search(
        self,
        query: str | None = None,
        *,
        facets: FacetsLike | None = None,
        index: str | None = None,
        limit: int | None = None,
        page_size: int = SEARCH_PAGE_SIZE,
    ) -> AsyncPageIterator[ProjectResult]:
        """Every matching project, fetched lazily: `async for hit in client.search(...)`.
        Arguments as in `Modrinth.search`."""
        params, strategy = self._search_setup(query, facets, index, limit, page_size)
        return AsyncPageIterator(self._search_fetch, strategy, params, limit=limit)

    async def _search_fetch(self, params: Params) -> SearchResults:
        result: SearchResults = await self.call("projects.search_projects", **params)
        return result

    async def search_page(
        self,
        query: str | None = None,
        *,
        facets: FacetsLike | None = None,
        index: str | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> SearchResults:
        """One page of search results; see `Modrinth.search_page`."""
        params = search_params(query, facets, index)
        params["offset"] = offset
        if limit is not None:
            params["limit"] = limit
        result: SearchResults = await self.call("projects.search_projects", **params)
        return result

    # -- projects, versions, users -----------------------------------------------------------------

    async def get_project(self, id_or_slug: str) -> Project:
        """One project by id or slug."""
        result: Project = await self.call("projects.get_project", id_slug=id_or_slug)
        return result

    async def get_projects(self, ids: Iterable[str]) -> list[Project]:
        """Projects by id or slug, 100 per request."""
        return await self._batched("projects.get_projects", ids)

    async def get_project_versions(
        self,
        id_or_slug: str,
        *,
        loaders: str | Iterable[str] | None = None,
        game_versions: str | Iterable[str] | None = None,
        featured: bool | None = None,
    ) -> list[Version]:
        """A project's versions, optionally filtered; see `Modrinth.get_project_versions`."""
        params = project_version_params(loaders, game_versions, featured)
        result: list[Version] = await self.call("versions.get_project_versions", id_slug=id_or_slug, **params)
        return result

    async def get_version(self, id: str) -> Version:
        """One version by id."""
        result: Version = await self.call("versions.get_version", id=id)
        return result

    async def get_versions(self, ids: Iterable[str]) -> list[Version]:
        """Versions by id, 100 per request."""
        return await self._batched("versions.get_versions", ids)

    async def get_users(self, ids: Iterable[str]) -> list[User]:
        """Users by id or username, 100 per request."""
        return await self._batched("users.get_users", ids)

    # -- files and hashes --------------------------------------------------------------------------

    async def version_from_hash(self, hash: str, algorithm: str = "sha1") -> Version:
        """The version a file belongs to, from its sha1 or sha512 hex digest."""
        from craftapis_generated.modrinth.models import VersionFromHashAlgorithm

        result: Version = await self.call(
            "version_files.version_from_hash",
            hash_=hash.lower(),
            algorithm=VersionFromHashAlgorithm(check_algorithm(algorithm)),
        )
        return result

    async def versions_from_hashes(self, hashes: Iterable[str], algorithm: str = "sha1") -> HashVersionMap:
        """The versions of many files at once; see `Modrinth.versions_from_hashes`."""
        result: HashVersionMap = await self.call(
            "version_files.versions_from_hashes", body=self._hash_list(hashes, algorithm)
        )
        return result

    async def version_from_file(self, path: str | os.PathLike[str], algorithm: str = "sha512") -> Version:
        """The version a local file belongs to; hashed in a worker thread, 1 MiB at a time."""
        digest = await asyncio.to_thread(hash_file, path, algorithm)
        return await self.version_from_hash(digest, algorithm)

    async def latest_version_from_hash(
        self,
        hash: str,
        *,
        algorithm: str = "sha1",
        loaders: str | Iterable[str] | None = None,
        game_versions: str | Iterable[str] | None = None,
        version_types: str | Iterable[str] | None = None,
    ) -> Version:
        """The newest version of a file's project for these filters; see `Modrinth.latest_version_from_hash`."""
        from craftapis_generated.modrinth.models import GetLatestVersionFromHashAlgorithm

        result: Version = await self._call_json(
            "version_files.get_latest_version_from_hash",
            self._latest_body(loaders, game_versions, version_types),
            hash_=hash.lower(),
            algorithm=GetLatestVersionFromHashAlgorithm(check_algorithm(algorithm)),
        )
        return result

    async def download_version_file(
        self,
        version_or_file: Version | VersionFile,
        dest_path: str | os.PathLike[str],
        *,
        verify: bool = True,
        progress: ProgressCallback | None = None,
    ) -> Path:
        """Download and verify a version file atomically; see `Modrinth.download_version_file`.

        Chunks (64 KiB) are written synchronously: each write is short, and a thread hop per
        chunk would cost more than it saves.
        """
        plan = plan_download(version_or_file, dest_path, verify=verify)
        start = time.monotonic()
        attempt = 0
        with AtomicDownload(plan) as sink:
            while True:
                attempt += 1
                response = await self._open_download(plan.url)
                try:
                    total = plan.size if plan.size is not None else _content_length(response)
                    async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK):
                        sink.write(chunk)
                        if progress is not None:
                            progress(sink.written, total)
                except httpx.TransportError as exc:
                    wait = self._restart_wait(attempt, start, exc, response.request)
                    sink.restart()
                    await asyncio.sleep(wait)
                    continue
                finally:
                    await response.aclose()
                return sink.commit()

    async def _open_download(self, url: str) -> httpx.Response:
        request, auth = self._download_request(self._http, url)
        try:
            response = await self._http.send(request, stream=True, auth=auth)
        except httpx.TransportError as exc:
            raise self._connection_error(request, exc) from exc
        if response.status_code >= 400:
            try:
                await response.aread()
            finally:
                await response.aclose()
            self._check(response)
        return response

    # -- publishing ----------------------------------------------------------------------------

    async def create_version(
        self,
        project_id: str,
        version_number: str,
        files: Sequence[FileSpec],
        *,
        game_versions: Iterable[str],
        loaders: Iterable[str],
        name: str | None = None,
        version_type: str = "release",
        primary_file: str | None = None,
        changelog: str | None = None,
        dependencies: Iterable[VersionDependency | Mapping[str, Any]] | None = None,
        featured: bool = False,
        status: str | None = None,
        requested_status: str | None = None,
        file_types: Mapping[str, str | None] | None = None,
    ) -> Version:
        """Publish a new version with its files; see `Modrinth.create_version`."""
        upload = prepare_create_version(
            project_id=project_id,
            version_number=version_number,
            files=files,
            game_versions=game_versions,
            loaders=loaders,
            name=name,
            version_type=version_type,
            primary_file=primary_file,
            changelog=changelog,
            dependencies=dependencies,
            featured=featured,
            status=status,
            requested_status=requested_status,
            file_types=file_types,
        )
        try:
            result: Version = await self.call("versions.create_version", body=upload.body)
            return result
        finally:
            upload.close()

    async def forge_updates(self, id_or_slug: str) -> ForgeUpdates:
        """The Forge update-checker JSON of a project (at the host root, outside /v2)."""
        result: ForgeUpdates = await self.call("misc.forge_updates", id_slug=id_or_slug)
        return result

    # -- OAuth2 --------------------------------------------------------------------------------

    async def exchange_code(
        self,
        code: str,
        *,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        token_url: str | None = None,
    ) -> OAuthToken:
        """Exchange an authorization code for an access token; see `Modrinth.exchange_code`."""
        request = token_request(
            code=code,
            client_id=client_id,
            redirect_uri=redirect_uri,
            token_url=token_url or self.oauth_token_url,
        )
        response, _ = await self._send(request, auth=ModrinthTokenAuth(client_secret, what="client_secret"))
        return parse_token_response(response, _json_or_none(response))
