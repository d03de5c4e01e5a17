"""`AsyncRailcraftPack`: the Railcraft modpack server's API. What makes this API unusual, and what the
client does about it, is in `_client.py`, with everything that does not send (`_RailcraftCore`)."""

from __future__ import annotations

import os
import time
import types
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import httpx

from .._async_base import AsyncAPIClient, AsyncClientOptions
from .._async_download import fetch_into
from .._files import Transfer
from .._keywords import SCHEMES, refuse_scheme
from ._async_session import AsyncTokenSession
from ._client import RAILCRAFT, AdKind, _error_messages, _expected, _RailcraftCore
from ._download import DEFAULT_CHUNK_SIZE, ArchiveFile, Progress, archive_target, broken, judge_body
from ._errors import RENEW_CODES, RailcraftDownloadError, RailcraftError
from ._form import ArrayStyle
from ._paths import ENDPOINTS

if TYPE_CHECKING:
    from craftapis_generated.railcraft.models.ad import Ad
    from craftapis_generated.railcraft.models.download_details_reply import DownloadDetailsReply
    from craftapis_generated.railcraft.models.server_message_reply import ServerMessageReply
    from craftapis_generated.railcraft.models.tag_reply import TagReply
    from craftapis_generated.railcraft.operations import (
        AsyncRailcraftPackOperations,
    )

    from ._async_raw import AsyncRailcraftPackWithRawResponse

__all__ = ["AsyncRailcraftPack"]


