"""OAuth2 for BuiltByBit: calling the API on behalf of a user with `Authorization: Bearer <access>`.

The flow (seed 001, spec):

1. send the user to `authorize_url(...)` (BuiltByBit's consent page), which redirects back with `?code=`;
2. `exchange_code(code)`: `POST /oauth2/token` form-encoded `grant_type=authorization_code&code=...`,
   authenticated with HTTP Basic (client id and secret), answers access + refresh token;
3. `OAuth2Session` (an httpx.Auth) sends `Bearer <access>`, refreshes (`grant_type=refresh_token`)
   shortly before expiry and once after a 401, and hands every new token set (the refresh token
   may rotate) to `on_token` so the application can store it;
4. `revoke()`: `POST /oauth2/token/revoke` (Basic again).

Refreshing is serialised: however many threads (or asyncio tasks) find the token stale at once,
one refresh is sent and the others use its result. A generation number, bumped with every new
token set, tells a caller whose request got a 401 whether someone refreshed since it was sent.

The token endpoint's answer is not enveloped in the spec (`{access_token, expires_in, ...}`); an
enveloped `{"result": "success", "data": {...}}` is accepted too.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import threading
import time
import weakref
from collections.abc import AsyncGenerator, Callable, Generator, Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Final, cast
from urllib.parse import urlencode

import httpx

from .._errors import (
    APIError,
    AuthenticationError,
    RateLimitError,
    ResponseParseError,
    ServerError,
)
from .._http import DEFAULT_TIMEOUT
from .._keywords import SCHEMES, KeywordOnly, refuse_scheme
from .._secret import AuthorizationHeader
from .._transport import BUFFER_EXTENSION
from ._profile import BASE_URL, decode_error

__all__ = ["AUTHORIZE_URL", "DeploymentCredentials", "OAuth2Session", "OAuth2Tokens", "OnToken"]

logger = logging.getLogger("craftapis.builtbybit")

#: BuiltByBit's consent page (the spec's `authorizationCode.authorizationUrl`).
AUTHORIZE_URL: Final = "https://builtbybit.com/account/external/authorize"
_TOKEN_OPERATION: Final = "oauth2.post_oauth2_token"
_REVOKE_OPERATION: Final = "oauth2.post_oauth2_token_revoke"
_PACKAGE: Final = "craftapis_generated.builtbybit_v2"


def _text_or_none(value: object) -> str | None:
    """A stored token field: a non-empty string, else None."""
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True)
class OAuth2Tokens:
    """One token set. Secrets are left out of `repr()`; `to_dict()`/`from_dict()` store it.

    Attributes:
        access_token: sent as `Authorization: Bearer <access_token>`.
        refresh_token: trades for a new token set (may be rotated by every refresh).
        expires_at: Unix time the access token expires (None: unknown, never refreshed early).
        scope: the granted scopes, space-separated, as the server reported them.
        token_type: as reported (informational: the header always says `Bearer`).
    """

    access_token: str = field(repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: float | None = None
    scope: str | None = None
    token_type: str = "Bearer"

    @classmethod
    def from_grant(
        cls, payload: Mapping[str, object], *, now: float, previous: OAuth2Tokens | None = None
    ) -> OAuth2Tokens:
        """From a token endpoint answer (`access_token`, `expires_in`, ...). A refresh answer
        without a new refresh token or scope keeps the previous ones."""
        access = payload.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("the token answer has no access_token")
        expires_in = payload.get("expires_in")
        expires_at = (
            now + float(expires_in)
            if isinstance(expires_in, int | float) and not isinstance(expires_in, bool)
            else None
        )
        refresh = payload.get("refresh_token")
        scope = payload.get("scope")
        token_type = payload.get("token_type")
        return cls(
            access_token=access,
            refresh_token=refresh
            if isinstance(refresh, str) and refresh
            else (previous.refresh_token if previous else None),
            expires_at=expires_at,
            scope=scope if isinstance(scope, str) else (previous.scope if previous else None),
            token_type=token_type if isinstance(token_type, str) and token_type else "Bearer",
        )

    def expires_in(self, now: float | None = None) -> float | None:
        """Seconds until the access token expires (negative once expired), None if unknown."""
        if self.expires_at is None:
            return None
        return self.expires_at - (time.time() if now is None else now)

    def to_dict(self) -> dict[str, object]:
        """A JSON-able dict holding the secrets, for the application's own (secure) storage."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at,
            "scope": self.scope,
            "token_type": self.token_type,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> OAuth2Tokens:
        """The inverse of `to_dict()`."""
        access = data.get("access_token")
        if not isinstance(access, str) or not access:
            raise ValueError("stored OAuth2 tokens have no access_token")
        expires_at = data.get("expires_at")
        return cls(
            access_token=access,
            refresh_token=_text_or_none(data.get("refresh_token")),
            expires_at=float(expires_at) if isinstance(expires_at, int | float) else None,
            scope=_text_or_none(data.get("scope")),
            token_type=_text_or_none(data.get("token_type")) or "Bearer",
        )


