"""Header credentials for moonrope deployments, with their values kept out of every repr."""

from __future__ import annotations

from collections.abc import Generator, Mapping

import httpx

__all__ = ["HeaderAuth"]


class HeaderAuth(httpx.Auth):
    """Adds fixed credential headers to every request (Postal: ``X-Server-API-Key``; other moonrope
    deployments: ``X-Auth-Token`` and ``X-Auth-Secret``). ``repr`` shows the header names only."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        for name, value in headers.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"auth header {name!r} needs a non-empty string value")
        self._headers = dict(headers)

    @property
    def header_names(self) -> tuple[str, ...]:
        return tuple(self._headers)

    @property
    def secrets(self) -> tuple[str, ...]:
        """The header values (to redact them from errors)."""
        return tuple(self._headers.values())

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers.update(self._headers)
        yield request

    def __repr__(self) -> str:
        return f"HeaderAuth({', '.join(f'{name}=***' for name in self._headers)})"
