"""`Secret`: a credential held by a client, which no `repr()`, `vars()` dump or log line shows; and
`AuthorizationHeader`, the base of the auths that send one fixed credential."""

from __future__ import annotations

from collections.abc import Generator

import httpx

__all__ = ["AuthorizationHeader", "Secret"]


class Secret:
    """A string that shows as `Secret('***')` everywhere except through `.get()`."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret itself, for the one place that sends it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class AuthorizationHeader(httpx.Auth):
    """Sends one fixed `Authorization` value; a subclass checks and builds it, and its `repr()` never
    shows it."""

    __slots__ = ("_header",)

    def __init__(self, header: str) -> None:
        self._header = header

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request