#: Called with every new token set (after exchange_code and every refresh), to persist it.
OnToken = Callable[[OAuth2Tokens], object]


def _generated(operation: str) -> ModuleType:
    import importlib

    return importlib.import_module(f"{_PACKAGE}.api.{operation}")


def _decode(response: httpx.Response) -> Any:
    import json

    try:
        return json.loads(response.content) if response.content else None
    except (ValueError, RecursionError):  # not JSON, or nested too deep: _accept_grant says what is wrong
        return response.text


class _BasicAuth(AuthorizationHeader):
    """HTTP Basic with the OAuth2 client id and secret; nothing of it in `repr()`."""

    def __repr__(self) -> str:
        return "OAuth2ClientBasicAuth(<hidden>)"


class OAuth2Session(KeywordOnly, httpx.Auth):
    """Bearer authentication for one BuiltByBit user, refreshing itself. Pass it as
    `BuiltByBit(oauth2=session)` (or as `auth=` to any httpx client).

    Args:
        client_id: the OAuth2 client id of your application.
        client_secret: its secret (never shown in repr, errors or logs).
        tokens: a token set stored earlier (`OAuth2Tokens` or its `to_dict()`); None until
            `exchange_code()`.
        redirect_uri: the default redirect URI for `authorize_url()` and `exchange_code()`.
        on_token: called with every new token set, including rotated refresh tokens: store them,
            or the next start-up holds a refresh token the server no longer accepts. Called while
            refreshes are serialised, so deliveries arrive in order; if it raises, the error
            reaches the call that caused the refresh (the new tokens are used anyway).
        refresh_margin: refresh this many seconds before `expires_at` (default 60), so a request
            never leaves with a token about to expire in flight.
        base_url: where `/oauth2/token` lives (default: the base URL of the client it is given
            to, else https://api.builtbybit.com).
        authorize_endpoint: the consent page (default BuiltByBit's).
        clock: Unix time (injectable for tests).
    """

    requires_request_body = True

    _keyword_hint = "client_id=..., client_secret=..., redirect_uri=..."

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        tokens: OAuth2Tokens | Mapping[str, object] | None = None,
        redirect_uri: str | None = None,
        on_token: OnToken | None = None,
        refresh_margin: float = 60.0,
        base_url: str | None = None,
        authorize_endpoint: str = AUTHORIZE_URL,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not client_id or not client_secret:
            raise ValueError("client_id and client_secret are both required (from your OAuth2 application)")
        for name, value in (("client_id", client_id), ("client_secret", client_secret)):
            refuse_scheme(
                value, name=name, schemes=SCHEMES, sent_as="'Authorization: Basic <base64 of id:secret>'"
            )
        if not refresh_margin >= 0:
            raise ValueError("refresh_margin must be >= 0 seconds")
        self._client_id = client_id
        raw = f"{client_id}:{client_secret}".encode()
        self._basic = _BasicAuth("Basic " + base64.b64encode(raw).decode("ascii"))
        self._tokens = OAuth2Tokens.from_dict(tokens) if isinstance(tokens, Mapping) else tokens
        self.redirect_uri = redirect_uri
        self.on_token = on_token
        self.refresh_margin = float(refresh_margin)
        self.base_url = base_url.rstrip("/") if base_url else None
        self.authorize_endpoint = authorize_endpoint
        self._clock = clock
        self._state = threading.Lock()  # guards tokens/generation: held for assignments only
        # one refresh at a time (threads); re-entrant so that an on_token callback may itself call the API
        self._refresh_lock = threading.RLock()
        self._async_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock] = (
            weakref.WeakKeyDictionary()
        )
        self._generation = 0
        #: How many token sets were obtained (code exchanges and refreshes), for monitoring.
        self.grants = 0

    # -- state --------------------------------------------------------------------------------

    @property
    def client_id(self) -> str:
        """The OAuth2 client id of the application (the secret is never shown)."""
        return self._client_id

    @property
    def tokens(self) -> OAuth2Tokens | None:
        """The current token set (None before `exchange_code()` or after `revoke()`)."""
        return self._tokens

    def set_tokens(self, tokens: OAuth2Tokens | Mapping[str, object] | None) -> None:
        """Replace the token set (e.g. loaded from storage). Does not call `on_token`."""
        value = OAuth2Tokens.from_dict(tokens) if isinstance(tokens, Mapping) else tokens
        with self._state:
            self._tokens = value
            self._generation += 1

    def needs_refresh(self, now: float | None = None) -> bool:
        """Whether the access token is within `refresh_margin` of expiring (and can be refreshed)."""
        return self._due(self._tokens, now)

    def __repr__(self) -> str:
        tokens = self._tokens
        state = "none" if tokens is None else f"expires_at={tokens.expires_at!r}"
        return f"OAuth2Session(client_id={self._client_id!r}, tokens={state})"

    def _snapshot(self) -> tuple[OAuth2Tokens | None, int]:
        with self._state:
            return self._tokens, self._generation

    def _due(self, tokens: OAuth2Tokens | None, now: float | None = None) -> bool:
        if tokens is None or not tokens.refresh_token or tokens.expires_at is None:
            return False
        return (self._clock() if now is None else now) >= tokens.expires_at - self.refresh_margin

    def _install(self, tokens: OAuth2Tokens | None) -> int:
        with self._state:
            self._tokens = tokens
            self._generation += 1
            generation = self._generation
        if tokens is not None:
            self.grants += 1
            if self.on_token is not None:
                self.on_token(tokens)
        return generation

    def _async_lock(self) -> asyncio.Lock:
        loop = asyncio.get_running_loop()
        lock = self._async_locks.get(loop)
        if lock is None:
            lock = self._async_locks.setdefault(loop, asyncio.Lock())
        return lock

    # -- the authorization URL (no I/O) --------------------------------------------------------

    def authorize_url(
        self,
        *,
        redirect_uri: str | None = None,
        scope: str | Iterable[str] | None = None,
        state: str | None = None,
        **extra: str,
    ) -> str:
        """The consent page to send the user to: standard OAuth2 authorization-code parameters
        (`response_type=code`, `client_id`, `redirect_uri`, `scope` space-separated, `state`).
        Pass a random `state` and check it on the redirect (CSRF). `extra` adds parameters."""
        params: dict[str, str] = {"response_type": "code", "client_id": self._client_id}
        uri = redirect_uri or self.redirect_uri
        if uri:
            params["redirect_uri"] = uri
        if scope is not None:
            params["scope"] = scope if isinstance(scope, str) else " ".join(scope)
        if state is not None:
            params["state"] = state
        params.update(extra)
        separator = "&" if "?" in self.authorize_endpoint else "?"
        return f"{self.authorize_endpoint}{separator}{urlencode(params)}"

    # -- token endpoint requests and answers (shared by every path that sends them) -------------

    def _grant_kwargs(self, grant_type: str, **fields: str | None) -> dict[str, Any]:
        """The generated operation's request for a grant (form-encoded body, no auth yet)."""
        from craftapis_generated.builtbybit_v2.models.post_oauth_2_token_body import PostOauth2TokenBody

        body = PostOauth2TokenBody(grant_type=grant_type)
        for name, value in fields.items():
            if value is None:
                continue
            if name in ("code", "refresh_token"):
                setattr(body, name, value)
            else:  # e.g. redirect_uri: standard OAuth2, not in the spec's schema
                body.additional_properties[name] = value
        kwargs: dict[str, Any] = _generated(_TOKEN_OPERATION)._get_kwargs(body=body)
        return kwargs

    def _revoke_kwargs(self, token: str, token_hint: str | None) -> dict[str, Any]:
        from craftapis_generated.builtbybit_v2.models.post_oauth_2_token_revoke_body import (
            PostOauth2TokenRevokeBody,
        )
        from craftapis_generated.builtbybit_v2.types import UNSET

        body = PostOauth2TokenRevokeBody(token=token, token_hint=token_hint if token_hint else UNSET)
        kwargs: dict[str, Any] = _generated(_REVOKE_OPERATION)._get_kwargs(body=body)
        return kwargs

    def _refresh_request(self, tokens: OAuth2Tokens, like: httpx.Request) -> httpx.Request:
        """The refresh request an auth flow sends itself (through the same client and transport).

        It takes the timeout of the call that needs it (`like`): a bare `httpx.Request` carries none,
        and a stalled token endpoint would hang the call, and the refresh lock, for ever. Its body is
        read inside the policy transport (bounded in size and by the deadline), as every JSON call's."""
        kwargs = self._grant_kwargs("refresh_token", refresh_token=tokens.refresh_token)
        headers = dict(kwargs.get("headers") or {})
        headers["Authorization"] = self._basic._header
        url = (self.base_url or BASE_URL) + kwargs["url"]
        extensions: dict[str, Any] = {BUFFER_EXTENSION: True}
        timeout = like.extensions.get("timeout")
        extensions["timeout"] = timeout if timeout is not None else DEFAULT_TIMEOUT.as_dict()
        return httpx.Request(
            kwargs["method"].upper(), url, data=kwargs["data"], headers=headers, extensions=extensions
        )

    def _accept_grant(self, response: httpx.Response, body: Any, *, refresh: bool) -> OAuth2Tokens:
        """Install the token set a token endpoint answered, or raise what went wrong."""
        payload = body
        if (
            isinstance(payload, Mapping)
            and "access_token" not in payload
            and isinstance(payload.get("data"), Mapping)
        ):
            payload = payload["data"]  # enveloped after all
        if response.status_code >= 400 or decode_error(response, body) is not None:
            raise self._grant_error(response, body, refresh=refresh)
        if not isinstance(payload, Mapping) or not payload.get("access_token"):
            # built by hand: from_response would keep the body, which may hold half a token set
            raise ResponseParseError(
                "the OAuth2 token endpoint answered without an access_token; the API may have changed",
                response=response,
                text="<not kept: may hold secrets>",
            )
        previous = self._tokens if refresh else None
        tokens = OAuth2Tokens.from_grant(payload, now=self._clock(), previous=previous)
        self._install(tokens)
        logger.debug(
            "OAuth2 %s: new access token, expires in %s s",
            "refresh" if refresh else "code exchange",
            None if tokens.expires_at is None else round(tokens.expires_at - self._clock()),
        )
        return tokens

    def _grant_error(self, response: httpx.Response, body: Any, *, refresh: bool) -> APIError:
        error = decode_error(response, body) or APIError.from_response(response, body=body)
        if isinstance(body, Mapping) and isinstance(body.get("error"), str):  # RFC 6749 form
            description = body.get("error_description")
            error.code = body["error"]
            error.message = description if isinstance(description, str) and description else body["error"]
        if isinstance(error, RateLimitError | ServerError):
            return error  # not the grant's fault: the caller may retry
        if refresh:
            what = "refreshing the OAuth2 access token failed"
            advice = (
                "the refresh token was revoked or has expired: send the user through authorize_url() again"
            )
        else:
            what = "exchanging the OAuth2 authorization code failed"
            advice = (
                "codes are single-use and short-lived, redirect_uri must be the one given to "
                "authorize_url(), and the client id and secret must match"
            )
        return AuthenticationError.from_response(
            response, code=error.code, message=f"{what} ({error.message}); {advice}", body=body
        )

    def _require_refresh_token(self) -> OAuth2Tokens:
        tokens = self._tokens
        if tokens is None or not tokens.refresh_token:
            raise AuthenticationError(
                "no OAuth2 refresh token: call exchange_code() first, or pass tokens= to OAuth2Session"
            )
        return tokens

    def _require_tokens(self) -> tuple[OAuth2Tokens, int]:
        tokens, generation = self._snapshot()
        if tokens is None:
            raise AuthenticationError(
                "this OAuth2Session has no access token yet: send the user to authorize_url(), then "
                "call client.oauth2.exchange_code(code) (or pass stored tokens= to OAuth2Session)"
            )
        return tokens, generation

    def _authorized(self, request: httpx.Request) -> httpx.Request:
        tokens, _ = self._require_tokens()  # re-read: revoke() may have cleared them meanwhile
        request.headers["Authorization"] = f"Bearer {tokens.access_token}"
        return request

    # -- httpx.Auth: the flow is written once, in _async_oauth2.py ---------------------------------

    def _sync_lock(self) -> threading.RLock:
        """The lock that serialises refreshes in sync code (re-entrant: `on_token` may call the API)."""
        return self._refresh_lock

    def sync_auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        from ._sync_oauth2 import _sync_bearer_flow

        yield from _sync_bearer_flow(self, request)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        from ._async_oauth2 import _async_bearer_flow

        flow = _async_bearer_flow(self, request)  # an async generator cannot `yield from`: relay by hand
        try:
            outgoing = await flow.__anext__()
            while True:
                outgoing = await flow.asend((yield outgoing))
        except StopAsyncIteration:
            return


