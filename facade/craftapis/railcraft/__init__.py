"""The Railcraft pack server's API: `RailcraftPack` and `AsyncRailcraftPack`."""

from ._client import DEFAULT_BASE_URL, AdKind, AsyncRailcraftPack, RailcraftPack
from ._errors import ERROR_MEANINGS, RailcraftAuthError, RailcraftDownloadError, RailcraftError
from ._form import ArrayStyle

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
