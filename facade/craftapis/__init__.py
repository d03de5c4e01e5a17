"""craftapis: a Python SDK for the Minecraft ecosystem's web APIs (Modrinth, BuiltByBit, Postal, Railcraft pack).

The public surface is re-exported here; every other module is private. Generated raw clients live in
`craftapis_generated` and are imported only when an operation is first used.
"""

from typing import TYPE_CHECKING

from ._async_pagination import AsyncPageIterator
from ._context import CallOptions, call_options
from ._errors import (
    APIConnectionError,
    APIDeprecatedError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DownloadError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    RedirectError,
    ResponseParseError,
    ResponseTooLargeError,
    ServerError,
    SignatureError,
    UnprocessableEntityError,
)
from ._guards import Limits
from ._pagination import Page
from ._ratelimit import (
    BucketRateLimiter,
    HeaderRateLimiter,
    LimiterStore,
    MemoryStore,
    NoRateLimiter,
    RateLimiter,
    RedisRateLimiter,
    RedisStore,
)
from ._retry import RetryPolicy
from ._sync_pagination import PageIterator
from ._version import __version__

if TYPE_CHECKING:
    # What checkers and IDEs see; at runtime these names load on first use (`__getattr__` below).
    from ._raw import RawResponse
    from ._unset import Unset
    from .builtbybit import (
        AsyncBuiltByBit,
        AsyncEventsConsumer,
        BuiltByBit,
        EventsConsumer,
        OAuth2Session,
        OAuth2Tokens,
    )
    from .builtbybit_v1 import AsyncBuiltByBitV1, BuiltByBitV1, SharedTokenError
    from .modrinth import AsyncModrinth, Facets, HashMismatchError, MissingUserAgentWarning, Modrinth
    from .moonrope import AsyncMoonrope, Moonrope, MoonropeError
    from .postal import AsyncPostal, Postal
    from .railcraft import AsyncRailcraftPack, RailcraftError, RailcraftPack

# API clients load on first use (PEP 562), so `import craftapis` pays only for what it uses.
_LAZY: dict[str, str] = {
    "Modrinth": "modrinth",
    "AsyncModrinth": "modrinth",
    "Facets": "modrinth",
    "HashMismatchError": "modrinth",
    "MissingUserAgentWarning": "modrinth",
    "BuiltByBit": "builtbybit",
    "AsyncBuiltByBit": "builtbybit",
    "OAuth2Session": "builtbybit",
    "OAuth2Tokens": "builtbybit",
    "EventsConsumer": "builtbybit",
    "AsyncEventsConsumer": "builtbybit",
    "BuiltByBitV1": "builtbybit_v1",
    "AsyncBuiltByBitV1": "builtbybit_v1",
    "SharedTokenError": "builtbybit_v1",
    "Moonrope": "moonrope",
    "AsyncMoonrope": "moonrope",
    "MoonropeError": "moonrope",
    "Postal": "postal",
    "AsyncPostal": "postal",
    "RailcraftPack": "railcraft",
    "AsyncRailcraftPack": "railcraft",
    "RailcraftError": "railcraft",
    # the type of a field the server did not send (one name for every API's generated `Unset`)
    "Unset": "_unset",
    "RawResponse": "_raw",
}
# Opt-in HTTP/1.1 transports, faster than httpx's default (see bench/README.md); not the default yet.
_LAZY_PRIVATE: dict[str, str] = {}
_LAZY.update(_LAZY_PRIVATE)


if not TYPE_CHECKING:  # hidden from checkers, so that a misspelt name is flagged instead of being `object`

    def __getattr__(name: str) -> object:
        try:
            module = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module 'craftapis' has no attribute {name!r}") from None
        from importlib import import_module

        value = getattr(import_module(f".{module}", __name__), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted(set(__all__))


# Static, so that checkers see every public name (tests/typing checks it against the lazy table).
__all__ = [
    "APIConnectionError",
    "APIDeprecatedError",
    "APIError",
    "APITimeoutError",
    "AsyncBuiltByBit",
    "AsyncBuiltByBitV1",
    "AsyncEventsConsumer",
    "AsyncModrinth",
    "AsyncMoonrope",
    "AsyncPageIterator",
    "AsyncPostal",
    "AsyncRailcraftPack",
    "AuthenticationError",
    "BadRequestError",
    "BucketRateLimiter",
    "BuiltByBit",
    "BuiltByBitV1",
    "CallOptions",
    "ConflictError",
    "DownloadError",
    "EventsConsumer",
    "Facets",
    "GoneError",
    "HashMismatchError",
    "HeaderRateLimiter",
    "LimiterStore",
    "Limits",
    "MemoryStore",
    "MissingUserAgentWarning",
    "Modrinth",
    "Moonrope",
    "MoonropeError",
    "NoRateLimiter",
    "NotFoundError",
    "OAuth2Session",
    "OAuth2Tokens",
    "Page",
    "PageIterator",
    "PermissionDeniedError",
    "Postal",
    "RailcraftError",
    "RailcraftPack",
    "RateLimitError",
    "RateLimiter",
    "RawResponse",
    "RedirectError",
    "RedisRateLimiter",
    "RedisStore",
    "ResponseParseError",
    "ResponseTooLargeError",
    "RetryPolicy",
    "ServerError",
    "SharedTokenError",
    "SignatureError",
    "UnprocessableEntityError",
    "Unset",
    "__version__",
    "call_options",
]
