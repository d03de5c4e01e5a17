"""The Railcraft pack server's API: `RailcraftPack` and `AsyncRailcraftPack`."""

from typing import TYPE_CHECKING

from ._client import DEFAULT_BASE_URL, AdKind
from ._errors import ERROR_MEANINGS, RailcraftAuthError, RailcraftDownloadError, RailcraftError
from ._form import ArrayStyle

if TYPE_CHECKING:  # checkers see `call("tag.operation", ...)` typed per operation (a generated stub)
    from craftapis_generated.railcraft.calls import AsyncRailcraftPack, RailcraftPack
else:
    from ._async_client import AsyncRailcraftPack
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