class AsyncRailcraftPack(_RailcraftCore, AsyncAPIClient):
    """The Railcraft pack server's API (`async with AsyncRailcraftPack(client_id=..., client_secret=...) as pack:`).

    Concurrent callers (threads, or tasks) share one token and one renewal. The archive is written with
    plain file calls.

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
        **options: as every client (`AsyncClientOptions`). The default retry policy resends POSTs too:
            every endpoint of this API is a read.
    """

    # the base's `api` and `with_raw_response`, typed with the Railcraft pack spec's generated classes
    if TYPE_CHECKING:

        @property
        def api(self) -> AsyncRailcraftPackOperations: ...
        @property
        def with_raw_response(self) -> AsyncRailcraftPackWithRawResponse: ...  # type: ignore[override]

    _profile = RAILCRAFT

    _keyword_hint = "client_id=..., client_secret=..."

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
        **options: Unpack[AsyncClientOptions],
    ) -> None:
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            refuse_scheme(value, name=name, schemes=SCHEMES, sent_as="a field of the form body")
        self._configure(client_id, client_secret, paths, array_style)
        self._session: AsyncTokenSession | None = (
            AsyncTokenSession(self._acquire_token, lifetime=token_lifetime, margin=renew_margin, clock=clock)
            if client_id is not None
            else None
        )
        super().__init__(base_url=base_url, **options)

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
        """Acquire a new session token now (normally automatic)."""
        session = self._require_session("auth.acquire_token")
        await session.renew(session.generation)

    # -- the seam ---------------------------------------------------------------------------------
    async def call(self, operation: str, /, **kwargs: object) -> object:
        """Call a generated operation (`"pack.get_current_tag"`) with the path overrides, the form
        encoding and, for authenticated operations, the session's credentials (they replace whatever
        `client_id`/`client_secret`/`token` the `body=` model carries). Returns the parsed reply."""
        module = self._module(operation)
        return await self._post(operation, self._generated_fields(module, kwargs), module)

    async def _post(
        self, operation: str, fields: Mapping[str, Any], module: types.ModuleType | None = None
    ) -> Any:
        module = module or self._module(operation)
        if not ENDPOINTS[operation].authenticated:
            response, body = await self._send(self._form_request(operation, fields, None))
            return _expected(operation, response, self._parse(module, response, body), body)
        session = self._require_session(operation)
        token, generation = await session.token()
        try:
            response, body = await self._send(self._form_request(operation, fields, token))
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            token, _ = await session.renew(generation)
            response, body = await self._send(self._form_request(operation, fields, token))
        return _expected(operation, response, self._parse(module, response, body), body)

    # -- endpoints --------------------------------------------------------------------------------
    async def current_tag(self) -> TagReply:
        """The last pushed tag: `.major` (clients must update) and `.minor` (server-only changes)."""
        reply: TagReply = await self._post("pack.get_current_tag", {})
        return reply

    async def server_message(self, *, ignore_time_limit: bool = False) -> ServerMessageReply:
        """A random in-game server message (`.color`, `.text`); `ignore_time_limit=True` skips the
        per-message time limit."""
        fields = {"ignore_time_limit": "true"} if ignore_time_limit else {}
        reply: ServerMessageReply = await self._post("messages.get_server_message", fields)
        return reply

    async def optional_mods(self) -> list[object]:
        """The optional mods `download_details(opt_mods=...)` accepts (possibly empty)."""
        reply = await self._post("pack.list_optional_mods", {})
        return list(reply.mods or [])

    async def error_message(self, error_code: int | None = None) -> str | list[str] | dict[str, str]:
        """The server's message for `error_code`, or all of them (a list, or a dict keyed by code)."""
        fields = {"error_code": error_code} if error_code is not None else {}
        reply = await self._post("messages.get_error_message", fields)
        return _error_messages(reply.error_message)

    async def ads(self, *, type: AdKind | None = None, limit: int | None = None) -> list[Ad]:
        """Ads of every type or only `"buy"`/`"sell"`; at most `limit` (server default: no limit)."""
        reply = await self._post("ads.get_ads", self._ads_fields(type, limit))
        ads: list[Ad] = reply.ads or []
        return ads

    async def test_token(self) -> bool:
        """Whether the session's token is still valid (acquiring one first if there is none). False
        (and the token is dropped, so the next call acquires a new one) on codes 6 or 12."""
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
        """Prepare the archive of the full pack, or of a patch from tag `patch_from`, with `opt_mods`
        (values from `optional_mods()`). The reply's `id` and `size_raw` feed `download_archive()`.
        The server may generate the archive first: raise the timeout if it is slow."""
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
        """Stream an archive to `path` and return it.

        `archive` is the reply of `download_details()` (its `size_raw` is verified) or a bare id (pass
        `expected_size=` to verify). `progress(done, total)` is called after every chunk (`total` is
        the expected size, else the Content-Length, else None). The file appears at `path` only
        complete and verified (temporary file in the same directory, then `os.replace`); on any
        failure `RailcraftDownloadError` (or the server's `RailcraftError`) is raised and `path` is
        untouched.

        A body that breaks off mid-transfer is fetched again as the client's `RetryPolicy` allows
        (`max_attempts`, default 4 in all; `deadline`, which counts the time spent waiting, not the
        time the body flowed): safe, as the request only reads the archive by id with a reusable
        session token. It asks for the rest (`Range`) and appends it only on a 206 with exactly that
        Content-Range; otherwise (the usual 200) the archive is written again from byte 0. An
        archive that changed between attempts (size, ETag or Last-Modified) raises
        `RailcraftDownloadError` naming what changed. `call_options(idempotent=False)` (or
        `RetryPolicy(max_attempts=1)`) turns restarts off. A transfer slower than the client's `Limits.download_min_rate` bytes/s over
        `download_stall_window` s (1 KiB/s over 30 s), or past `Limits.download_deadline` (none by
        default), raises `APITimeoutError`.
        """
        archive_id, expected = archive_target(archive, expected_size)
        target = Path(path)
        session = self._require_session("pack.download_archive")
        used: list[int] = []  # the token generation of the last attempt
        try:
            return await self._save(archive_id, session, used, target, expected, progress, chunk_size)
        except RailcraftError as exc:
            if exc.error_code not in RENEW_CODES:
                raise
            await session.renew(used[-1])
            return await self._save(archive_id, session, used, target, expected, progress, chunk_size)

    async def download_pack(
        self,
        path: str | os.PathLike[str],
        *,
        patch_from: str | None = None,
        opt_mods: Sequence[str] | None = None,
        progress: Progress | None = None,
    ) -> DownloadDetailsReply:
        """`download_details()` then `download_archive()` to `path`; returns the details."""
        details = await self.download_details(patch_from=patch_from, opt_mods=opt_mods)
        await self.download_archive(details, path, progress=progress)
        return details

    async def _save(
        self,
        archive_id: int,
        session: AsyncTokenSession,
        used: list[int],
        target: Path,
        expected: int | None,
        progress: Progress | None,
        chunk_size: int,
    ) -> Path:
        sink = ArchiveFile(target, total=expected)

        def give_up(request: httpx.Request, exc: httpx.TransportError) -> RailcraftDownloadError:
            return broken(exc, sink, expected, archive_id, request)

        async def request_for(headers: dict[str, str]) -> dict[str, Any]:
            # each attempt asks the session: a restart an hour in gets a renewed token, not a stale one
            token, generation = await session.token()
            used.append(generation)
            request = self._form_request("pack.download_archive", {"id": archive_id}, token)
            request["headers"] = {**request["headers"], **headers}
            return request

        transfer = Transfer(
            sink,
            limits=self.limits,
            retry=self.retry,
            give_up=give_up,
            progress=progress,
            replies_in_body=True,
        )
        try:
            response = await fetch_into(self, transfer, request_for, chunk_size=chunk_size)
            sink.close()
            judge_body(response, sink, expected, archive_id)
            return sink.commit()
        except BaseException:
            sink.discard()
            raise
