"""Header credentials for moonrope deployments, with their values kept out of every repr."""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping

import httpx

from .._guards import origin

__all__ = ["HeaderAuth", "leaves_origin"]


def leaves_origin(url: httpx.URL, home: httpx.URL) -> bool:
    """Whether a request to ``url`` goes outside the origin of ``home`` (scheme, host, port). An upgrade
    of the same host from ``http`` to ``https`` (default ports) stays inside, as httpx rules for
    ``Authorization``."""
    (scheme, host, port), (home_scheme, home_host, home_port) = origin(url), origin(home)
    if host != home_host:
        return True
    if (scheme, port) == (home_scheme, home_port):
        return False
    return (scheme, port, home_scheme, home_port) != ("https", 443, "http", 80)


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

    def redirect_guard(self, origin: str) -> Callable[[httpx.Request], None]:
        """A request event hook that removes these headers from a request leaving ``origin``.

        httpx drops only ``Authorization`` when a redirect leaves the origin, and copies every other
        header to the next hop; it runs request hooks for every hop, so this one keeps
        ``X-Server-API-Key`` (and the like) from following a redirect to another server.
        """
        names = tuple(self._headers)
        home = httpx.URL(origin)

        def guard(request: httpx.Request) -> None:
            if leaves_origin(request.url, home):
                for name in names:
                    request.headers.pop(name, None)

        return guard

    def __repr__(self) -> str:
        return f"HeaderAuth({', '.join(f'{name}=***' for name in self._headers)})"
