"""`AsyncBuiltByBit`: the BuiltByBit API v2 client. Request shapes, the JWT and OAuth2 wiring and every
decision that does not send are in `_client.py` (`_BuiltByBitCore`)."""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, cast

import httpx

from ._async_oauth2 import AsyncOAuth2
from ._licenses import LicenseCheck, LicenseScan
from ._oauth2 import DeploymentCredentials, OAuth2Session
from ._params import Hints, IdList, join_hints

if TYPE_CHECKING:
    from craftapis_generated.builtbybit_v2.models import (
        AnalyticGraphData,
        Event,
        GetV2AnalyticsResponse200Data,
        GetV2AnalyticsSingleResponse200Data,
        GetV2ResourcesBuyerLatestResponse200Data,
        License,
        Purchase,
        Resource,
        Review,
        Update,
        Version,
    )
    from craftapis_generated.builtbybit_v2.operations import (
        AsyncBuiltByBitOperations,
    )

    from ._async_raw import AsyncBuiltByBitWithRawResponse

from typing import Unpack

from .._async_base import AsyncAPIClient, AsyncClientOptions
from .._async_pagination import AsyncPageIterator
from .._keywords import SCHEMES, refuse_scheme
from ._client import (
    MAX_PER_PAGE,
    AnalyticsQuery,
    Paging,
    _analytics_params,
    _BuiltByBitCore,
    _complete_body,
    _creator_list,
    _discover_resources,
    _drop_none,
    _ListRequest,
    _not_found,
    _purchases,
    _upgrade_body,
    _with_jwt_param,
)

__all__ = ["AsyncBuiltByBit"]


