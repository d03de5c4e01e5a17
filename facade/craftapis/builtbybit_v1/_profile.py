"""What BuiltByBit v1 is, as data: base URL, pacing, where errors are, how the envelope unwraps.

Every answer is an envelope: `{"result": "success", "data": ...}` or `{"result": "error", "error":
{"code", "message"}}` (seed 000). The error envelope can come with any HTTP status, 200 included, so
every 2xx body is checked (`errors_in_success`). A 429 carries `Retry-After` in **milliseconds**, and
READ (GET) and WRITE (POST/PATCH/DELETE) are limited separately.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any, Final

from .._base import ApiProfile
from .._errors import (
    APIError,
)
from .._ratelimit import BucketRateLimiter
from .._retry import header_hint, retry_after_millis
from ..builtbybit._profile import decode_error as _v2_decode_error
from ..builtbybit._profile import error_class_for_code as _v2_error_class_for_code

__all__ = ["BUILTBYBIT_V1", "DEFAULT_BASE_URL", "decode_error", "error_class_for_code", "unwrap"]

DEFAULT_BASE_URL: Final = "https://api.builtbybit.com/v1"
_PACKAGE: Final = "craftapis_generated.builtbybit_v1"


def error_class_for_code(code: str | None) -> type[APIError]:
    """The `APIError` subclass for a BuiltByBit error code (`APIError` itself when nothing fits). v1
    answers errors as v2 does, so this is v2's table and word rules (`craftapis.builtbybit.ERROR_CODES`)."""
    return _v2_error_class_for_code(code) or APIError


# v1 answers with the same {result, error: {code, message}} envelope as v2 (seed 000): one decoder.
decode_error = _v2_decode_error


@functools.cache
def _unset_type() -> type:
    unset: type = importlib.import_module(f"{_PACKAGE}.types").Unset
    return unset


def unwrap(parsed: Any) -> Any:
    """The `data` of a parsed success envelope (`None` when the envelope carries none)."""
    data = getattr(parsed, "data", None)
    if data is None or isinstance(data, _unset_type()):
        return None
    return data


BUILTBYBIT_V1: Final = ApiProfile(
    name="BuiltByBit v1",
    package=_PACKAGE,
    base_url=DEFAULT_BASE_URL,
    wait_hint=header_hint(retry_after_millis),
    make_limiter=BucketRateLimiter,
    decode_error=decode_error,
    errors_in_success=True,
    unwrap=unwrap,
)
