"""`BuiltByBit` and `AsyncBuiltByBit`: the BuiltByBit API v2 clients.

Every generated operation (37) is reachable as `client.api.<tag>.<operation>(**kwargs)` or
`client.call("<tag>.<operation>", **kwargs)`, with auth, retries, READ/WRITE pacing, envelope
unwrapping and typed errors. The friendly methods below cover the common jobs with lazy
pagination, `with_` hints and id lists given as Python lists.

What each friendly method sends is decided by a pure function (`_ListRequest` builders, the
license scan, the JWT verifier) shared by the twins, so the sync and async clients cannot drift.
"""

from __future__ import annotations

import datetime as _dt
import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import httpx

from .._base import AsyncAPIClient, SyncAPIClient, _ClientCore
from .._errors import NotFoundError
from .._pagination import AsyncPageIterator, PageIterator, PageNumberPaging
from .._ratelimit import RateLimiter
from .._retry import RetryPolicy
from ._auth import TokenAuth
from ._licenses import LicenseCheck, LicenseScan
from ._oauth2 import AsyncOAuth2, DeploymentCredentials, OAuth2, OAuth2Session
from ._params import Hints, IdList, format_date, join_hints, join_ids, join_strings, normalise_call_kwargs
from ._profile import PROFILE, decode_error
from ._signed import BUILTBYBIT_JWT_PUBLIC_KEY, JWT_PARAM, ResponseVerifier

if TYPE_CHECKING:
    from types import ModuleType

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

__all__ = ["AsyncBuiltByBit", "BuiltByBit"]

#: BuiltByBit's page size limit (`per_page` is 1-100).
MAX_PER_PAGE: Final = 100


# -- what each friendly method asks for (pure, shared by the twins) -------------------------------


@dataclass(frozen=True)
class _ListRequest:
    """A paginated list: the generated operation, the list field in `data`, the filters."""

    operation: str
    items: str
    params: dict[str, Any]


def _drop_none(**params: Any) -> dict[str, Any]:
    return {name: value for name, value in params.items() if value is not None}


def _ids(name: str, value: IdList | None) -> str | None:
    return None if value is None else join_ids(name, value)


def _filters(value: Mapping[str, str] | None) -> Any:
    if value is None:
        return None
    return normalise_call_kwargs({"filters": value})["filters"]


def _discover_resources(
    category_id: int | str | None,
    resource_ids: IdList | None,
    filters: Mapping[str, str] | None,
    no_dependencies: bool | None,
    with_: Hints | None,
) -> _ListRequest:
    return _ListRequest(
        "resources_discovery.get_v2_resources_discover_resources",
        "resources",
        _drop_none(
            category_id=None if category_id is None else str(category_id),
            resource_ids=_ids("resource_ids", resource_ids),
            filters=_filters(filters),
            no_dependencies=no_dependencies,
            with_=join_hints(with_),
        ),
    )


def _creator_list(
    operation: str, items: str, resource_ids: IdList | None, with_: Hints | None
) -> _ListRequest:
    return _ListRequest(
        f"resources_creator.{operation}",
        items,
        _drop_none(resource_ids=_ids("resource_ids", resource_ids), with_=join_hints(with_)),
    )


def _purchases(
    resource_ids: IdList | None,
    buyer_ids: IdList | None,
    external_tids: str | Iterable[str] | None,
    with_: Hints | None,
) -> _ListRequest:
    return _ListRequest(
        "resources_creator.get_v2_resources_creator_purchases",
        "purchases",
        _drop_none(
            resource_ids=_ids("resource_ids", resource_ids),
            buyer_ids=_ids("buyer_ids", buyer_ids),
            external_tids=None if external_tids is None else join_strings("external_tids", external_tids),
            with_=join_hints(with_),
        ),
    )


def _analytics_params(
    analytics: str | Iterable[str],
    period: str | None,
    filters: Mapping[str, str] | None,
    start_date: _dt.date | str | None,
    end_date: _dt.date | str | None,
) -> dict[str, Any]:
    return _drop_none(
        analytics=join_strings("analytics", analytics),
        period=period,
        filters=_filters(filters),
        start_date=format_date(start_date),
        end_date=format_date(end_date),
    )


