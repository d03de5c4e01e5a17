"""`BuiltByBitV1` and `AsyncBuiltByBitV1`: the BuiltByBit API v1 clients.

Both are thin: the policy (retries, READ/WRITE pacing, `Retry-After` in milliseconds, envelope errors)
comes from `ApiProfile` and the base clients; this module adds the token, the Shared-token guard,
pagination and the two Shared-token jobs. The twins share every decision through `_V1Core`.

Formats: BuiltByBit can answer in JSON, XML or YAML (`format=`). The parsed operations always ask for
JSON: the generated models, the envelope check (`result: error` inside an HTTP 200) and the error
mapping all read JSON, and XML/YAML are unconfirmed in practice (no known client uses them; seed 000
only names them). `raw()` sends any request with any format and returns the body text, unparsed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, Literal

import httpx

from .._base import AsyncAPIClient, SyncAPIClient
from .._errors import NotFoundError
from .._pagination import AsyncPageIterator, PageIterator
from .._ratelimit import RateLimiter
from .._retry import RetryPolicy
from ._auth import SHARED_OPERATIONS, SharedTokenError, TokenAuth, TokenKind, shared_path_allowed
from ._license import LicenseCheck, evaluate_license, missing_license
from ._lists import PAGING, list_params, resolve_list_operation
from ._profile import BUILTBYBIT_V1

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v1.models.alert import Alert
    from craftapis_generated.builtbybit_v1.models.basic_resource import BasicResource
    from craftapis_generated.builtbybit_v1.models.basic_thread import BasicThread
    from craftapis_generated.builtbybit_v1.models.conversation import Conversation
    from craftapis_generated.builtbybit_v1.models.download import Download
    from craftapis_generated.builtbybit_v1.models.license_ import License
    from craftapis_generated.builtbybit_v1.models.purchase import Purchase
    from craftapis_generated.builtbybit_v1.models.review import Review
    from craftapis_generated.builtbybit_v1.models.update import Update
    from craftapis_generated.builtbybit_v1.models.version import Version

__all__ = ["AsyncBuiltByBitV1", "BuiltByBitV1", "RawFormat"]

RawFormat = Literal["json", "xml", "yaml"]
_RAW_FORMATS: Final = frozenset({"json", "xml", "yaml"})
_LICENSE_BY_MEMBER: Final = "licenses.get_resource_license_by_member"
_LATEST_VERSION: Final = "versions.get_latest_resource_version"


def _token_auth(private_token: str | None, shared_token: str | None) -> TokenAuth:
    if (private_token is None) == (shared_token is None):
        raise TypeError(
            "pass exactly one of private_token= (every endpoint; keep it secret) or shared_token= "
            "(only latest_version() and validate_license(); safe to ship in a plugin)"
        )
    if private_token is not None:
        return TokenAuth("Private", private_token)
    assert shared_token is not None
    return TokenAuth("Shared", shared_token)


def _downloads_operation(member_id: int | None, version_id: int | None) -> tuple[str, dict[str, int]]:
    if member_id is not None and version_id is not None:
        raise TypeError("pass member_id= or version_id= (or neither), not both")
    if member_id is not None:
        return "downloads.list_resource_downloads_by_member", {"member_id": member_id}
    if version_id is not None:
        return "downloads.list_resource_downloads_by_version", {"version_id": version_id}
    return "downloads.list_resource_downloads", {}


class _V1Core:
    """What the sync and async clients share: the token, the guards, request shapes."""

    _token_kind: TokenKind
    _shared: bool
    base_url: str

    def _set_token(self, auth: TokenAuth) -> TokenAuth:
        self._token_kind = auth.kind
        self._shared = auth.kind == "Shared"
        return auth

    @property
    def token_kind(self) -> TokenKind:
        """`"Private"` or `"Shared"`: which kind of token this client holds (never the token itself)."""
        return self._token_kind

    def _guard(self, operation: str, kwargs: Mapping[str, Any] | None = None) -> None:
        if self._shared and operation not in SHARED_OPERATIONS:
            raise SharedTokenError(
                f"{operation} needs a Private token, but this client holds a Shared token "
                "(BuiltByBit serves Shared tokens only the version check and license validation); "
                "nothing was sent"
            )
        if kwargs:
            fmt = kwargs.get("format_")
            if fmt is not None and getattr(fmt, "value", fmt) != "json":
                raise ValueError(
                    f"{operation} parses JSON only (format_={getattr(fmt, 'value', fmt)!r} was asked); "
                    "use client.raw(method, path, format=...) to get XML or YAML text"
                )

    def _guard_request(self, kwargs: Mapping[str, Any]) -> None:
        url = str(kwargs["url"])
        if url.startswith(self.base_url):  # an absolute URL on this API
            url = url[len(self.base_url) :]
        if not shared_path_allowed(str(kwargs["method"]), url):
            raise SharedTokenError(
                f"{str(kwargs['method']).upper()} {kwargs['url']} needs a Private token, but this client "
                "holds a Shared token (only GET /resources/{id}/versions/latest and "
                "/resources/{id}/licenses/members/{member} accept one); nothing was sent"
            )

    def _license_kwargs(
        self, resource_id: int, member_id: int, nonce: int | str | None, timestamp: int | str | None
    ) -> dict[str, Any]:
        if self._shared and (nonce is None or timestamp is None):
            raise ValueError(
                "with a Shared token BuiltByBit requires the download's nonce= and timestamp= "
                "(the values BuiltByBit injected into your plugin's jar)"
            )
        kwargs: dict[str, Any] = {"resource_id": resource_id, "member_id": member_id}
        if nonce is not None:
            kwargs["nonce"] = nonce
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        return kwargs

    @staticmethod
    def _raw_params(format: str, pretty: bool | None, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if format not in _RAW_FORMATS:
            raise ValueError(f"format must be one of json, xml, yaml; got {format!r}")
        out = dict(params or {})
        out["format"] = format
        if pretty is not None:
            out["pretty"] = "true" if pretty else "false"
        return out

    @staticmethod
    def _raw_headers(content_type: str | None) -> dict[str, str] | None:
        return {"Content-Type": content_type} if content_type else None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, token_kind={self._token_kind!r})"


class BuiltByBitV1(_V1Core, SyncAPIClient):
    """BuiltByBit API v1 (`https://api.builtbybit.com/v1`), synchronous.

    Args:
        private_token: a Private token: every endpoint. Sent as `Authorization: Private <token>`.
        shared_token: a Shared token: only `latest_version()` and `validate_license()` (and their
            generated operations); anything else raises `SharedTokenError` before sending. Sent as
            `Authorization: Shared <token>`. Pass exactly one of the two.
        base_url: default `https://api.builtbybit.com/v1` (the former `https://api.mc-market.org/v1`
            may still answer).
        headers: extra headers on every request.
        timeout: an `httpx.Timeout` or seconds (default 30 s, connect 10 s).
        retry: a `RetryPolicy` (default: 4 attempts; a 429 waits the server's `Retry-After`, read as
            milliseconds, up to `max_retry_after`).
        rate_limiter: default a `BucketRateLimiter` with separate READ (GET) and WRITE buckets: a 429
            blocks only its bucket, for every concurrent caller. Pass `rates=` to it to pace proactively.
        http_client: your own `httpx.Client` (never closed by craftapis); or `transport=`.

    Every one of the 54 operations is `client.api.<tag>.<operation>(**kwargs)` or
    `client.call("<tag>.<operation>", **kwargs)` and returns the envelope's `data`, parsed.
    """

    _profile = BUILTBYBIT_V1

    def __init__(
        self,
        *,
        private_token: str | None = None,
        shared_token: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=self._set_token(_token_auth(private_token, shared_token)),
            headers=headers,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )

    # -- the seams --------------------------------------------------------------------------------
    def call(self, operation: str, /, **kwargs: Any) -> Any:
        """Call a generated operation (`"tag.operation"`) and return the envelope's `data`, parsed.

        Raises `SharedTokenError` (nothing sent) when a Shared-token client asks for a Private-only
        operation, and `ValueError` for `format_` other than JSON (see `raw()`).
        """
        if self._shared or "format_" in kwargs:
            self._guard(operation, kwargs)
        return super().call(operation, **kwargs)

    def _send(
        self, kwargs: dict[str, Any], *, auth: httpx.Auth | None = None, check: bool = True
    ) -> tuple[httpx.Response, Any]:
        if self._shared:
            self._guard_request(kwargs)
        return super()._send(kwargs, auth=auth, check=check)

    def raw(
        self,
        method: str,
        path: str,
        *,
        format: RawFormat = "json",
        pretty: bool | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        content_type: str | None = None,
    ) -> str:
        """Send `method path` with `format=` (`json`, `xml` or `yaml`) and return the body text, unparsed.

        `pretty=True` asks for indented output (seed 000: JSON only). A request body goes as `json=`, or
        as `content=` with its `content_type` (`application/xml`, `text/yaml`). HTTP errors still raise
        typed errors; an error envelope inside an HTTP 200 is detected for JSON only.
        """
        response = self.request(
            method,
            path,
            params=self._raw_params(format, pretty, params),
            json=json,
            content=content,
            headers=self._raw_headers(content_type),
        )
        return response.text

    # -- pagination -------------------------------------------------------------------------------
    def paginate(
        self,
        operation: str,
        /,
        *,
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
        **params: Any,
    ) -> PageIterator[Any]:
        """Iterate lazily over every item of any list operation (`"resources.list_resources"` or
        `"list_resources"`), 20 per request; path ids as keywords (`resource_id=1`).

        `sort` is a field of the listed objects, `order` `"asc"` or `"desc"`, `limit` stops after that
        many items. `iter_pages()` yields whole pages.
        """
        dotted = resolve_list_operation(operation)
        self._guard(dotted)
        fixed = list_params(sort, order, params)

        def fetch(page: dict[str, Any]) -> Any:
            return self.call(dotted, **fixed, **page)

        return PageIterator(fetch, PAGING, limit=limit)

    def resources(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[BasicResource]:
        """Public resources (`GET /resources`)."""
        return self.paginate("resources.list_resources", sort=sort, order=order, limit=limit)

    def owned_resources(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[BasicResource]:
        """Resources you own (`GET /resources/owned`)."""
        return self.paginate("resources.list_owned_resources", sort=sort, order=order, limit=limit)

    def purchases(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[Purchase]:
        """Purchases of one of your resources."""
        return self.paginate(
            "purchases.list_resource_purchases", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def licenses(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[License]:
        """Licenses of one of your resources."""
        return self.paginate(
            "licenses.list_resource_licenses", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def reviews(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[Review]:
        """Reviews of one of your resources."""
        return self.paginate(
            "reviews.list_resource_reviews", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def updates(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[Update]:
        """Update posts of one of your resources."""
        return self.paginate(
            "updates.list_resource_updates", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def versions(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[Version]:
        """Versions of one of your resources."""
        return self.paginate(
            "versions.list_resource_versions", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def downloads(
        self,
        resource_id: int,
        *,
        member_id: int | None = None,
        version_id: int | None = None,
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
    ) -> PageIterator[Download]:
        """Downloads of one of your resources; only one member's (`member_id=`) or one version's
        (`version_id=`)."""
        operation, ids = _downloads_operation(member_id, version_id)
        return self.paginate(operation, sort=sort, order=order, limit=limit, resource_id=resource_id, **ids)

    def conversations(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[Conversation]:
        """Your unread conversations."""
        return self.paginate("conversations.list_unread_conversations", sort=sort, order=order, limit=limit)

    def alerts(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[Alert]:
        """Your unread alerts."""
        return self.paginate("alerts.list_unread_alerts", sort=sort, order=order, limit=limit)

    def threads(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> PageIterator[BasicThread]:
        """Threads you own or collaborate on."""
        return self.paginate("threads.list_threads", sort=sort, order=order, limit=limit)

    # -- the Shared-token jobs --------------------------------------------------------------------
    def health(self) -> Any:
        """`GET /health`: `"ok"` when the API is up."""
        return self.call("health.get_health")

    def latest_version(self, resource_id: int) -> Version:
        """The latest version of one of your resources: the update check a plugin runs (Shared token OK)."""
        version: Version = self.call(_LATEST_VERSION, resource_id=resource_id)
        return version

    def validate_license(
        self,
        resource_id: int,
        member_id: int,
        *,
        nonce: int | str | None = None,
        timestamp: int | str | None = None,
    ) -> LicenseCheck:
        """Whether `member_id` holds a valid license of `resource_id` (Shared token OK).

        With a Shared token pass the download's `nonce` and `timestamp` (sent as query parameters); a
        Private token needs neither. Returns a `LicenseCheck` (truthy when valid, with the license and
        a reason); "no license" is an answer, not an error. Other failures (token, rate limit,
        network) raise.
        """
        kwargs = self._license_kwargs(resource_id, member_id, nonce, timestamp)
        try:
            license = self.call(_LICENSE_BY_MEMBER, **kwargs)
        except NotFoundError as exc:
            return missing_license(resource_id, member_id, exc.message)
        return evaluate_license(license, resource_id, member_id)


class AsyncBuiltByBitV1(_V1Core, AsyncAPIClient):
    """The asyncio twin of `BuiltByBitV1`: same arguments and methods; calls are awaited, lists are
    `async for` iterators (`AsyncPageIterator`), returned without `await`."""

    _profile = BUILTBYBIT_V1

    def __init__(
        self,
        *,
        private_token: str | None = None,
        shared_token: str | None = None,
        base_url: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            auth=self._set_token(_token_auth(private_token, shared_token)),
            headers=headers,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )

    # -- the seams --------------------------------------------------------------------------------
    async def call(self, operation: str, /, **kwargs: Any) -> Any:
        """See `BuiltByBitV1.call`."""
        if self._shared or "format_" in kwargs:
            self._guard(operation, kwargs)
        return await super().call(operation, **kwargs)

    async def _send(
        self, kwargs: dict[str, Any], *, auth: httpx.Auth | None = None, check: bool = True
    ) -> tuple[httpx.Response, Any]:
        if self._shared:
            self._guard_request(kwargs)
        return await super()._send(kwargs, auth=auth, check=check)

    async def raw(
        self,
        method: str,
        path: str,
        *,
        format: RawFormat = "json",
        pretty: bool | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        content: str | bytes | None = None,
        content_type: str | None = None,
    ) -> str:
        """See `BuiltByBitV1.raw`."""
        response = await self.request(
            method,
            path,
            params=self._raw_params(format, pretty, params),
            json=json,
            content=content,
            headers=self._raw_headers(content_type),
        )
        return response.text

    # -- pagination -------------------------------------------------------------------------------
    def paginate(
        self,
        operation: str,
        /,
        *,
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
        **params: Any,
    ) -> AsyncPageIterator[Any]:
        """See `BuiltByBitV1.paginate`; iterate with `async for`."""
        dotted = resolve_list_operation(operation)
        self._guard(dotted)
        fixed = list_params(sort, order, params)

        async def fetch(page: dict[str, Any]) -> Any:
            return await self.call(dotted, **fixed, **page)

        return AsyncPageIterator(fetch, PAGING, limit=limit)

    def resources(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[BasicResource]:
        """Public resources (`GET /resources`)."""
        return self.paginate("resources.list_resources", sort=sort, order=order, limit=limit)

    def owned_resources(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[BasicResource]:
        """Resources you own (`GET /resources/owned`)."""
        return self.paginate("resources.list_owned_resources", sort=sort, order=order, limit=limit)

    def purchases(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Purchase]:
        """Purchases of one of your resources."""
        return self.paginate(
            "purchases.list_resource_purchases", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def licenses(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[License]:
        """Licenses of one of your resources."""
        return self.paginate(
            "licenses.list_resource_licenses", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def reviews(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Review]:
        """Reviews of one of your resources."""
        return self.paginate(
            "reviews.list_resource_reviews", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def updates(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Update]:
        """Update posts of one of your resources."""
        return self.paginate(
            "updates.list_resource_updates", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def versions(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Version]:
        """Versions of one of your resources."""
        return self.paginate(
            "versions.list_resource_versions", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def downloads(
        self,
        resource_id: int,
        *,
        member_id: int | None = None,
        version_id: int | None = None,
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
    ) -> AsyncPageIterator[Download]:
        """Downloads of one of your resources; only one member's (`member_id=`) or one version's
        (`version_id=`)."""
        operation, ids = _downloads_operation(member_id, version_id)
        return self.paginate(operation, sort=sort, order=order, limit=limit, resource_id=resource_id, **ids)

    def conversations(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Conversation]:
        """Your unread conversations."""
        return self.paginate("conversations.list_unread_conversations", sort=sort, order=order, limit=limit)

    def alerts(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Alert]:
        """Your unread alerts."""
        return self.paginate("alerts.list_unread_alerts", sort=sort, order=order, limit=limit)

    def threads(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[BasicThread]:
        """Threads you own or collaborate on."""
        return self.paginate("threads.list_threads", sort=sort, order=order, limit=limit)

    # -- the Shared-token jobs --------------------------------------------------------------------
    async def health(self) -> Any:
        """`GET /health`: `"ok"` when the API is up."""
        return await self.call("health.get_health")

    async def latest_version(self, resource_id: int) -> Version:
        """See `BuiltByBitV1.latest_version`."""
        version: Version = await self.call(_LATEST_VERSION, resource_id=resource_id)
        return version

    async def validate_license(
        self,
        resource_id: int,
        member_id: int,
        *,
        nonce: int | str | None = None,
        timestamp: int | str | None = None,
    ) -> LicenseCheck:
        """See `BuiltByBitV1.validate_license`."""
        kwargs = self._license_kwargs(resource_id, member_id, nonce, timestamp)
        try:
            license = await self.call(_LICENSE_BY_MEMBER, **kwargs)
        except NotFoundError as exc:
            return missing_license(resource_id, member_id, exc.message)
        return evaluate_license(license, resource_id, member_id)
