"""`Authorization: Token <token>`: BuiltByBit's API-token authentication, as an httpx.Auth."""

from __future__ import annotations

from .._secret import AuthorizationHeader

__all__ = ["TokenAuth"]


class TokenAuth(AuthorizationHeader):
    """Sends `Authorization: Token <token>` (seed 001: not `Bearer`, which is for OAuth2 access
    tokens). The token never appears in `repr()` or `str()`."""

    def __init__(self, token: str) -> None:
        token = token.strip() if isinstance(token, str) else token
        if not isinstance(token, str) or not token:
            raise ValueError("token must be a non-empty string (from BuiltByBit's API Credentials page)")
        if token.lower().startswith(("token ", "bearer ", "basic ")):
            raise ValueError("pass the token alone: craftapis adds the 'Token ' prefix itself")
        super().__init__(f"Token {token}")

    def __repr__(self) -> str:
        return "TokenAuth(token=<hidden>)"

    __str__ = __repr__