def _paging(per_page: int, limit: int | None, items: str) -> PageNumberPaging:
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValueError(
            f"per_page must be between 1 and {MAX_PER_PAGE} (BuiltByBit's limit), got {per_page}"
        )
    if limit is not None and 0 < limit < per_page:
        per_page = limit  # don't download a full page to keep three items
    return PageNumberPaging(
        page_size=per_page,
        items_at=(items,),
        last_page_at=("stats", "max_page"),
        total_at=("stats", "total"),
    )


def _complete_body(event_ids: Iterable[int]) -> Any:
    from craftapis_generated.builtbybit_v2.models.post_v2_events_complete_body import (
        PostV2EventsCompleteBody,
    )

    return PostV2EventsCompleteBody(event_ids=[int(i) for i in event_ids])


def _upgrade_body(preauthorize: bool, scopes: str | Iterable[str] | None) -> Any:
    from craftapis_generated.builtbybit_v2.models.post_v2_deployments_upgrade_body import (
        PostV2DeploymentsUpgradeBody,
    )
    from craftapis_generated.builtbybit_v2.types import UNSET

    joined = scopes if isinstance(scopes, str) or scopes is None else " ".join(scopes)
    return PostV2DeploymentsUpgradeBody(preauthorize=preauthorize, scopes=joined if joined else UNSET)


def _not_found(resource_id: int) -> NotFoundError:
    return NotFoundError(
        f"BuiltByBit's resource discovery has no resource {resource_id}; check the id (unpublished "
        "or your own private resources are listed by my_resources())"
    )


def _with_jwt_param(request: dict[str, Any]) -> dict[str, Any]:
    params = dict(request.get("params") or {})
    params[JWT_PARAM] = 1
    return {**request, "params": params}


# -- shared configuration and call path -----------------------------------------------------------


class _BuiltByBitCore(_ClientCore):
    _profile = PROFILE
    _session: OAuth2Session | None
    _verifier: ResponseVerifier | None
    jwt: bool

    def _configure(
        self,
        token: str | None,
        oauth2: OAuth2Session | None,
        auth: httpx.Auth | None,
        jwt: bool,
        jwt_public_key: str | bytes | None,
        jwt_leeway: float,
    ) -> httpx.Auth | None:
        given = [name for name, value in (("token", token), ("oauth2", oauth2), ("auth", auth)) if value]
        if len(given) > 1:
            raise TypeError(f"pass one of token=, oauth2= or auth=, not {' and '.join(given)}")
        self._session = oauth2
        self.jwt = bool(jwt)
        self._verifier = None
        self._jwt_settings = (jwt_public_key or BUILTBYBIT_JWT_PUBLIC_KEY, float(jwt_leeway))
        if token is not None:
            return TokenAuth(token)
        return oauth2 or auth

    def _bind_session(self) -> None:
        if self._session is not None and self._session.base_url is None:
            self._session.base_url = self.base_url

    # -- per request ----------------------------------------------------------------------------

    def _kwargs(self, module: ModuleType, kwargs: dict[str, Any]) -> dict[str, Any]:
        return super()._kwargs(module, normalise_call_kwargs(kwargs))

    def _signed(self, jwt: bool | None) -> bool:
        return self.jwt if jwt is None else jwt

    def _response_verifier(self) -> ResponseVerifier:
        verifier = self._verifier
        if verifier is None:
            key, leeway = self._jwt_settings
            verifier = self._verifier = ResponseVerifier(public_key=key, leeway=leeway)
        return verifier

    def _unsign(self, response: httpx.Response, body: Any) -> tuple[httpx.Response, Any]:
        """The inner response of a verified `jwt=1` answer, raising the inner error if it is one."""
        token = body.get("data") if isinstance(body, Mapping) else None
        inner_body = self._response_verifier().verify(token, response)
        inner = httpx.Response(
            200,
            headers={"content-type": "application/json"},
            content=json.dumps(inner_body).encode(),
            request=response.request,
        )
        error = decode_error(inner, inner_body)
        if error is not None:
            error.message = f"{error.message} (inside a verified signed response)"
            raise error
        return inner, inner_body

    def _page_source(self, request: _ListRequest, per_page: int, limit: int | None) -> PageNumberPaging:
        return _paging(per_page, limit, request.items.replace("-", "_"))

    @property
    def session(self) -> OAuth2Session | None:
        """The `OAuth2Session` given as `oauth2=`, if any."""
        return self._session

    def __repr__(self) -> str:
        auth = type(self._auth).__name__ if self._auth is not None else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={auth}, jwt={self.jwt})"


