"""`AsyncModrinth`: every generated operation of Modrinth's Labrinth API v2, plus friendly methods for
the common jobs. What does not send (configuration, URL rules, planning) is `_ModrinthCore` in
`_client.py` and the pure helpers of this package (`_params`, `_download`, `_upload`, `_auth`)."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack, cast

import httpx

from .._async_base import AsyncAPIClient, AsyncClientOptions
from .._async_download import fetch_into
from .._async_pagination import AsyncPageIterator
from .._files import Transfer
from .._keywords import OTHER_SCHEMES, refuse_scheme
from .._pagination import Params
from .._primitives import async_to_thread
from ._async_bulk import AsyncBulkLookups
from ._auth import ModrinthTokenAuth, OAuthToken, parse_token_response, token_request
from ._client import ProgressCallback, _json_or_none, _ModrinthCore
from ._download import DOWNLOAD_CHUNK, AtomicDownload, plan_download
from ._facets import FacetsLike
from ._hashing import check_algorithm, hash_file
from ._params import SEARCH_PAGE_SIZE, id_batches, project_version_params, search_params
from ._upload import FileSpec, prepare_create_version

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
    from craftapis_generated.modrinth.operations import AsyncModrinthOperations

    from ._async_raw import AsyncModrinthWithRawResponse

__all__ = ["AsyncModrinth"]


class AsyncModrinth(_ModrinthCore, AsyncBulkLookups, AsyncAPIClient):
    """A client for Modrinth's Labrinth API v2 (`async with AsyncModrinth(user_agent=...) as modrinth:`).

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
        **options: as every client (`AsyncClientOptions`). Here a `User-Agent` in `headers` counts as
            `user_agent`, the default retry makes 4 attempts with full-jitter backoff honouring the
            server's waits, and the default rate limiter is a `HeaderRateLimiter()` learning from
            Modrinth's headers (pass one to share it between clients).
    """

    # the base's `api` and `with_raw_response`, typed with the Modrinth spec's generated classes
    if TYPE_CHECKING:

        @property
        def api(self) -> AsyncModrinthOperations: ...
        @property
        def with_raw_response(self) -> AsyncModrinthWithRawResponse: ...  # type: ignore[override]

    _keyword_hint = "user_agent=..., token=..."

    def __init__(
        self,
        *,
        token: str | OAuthToken | None = None,
        user_agent: str | None = None,
        base_url: str | None = None,
        staging: bool = False,
        oauth_token_url: str | None = None,
        auth: httpx.Auth | None = None,
        **options: Unpack[AsyncClientOptions],
    ) -> None:
        refuse_scheme(token, name="token", schemes=OTHER_SCHEMES, sent_as="'Authorization: <token>'")
        auth, options["headers"], base_url = self._resolve(
            token=token,
            auth=auth,
            user_agent=user_agent,
            headers=options.get("headers"),
            base_url=base_url,
            staging=staging,
        )
        super().__init__(base_url=base_url, auth=auth, **options)
        self._after_setup(oauth_token_url)

    async def _call_json(self, operation: str, json_body: Any, /, **kwargs: Any) -> Any:
        """`call()`, with the JSON body replaced (when the generated model cannot omit a field)."""
        module = self._module(operation)
        request = self._kwargs(module, kwargs)
        request["json"] = json_body
        response, body = await self._send(request)
        return self._parse(module, response, body)

    async def _batched(self, operation: str, ids: Iterable[str]) -> list[Any]:
        out: list[Any] = []
        for batch in id_batches(ids):
            out.extend(cast("list[Any]", await self.call(operation, ids=batch)))
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
        return AsyncPageIterator(self._search_fetch, strategy, params, limit=limit)

    async def _search_fetch(self, params: Params) -> SearchResults:
        result = cast("SearchResults", await self.call("projects.search_projects", **params))
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
        """One page of search results (`hits`, `offset`, `limit`, `total_hits`); `limit` defaults to
        Modrinth's (10) and is clamped by it to 100."""
        params = search_params(query, facets, index)
        params["offset"] = offset
        if limit is not None:
            params["limit"] = limit
        result = cast("SearchResults", await self.call("projects.search_projects", **params))
        return result

    # -- projects, versions, users -----------------------------------------------------------------

    async def get_project(self, id_or_slug: str) -> Project:
        """One project by id or slug (`NotFoundError` if there is none, or it is private)."""
        result = cast("Project", await self.call("projects.get_project", id_slug=id_or_slug))
        return result

    async def get_projects(self, ids: Iterable[str]) -> list[Project]:
        """Projects by id or slug, 100 per request; unknown ids are left out (order not guaranteed)."""
        return await self._batched("projects.get_projects", ids)

    async def get_project_versions(
        self,
        id_or_slug: str,
        *,
        loaders: str | Iterable[str] | None = None,
        game_versions: str | Iterable[str] | None = None,
        featured: bool | None = None,
        include_changelog: bool | None = None,
    ) -> list[Version]:
        """A project's versions, optionally only those for some loaders / Minecraft versions / featured.

        `include_changelog=False` leaves every version's changelog out of the answer (Modrinth
        recommends it unless you need them: changelogs are most of a long version list); by default
        nothing is sent and the server includes them.
        """
        params = project_version_params(loaders, game_versions, featured)
        if include_changelog is not None:
            params["include_changelog"] = include_changelog
        result = cast(
            "list[Version]", await self.call("versions.get_project_versions", id_slug=id_or_slug, **params)
        )
        return result

    async def get_version(self, id: str) -> Version:
        """One version by id."""
        result = cast("Version", await self.call("versions.get_version", id=id))
        return result

    async def get_versions(self, ids: Iterable[str]) -> list[Version]:
        """Versions by id, 100 per request; unknown ids are left out."""
        return await self._batched("versions.get_versions", ids)

    async def get_users(self, ids: Iterable[str]) -> list[User]:
        """Users by id or username, 100 per request; unknown ones are left out."""
        return await self._batched("users.get_users", ids)

    # -- files and hashes --------------------------------------------------------------------------

    async def version_from_hash(self, hash: str, algorithm: str = "sha1") -> Version:
        """The version a file belongs to, from the file's sha1 or sha512 hex digest."""
        from craftapis_generated.modrinth.models import VersionFromHashAlgorithm

        result = cast(
            "Version",
            await self.call(
                "version_files.version_from_hash",
                hash_=hash.lower(),
                algorithm=VersionFromHashAlgorithm(check_algorithm(algorithm)),
            ),
        )
        return result

    async def versions_from_hashes(self, hashes: Iterable[str], algorithm: str = "sha1") -> HashVersionMap:
        """The versions of many files at once: a `HashVersionMap` from hash to `Version` (unknown
        hashes are left out; `in`, `[hash]` and `.additional_properties` work on it)."""
        result = cast(
            "HashVersionMap",
            await self.call("version_files.versions_from_hashes", body=self._hash_list(hashes, algorithm)),
        )
        return result

    async def version_from_file(self, path: str | os.PathLike[str], algorithm: str = "sha512") -> Version:
        """The version a local file belongs to; the hash is computed in a stream, 1 MiB at a time (in a
        worker thread when called from async code, so the event loop keeps running)."""
        digest = await async_to_thread(hash_file, path, algorithm)
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
        """The newest version of the project a file belongs to, for these loaders / Minecraft
        versions / version types (`release`, `beta`, `alpha`); an omitted filter matches all."""
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
        """Download a version's primary file (or the given `VersionFile`) to `dest_path`.

        The file is streamed from its CDN URL through this client (retries and timeouts apply; the
        token is sent only to the API's own origin), written to a temporary file beside the
        destination, checked against the sha512 (else sha1) Modrinth lists, then renamed into
        place: a mismatch (`HashMismatchError`) or an interruption leaves nothing at `dest_path`.
        A transfer that breaks off mid-body is fetched again as the retry policy allows: the rest of
        it (`Range`) when the CDN serves ranges of the same file, else all of it. Once the body
        flows, time is bounded by the client's `Limits`, not `RetryPolicy.deadline`: a transfer
        slower than `download_min_rate` bytes/s over `download_stall_window` s (1 KiB/s over 30 s),
        or one passing `download_deadline` (none by default), raises `APITimeoutError`.

        Args:
            version_or_file: a `Version` (its primary file, else its first) or a `VersionFile`.
            dest_path: the file to write, or an existing directory to write the file's own name into.
            verify: check the hash (default). Without a listed hash, pass `verify=False`.
            progress: `progress(bytes_written, total_or_None)` after every chunk.

        Returns the path written. Chunks (64 KiB) are written with plain file calls, in async code too:
        each write is short, and a thread hop per chunk would cost more than it saves.
        """
        plan = plan_download(version_or_file, dest_path, verify=verify)
        with AtomicDownload(plan) as sink:
            transfer = Transfer(
                sink, limits=self.limits, retry=self.retry, give_up=self._connection_error, progress=progress
            )

            async def request_for(headers: dict[str, str]) -> dict[str, Any]:
                # identity (in `headers`): the listed size and hash are of the file itself, and a
                # compressed body could expand a chunk far past what is written at a time
                return {"method": "GET", "url": plan.url, "headers": headers}

            await fetch_into(
                self, transfer, request_for, chunk_size=DOWNLOAD_CHUNK, auth=self._download_auth(plan.url)
            )
            return sink.commit()

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
        dependencies: Iterable[VersionDependency | Mapping[str, object]] | None = None,
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
            result = cast("Version", await self.call("versions.create_version", body=upload.body))
            return result
        finally:
            upload.close()

    async def forge_updates(self, id_or_slug: str) -> ForgeUpdates:
        """The Forge update-checker JSON of a project (served at the host root, outside /v2)."""
        result = cast("ForgeUpdates", await self.call("misc.forge_updates", id_slug=id_or_slug))
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
        response, _ = await self._send(request, auth=ModrinthTokenAuth(client_secret, what="client_secret"))
        return parse_token_response(response, _json_or_none(response))
