"""`RailcraftPack` and `AsyncRailcraftPack`: the Railcraft modpack server's API.

What makes this API unusual, and what the clients do about it:

* Paths are mostly unknown (seed 003 lost them): the base URL and every path can be overridden.
* Requests are form-encoded POSTs (the one method every endpoint accepts); arrays follow `array_style`.
* Credentials travel in the body: authenticated requests carry `client_id`, `client_secret` and a
  session `token`, which the client acquires, shares, and renews (see `_session.py`).
* Errors come with HTTP 200 as `{"result": <code>, "msg": ...}`: `result != 0` raises `RailcraftError`.
* The archive download is binary: streamed to disk, verified, written atomically (see `_download.py`).

The twins share every decision through `_RailcraftCore`; they differ only in `await`.
"""

from __future__ import annotations

import os
import time
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

from .._base import ApiProfile, AsyncAPIClient, SyncAPIClient
from .._context import IDEMPOTENT_EXTENSION
from .._errors import ResponseParseError
from .._ratelimit import NoRateLimiter, RateLimiter
from .._retry import RetryPolicy
from ._download import DEFAULT_CHUNK_SIZE, ArchiveFile, Progress, archive_target, broken, judge_body
from ._errors import RENEW_CODES, RailcraftError, decode_error
from ._form import ARRAY_STYLES, FORM_CONTENT_TYPE, ArrayStyle, encode_form
from ._paths import ENDPOINTS, resolve_paths
from ._session import AsyncTokenSession, TokenSession

if TYPE_CHECKING:
    from craftapis_generated.railcraft.models.ad import Ad
    from craftapis_generated.railcraft.models.download_details_reply import DownloadDetailsReply
    from craftapis_generated.railcraft.models.server_message_reply import ServerMessageReply
    from craftapis_generated.railcraft.models.tag_reply import TagReply

__all__ = ["DEFAULT_BASE_URL", "RAILCRAFT", "AdKind", "AsyncRailcraftPack", "RailcraftPack"]

#: The site root; paths (`api/get_file/`) are relative to it, as the server's documentation writes them.
DEFAULT_BASE_URL: Final = "https://towerofawesome.org/railcraftpack"
AdKind = Literal["any", "buy", "sell"]

RAILCRAFT: Final = ApiProfile(
    name="Railcraft pack",
    package="craftapis_generated.railcraft",
    base_url=DEFAULT_BASE_URL,
    make_limiter=NoRateLimiter,
    decode_error=decode_error,
    errors_in_success=True,
    # Every endpoint only reads (or prepares an archive, which is idempotent) but must be called with
    # POST, so POSTs are as safe to resend as GETs here.
    default_retry=RetryPolicy(safe_methods=frozenset({"GET", "HEAD", "OPTIONS", "POST"})),
    # client_id, client_secret and token travel in the form body, which httpx would re-send to
    # whatever origin a 307/308 points at: never follow; a redirect raises, naming its target.
    follow_redirects=False,
)


def _content_length(response: httpx.Response) -> int | None:
    value = response.headers.get("content-length", "")
    return int(value) if value.isdigit() else None


def _error_messages(value: Any) -> str | list[str] | dict[str, str]:
    extra = getattr(value, "additional_properties", None)
    if isinstance(extra, dict):  # the object variant: a PHP array keyed by code
        return {str(k): str(v) for k, v in extra.items()}
    if isinstance(value, list):
        return [str(v) for v in value]
    if isinstance(value, str):
        return value
    return ""  # absent (None, or the generated models' falsy UNSET)


