"""The Railcraft pack server's API: `RailcraftPack` and `AsyncRailcraftPack`."""

from ._async_client import AsyncRailcraftPack
from ._client import DEFAULT_BASE_URL, AdKind
from ._errors import ERROR_MEANINGS, RailcraftAuthError, RailcraftDownloadError, RailcraftError
from ._form import ArrayStyle
from ._sync_client import RailcraftPack

__all__ = [
    "DEFAULT_BASE_URL",
    "ERROR_MEANINGS",
    "AdKind",
    "ArrayStyle",
    "AsyncRailcraftPack",
    "RailcraftAuthError",
    "RailcraftDownloadError",
    "RailcraftError",
    "RailcraftPack",
]