class BuiltByBit(_BuiltByBitCore, SyncAPIClient):
    """The BuiltByBit API v2 client (synchronous): `with BuiltByBit("token") as bbb: ...`.

    Args:
        token: an API token from BuiltByBit's API Credentials page, sent as `Authorization: Token <token>`.
        oauth2: an `OAuth2Session`, to act on behalf of a user (`Bearer`, refreshed automatically);
            its token endpoint defaults to this client's base URL.
        jwt: ask for JWT-signed responses on every call (`&jwt=1`) and verify them; per call with
            `jwt=True/False` on `call()` and the friendly methods.
        jwt_public_key: the PEM of the ES256 key signed responses are checked with (default:
            BuiltByBit's published key).
        jwt_leeway: seconds of clock skew tolerated when checking a signed response's expiry.
        base_url, auth, headers, timeout, retry, rate_limiter, http_client, transport: as for every
            craftapis client (`auth=` is any httpx.Auth; pass only one of token/oauth2/auth).
            The default rate limiter is a `BucketRateLimiter`: a 429 blocks READ (GET) or WRITE
            (other methods) alone, for the `Retry-After` milliseconds BuiltByBit sends.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        oauth2: OAuth2Session | None = None,
        jwt: bool = False,
        jwt_public_key: str | bytes | None = None,
        jwt_leeway: float = 30.0,
        base_url: str | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.Client | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        resolved = self._configure(token, oauth2, auth, jwt, jwt_public_key, jwt_leeway)
        super().__init__(
            base_url=base_url,
            auth=resolved,
            headers=headers,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )
        self._bind_session()

    def call(self, operation: str, /, *, jwt: bool | None = None, **kwargs: Any) -> Any:
        """Call a generated operation, e.g. `call("resources_creator.get_v2_resources_creator_licenses",
        resource_ids=[1, 2], with_=["Buyer"])`; returns the envelope's `data`. Lists are comma-joined
        for the comma-separated parameters; `jwt=True` asks for and verifies a signed response."""
        module = self._module(operation)
        request = self._kwargs(module, kwargs)
        if not (self.jwt if jwt is None else jwt):
            response, body = self._send(request)
            return self._parse(module, response, body)
        response, body = self._send(_with_jwt_param(request))
        inner, inner_body = self._unsign(response, body)
        return self._parse(module, inner, inner_body)

    def _pages(
        self, request: _ListRequest, per_page: int, limit: int | None, jwt: bool | None
    ) -> PageIterator[Any]:
        strategy = self._page_source(request, per_page, limit)

        def fetch(params: dict[str, Any]) -> Any:
            return self.call(request.operation, jwt=jwt, **params)

        return PageIterator(fetch, strategy, request.params, limit=limit)

    @property
    def oauth2(self) -> OAuth2:
        """Token endpoint calls of the client's `OAuth2Session`: `authorize_url()`,
        `exchange_code()`, `refresh()`, `revoke()`."""
        if self._session is None:
            raise AttributeError("this client has no OAuth2Session: create it with BuiltByBit(oauth2=...)")
        return OAuth2(self, self._session)

    # -- health -------------------------------------------------------------------------------

    def health(self) -> str:
        """`GET /v2/health`: `"ok"` when the API is up (errors raise)."""
        return str(self.call("health.get_v2_health"))

    # -- resources ------------------------------------------------------------------------------

    def discover_resources(
        self,
        *,
        category_id: int | str | None = None,
        resource_ids: IdList | None = None,
        filters: Mapping[str, str] | None = None,
        no_dependencies: bool | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[Resource]:
        """Public resources (`GET /v2/resources/discover/resources`), lazily, page by page.

        Args:
            category_id: only this category (and its subcategories).
            resource_ids: only these resources (a list or one id; sent comma-joined).
            filters: dynamic filters, one query field each (`{"rf[genre]": "action"}`).
            no_dependencies: leave out resources that need another one.
            with_: hints, e.g. `["Creator", "ListPrice", "LatestVersion"]` (capitalised model hints)
                or `"filters"` (endpoint hint).
            per_page: page size (1-100). limit: stop after this many items in all.
            jwt: verify a signed response (default: the client's `jwt`).
        """
        request = _discover_resources(category_id, resource_ids, filters, no_dependencies, with_)
        return self._pages(request, per_page, limit, jwt)

    def resource(self, resource_id: int, *, with_: Hints | None = None, jwt: bool | None = None) -> Resource:
        """One public resource by id (through discovery); NotFoundError if there is none."""
        for found in self.discover_resources(resource_ids=[resource_id], with_=with_, limit=1, jwt=jwt):
            return found
        raise _not_found(resource_id)

    def my_resources(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[Resource]:
        """Your own resources (`GET /v2/resources/creator/resources`), lazily. Arguments as for
        `discover_resources`."""
        request = _creator_list("get_v2_resources_creator_resources", "resources", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    def buyer_latest(
        self, nonce: str, *, with_: Hints | None = None, jwt: bool | None = None
    ) -> GetV2ResourcesBuyerLatestResponse200Data:
        """The buyer's view of a resource download (`GET /v2/resources/buyer/latest`): `current`
        and `latest` versions and `has_usage_rights`, from the 32-character NONCE placeholder of
        a resource download (not an addon's)."""
        result: GetV2ResourcesBuyerLatestResponse200Data = self.call(
            "resources_buyer.get_v2_resources_buyer_latest", nonce=nonce, with_=join_hints(with_), jwt=jwt
        )
        return result

    # -- sales ----------------------------------------------------------------------------------

    def purchases(
        self,
        *,
        resource_ids: IdList | None = None,
        buyer_ids: IdList | None = None,
        external_tids: str | Iterable[str] | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[Purchase]:
        """Purchases of your resources (`GET /v2/resources/creator/purchases`), lazily.

        Filters (each optional, lists sent comma-joined): `resource_ids`, `buyer_ids`,
        `external_tids` (payment gateway transaction ids). Hints: `Buyer`, `Seller`, `Resource`,
        `Addon`, and price objects (`ListPrice`, `FinalPrice`...)."""
        request = _purchases(resource_ids, buyer_ids, external_tids, with_)
        return self._pages(request, per_page, limit, jwt)

    def licenses(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[License]:
        """Licenses of your resources (`GET /v2/resources/creator/licenses`), lazily. Hints:
        `Resource`, `Buyer`."""
        request = _creator_list("get_v2_resources_creator_licenses", "licenses", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    def owned_licenses(
        self,
        *,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[License]:
        """The authenticated member's own licenses, as a buyer (`GET /v2/resources/discover/licenses`),
        lazily. Hint: `Resource`."""
        request = _ListRequest(
            "resources_discovery.get_v2_resources_discover_licenses",
            "licenses",
            _drop_none(with_=join_hints(with_)),
        )
        return self._pages(request, per_page, limit, jwt)

    def check_license(
        self, resource_id: int, member_id: int, *, now: float | None = None, jwt: bool | None = None
    ) -> LicenseCheck:
        """Does member `member_id` hold a valid license for your resource `resource_id`?

        Reads the resource's licenses (100 per request) until a valid one of the member's is found.
        Valid: permanent and `active`, or temporary with `start_date <= now < end_date`. The
        answer is a `LicenseCheck` (truthy when valid) whose `status` and `reason` say why.
        `now` is a Unix time (default: the current time)."""
        scan = LicenseScan(resource_id, member_id, now)
        for license in self.licenses(resource_ids=[resource_id], jwt=jwt):
            if scan.feed(license):
                break
        return scan.result()

    def reviews(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[Review]:
        """Reviews of your resources (`GET /v2/resources/creator/reviews`), lazily. Hints:
        `Resource`, `Version`, `Reviewer`."""
        request = _creator_list("get_v2_resources_creator_reviews", "reviews", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    def updates(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[Update]:
        """Update posts of your resources (`GET /v2/resources/creator/updates`), lazily. Hints:
        `Resource`, `Description`."""
        request = _creator_list("get_v2_resources_creator_updates", "updates", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    def versions(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> PageIterator[Version]:
        """Versions of your resources (`GET /v2/resources/creator/versions`), lazily. Hint: `Resource`."""
        request = _creator_list("get_v2_resources_creator_versions", "versions", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    # -- analytics ----------------------------------------------------------------------------

    def analytics(self, *, jwt: bool | None = None) -> GetV2AnalyticsResponse200Data:
        """The analytics you can ask for (`GET /v2/analytics`): `.analytics` maps an analytic id to
        its definition (label, periods, filters, whether it has a graph and/or a single value)."""
        result: GetV2AnalyticsResponse200Data = self.call("analytics.get_v2_analytics", jwt=jwt)
        return result

    def analytics_graph(
        self,
        analytics: str | Iterable[str],
        *,
        period: str | None = None,
        filters: Mapping[str, str] | None = None,
        start_date: _dt.date | str | None = None,
        end_date: _dt.date | str | None = None,
        jwt: bool | None = None,
    ) -> AnalyticGraphData:
        """Graph data of one or more analytics (`GET /v2/analytics/graph`; ids sent comma-joined).
        `period` is one of the definition's periods; `start_date`/`end_date` (dates or `YYYY-MM-DD`)
        apply when `period="custom_range"`."""
        params = _analytics_params(analytics, period, filters, start_date, end_date)
        result: AnalyticGraphData = self.call("analytics.get_v2_analytics_graph", jwt=jwt, **params)
        return result

    def analytics_single(
        self,
        analytics: str | Iterable[str],
        *,
        period: str | None = None,
        filters: Mapping[str, str] | None = None,
        start_date: _dt.date | str | None = None,
        end_date: _dt.date | str | None = None,
        jwt: bool | None = None,
    ) -> GetV2AnalyticsSingleResponse200Data:
        """Single values of one or more analytics (`GET /v2/analytics/single`): `.analytics` maps
        each id to its value over `.period`. Arguments as for `analytics_graph`."""
        params = _analytics_params(analytics, period, filters, start_date, end_date)
        result: GetV2AnalyticsSingleResponse200Data = self.call(
            "analytics.get_v2_analytics_single", jwt=jwt, **params
        )
        return result

    # -- API events -----------------------------------------------------------------------------

    def events(
        self, *, per_page: int = MAX_PER_PAGE, limit: int | None = None, jwt: bool | None = None
    ) -> PageIterator[Event]:
        """Pending API events (`GET /v2/events`), lazily. They stay pending until completed with
        `complete_events()`; `EventsConsumer` runs the whole loop."""
        request = _ListRequest("events.get_v2_events", "events", {})
        return self._pages(request, per_page, limit, jwt)

    def complete_events(self, event_ids: Iterable[int]) -> None:
        """Mark events handled (`POST /v2/events/complete`); they are no longer returned. Safe to
        repeat, so it is retried like a GET. An empty list sends nothing."""
        body = _complete_body(event_ids)
        if not body.event_ids:
            return
        with self.options(idempotent=True):
            self.call("events.post_v2_events_complete", body=body)

    # -- deployments ----------------------------------------------------------------------------

    def deployments_upgrade(
        self, *, preauthorize: bool = False, scopes: str | Iterable[str] | None = None
    ) -> DeploymentCredentials:
        """Turn this client's short-lived (deployment) token into OAuth2 client credentials
        (`POST /v2/deployments/upgrade`); with `preauthorize=True`, also a token set for the token's
        owner with `scopes` (space-separated or a list). `.session()` on the answer builds an
        `OAuth2Session`."""
        data = self.call("deployments.post_v2_deployments_upgrade", body=_upgrade_body(preauthorize, scopes))
        return DeploymentCredentials.from_data(data, now=time.time())


class AsyncBuiltByBit(_BuiltByBitCore, AsyncAPIClient):
    """The BuiltByBit API v2 client for asyncio: `async with AsyncBuiltByBit("token") as bbb: ...`.

    Same arguments as `BuiltByBit` (`http_client=` is an httpx.AsyncClient, `transport=` an async
    transport); every method is the twin of `BuiltByBit`'s, lists are `async for` iterators.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        oauth2: OAuth2Session | None = None,
        jwt: bool = False,
        jwt_public_key: str | bytes | None = None,
        jwt_leeway: float = 30.0,
        base_url: str | None = None,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | float | None = None,
        retry: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        http_client: httpx.AsyncClient | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        resolved = self._configure(token, oauth2, auth, jwt, jwt_public_key, jwt_leeway)
        super().__init__(
            base_url=base_url,
            auth=resolved,
            headers=headers,
            timeout=timeout,
            retry=retry,
            rate_limiter=rate_limiter,
            http_client=http_client,
            transport=transport,
        )
        self._bind_session()

    async def call(self, operation: str, /, *, jwt: bool | None = None, **kwargs: Any) -> Any:
        """See `BuiltByBit.call`."""
        module = self._module(operation)
        request = self._kwargs(module, kwargs)
        if not (self.jwt if jwt is None else jwt):
            response, body = await self._send(request)
            return self._parse(module, response, body)
        response, body = await self._send(_with_jwt_param(request))
        inner, inner_body = self._unsign(response, body)
        return self._parse(module, inner, inner_body)

    def _pages(
        self, request: _ListRequest, per_page: int, limit: int | None, jwt: bool | None
    ) -> AsyncPageIterator[Any]:
        strategy = self._page_source(request, per_page, limit)

        async def fetch(params: dict[str, Any]) -> Any:
            return await self.call(request.operation, jwt=jwt, **params)

        return AsyncPageIterator(fetch, strategy, request.params, limit=limit)

    @property
    def oauth2(self) -> AsyncOAuth2:
        """See `BuiltByBit.oauth2` (the methods are coroutines, `authorize_url` excepted)."""
        if self._session is None:
            raise AttributeError(
                "this client has no OAuth2Session: create it with AsyncBuiltByBit(oauth2=...)"
            )
        return AsyncOAuth2(self, self._session)

    async def health(self) -> str:
        """See `BuiltByBit.health`."""
        return str(await self.call("health.get_v2_health"))

    def discover_resources(
        self,
        *,
        category_id: int | str | None = None,
        resource_ids: IdList | None = None,
        filters: Mapping[str, str] | None = None,
        no_dependencies: bool | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[Resource]:
        """See `BuiltByBit.discover_resources` (`async for`)."""
        request = _discover_resources(category_id, resource_ids, filters, no_dependencies, with_)
        return self._pages(request, per_page, limit, jwt)

    async def resource(
        self, resource_id: int, *, with_: Hints | None = None, jwt: bool | None = None
    ) -> Resource:
        """See `BuiltByBit.resource`."""
        async for found in self.discover_resources(resource_ids=[resource_id], with_=with_, limit=1, jwt=jwt):
            return found
        raise _not_found(resource_id)

    def my_resources(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[Resource]:
        """See `BuiltByBit.my_resources`."""
        request = _creator_list("get_v2_resources_creator_resources", "resources", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    async def buyer_latest(
        self, nonce: str, *, with_: Hints | None = None, jwt: bool | None = None
    ) -> GetV2ResourcesBuyerLatestResponse200Data:
        """See `BuiltByBit.buyer_latest`."""
        result: GetV2ResourcesBuyerLatestResponse200Data = await self.call(
            "resources_buyer.get_v2_resources_buyer_latest", nonce=nonce, with_=join_hints(with_), jwt=jwt
        )
        return result

    def purchases(
        self,
        *,
        resource_ids: IdList | None = None,
        buyer_ids: IdList | None = None,
        external_tids: str | Iterable[str] | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[Purchase]:
        """See `BuiltByBit.purchases`."""
        request = _purchases(resource_ids, buyer_ids, external_tids, with_)
        return self._pages(request, per_page, limit, jwt)

    def licenses(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[License]:
        """See `BuiltByBit.licenses`."""
        request = _creator_list("get_v2_resources_creator_licenses", "licenses", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    def owned_licenses(
        self,
        *,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[License]:
        """See `BuiltByBit.owned_licenses`."""
        request = _ListRequest(
            "resources_discovery.get_v2_resources_discover_licenses",
            "licenses",
            _drop_none(with_=join_hints(with_)),
        )
        return self._pages(request, per_page, limit, jwt)

    async def check_license(
        self, resource_id: int, member_id: int, *, now: float | None = None, jwt: bool | None = None
    ) -> LicenseCheck:
        """See `BuiltByBit.check_license`."""
        scan = LicenseScan(resource_id, member_id, now)
        async for license in self.licenses(resource_ids=[resource_id], jwt=jwt):
            if scan.feed(license):
                break
        return scan.result()

    def reviews(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[Review]:
        """See `BuiltByBit.reviews`."""
        request = _creator_list("get_v2_resources_creator_reviews", "reviews", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    def updates(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[Update]:
        """See `BuiltByBit.updates`."""
        request = _creator_list("get_v2_resources_creator_updates", "updates", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    def versions(
        self,
        *,
        resource_ids: IdList | None = None,
        with_: Hints | None = None,
        per_page: int = MAX_PER_PAGE,
        limit: int | None = None,
        jwt: bool | None = None,
    ) -> AsyncPageIterator[Version]:
        """See `BuiltByBit.versions`."""
        request = _creator_list("get_v2_resources_creator_versions", "versions", resource_ids, with_)
        return self._pages(request, per_page, limit, jwt)

    async def analytics(self, *, jwt: bool | None = None) -> GetV2AnalyticsResponse200Data:
        """See `BuiltByBit.analytics`."""
        result: GetV2AnalyticsResponse200Data = await self.call("analytics.get_v2_analytics", jwt=jwt)
        return result

    async def analytics_graph(
        self,
        analytics: str | Iterable[str],
        *,
        period: str | None = None,
        filters: Mapping[str, str] | None = None,
        start_date: _dt.date | str | None = None,
        end_date: _dt.date | str | None = None,
        jwt: bool | None = None,
    ) -> AnalyticGraphData:
        """See `BuiltByBit.analytics_graph`."""
        params = _analytics_params(analytics, period, filters, start_date, end_date)
        result: AnalyticGraphData = await self.call("analytics.get_v2_analytics_graph", jwt=jwt, **params)
        return result

    async def analytics_single(
        self,
        analytics: str | Iterable[str],
        *,
        period: str | None = None,
        filters: Mapping[str, str] | None = None,
        start_date: _dt.date | str | None = None,
        end_date: _dt.date | str | None = None,
        jwt: bool | None = None,
    ) -> GetV2AnalyticsSingleResponse200Data:
        """See `BuiltByBit.analytics_single`."""
        params = _analytics_params(analytics, period, filters, start_date, end_date)
        result: GetV2AnalyticsSingleResponse200Data = await self.call(
            "analytics.get_v2_analytics_single", jwt=jwt, **params
        )
        return result

    def events(
        self, *, per_page: int = MAX_PER_PAGE, limit: int | None = None, jwt: bool | None = None
    ) -> AsyncPageIterator[Event]:
        """See `BuiltByBit.events` (`async for`; `AsyncEventsConsumer` runs the loop)."""
        request = _ListRequest("events.get_v2_events", "events", {})
        return self._pages(request, per_page, limit, jwt)

    async def complete_events(self, event_ids: Iterable[int]) -> None:
        """See `BuiltByBit.complete_events`."""
        body = _complete_body(event_ids)
        if not body.event_ids:
            return
        with self.options(idempotent=True):
            await self.call("events.post_v2_events_complete", body=body)

    async def deployments_upgrade(
        self, *, preauthorize: bool = False, scopes: str | Iterable[str] | None = None
    ) -> DeploymentCredentials:
        """See `BuiltByBit.deployments_upgrade`."""
        data = await self.call(
            "deployments.post_v2_deployments_upgrade", body=_upgrade_body(preauthorize, scopes)
        )
        return DeploymentCredentials.from_data(data, now=time.time())
