"""BuiltByBit API v1 (`https://api.builtbybit.com/v1`): `BuiltByBitV1` and `AsyncBuiltByBitV1`."""

from ._auth import SHARED_OPERATIONS, SharedTokenError
from ._client import AsyncBuiltByBitV1, BuiltByBitV1, RawFormat
from ._license import LicenseCheck
from ._lists import LIST_OPERATIONS, PAGE_SIZE

__all__ = [
    "LIST_OPERATIONS",
    "PAGE_SIZE",
    "SHARED_OPERATIONS",
    "AsyncBuiltByBitV1",
    "BuiltByBitV1",
    "LicenseCheck",
    "RawFormat",
    "SharedTokenError",
]
