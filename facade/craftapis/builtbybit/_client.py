"""What `AsyncBuiltByBit` (`_async_client.py`, written once) and `BuiltByBit` (`_sync_client.py`, generated
from it) share: the BuiltByBit API v2 clients' configuration and request shapes.

Every generated operation (37) is reachable as `client.api.<tag>.<operation>(**kwargs)` or
`client.call("<tag>.<operation>", **kwargs)`, with auth, retries, READ/WRITE pacing, envelope
unwrapping and typed errors. The friendly methods below cover the common jobs with lazy
pagination, `with_` hints and id lists given as Python lists.

What each friendly method sends is decided by a pure function (`_ListRequest` builders, the
license scan, the JWT verifier) here, and every method is written once.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, TypedDict

import httpx

from .._base import _ClientCore
from .._errors import NotFoundError
from .._pagination import PageNumberPaging
from .._signatures import show_defaults
from ._auth import TokenAuth
from ._oauth2 import OAuth2Session
from ._params import Hints, IdList, format_date, join_hints, join_ids, join_strings, normalise_call_kwargs
from ._profile import PROFILE, decode_error
from ._signed import BUILTBYBIT_JWT_PUBLIC_KEY, JWT_PARAM, ResponseVerifier

if TYPE_CHECKING:
    from types import ModuleType


__all__ = ["MAX_PER_PAGE", "AnalyticsQuery", "Paging"]

#: BuiltByBit's page size limit (`per_page` is 1-100).
MAX_PER_PAGE: Final = 100


class Paging(TypedDict, total=False):
    """What every list method takes besides its filters, declared once (their signatures list these
    keywords).

    Attributes:
        with_: hints, e.g. `["Creator", "ListPrice", "LatestVersion"]` (capitalised model hints) or
            `"filters"` (endpoint hint).
        per_page: page size, 1-100 (default 100, BuiltByBit's most).
        limit: stop after this many items in all (default: every item).
        jwt: verify a signed response (default: the client's `jwt`).
    """

    with_: Hints | None
    per_page: int
    limit: int | None
    jwt: bool | None


show_defaults(Paging, per_page=MAX_PER_PAGE)


class AnalyticsQuery(TypedDict, total=False):
    """What both analytics reads take besides the ids, declared once (`analytics_graph` documents them;
    their signatures list these keywords)."""

    period: str | None
    filters: Mapping[str, str] | None
    start_date: _dt.date | str | None
    end_date: _dt.date | str | None
    jwt: bool | None


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
    page: Paging,
) -> _ListRequest:
    return _ListRequest(
        "resources_discovery.get_v2_resources_discover_resources",
        "resources",
        _drop_none(
            category_id=None if category_id is None else str(category_id),
            resource_ids=_ids("resource_ids", resource_ids),
            filters=_filters(filters),
            no_dependencies=no_dependencies,
            with_=join_hints(page.get("with_")),
        ),
    )


def _creator_list(operation: str, items: str, resource_ids: IdList | None, page: Paging) -> _ListRequest:
    return _ListRequest(
        f"resources_creator.{operation}",
        items,
        _drop_none(resource_ids=_ids("resource_ids", resource_ids), with_=join_hints(page.get("with_"))),
    )


def _purchases(
    resource_ids: IdList | None,
    buyer_ids: IdList | None,
    external_tids: str | Iterable[str] | None,
    page: Paging,
) -> _ListRequest:
    return _ListRequest(
        "resources_creator.get_v2_resources_creator_purchases",
        "purchases",
        _drop_none(
            resource_ids=_ids("resource_ids", resource_ids),
            buyer_ids=_ids("buyer_ids", buyer_ids),
            external_tids=None if external_tids is None else join_strings("external_tids", external_tids),
            with_=join_hints(page.get("with_")),
        ),
    )


def _analytics_params(analytics: str | Iterable[str], query: AnalyticsQuery) -> dict[str, Any]:
    return _drop_none(
        analytics=join_strings("analytics", analytics),
        period=query.get("period"),
        filters=_filters(query.get("filters")),
        start_date=format_date(query.get("start_date")),
        end_date=format_date(query.get("end_date")),
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

    ids: list[object] = [event_ids] if isinstance(event_ids, str | bytes) else list(event_ids)
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise TypeError("event_ids must be a list of event ids (int), as events() returns them")
    return PostV2EventsCompleteBody(event_ids=[int(i) for i in ids])  # type: ignore[call-overload]


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

    def _page_source(self, request: _ListRequest, page: Paging) -> PageNumberPaging:
        return _paging(page.get("per_page", MAX_PER_PAGE), page.get("limit"), request.items.replace("-", "_"))

    @property
    def session(self) -> OAuth2Session | None:
        """The `OAuth2Session` given as `oauth2=`, if any."""
        return self._session

    def __repr__(self) -> str:
        auth = type(self._auth).__name__ if self._auth is not None else None
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth={auth}, jwt={self.jwt})"