class AsyncBuiltByBit(_BuiltByBitCore, AsyncAPIClient):
    """The BuiltByBit API v2 client: `async with AsyncBuiltByBit(token="...") as bbb: ...`.

    Args:
        token: an API token from BuiltByBit's API Credentials page, sent as `Authorization: Token <token>`.
        oauth2: an `OAuth2Session`, to act on behalf of a user (`Bearer`, refreshed automatically);
            its token endpoint defaults to this client's base URL.
        jwt: ask for JWT-signed responses on every call (`&jwt=1`) and verify them; per call with
            `jwt=True/False` on `call()` and the friendly methods.
        jwt_public_key: the PEM of the ES256 key signed responses are checked with (default:
            BuiltByBit's published key).
        jwt_leeway: seconds of clock skew tolerated when checking a signed response's expiry.
        base_url: the base URL as BuiltByBit's documentation writes it (`https://api.builtbybit.com/v2`,
            the default) or its host root; kept as the host root, as the generated paths carry `/v2`.
            A doubled `…/v2/v2` is refused.
        auth: any `httpx.Auth` (pass only one of token/oauth2/auth).
        **options: as every client (`AsyncClientOptions`). The default rate limiter is a `BucketRateLimiter`:
            a 429 blocks READ (GET) or WRITE (other methods) alone, for the `Retry-After` milliseconds
            BuiltByBit sends.
    """

    # the base's `api` and `with_raw_response`, typed with the BuiltByBit v2 spec's generated classes
    if TYPE_CHECKING:

        @property
        def api(self) -> AsyncBuiltByBitOperations: ...
        @property
        def with_raw_response(self) -> AsyncBuiltByBitWithRawResponse: ...  # type: ignore[override]

    _keyword_hint = "token=... or oauth2=OAuth2Session(...)"

    def __init__(
        self,
        *,
        token: str | None = None,
        oauth2: OAuth2Session | None = None,
        jwt: bool = False,
        jwt_public_key: str | bytes | None = None,
        jwt_leeway: float = 30.0,
        base_url: str | None = None,
        auth: httpx.Auth | None = None,
        **options: Unpack[AsyncClientOptions],
    ) -> None:
        refuse_scheme(token, name="token", schemes=SCHEMES, sent_as="'Authorization: Token <token>'")
        resolved = self._configure(token, oauth2, auth, jwt, jwt_public_key, jwt_leeway)
        super().__init__(
            base_url=base_url,
            auth=resolved,
            **options,
        )
        self._bind_session()

    async def call(  # type: ignore[override]  # `jwt` is a flag here, not an operation's argument
        self, operation: str, /, *, jwt: bool | None = None, **kwargs: object
    ) -> object:
        """Call a generated operation, e.g. `call("resources_creator.get_v2_resources_creator_licenses",
        resource_ids=[1, 2], with_=["Buyer"])`; returns the envelope's `data`. Lists are comma-joined
        for the comma-separated parameters; `jwt=True` asks for and verifies a signed response."""
        module = self._module(operation)
        request = self._kwargs(module, kwargs)
        if not (self.jwt if jwt is None else jwt):
            response, body = await self._send(request)
            return self._parse(module, response, body)
        response, body = await self._send(_with_jwt_param(request))
        inner, inner_body = self._unsign(response, body)
        return self._parse(module, inner, inner_body)

    def _pages(self, request: _ListRequest, page: Paging) -> AsyncPageIterator[Any]:
        strategy = self._page_source(request, page)
        jwt = page.get("jwt")

        async def fetch(params: dict[str, Any]) -> Any:
            return await self.call(request.operation, jwt=jwt, **params)

        return AsyncPageIterator(fetch, strategy, request.params, limit=page.get("limit"))

    @property
    def oauth2(self) -> AsyncOAuth2:
        """Token endpoint calls of the client's `OAuth2Session`: `authorize_url()`,
        `exchange_code()`, `refresh()`, `revoke()`."""
        if self._session is None:
            raise AttributeError(
                "this client has no OAuth2Session: create it with AsyncBuiltByBit(oauth2=...)"
            )
        return AsyncOAuth2(self, self._session)

    async def health(self) -> str:
        """`GET /v2/health`: `"ok"` when the API is up (errors raise)."""
        return str(await self.call("health.get_v2_health"))

    def discover_resources(
        self,
        *,
        category_id: int | str | None = None,
        resource_ids: IdList | None = None,
        filters: Mapping[str, str] | None = None,
        no_dependencies: bool | None = None,
        **page: Unpack[Paging],
    ) -> AsyncPageIterator[Resource]:
        """Public resources (`GET /v2/resources/discover/resources`), lazily, page by page.

        Args:
            category_id: only this category (and its subcategories).
            resource_ids: only these resources (a list or one id; sent comma-joined).
            filters: dynamic filters, one query field each (`{"rf[genre]": "action"}`).
            no_dependencies: leave out resources that need another one.
            **page: `with_` hints, `per_page`, `limit`, `jwt` (see `Paging`), as every list method takes.
        """
        request = _discover_resources(category_id, resource_ids, filters, no_dependencies, page)
        return self._pages(request, page)

    async def resource(
        self, resource_id: int, *, with_: Hints | None = None, jwt: bool | None = None
    ) -> Resource:
        """One public resource by id (through discovery); NotFoundError if there is none."""
        async for found in self.discover_resources(resource_ids=[resource_id], with_=with_, limit=1, jwt=jwt):
            return found
        raise _not_found(resource_id)

    def my_resources(
        self, *, resource_ids: IdList | None = None, **page: Unpack[Paging]
    ) -> AsyncPageIterator[Resource]:
        """Your own resources (`GET /v2/resources/creator/resources`), lazily. Arguments as for
        `discover_resources`."""
        request = _creator_list("get_v2_resources_creator_resources", "resources", resource_ids, page)
        return self._pages(request, page)

    async def buyer_latest(
        self, nonce: str, *, with_: Hints | None = None, jwt: bool | None = None
    ) -> GetV2ResourcesBuyerLatestResponse200Data:
        """The buyer's view of a resource download (`GET /v2/resources/buyer/latest`): `current`
        and `latest` versions and `has_usage_rights`, from the 32-character NONCE placeholder of
        a resource download (not an addon's)."""
        result = cast(
            "GetV2ResourcesBuyerLatestResponse200Data",
            await self.call(
                "resources_buyer.get_v2_resources_buyer_latest", nonce=nonce, with_=join_hints(with_), jwt=jwt
            ),
        )
        return result

    def purchases(
        self,
        *,
        resource_ids: IdList | None = None,
        buyer_ids: IdList | None = None,
        external_tids: str | Iterable[str] | None = None,
        **page: Unpack[Paging],
    ) -> AsyncPageIterator[Purchase]:
        """Purchases of your resources (`GET /v2/resources/creator/purchases`), lazily.

        Filters (each optional, lists sent comma-joined): `resource_ids`, `buyer_ids`,
        `external_tids` (payment gateway transaction ids). Hints: `Buyer`, `Seller`, `Resource`,
        `Addon`, and price objects (`ListPrice`, `FinalPrice`...)."""
        request = _purchases(resource_ids, buyer_ids, external_tids, page)
        return self._pages(request, page)

    def licenses(
        self, *, resource_ids: IdList | None = None, **page: Unpack[Paging]
    ) -> AsyncPageIterator[License]:
        """Licenses of your resources (`GET /v2/resources/creator/licenses`), lazily. Hints:
        `Resource`, `Buyer`."""
        request = _creator_list("get_v2_resources_creator_licenses", "licenses", resource_ids, page)
        return self._pages(request, page)

    def owned_licenses(self, **page: Unpack[Paging]) -> AsyncPageIterator[License]:
        """The authenticated member's own licenses, as a buyer (`GET /v2/resources/discover/licenses`),
        lazily. Hint: `Resource`."""
        request = _ListRequest(
            "resources_discovery.get_v2_resources_discover_licenses",
            "licenses",
            _drop_none(with_=join_hints(page.get("with_"))),
        )
        return self._pages(request, page)

    async def check_license(
        self, resource_id: int, member_id: int, *, now: float | None = None, jwt: bool | None = None
    ) -> LicenseCheck:
        """Does member `member_id` hold a valid license for your resource `resource_id`?

        Reads the resource's licenses (100 per request) until a valid one of the member's is found.
        Valid: permanent and `active`, or temporary with `start_date <= now < end_date`. The
        answer is a `LicenseCheck` (truthy when valid) whose `status` and `reason` say why.
        `now` is a Unix time (default: the current time)."""
        scan = LicenseScan(resource_id, member_id, now)
        async for license in self.licenses(resource_ids=[resource_id], jwt=jwt):
            if scan.feed(license):
                break
        return scan.result()

    def reviews(
        self, *, resource_ids: IdList | None = None, **page: Unpack[Paging]
    ) -> AsyncPageIterator[Review]:
        """Reviews of your resources (`GET /v2/resources/creator/reviews`), lazily. Hints:
        `Resource`, `Version`, `Reviewer`."""
        request = _creator_list("get_v2_resources_creator_reviews", "reviews", resource_ids, page)
        return self._pages(request, page)

    def updates(
        self, *, resource_ids: IdList | None = None, **page: Unpack[Paging]
    ) -> AsyncPageIterator[Update]:
        """Update posts of your resources (`GET /v2/resources/creator/updates`), lazily. Hints:
        `Resource`, `Description`."""
        request = _creator_list("get_v2_resources_creator_updates", "updates", resource_ids, page)
        return self._pages(request, page)

    def versions(
        self, *, resource_ids: IdList | None = None, **page: Unpack[Paging]
    ) -> AsyncPageIterator[Version]:
        """Versions of your resources (`GET /v2/resources/creator/versions`), lazily. Hint: `Resource`."""
        request = _creator_list("get_v2_resources_creator_versions", "versions", resource_ids, page)
        return self._pages(request, page)

    async def analytics(self, *, jwt: bool | None = None) -> GetV2AnalyticsResponse200Data:
        """The analytics you can ask for (`GET /v2/analytics`): `.analytics` maps an analytic id to
        its definition (label, periods, filters, whether it has a graph and/or a single value)."""
        result = cast("GetV2AnalyticsResponse200Data", await self.call("analytics.get_v2_analytics", jwt=jwt))
        return result

    async def analytics_graph(
        self, analytics: str | Iterable[str], **query: Unpack[AnalyticsQuery]
    ) -> AnalyticGraphData:
        """Graph data of one or more analytics (`GET /v2/analytics/graph`; ids sent comma-joined).
        `period` is one of the definition's periods; `start_date`/`end_date` (dates or `YYYY-MM-DD`)
        apply when `period="custom_range"`."""
        params = _analytics_params(analytics, query)
        result = cast(
            "AnalyticGraphData",
            await self.call("analytics.get_v2_analytics_graph", jwt=query.get("jwt"), **params),
        )
        return result

    async def analytics_single(
        self, analytics: str | Iterable[str], **query: Unpack[AnalyticsQuery]
    ) -> GetV2AnalyticsSingleResponse200Data:
        """Single values of one or more analytics (`GET /v2/analytics/single`): `.analytics` maps
        each id to its value over `.period`. Arguments as for `analytics_graph`."""
        params = _analytics_params(analytics, query)
        result = cast(
            "GetV2AnalyticsSingleResponse200Data",
            await self.call("analytics.get_v2_analytics_single", jwt=query.get("jwt"), **params),
        )
        return result

    def events(
        self, *, per_page: int = MAX_PER_PAGE, limit: int | None = None, jwt: bool | None = None
    ) -> AsyncPageIterator[Event]:
        """Pending API events (`GET /v2/events`), lazily. They stay pending until completed with
        `complete_events()`; `EventsConsumer` runs the whole loop."""
        request = _ListRequest("events.get_v2_events", "events", {})
        return self._pages(request, {"per_page": per_page, "limit": limit, "jwt": jwt})

    async def complete_events(self, event_ids: Iterable[int]) -> None:
        """Mark events handled (`POST /v2/events/complete`); they are no longer returned. Safe to
        repeat, so it is retried like a GET. An empty list sends nothing."""
        body = _complete_body(event_ids)
        if not body.event_ids:
            return
        with self.options(idempotent=True):
            await self.call("events.post_v2_events_complete", body=body)

    async def deployments_upgrade(
        self, *, preauthorize: bool = False, scopes: str | Iterable[str] | None = None
    ) -> DeploymentCredentials:
        """Turn this client's short-lived (deployment) token into OAuth2 client credentials
        (`POST /v2/deployments/upgrade`); with `preauthorize=True`, also a token set for the token's
        owner with `scopes` (space-separated or a list). `.session()` on the answer builds an
        `OAuth2Session`."""
        data = await self.call(
            "deployments.post_v2_deployments_upgrade", body=_upgrade_body(preauthorize, scopes)
        )
        return DeploymentCredentials.from_data(data, now=time.time())
