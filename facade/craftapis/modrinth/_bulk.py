"""A whole mods folder in one request: `latest_versions_from_hashes` and `identify`.

Modrinth answers `POST /version_files/update` (`getLatestVersionsFromHashes`) with the newest
version of each file's project for a set of loaders / Minecraft versions / version types, and
`POST /version_files` with the version each file *is*; both take any number of hashes at once, so
checking a folder of 200 jars costs one request instead of 200.

The decisions (validating the arguments, the request body, streaming the hashes, matching the
answer back to the paths) are the pure functions here; `AsyncBulkLookups` (`_async_bulk.py`, written
once) and `BulkLookups` (generated from it) only send, and are mixed into `AsyncModrinth` and `Modrinth`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._hashing import check_algorithm, hash_file
from ._params import string_list

if TYPE_CHECKING:
    from craftapis_generated.modrinth.models import HashVersionMap, Version

__all__ = [
    "VERSION_TYPES",
    "hash_paths",
    "latest_versions_body",
    "match_paths",
    "versions_by_hash",
]

#: The version types Modrinth filters by (`version_types=`).
VERSION_TYPES = ("release", "beta", "alpha")

_LATEST = "version_files.get_latest_versions_from_hashes"


def _hash_values(hashes: Iterable[str]) -> list[str]:
    """The hashes lower-cased, each once, in order; TypeError/ValueError naming what is wrong."""
    if isinstance(hashes, str | bytes) or not isinstance(hashes, Iterable):
        raise TypeError(
            f"hashes must be a list of hex digests, not {type(hashes).__name__} "
            "(for one file, use latest_version_from_hash)"
        )
    out: dict[str, None] = {}
    for value in hashes:
        if not isinstance(value, str):
            raise TypeError(f"every hash must be a str (a hex digest), got {type(value).__name__}")
        digest = value.strip().lower()
        if not digest or any(c not in "0123456789abcdef" for c in digest):
            raise ValueError(f"{value!r} is not a hex digest (sha1: 40 hex digits, sha512: 128)")
        out[digest] = None
    return list(out)


def _filter(name: str, value: str | Iterable[str] | None) -> list[str] | None:
    if value is not None and not isinstance(value, str | Iterable):
        raise TypeError(f"{name} must be a str or a list of str, not {type(value).__name__}")
    values = string_list(value)
    if values is not None and not all(isinstance(v, str) for v in values):
        raise TypeError(f"every entry of {name} must be a str")
    return values


def latest_versions_body(
    hashes: Iterable[str],
    algorithm: str,
    loaders: str | Iterable[str] | None,
    game_versions: str | Iterable[str] | None,
    version_types: str | Iterable[str] | None,
) -> dict[str, Any]:
    """The JSON body of `POST /version_files/update`.

    An omitted filter (None) matches everything, so it is left out of the body: an empty list would
    match nothing. `version_types` is not in Modrinth's published schema but the server reads it
    (labrinth `ManyUpdateData.version_types`).
    """
    body: dict[str, Any] = {"hashes": _hash_values(hashes), "algorithm": check_algorithm(algorithm)}
    for key, value in (("loaders", loaders), ("game_versions", game_versions)):
        if (values := _filter(key, value)) is not None:
            body[key] = values
    if (types := _filter("version_types", version_types)) is not None:
        unknown = [t for t in types if t not in VERSION_TYPES]
        if unknown:
            raise ValueError(f"version_types accepts {', '.join(VERSION_TYPES)}; got {unknown!r}")
        body["version_types"] = types
    return body


def versions_by_hash(result: HashVersionMap | Mapping[str, Version] | None) -> dict[str, Version]:
    """A `HashVersionMap` (or a plain mapping) as a `dict` from lower-case hash to `Version`."""
    if result is None:
        return {}
    items: Mapping[str, Version] = result if isinstance(result, Mapping) else result.additional_properties
    return {key.lower(): version for key, version in items.items()}


def _paths(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    if isinstance(paths, str | bytes | os.PathLike) or not isinstance(paths, Iterable):
        raise TypeError(
            "paths must be a list of file paths, not one path "
            "(for one file, use version_from_file; for a folder, sorted(Path(folder).glob('*.jar')))"
        )
    out: list[Path] = []
    for item in paths:
        if not isinstance(item, str | os.PathLike):
            raise TypeError(f"every path must be a str or os.PathLike, got {type(item).__name__}")
        path = Path(item)
        if path.is_dir():
            raise ValueError(
                f"{path} is a folder: pass the files in it, e.g. sorted(Path({str(path)!r}).glob('*.jar'))"
            )
        out.append(path)
    return out


def hash_paths(paths: Iterable[str | os.PathLike[str]], algorithm: str = "sha512") -> dict[Path, str]:
    """Each file's hex digest, read in 1 MiB chunks (one file in memory at a time, one chunk of it)."""
    algorithm = check_algorithm(algorithm)
    return {path: hash_file(path, algorithm) for path in _paths(paths)}


def match_paths(hashes: Mapping[Path, str], found: Mapping[str, Version]) -> dict[Path, Version | None]:
    """Each path's version (None when Modrinth does not know the file), in the order given."""
    return {path: found.get(digest) for path, digest in hashes.items()}
