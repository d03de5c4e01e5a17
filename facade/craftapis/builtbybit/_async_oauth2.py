"""`AsyncOAuth2` (the token endpoint calls of a client's `OAuth2Session`) and the Bearer flow of
`OAuth2Session` as httpx runs it. The session, its state and every decision that
does not send are in `_oauth2.py`."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING

import httpx

from ._oauth2 import OAuth2Session, OAuth2Tokens, _decode, _OAuth2Base

if TYPE_CHECKING:
    from .._async_base import AsyncAPIClient

__all__ = ["AsyncOAuth2"]


async def _async_bearer_flow(
    session: OAuth2Session, request: httpx.Request
) -> AsyncGenerator[httpx.Request, httpx.Response]:
    """Send `request` with the session's Bearer token: refresh first when the token is due, and once
    after a 401 unless someone refreshed since (then a second 401 is the caller's `AuthenticationError`).
    One refresh at a time, under the session's lock; whoever waited uses its result."""
    tokens, generation = session._require_tokens()
    if session._due(tokens):
        async with session._async_lock():
            tokens, generation = session._require_tokens()
            if session._due(tokens):  # nobody refreshed while we waited for the lock
                refresh = yield session._refresh_request(tokens, request)
                await refresh.aread()
                session._accept_grant(refresh, _decode(refresh), refresh=True)
                tokens, generation = session._require_tokens()
    response = yield session._authorized(request)
    if response.status_code != 401 or not tokens.refresh_token:
        return
    async with session._async_lock():
        current, now_generation = session._require_tokens()
        if now_generation == generation and current.refresh_token:
            refresh = yield session._refresh_request(current, request)
            await refresh.aread()
            session._accept_grant(refresh, _decode(refresh), refresh=True)
    yield session._authorized(request)  # once: a second 401 is the caller's AuthenticationError


class AsyncOAuth2(_OAuth2Base):
    """`client.oauth2`: the token endpoint calls of a BuiltByBit client's `OAuth2Session`,
    sent with the client's retries, pacing and base URL."""

    def __init__(self, client: AsyncAPIClient, session: OAuth2Session) -> None:
        super().__init__(session)
        self._client = client

    async def exchange_code(self, code: str, redirect_uri: str | None = None) -> OAuth2Tokens:
        """Trade the `code` from the consent redirect for a token set (installed in the session and
        handed to `on_token`). `redirect_uri` defaults to the session's."""
        session = self.session
        kwargs = session._grant_kwargs(
            "authorization_code", code=code, redirect_uri=redirect_uri or session.redirect_uri
        )
        async with session._async_lock():
            response, _ = await self._client._send(kwargs, auth=session._basic, check=False)
            return session._accept_grant(response, _decode(response), refresh=False)

    async def refresh(self) -> OAuth2Tokens:
        """Refresh now, whatever the expiry (the session also does it by itself when due)."""
        session = self.session
        async with session._async_lock():
            tokens = session._require_refresh_token()
            kwargs = session._grant_kwargs("refresh_token", refresh_token=tokens.refresh_token)
            response, _ = await self._client._send(kwargs, auth=session._basic, check=False)
            return session._accept_grant(response, _decode(response), refresh=True)

    async def revoke(self, token: str | None = None, *, token_hint: str | None = None) -> None:
        """Revoke `token` (default: the session's refresh token, else its access token). Revoking
        the session's own token clears the session's tokens (the user must authorize again)."""
        session = self.session
        value, hint, own = self._revoke_target(token, token_hint)
        async with session._async_lock():
            await self._client._send(session._revoke_kwargs(value, hint), auth=session._basic)
            if own:
                session._install(None)
