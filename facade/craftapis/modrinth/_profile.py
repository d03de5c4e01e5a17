"""What Modrinth is, as data: base URLs, where a 429 says how long to wait, how errors look."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

import httpx

from .._base import ApiProfile
from .._errors import APIError, GoneError
from .._ratelimit import HeaderRateLimiter
from .._retry import (
    body_hint,
    first_hint,
    header_hint,
    modrinth_body_millis,
    ratelimit_reset_header,
    retry_after_header,
)
from .._version import __version__

__all__ = [
    "DEFAULT_BASE_URL",
    "MODRINTH_PROFILE",
    "STAGING_BASE_URL",
    "decode_modrinth_error",
    "modrinth_wait_hint",
    "root_of",
]

DEFAULT_BASE_URL: Final = "https://api.modrinth.com/v2"
#: Modrinth's own test deployment: its data changes without notice.
STAGING_BASE_URL: Final = "https://staging-api.modrinth.com/v2"

_VERSION_SUFFIX = re.compile(r"/v\d+$")

_RATE_LIMITED_HINT: Final = first_hint(body_hint(modrinth_body_millis), header_hint(ratelimit_reset_header))
_RETRY_AFTER_HINT: Final = header_hint(retry_after_header)


def modrinth_wait_hint(response: httpx.Response, /) -> float | None:
    """The wait a Modrinth response asks for, in seconds (None: none asked).

    A standard `Retry-After` (seconds or an HTTP date) wins wherever it appears, e.g. on a 503
    during maintenance (issue 10, finding 8: it used to be ignored and the retry came 10 ms later).
    A 429 has no Retry-After: its body says "retry after N milliseconds"; failing that, the
    `x-ratelimit-reset` header (whole seconds, truncated) plus a second of margin. The reset header
    says when the rate-limit window ends, so it is a wait only on a 429, never on a 5xx.
    """
    hint = _RETRY_AFTER_HINT(response)
    if hint is not None or response.status_code != 429:
        return hint
    return _RATE_LIMITED_HINT(response)


def root_of(base_url: str) -> str:
    """The host root of a Modrinth base URL: `https://api.modrinth.com/v2` -> `https://api.modrinth.com`.

    Forge update files and the OAuth token endpoint live there, outside the versioned API.
    """
    return _VERSION_SUFFIX.sub("", base_url.rstrip("/"))


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def decode_modrinth_error(response: httpx.Response, body: Any) -> APIError | None:
    """The typed error for a Modrinth error body `{"error": code, "description": message}`.

    Any 410 means Modrinth has retired the API version this craftapis speaks (`api_deprecated`):
    the only fix is a newer craftapis, so the message says so.
    """
    code = _text(body.get("error")) if isinstance(body, Mapping) else None
    description = _text(body.get("description")) if isinstance(body, Mapping) else None
    if response.status_code == 410 or code == "api_deprecated":
        said = f" (Modrinth says: {description})" if description else ""
        return GoneError.from_response(
            response,
            code=code or "api_deprecated",
            message=(
                f"Modrinth has retired the API version craftapis {__version__} speaks{said}; upgrade "
                "craftapis (pip install -U craftapis) to a release that speaks Modrinth's current API"
            ),
            body=body,
        )
    if code is None:
        return None  # not Modrinth's shape: the generic mapping guesses what it can
    return APIError.from_response(response, code=code, message=description, body=body)


MODRINTH_PROFILE: Final = ApiProfile(
    name="Modrinth",
    package="craftapis_generated.modrinth",
    base_url=DEFAULT_BASE_URL,
    wait_hint=modrinth_wait_hint,
    # 300 requests per minute per IP, token or not; the limiter learns the rest from the headers.
    make_limiter=HeaderRateLimiter,
    decode_error=decode_modrinth_error,
)
