"""craftapis: a Python SDK for the Minecraft ecosystem's web APIs (Modrinth, BuiltByBit, Postal, Railcraft pack).

The public surface is re-exported here; every other module is private. Generated raw clients live in
`craftapis_generated` and are imported only when an operation is first used.
"""

from ._context import CallOptions, call_options
from ._errors import (
    APIConnectionError,
    APIDeprecatedError,
    APIError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    GoneError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ResponseParseError,
    ServerError,
    SignatureError,
    UnprocessableEntityError,
)
from ._pagination import AsyncPageIterator, Page, PageIterator
from ._ratelimit import BucketRateLimiter, HeaderRateLimiter, NoRateLimiter, RateLimiter
from ._retry import RetryPolicy
from ._version import __version__

__all__ = [
    "APIConnectionError",
    "APIDeprecatedError",
    "APIError",
    "APITimeoutError",
    "AsyncPageIterator",
    "AuthenticationError",
    "BadRequestError",
    "BucketRateLimiter",
    "CallOptions",
    "ConflictError",
    "GoneError",
    "HeaderRateLimiter",
    "NoRateLimiter",
    "NotFoundError",
    "Page",
    "PageIterator",
    "PermissionDeniedError",
    "RateLimitError",
    "RateLimiter",
    "ResponseParseError",
    "RetryPolicy",
    "ServerError",
    "SignatureError",
    "UnprocessableEntityError",
    "__version__",
    "call_options",
]
