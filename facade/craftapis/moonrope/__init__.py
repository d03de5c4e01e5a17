"""Clients for any moonrope RPC API: `Moonrope` and `AsyncMoonrope`, with moonrope's typed errors.

Postal, the reference deployment, has its own client built on these: `craftapis.postal`.
"""

from ._async_client import AsyncMoonrope
from ._envelope import Envelope
from ._errors import (
    AccessDeniedError,
    HTTPNotSupportedError,
    InvalidActionError,
    InvalidJSONError,
    MaintenanceError,
    MoonropeError,
    MoonropeNotFoundError,
    MoonropeServerError,
    ParameterError,
    ValidationError,
    define_error_code,
)
from ._paging import DEFAULT_PER_PAGE, MAX_PER_PAGE, MoonropePaging
from ._sync_client import Moonrope

__all__ = [
    "DEFAULT_PER_PAGE",
    "MAX_PER_PAGE",
    "AccessDeniedError",
    "AsyncMoonrope",
    "Envelope",
    "HTTPNotSupportedError",
    "InvalidActionError",
    "InvalidJSONError",
    "MaintenanceError",
    "Moonrope",
    "MoonropeError",
    "MoonropeNotFoundError",
    "MoonropePaging",
    "MoonropeServerError",
    "ParameterError",
    "ValidationError",
    "define_error_code",
]
