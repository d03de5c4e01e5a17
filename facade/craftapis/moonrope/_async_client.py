"""`AsyncMoonrope`: a client for any moonrope RPC API (Postal's is the best known). The envelope, the URL
rules and everything that does not send are in `_client.py` (`_MoonropeCore`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Literal, Never, TypeVar, Unpack, overload

from .._async_base import AsyncAPIClient, AsyncClientOptions
from .._async_pagination import AsyncPageIterator
from .._primitives import async_hook
from ._client import _DOC_ARGS, _MoonropeCore
from ._envelope import Envelope
from ._paging import DEFAULT_PER_PAGE

if TYPE_CHECKING:
    from ._async_raw import AsyncMoonropeWithRawResponse

__all__ = ["AsyncMoonrope"]


T = TypeVar("T")


class AsyncMoonrope(_MoonropeCore, AsyncAPIClient):
    __doc__ = (
        """A client for any moonrope RPC API (`async with AsyncMoonrope(base_url=..., auth_headers=...) as api:`).

    ``call_action("messages", "message", {"id": 1})`` POSTs the parameters as JSON to
    ``{base_url}/api/v1/messages/message`` and returns ``data``; any status other than ``success``
    raises its typed error (``ParameterError``, ``AccessDeniedError``, ``MoonropeNotFoundError``,
    ``ValidationError``, ``MoonropeError.for_code(code)``). ``paginate`` walks actions flagged
    ``paginated``.
"""
        + _DOC_ARGS
    )

    # the base's `with_raw_response`, typed with this client's generated raw class
    if TYPE_CHECKING:

        @property
        def with_raw_response(self) -> AsyncMoonropeWithRawResponse: ...  # type: ignore[override]

    _keyword_hint = "base_url='https://...', auth_headers={...}"

    def __init__(
        self,
        *,
        base_url: str,
        api_version: int | str = 1,
        auth_headers: Mapping[str, str] | None = None,
        safe_actions: Iterable[str] | None = None,
        **options: Unpack[AsyncClientOptions],
    ) -> None:
        auth = self._configure(base_url, api_version, auth_headers, safe_actions)
        super().__init__(
            auth=auth,
            **options,
        )
        guard = self._redirect_guard()
        if guard is not None:
            self._http.event_hooks["request"].append(async_hook(guard))

    @overload
    async def call_action(
        self,
        controller: str,
        action: str,
        params: Mapping[str, object] | None = ...,
        *,
        envelope: Literal[False] = ...,
    ) -> object: ...
    @overload
    async def call_action(
        self,
        controller: str,
        action: str,
        params: Mapping[str, object] | None = ...,
        *,
        envelope: Literal[True],
    ) -> Envelope: ...
    async def call_action(
        self,
        controller: str,
        action: str,
        params: Mapping[str, object] | None = None,
        *,
        envelope: bool = False,
    ) -> object:
        """Run ``controller/action`` with ``params`` (a JSON object) and return its ``data``.

        ``envelope=True`` returns an :class:`Envelope` (``data``, ``flags``, ``time``) instead.
        Raises the typed error of any non-``success`` status although the server answers HTTP 200.
        """
        _, body = await self._send(self._action_request(controller, action, params))
        return self._result(body, envelope)

    @overload
    def paginate(
        self,
        controller: str,
        action: str,
        params: Mapping[str, object] | None = ...,
        *,
        per_page: int = ...,
        limit: int | None = ...,
        item: None = ...,
    ) -> AsyncPageIterator[object]: ...
    @overload
    def paginate(
        self,
        controller: str,
        action: str,
        params: Mapping[str, object] | None = ...,
        *,
        per_page: int = ...,
        limit: int | None = ...,
        item: Callable[[Never], T],
    ) -> AsyncPageIterator[T]: ...
    def paginate(
        self,
        controller: str,
        action: str,
        params: Mapping[str, object] | None = None,
        *,
        per_page: int = DEFAULT_PER_PAGE,
        limit: int | None = None,
        item: Callable[[Never], T] | None = None,
    ) -> AsyncPageIterator[T] | AsyncPageIterator[object]:
        """Iterate lazily over every item of an action flagged ``paginated`` (``async for item in ...``).

        Args:
            params: the action's other parameters (``page`` to start elsewhere than page 1).
            per_page: items per request, 1 to 60 (moonrope's maximum; default 30).
            limit: stop after this many items in total (None: all of them).
            item: converts each raw item (a decoded JSON value), e.g. a model's ``from_dict``.

        ``iter_pages()`` on the result yields whole pages, with ``total`` from
        ``flags.paginated.total_records``.
        """
        strategy, merged = self._paging(params, per_page)

        async def fetch(page_params: dict[str, object]) -> object:
            _, body = await self._send(self._action_request(controller, action, page_params))
            return body

        return AsyncPageIterator(fetch, strategy, merged, limit=limit, item=item)