@dataclass(frozen=True)
class DeploymentCredentials:
    """What `deployments_upgrade()` returns: OAuth2 client credentials for a deployment, and a
    pre-authorised token set when asked for. Secrets are left out of `repr()`.

    Attributes:
        client_id / client_secret: the OAuth2 client credentials (`oauth2_client`, `oauth2_secret`).
        token: the `token` field of the answer.
        tokens: the pre-authorised token set (`preauthorize=True`), else None.
    """

    client_id: str | None
    client_secret: str | None = field(repr=False)
    token: str | None = field(default=None, repr=False)
    tokens: OAuth2Tokens | None = None

    def session(
        self,
        *,
        redirect_uri: str | None = None,
        on_token: OnToken | None = None,
        refresh_margin: float = 60.0,
        base_url: str | None = None,
    ) -> OAuth2Session:
        """An `OAuth2Session` with these credentials and the pre-authorised tokens, if any; the
        keywords are OAuth2Session's."""
        if not self.client_id or not self.client_secret:
            raise ValueError("the upgrade answer had no OAuth2 client credentials")
        return OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            tokens=self.tokens,
            redirect_uri=redirect_uri,
            on_token=on_token,
            refresh_margin=refresh_margin,
            base_url=base_url,
        )

    @classmethod
    def from_data(cls, data: object, *, now: float) -> DeploymentCredentials:
        """From the generated `PostV2DeploymentsUpgradeResponse200Data` (or a mapping)."""
        to_dict = getattr(data, "to_dict", None)
        raw: Mapping[str, Any] = (
            data
            if isinstance(data, Mapping)
            else (cast("Mapping[str, Any]", to_dict()) if data and to_dict else {})
        )
        grant = raw.get("preauthorize")
        tokens = (
            OAuth2Tokens.from_grant(grant, now=now)
            if isinstance(grant, Mapping) and grant.get("access_token")
            else None
        )

        def text(name: str) -> str | None:
            value = raw.get(name)
            return value if isinstance(value, str) and value else None

        return cls(
            client_id=text("oauth2_client"),
            client_secret=text("oauth2_secret"),
            token=text("token"),
            tokens=tokens,
        )


class _OAuth2Base:
    def __init__(self, session: OAuth2Session) -> None:
        self.session = session

    def authorize_url(
        self,
        *,
        redirect_uri: str | None = None,
        scope: str | Iterable[str] | None = None,
        state: str | None = None,
        **extra: str,
    ) -> str:
        """See `OAuth2Session.authorize_url`."""
        return self.session.authorize_url(redirect_uri=redirect_uri, scope=scope, state=state, **extra)

    def _revoke_target(self, token: str | None, token_hint: str | None) -> tuple[str, str | None, bool]:
        if token is not None:
            current = self.session.tokens
            own = current is not None and token in (current.access_token, current.refresh_token)
            return token, token_hint, own
        tokens = self.session.tokens
        if tokens is None:
            raise AuthenticationError("nothing to revoke: this OAuth2Session holds no tokens")
        if tokens.refresh_token:
            return tokens.refresh_token, token_hint or "refresh_token", True
        return tokens.access_token, token_hint or "access_token", True

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.session!r})"
