"""`AsyncBulkLookups`: a whole mods folder in one request, mixed into `AsyncModrinth` (what the two
endpoints are, and every decision, is in `_bulk.py`)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._primitives import async_to_thread
from ._bulk import _LATEST, _paths, hash_paths, latest_versions_body, match_paths, versions_by_hash

if TYPE_CHECKING:
    from craftapis_generated.modrinth.models import HashVersionMap, Version

__all__ = ["AsyncBulkLookups"]


class AsyncBulkLookups:
    """`latest_versions_from_hashes` and `identify` of `AsyncModrinth`."""

    if TYPE_CHECKING:  # provided by AsyncModrinth

        async def _call_json(self, operation: str, json_body: Any, /, **kwargs: Any) -> Any: ...
        async def versions_from_hashes(
            self, hashes: Iterable[str], algorithm: str = "sha1"
        ) -> HashVersionMap: ...

    async def latest_versions_from_hashes(
        self,
        hashes: Iterable[str],
        *,
        algorithm: str = "sha1",
        loaders: str | Iterable[str] | None = None,
        game_versions: str | Iterable[str] | None = None,
        version_types: str | Iterable[str] | None = None,
    ) -> dict[str, Version]:
        """The newest version of each file's project for these filters, in ONE request.

        Args:
            hashes: the files' hex digests (all of one `algorithm`); duplicates are sent once.
            algorithm: `sha1` (default) or `sha512`.
            loaders: e.g. `"fabric"` or `["fabric", "quilt"]`; omitted: any loader.
            game_versions: e.g. `["1.20.1"]`; omitted: any Minecraft version.
            version_types: any of `release`, `beta`, `alpha`; omitted: all three.

        Returns a dict from lower-case hash to the newest `Version`. A hash is absent when Modrinth
        does not know the file, or its project has no version matching the filters. The newest
        version may be the one the file already is (compare `version.id`, or its files' hashes).
        """
        body = latest_versions_body(hashes, algorithm, loaders, game_versions, version_types)
        if not body["hashes"]:
            return {}
        return versions_by_hash(await self._call_json(_LATEST, body))

    async def identify(
        self, paths: Iterable[str | os.PathLike[str]], *, algorithm: str = "sha512"
    ) -> dict[Path, Version | None]:
        """Which Modrinth version each local file is: files hashed in a stream, then ONE request.

        Args:
            paths: file paths (a folder raises ValueError: pass the files in it).
            algorithm: `sha512` (default) or `sha1`.

        Returns `{Path(path): Version or None}` in the order given; None means Modrinth does not
        know the file (not uploaded there, or changed locally). From async code the files are hashed
        in a worker thread, so the event loop keeps running.
        """
        checked = _paths(paths)
        hashes = await async_to_thread(hash_paths, checked, algorithm)
        if not hashes:
            return {}
        unique = list(dict.fromkeys(hashes.values()))
        found = versions_by_hash(await self.versions_from_hashes(unique, algorithm))
        return match_paths(hashes, found)