class _RailcraftCore:
    """Configuration and request shapes the sync and async clients share."""

    base_url: str
    _client_id: str | None
    _client_secret: str | None

    def _configure(
        self,
        client_id: str | None,
        client_secret: str | None,
        paths: Mapping[str, str] | None,
        array_style: ArrayStyle,
    ) -> None:
        if array_style not in ARRAY_STYLES:
            raise ValueError(f"array_style must be 'brackets', 'repeat' or 'comma', got {array_style!r}")
        if (client_id is None) != (client_secret is None):
            raise TypeError("pass both client_id= and client_secret= (or neither, for public endpoints only)")
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{name} must be a non-empty string")
        self._client_id = client_id
        self._client_secret = client_secret
        self._paths = resolve_paths(paths)
        self._array_style: ArrayStyle = array_style

    @property
    def paths(self) -> Mapping[str, str]:
        """The path of every operation (`"pack.get_current_tag"` → `"api/get_tag/"`), overrides applied."""
        return types.MappingProxyType(self._paths)

    @property
    def array_style(self) -> ArrayStyle:
        """How lists are sent in form bodies (`brackets`, `repeat` or `comma`)."""
        return self._array_style

    def _form_request(self, operation: str, fields: Mapping[str, Any], token: str | None) -> dict[str, Any]:
        form = dict(fields)
        if token is not None:
            form["client_id"] = self._client_id
            form["client_secret"] = self._client_secret
            form["token"] = token
        return {
            "method": "POST",
            "url": self._paths[operation],
            "content": encode_form(form, self._array_style),
            "headers": {"Content-Type": FORM_CONTENT_TYPE},
            # every endpoint only reads, so resending is safe whatever RetryPolicy the user passes
            "extensions": {IDEMPOTENT_EXTENSION: True},
        }

    def _acquire_request(self) -> dict[str, Any]:
        return self._form_request(
            "auth.acquire_token", {"client_id": self._client_id, "client_secret": self._client_secret}, None
        )

    @staticmethod
    def _token_of(response: httpx.Response, body: Any) -> str:
        token = body.get("token") if isinstance(body, Mapping) else None
        if not isinstance(token, str) or not token:
            raise ResponseParseError.from_response(
                response,
                message="the Railcraft token reply (result 0) carried no `token`; check the paths= override "
                "for 'auth' (it may point at another endpoint)",
                body=None,
            )
        return token

    @staticmethod
    def _generated_fields(module: types.ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
        data = module._get_kwargs(**kwargs).get("data")
        return dict(data) if data else {}

    def _no_credentials(self, operation: str) -> TypeError:
        return TypeError(
            f"{operation} needs credentials: create the client with client_id= and client_secret="
        )

    @staticmethod
    def _download_fields(patch_from: str | None, opt_mods: Sequence[str] | None) -> dict[str, Any]:
        return {"patch_from": patch_from, "opt_mods": list(opt_mods) if opt_mods is not None else None}

    @staticmethod
    def _ads_fields(type: AdKind | None, limit: int | None) -> dict[str, Any]:
        if type is not None and type not in ("any", "buy", "sell"):
            raise ValueError(f"type must be 'any', 'buy' or 'sell', got {type!r}")
        return {"type": type, "limit": limit}

    def _describe(self, generation: int | None) -> str:
        token = "none" if not generation else f"#{generation}"
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, authenticated={self._client_id is not None}, "
            f"array_style={self._array_style!r}, token=<{token}>)"
        )


