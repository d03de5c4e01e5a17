"""BuiltByBit API v1 (`https://api.builtbybit.com/v1`): `BuiltByBitV1` and `AsyncBuiltByBitV1`."""

from typing import TYPE_CHECKING

from ._auth import SHARED_OPERATIONS, SharedTokenError
from ._client import RawFormat
from ._license import LicenseCheck
from ._lists import LIST_OPERATIONS, PAGE_SIZE

if TYPE_CHECKING:  # checkers see `call("tag.operation", ...)` typed per operation (a generated stub)
    from craftapis_generated.builtbybit_v1.calls import AsyncBuiltByBitV1, BuiltByBitV1
else:
    from ._async_client import AsyncBuiltByBitV1
    from ._sync_client import BuiltByBitV1

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
