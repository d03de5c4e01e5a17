"""Modrinth credentials: tokens in `Authorization`, and the OAuth2 authorization-code flow.

Modrinth takes a token raw in `Authorization` (personal access tokens start with `mrp_`);
`Bearer <token>` is accepted too. OAuth2 apps send users to the authorize page, get a `code` on
their redirect URI, and exchange it at the token endpoint, authenticating with the app's secret
(sent raw in `Authorization`, not HTTP Basic). Secrets are never shown by `repr()`.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlencode

import httpx

from .._errors import ResponseParseError
from .._secret import AuthorizationHeader

__all__ = [
    "AUTHORIZE_URL",
    "TOKEN_PATH",
    "ModrinthTokenAuth",
    "OAuthToken",
    "authorize_url",
    "parse_token_response",
    "token_request",
]

#: Where users approve an OAuth2 application (the Modrinth website, not the API host).
AUTHORIZE_URL: Final = "https://modrinth.com/auth/authorize"
#: The token endpoint, relative to the API host root (Modrinth plans to move it under /v3).
TOKEN_PATH: Final = "/_internal/oauth/token"


def _check_secret(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {type(value).__name__}")
    value = value.strip()
    if not value:
        raise ValueError(f"{what} is empty")
    if any(c in value for c in "\r\n\0"):
        # never echo the value: it is a secret
        raise ValueError(f"{what} contains a CR, LF or NUL character; check how it was loaded")
    return value


class ModrinthTokenAuth(AuthorizationHeader):
    """Sends `token` as the `Authorization` header, unchanged.

    A personal access token (`mrp_...`) or an OAuth access token goes in raw; a value that already
    reads `Bearer <token>` is sent as is (Modrinth accepts both). `repr()` never shows the token.
    """

    def __init__(self, token: str, *, what: str = "token") -> None:
        super().__init__(_check_secret(token, what))

    def __repr__(self) -> str:
        return "ModrinthTokenAuth(<redacted>)"

    def __reduce__(self) -> Any:
        raise TypeError("ModrinthTokenAuth holds a secret and cannot be pickled")


@dataclass(frozen=True, repr=False)
class OAuthToken:
    """What the token endpoint returns. `repr()` hides `access_token`.

    Use it with `Modrinth(token=oauth_token)` (or pass `oauth_token.access_token`).

    Attributes:
        access_token: the token itself (a secret).
        token_type: `"Bearer"` as Modrinth says.
        expires_in: lifetime in seconds, if the server said.
        obtained_at: `time.time()` when the response arrived.
        extra: any other field of the response.
    """

    access_token: str
    token_type: str = "Bearer"
    expires_in: int | None = None
    obtained_at: float = field(default_factory=time.time)
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def expires_at(self) -> float | None:
        """`time.time()`-style expiry, if the lifetime is known."""
        return None if self.expires_in is None else self.obtained_at + self.expires_in

    def is_expired(self, *, margin: float = 60.0) -> bool:
        """Whether the token expires within `margin` seconds (False when the lifetime is unknown)."""
        expires_at = self.expires_at
        return expires_at is not None and time.time() + margin >= expires_at

    def __repr__(self) -> str:
        return f"OAuthToken(token_type={self.token_type!r}, expires_in={self.expires_in!r}, access_token=<redacted>)"


def authorize_url(
    client_id: str,
    redirect_uri: str,
    scopes: str | Iterable[str],
    state: str | None = None,
    *,
    endpoint: str = AUTHORIZE_URL,
) -> str:
    """The page to send a user to, so they can approve your OAuth2 application.

    Args:
        client_id: your application's id (Modrinth developer settings).
        redirect_uri: one of the redirect URIs registered for the application; Modrinth sends
            the user back there with `?code=...&state=...`.
        scopes: scope names such as `"USER_READ"` (an iterable, or one space-separated string).
        state: an unguessable value you keep (e.g. `secrets.token_urlsafe()`) and compare with the
            `state` on the redirect, to stop cross-site request forgery. Strongly recommended.
        endpoint: the authorize page (default `https://modrinth.com/auth/authorize`).
    """
    scope = scopes if isinstance(scopes, str) else " ".join(scopes)
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "scope": scope}
    if state is not None:
        params["state"] = state
    # Modrinth documents scopes joined by "+": form encoding turns the spaces into exactly that.
    return f"{endpoint}?{urlencode(params)}"


def token_request(*, code: str, client_id: str, redirect_uri: str, token_url: str) -> dict[str, Any]:
    """The httpx request arguments of an authorization-code exchange (form-encoded, as Modrinth wants)."""
    return {
        "method": "POST",
        "url": token_url,
        "data": {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": client_id,
            "redirect_uri": redirect_uri,
        },
        "headers": {"Accept": "application/json"},
    }


def parse_token_response(response: httpx.Response, body: Any) -> OAuthToken:
    """The `OAuthToken` of a successful token response; `ResponseParseError` if it is not one."""
    if not isinstance(body, Mapping) or not isinstance(body.get("access_token"), str):
        raise ResponseParseError.from_response(
            response,
            message=(
                "the Modrinth token endpoint answered without an access_token; check token_url "
                "(it must be the API host's /_internal/oauth/token)"
            ),
            body=body,
        )
    expires_in = body.get("expires_in")
    return OAuthToken(
        access_token=body["access_token"],
        token_type=str(body.get("token_type") or "Bearer"),
        expires_in=int(expires_in) if isinstance(expires_in, int | float) else None,
        extra={k: v for k, v in body.items() if k not in ("access_token", "token_type", "expires_in")},
    )
