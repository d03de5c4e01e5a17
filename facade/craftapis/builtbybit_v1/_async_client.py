"""`AsyncBuiltByBitV1`: the BuiltByBit API v1 client. Thin: the policy comes from its `ApiProfile` and the
base client; what it adds (the token, the Shared-token guard, request shapes) and the note on formats
are in `_client.py`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Unpack, cast

import httpx

from .._async_base import AsyncAPIClient, AsyncClientOptions
from .._async_pagination import AsyncPageIterator
from .._errors import NotFoundError
from .._keywords import SCHEMES, refuse_scheme
from ._client import (
    _LATEST_VERSION,
    _LICENSE_BY_MEMBER,
    RawFormat,
    _downloads_operation,
    _token_auth,
    _V1Core,
)
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
    from craftapis_generated.builtbybit_v1.operations import (
        AsyncBuiltByBitV1Operations,
    )

    from ._async_raw import AsyncBuiltByBitV1WithRawResponse

__all__ = ["AsyncBuiltByBitV1"]


class AsyncBuiltByBitV1(_V1Core, AsyncAPIClient):
    """BuiltByBit API v1 (`https://api.builtbybit.com/v1`): `async with AsyncBuiltByBitV1(private_token=...) as bbb:`.

    Args:
        private_token: a Private token: every endpoint. Sent as `Authorization: Private <token>`.
        shared_token: a Shared token: only `latest_version()` and `validate_license()` (and their
            generated operations); anything else raises `SharedTokenError` before sending. Sent as
            `Authorization: Shared <token>`. Pass exactly one of the two.
        base_url: default `https://api.builtbybit.com/v1` (the former `https://api.mc-market.org/v1`
            may still answer).
        **options: as every client (`AsyncClientOptions`). The default retry makes 4 attempts; a 429 waits
            the server's `Retry-After`, read as milliseconds, up to `max_retry_after`. The default rate
            limiter is a `BucketRateLimiter` with separate READ (GET) and WRITE buckets: a 429 blocks
            only its bucket, for every concurrent caller; pass `rates=` to it to pace proactively.

    Every one of the 54 operations is `client.api.<tag>.<operation>(**kwargs)` or
    `client.call("<tag>.<operation>", **kwargs)` and returns the envelope's `data`, parsed.
    """

    # the base's `api` and `with_raw_response`, typed with the BuiltByBit v1 spec's generated classes
    if TYPE_CHECKING:

        @property
        def api(self) -> AsyncBuiltByBitV1Operations: ...
        @property
        def with_raw_response(self) -> AsyncBuiltByBitV1WithRawResponse: ...  # type: ignore[override]

    _profile = BUILTBYBIT_V1

    _keyword_hint = "private_token=... or shared_token=..."

    def __init__(
        self,
        *,
        private_token: str | None = None,
        shared_token: str | None = None,
        base_url: str | None = None,
        **options: Unpack[AsyncClientOptions],
    ) -> None:
        for name, value, kind in (
            ("private_token", private_token, "Private"),
            ("shared_token", shared_token, "Shared"),
        ):
            refuse_scheme(value, name=name, schemes=SCHEMES, sent_as=f"'Authorization: {kind} <token>'")
        super().__init__(
            base_url=base_url,
            auth=self._set_token(_token_auth(private_token, shared_token)),
            **options,
        )

    # -- the seams --------------------------------------------------------------------------------
    async def call(self, operation: str, /, **kwargs: object) -> object:
        """Call a generated operation (`"tag.operation"`) and return the envelope's `data`, parsed.

        Raises `SharedTokenError` (nothing sent) when a Shared-token client asks for a Private-only
        operation, and `ValueError` for `format_` other than JSON (see `raw()`).
        """
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
        params: Mapping[str, object] | None = None,
        json: object = None,
        content: str | bytes | None = None,
        content_type: str | None = None,
    ) -> str:
        """Send `method path` with `format=` (`json`, `xml` or `yaml`) and return the body text, unparsed.

        `pretty=True` asks for indented output (seed 000: JSON only). A request body goes as `json=`, or
        as `content=` with its `content_type` (`application/xml`, `text/yaml`). HTTP errors still raise
        typed errors; an error envelope inside an HTTP 200 is detected for JSON only.
        """
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
        **params: object,
    ) -> AsyncPageIterator[object]:
        """Iterate lazily over every item of any list operation (`"resources.list_resources"` or
        `"list_resources"`), 20 per request; path ids as keywords (`resource_id=1`).

        `sort` is a field of the listed objects, `order` `"asc"` or `"desc"`, `limit` stops after that
        many items. `iter_pages()` yields whole pages.
        """
        return self._paginate(operation, sort=sort, order=order, limit=limit, **params)

    def _paginate(
        self,
        operation: str,
        /,
        *,
        sort: str | None = None,
        order: str | None = None,
        limit: int | None = None,
        **params: object,
    ) -> AsyncPageIterator[Any]:
        """`paginate`, with items typed by the friendly method that asks."""
        dotted = resolve_list_operation(operation)
        self._guard(dotted)
        fixed = list_params(sort, order, params)

        async def fetch(page: dict[str, object]) -> object:
            return await self.call(dotted, **fixed, **page)

        return AsyncPageIterator(fetch, PAGING, limit=limit)

    def resources(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[BasicResource]:
        """Public resources (`GET /resources`)."""
        return self._paginate("resources.list_resources", sort=sort, order=order, limit=limit)

    def owned_resources(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[BasicResource]:
        """Resources you own (`GET /resources/owned`)."""
        return self._paginate("resources.list_owned_resources", sort=sort, order=order, limit=limit)

    def purchases(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Purchase]:
        """Purchases of one of your resources."""
        return self._paginate(
            "purchases.list_resource_purchases", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def licenses(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[License]:
        """Licenses of one of your resources."""
        return self._paginate(
            "licenses.list_resource_licenses", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def reviews(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Review]:
        """Reviews of one of your resources."""
        return self._paginate(
            "reviews.list_resource_reviews", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def updates(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Update]:
        """Update posts of one of your resources."""
        return self._paginate(
            "updates.list_resource_updates", sort=sort, order=order, limit=limit, resource_id=resource_id
        )

    def versions(
        self, resource_id: int, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Version]:
        """Versions of one of your resources."""
        return self._paginate(
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
        return self._paginate(operation, sort=sort, order=order, limit=limit, resource_id=resource_id, **ids)

    def conversations(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Conversation]:
        """Your unread conversations."""
        return self._paginate("conversations.list_unread_conversations", sort=sort, order=order, limit=limit)

    def alerts(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[Alert]:
        """Your unread alerts."""
        return self._paginate("alerts.list_unread_alerts", sort=sort, order=order, limit=limit)

    def threads(
        self, *, sort: str | None = None, order: str | None = None, limit: int | None = None
    ) -> AsyncPageIterator[BasicThread]:
        """Threads you own or collaborate on."""
        return self._paginate("threads.list_threads", sort=sort, order=order, limit=limit)

    # -- the Shared-token jobs --------------------------------------------------------------------
    async def health(self) -> str | None:
        """`GET /health`: `"ok"` when the API is up."""
        return cast("str | None", await self.call("health.get_health"))

    async def latest_version(self, resource_id: int) -> Version:
        """The latest version of one of your resources: the update check a plugin runs (Shared token OK)."""
        version = cast("Version", await self.call(_LATEST_VERSION, resource_id=resource_id))
        return version

    async def validate_license(
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
            license = await self.call(_LICENSE_BY_MEMBER, **kwargs)
        except NotFoundError as exc:
            return missing_license(resource_id, member_id, exc.message)
        return evaluate_license(license, resource_id, member_id)