class RailcraftPack(_RailcraftCore, SyncAPIClient):
    """The Railcraft pack server's API, synchronous.

    Args:
        client_id, client_secret: the credentials of the authenticated endpoints (download details,
            archive download, token test, ads). Public endpoints work without them. Never shown in a
            repr, an error or a log.
        base_url: the site root, default `https://towerofawesome.org/railcraftpack`.
        paths: per-endpoint path overrides, relative to `base_url` (or absolute URLs), keyed by the
            operation (`get_current_tag`) or its default path's name (`get_tag`):
            `paths={"get_tag": "api/other/"}`. Six of the nine default paths are guesses (`paths`
            property lists them all).
        array_style: how lists (`opt_mods`) go in the form body: `"brackets"` (`opt_mods[]=1&opt_mods[]=2`,
            what a PHP server reads; default), `"repeat"` (`opt_mods=1&opt_mods=2`) or `"comma"`
            (`opt_mods=1,2`).
        token_lifetime: seconds a session token lives (seed 003: up to one hour; default 3600).
        renew_margin: renew this many seconds before the lifetime ends (default 60). Codes 6 (expired)
            and 12 (invalid) also renew, once per call; concurrent callers share one renewal.
        clock: the monotonic clock the token's age is measured with (tests inject one).
        headers, timeout, retry, rate_limiter, http_client, transport: as every craftapis client.
            The default retry policy resends POSTs too: every endpoint of this API is a read.
    """

    _profile = RAILCRAFT

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        paths: Mapping[str, str] | None = None,
        array_style: ArrayStyle = "brackets",
        token_lifetime: float = 3600.0,
        renew_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._configure(client_id, client_secret, paths, array_style)
        self._session: TokenSession | None = (
            TokenSession(self._acquire_token, lifetime=token_lifetime, margin=renew_margin, clock=clock)
            if client_id is not None
            else None
        )
        super().__init__(
            base_url=base_url,
            headers=headers,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )

    def __repr__(self) -> str:
        return self._describe(self._session.generation if self._session else None)

    # -- token ------------------------------------------------------------------------------------
    def _acquire_token(self) -> str:
        response, body = self._send(self._acquire_request())
        return self._token_of(response, body)

    def _require_session(self, operation: str) -> TokenSession:
        if self._session is None:
            raise self._no_credentials(operation)
        return self._session

    def renew_token(self) -> None:
        """Acquire a new session token now (normally automatic)."""
        session = self._require_session("auth.acquire_token")
        session.renew(session.generation)

    # -- the seam ---------------------------------------------------------------------------------
    def call(self, operation: str, /, **kwargs: Any) -> Any:
        """Call a generated operation (`"pack.get_current_tag"`) with the path overrides, the form
        encoding and, for authenticated operations, the session's credentials (they replace whatever
        `client_id`/`client_secret`/`token` the `body=` model carries). Returns the parsed reply."""
        module = self._module(operation)
        return self._post(operation, self._generated_fields(module, kwargs), module)

    def _post(self, operation: str, fields: Mapping[str, Any], module: types.ModuleType | None = None) -> Any:
        module = module or self._module(operation)
        if not ENDPOINTS[operation].authenticated:
            response, body = self._send(self._form_request(operation, fields, None))
            return self._parse(module, response, body)
        session = self._require_session(operation)
        token, generation = session.token()
        try:
            response, body = self._send(self._form_request(operation, fields, token))
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            token, _ = session.renew(generation)
            response, body = self._send(self._form_request(operation, fields, token))
        return self._parse(module, response, body)

    # -- endpoints --------------------------------------------------------------------------------
    def current_tag(self) -> TagReply:
        """The last pushed tag: `.major` (clients must update) and `.minor` (server-only changes)."""
        reply: TagReply = self._post("pack.get_current_tag", {})
        return reply

    def server_message(self, *, ignore_time_limit: bool = False) -> ServerMessageReply:
        """A random in-game server message (`.color`, `.text`); `ignore_time_limit=True` skips the
        per-message time limit."""
        fields = {"ignore_time_limit": "true"} if ignore_time_limit else {}
        reply: ServerMessageReply = self._post("messages.get_server_message", fields)
        return reply

    def optional_mods(self) -> list[Any]:
        """The optional mods `download_details(opt_mods=...)` accepts (possibly empty)."""
        return list(self._post("pack.list_optional_mods", {}).mods or [])

    def error_message(self, error_code: int | None = None) -> str | list[str] | dict[str, str]:
        """The server's message for `error_code`, or all of them (a list, or a dict keyed by code)."""
        fields = {"error_code": error_code} if error_code is not None else {}
        return _error_messages(self._post("messages.get_error_message", fields).error_message)

    def ads(self, *, type: AdKind | None = None, limit: int | None = None) -> list[Ad]:
        """Ads of every type or only `"buy"`/`"sell"`; at most `limit` (server default: no limit)."""
        ads: list[Ad] = self._post("ads.get_ads", self._ads_fields(type, limit)).ads or []
        return ads

    def test_token(self) -> bool:
        """Whether the session's token is still valid (acquiring one first if there is none). False
        (and the token is dropped, so the next call acquires a new one) on codes 6 or 12."""
        session = self._require_session("auth.test_token")
        token, generation = session.token()
        try:
            self._send(self._form_request("auth.test_token", {}, token))
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            session.discard(generation)
            return False
        return True

    def download_details(
        self, *, patch_from: str | None = None, opt_mods: Sequence[str] | None = None
    ) -> DownloadDetailsReply:
        """Prepare the archive of the full pack, or of a patch from tag `patch_from`, with `opt_mods`
        (values from `optional_mods()`). The reply's `id` and `size_raw` feed `download_archive()`.
        The server may generate the archive first: raise the timeout if it is slow."""
        reply: DownloadDetailsReply = self._post(
            "pack.get_download_details", self._download_fields(patch_from, opt_mods)
        )
        return reply

    def download_archive(
        self,
        archive: DownloadDetailsReply | int,
        path: str | os.PathLike[str],
        *,
        expected_size: int | None = None,
        progress: Progress | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Path:
        """Stream an archive to `path` and return it.

        `archive` is the reply of `download_details()` (its `size_raw` is verified) or a bare id (pass
        `expected_size=` to verify). `progress(done, total)` is called after every chunk (`total` is
        the expected size, else the Content-Length, else None). The file appears at `path` only
        complete and verified (temporary file in the same directory, then `os.replace`); on any
        failure `RailcraftDownloadError` (or the server's `RailcraftError`) is raised and `path` is
        untouched.
        """
        archive_id, expected = archive_target(archive, expected_size)
        target = Path(path)
        session = self._require_session("pack.download_archive")
        token, generation = session.token()
        try:
            return self._save(archive_id, token, target, expected, progress, chunk_size)
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            token, _ = session.renew(generation)
            return self._save(archive_id, token, target, expected, progress, chunk_size)

    def download_pack(
        self,
        path: str | os.PathLike[str],
        *,
        patch_from: str | None = None,
        opt_mods: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> DownloadDetailsReply:
        """`download_details()` then `download_archive()` to `path`; returns the details."""
        details = self.download_details(patch_from=patch_from, opt_mods=opt_mods)
        self.download_archive(details, path, progress=progress)
        return details

    def _save(
        self,
        archive_id: int,
        token: str,
        target: Path,
        expected: int | None,
        progress: Progress | None,
        chunk_size: int,
    ) -> Path:
        timeout = self._timeout_for_call()
        request = self._http.build_request(
            **self._form_request("pack.download_archive", {"id": archive_id}, token),
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        sink = ArchiveFile(target, total=expected, progress=progress)
        try:
            try:
                response = self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise self._connection_error(request, exc) from exc
            try:
                if response.status_code >= 300:
                    response.read()
                    self._check(response)
                if sink.total is None:
                    sink.total = _content_length(response)
                try:
                    for chunk in response.iter_bytes(chunk_size):
                        sink.write(chunk)
                except httpx.TransportError as exc:
                    raise broken(exc, sink, expected, archive_id, request) from exc
            finally:
                response.close()
            sink.close()
            judge_body(response, sink, expected, archive_id)
            return sink.commit()
        except BaseException:
            sink.discard()
            raise


class AsyncRailcraftPack(_RailcraftCore, AsyncAPIClient):
    """The asyncio twin of `RailcraftPack`: same arguments and methods, awaited. Concurrent tasks
    share one token and one renewal. The archive is written with ordinary file calls between awaits."""

    _profile = RAILCRAFT

    def __init__(
        self,
        *,
        client_id: str | None = None,
        client_secret: str | None = None,
        base_url: str | None = None,
        paths: Mapping[str, str] | None = None,
        array_style: ArrayStyle = "brackets",
        token_lifetime: float = 3600.0,
        renew_margin: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self._configure(client_id, client_secret, paths, array_style)
        self._session: AsyncTokenSession | None = (
            AsyncTokenSession(self._acquire_token, lifetime=token_lifetime, margin=renew_margin, clock=clock)
            if client_id is not None
            else None
        )
        super().__init__(
            base_url=base_url,
            headers=headers,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )

    def __repr__(self) -> str:
        return self._describe(self._session.generation if self._session else None)

    # -- token ------------------------------------------------------------------------------------
    async def _acquire_token(self) -> str:
        response, body = await self._send(self._acquire_request())
        return self._token_of(response, body)

    def _require_session(self, operation: str) -> AsyncTokenSession:
        if self._session is None:
            raise self._no_credentials(operation)
        return self._session

    async def renew_token(self) -> None:
        """See `RailcraftPack.renew_token`."""
        session = self._require_session("auth.acquire_token")
        await session.renew(session.generation)

    # -- the seam ---------------------------------------------------------------------------------
    async def call(self, operation: str, /, **kwargs: Any) -> Any:
        """See `RailcraftPack.call`."""
        module = self._module(operation)
        return await self._post(operation, self._generated_fields(module, kwargs), module)

    async def _post(
        self, operation: str, fields: Mapping[str, Any], module: types.ModuleType | None = None
    ) -> Any:
        module = module or self._module(operation)
        if not ENDPOINTS[operation].authenticated:
            response, body = await self._send(self._form_request(operation, fields, None))
            return self._parse(module, response, body)
        session = self._require_session(operation)
        token, generation = await session.token()
        try:
            response, body = await self._send(self._form_request(operation, fields, token))
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            token, _ = await session.renew(generation)
            response, body = await self._send(self._form_request(operation, fields, token))
        return self._parse(module, response, body)

    # -- endpoints --------------------------------------------------------------------------------
    async def current_tag(self) -> TagReply:
        """See `RailcraftPack.current_tag`."""
        reply: TagReply = await self._post("pack.get_current_tag", {})
        return reply

    async def server_message(self, *, ignore_time_limit: bool = False) -> ServerMessageReply:
        """See `RailcraftPack.server_message`."""
        fields = {"ignore_time_limit": "true"} if ignore_time_limit else {}
        reply: ServerMessageReply = await self._post("messages.get_server_message", fields)
        return reply

    async def optional_mods(self) -> list[Any]:
        """See `RailcraftPack.optional_mods`."""
        return list((await self._post("pack.list_optional_mods", {})).mods or [])

    async def error_message(self, error_code: int | None = None) -> str | list[str] | dict[str, str]:
        """See `RailcraftPack.error_message`."""
        fields = {"error_code": error_code} if error_code is not None else {}
        return _error_messages((await self._post("messages.get_error_message", fields)).error_message)

    async def ads(self, *, type: AdKind | None = None, limit: int | None = None) -> list[Ad]:
        """See `RailcraftPack.ads`."""
        ads: list[Ad] = (await self._post("ads.get_ads", self._ads_fields(type, limit))).ads or []
        return ads

    async def test_token(self) -> bool:
        """See `RailcraftPack.test_token`."""
        session = self._require_session("auth.test_token")
        token, generation = await session.token()
        try:
            await self._send(self._form_request("auth.test_token", {}, token))
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            session.discard(generation)
            return False
        return True

    async def download_details(
        self, *, patch_from: str | None = None, opt_mods: Sequence[str] | None = None
    ) -> DownloadDetailsReply:
        """See `RailcraftPack.download_details`."""
        reply: DownloadDetailsReply = await self._post(
            "pack.get_download_details", self._download_fields(patch_from, opt_mods)
        )
        return reply

    async def download_archive(
        self,
        archive: DownloadDetailsReply | int,
        path: str | os.PathLike[str],
        *,
        expected_size: int | None = None,
        progress: Progress | None = None,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
    ) -> Path:
        """See `RailcraftPack.download_archive`."""
        archive_id, expected = archive_target(archive, expected_size)
        target = Path(path)
        session = self._require_session("pack.download_archive")
        token, generation = await session.token()
        try:
            return await self._save(archive_id, token, target, expected, progress, chunk_size)
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            token, _ = await session.renew(generation)
            return await self._save(archive_id, token, target, expected, progress, chunk_size)

    async def download_pack(
        self,
        path: str | os.PathLike[str],
        *,
        patch_from: str | None = None,
        opt_mods: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> DownloadDetailsReply:
        """See `RailcraftPack.download_pack`."""
        details = await self.download_details(patch_from=patch_from, opt_mods=opt_mods)
        await self.download_archive(details, path, progress=progress)
        return details

    async def _save(
        self,
        archive_id: int,
        token: str,
        target: Path,
        expected: int | None,
        progress: Progress | None,
        chunk_size: int,
    ) -> Path:
        timeout = self._timeout_for_call()
        request = self._http.build_request(
            **self._form_request("pack.download_archive", {"id": archive_id}, token),
            timeout=timeout if timeout is not None else httpx.USE_CLIENT_DEFAULT,
        )
        sink = ArchiveFile(target, total=expected, progress=progress)
        try:
            try:
                response = await self._http.send(request, stream=True)
            except httpx.TransportError as exc:
                raise self._connection_error(request, exc) from exc
            try:
                if response.status_code >= 300:
                    await response.aread()
                    self._check(response)
                if sink.total is None:
                    sink.total = _content_length(response)
                try:
                    async for chunk in response.aiter_bytes(chunk_size):
                        sink.write(chunk)
                except httpx.TransportError as exc:
                    raise broken(exc, sink, expected, archive_id, request) from exc
            finally:
                await response.aclose()
            sink.close()
            judge_body(response, sink, expected, archive_id)
            return sink.commit()
        except BaseException:
            sink.discard()
            raise
