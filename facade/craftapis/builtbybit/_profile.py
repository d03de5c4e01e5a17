"""BuiltByBit v2 as data: where it lives, how it says "wait", how it paces, where its errors are.

Every response is an envelope: `{"result": "success", "data": ...}` or
`{"result": "error", "error": {"code": ..., "message": ...}}`, and the error form can come with
any HTTP status, 200 included (seed 001: "use this field along with the response's status code").
So 2xx bodies are decoded to look for errors, and errors are typed by status, then by code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import httpx

from .._base import ApiProfile
from .._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    error_class_for_status,
)
from .._ratelimit import BucketRateLimiter
from .._retry import header_hint, retry_after_millis
from .._transport import RETRY_AFTER_EXTENSION

__all__ = [
    "BASE_URL",
    "ERROR_CODES",
    "PROFILE",
    "decode_error",
    "error_class_for_code",
    "unwrap",
]

BASE_URL: Final = "https://api.builtbybit.com"

#: BuiltByBit error codes whose meaning is known (seed 001, api-facts.md §2/§3). Codes not listed
#: here are classified by the words in them (see `error_class_for_code`); add to this mapping to
#: override that guess for a code.
ERROR_CODES: dict[str, type[APIError]] = {
    "HeaderMissingError": AuthenticationError,
    "RateLimitExceededError": RateLimitError,
    "RateLimitError": RateLimitError,
    "NotFoundError": NotFoundError,
}

# Checked in order against the lower-cased code: the first word found decides.
_CODE_WORDS: Final[tuple[tuple[str, type[APIError]], ...]] = (
    ("ratelimit", RateLimitError),
    ("notfound", NotFoundError),
    ("header", AuthenticationError),
    ("token", AuthenticationError),
    ("auth", AuthenticationError),
    ("permission", PermissionDeniedError),
    ("forbidden", PermissionDeniedError),
    ("scope", PermissionDeniedError),
    ("banned", PermissionDeniedError),
    ("restricted", PermissionDeniedError),
    ("conflict", ConflictError),
    ("exists", ConflictError),
    ("invalid", BadRequestError),
    ("validation", BadRequestError),
    ("parameter", BadRequestError),
    ("missing", BadRequestError),
    ("internal", ServerError),
    ("server", ServerError),
)


def error_class_for_code(code: str | None) -> type[APIError] | None:
    """The APIError subclass a BuiltByBit error code stands for, or None if it says nothing known."""
    if not code:
        return None
    known = ERROR_CODES.get(code)
    if known is not None:
        return known
    lowered = code.lower()
    for word, cls in _CODE_WORDS:
        if word in lowered:
            return cls
    return None


def _text(value: object) -> str | None:
    if isinstance(value, str) and value:
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def decode_error(response: httpx.Response, body: Any) -> APIError | None:
    """The typed error an envelope with `result: "error"` stands for (any HTTP status), else None.

    The class comes from the HTTP status when it is specific (401, 403, 404, 409, 429, 5xx...),
    otherwise (HTTP 200, 400 or an unusual 4xx) from the error code, e.g. `RateLimitExceededError`
    inside an HTTP 200 is a `RateLimitError`.
    """
    if not isinstance(body, Mapping) or body.get("result") != "error":
        return None
    error = body.get("error")
    code = message = None
    if isinstance(error, Mapping):
        code, message = _text(error.get("code")), _text(error.get("message"))
    elif isinstance(error, str):
        message = error
    status = response.status_code
    cls = error_class_for_status(status) if status >= 400 else APIError
    if cls in (APIError, BadRequestError):
        cls = error_class_for_code(code) or cls
    if message is None:
        message = f"BuiltByBit answered result=error with no message (code {code!r})"
    retry_after: float | None = None
    if issubclass(cls, RateLimitError):
        hint = response.extensions.get(RETRY_AFTER_EXTENSION)
        retry_after = float(hint) if isinstance(hint, int | float) else retry_after_millis(response.headers)
    error_obj = cls.from_response(response, code=code, message=message, body=body, retry_after=retry_after)
    # from_response guesses a code from common body shapes; a bare-sentence error has none
    error_obj.code = code
    return error_obj


_NO_DATA: Final = object()


def unwrap(parsed: Any) -> Any:
    """The envelope's `data` (None when absent); a model without `data` (the OAuth2 token
    response, which is not enveloped) comes back whole."""
    data = getattr(parsed, "data", _NO_DATA)
    if data is _NO_DATA:
        return parsed
    from craftapis_generated.builtbybit_v2.types import UNSET

    return None if data is UNSET else data


def _limiter() -> BucketRateLimiter:
    # READ (GET) and WRITE (everything else) are limited independently by BuiltByBit; the limits
    # are not published, so there is no proactive rate: a 429 blocks only its own bucket.
    return BucketRateLimiter()


PROFILE: Final = ApiProfile(
    name="BuiltByBit",
    package="craftapis_generated.builtbybit_v2",
    base_url=BASE_URL,
    # seed 001 calls https://api.builtbybit.com/v2/ the base URL; the spec's paths start with /v2
    paths_carry_version="v2",
    # BuiltByBit's Retry-After counts milliseconds, not the seconds of the HTTP standard.
    wait_hint=header_hint(retry_after_millis),
    make_limiter=_limiter,
    decode_error=decode_error,
    errors_in_success=True,
    unwrap=unwrap,
)
