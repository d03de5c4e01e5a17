"""Downloading a version file: which file, where to, and an atomic, verified write.

The sync and async clients only move bytes; everything else is here, so they cannot drift:
`plan_download` decides the URL, destination and expected hash, and `AtomicDownload` writes to a
temporary file beside the destination, checks the hash, and renames it into place. A hash
mismatch or an interruption leaves nothing at the destination.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from .._errors import APIError, DownloadError
from .._files import PartFile, safe_filename
from ._hashing import HASH_ALGORITHMS

__all__ = ["DOWNLOAD_CHUNK", "AtomicDownload", "DownloadPlan", "HashMismatchError", "plan_download"]

DOWNLOAD_CHUNK: Final = 1 << 16


class HashMismatchError(APIError):
    """A downloaded file does not have the hash Modrinth lists for it; nothing was written.

    Attributes: `algorithm`, `expected` and `actual` (hex digests), `path` (the destination that
    was left untouched), plus `url` like every `APIError`.
    """

    hint = (
        "the download was corrupted or the file changed; retry it, and report it to Modrinth if it persists"
    )

    def __init__(
        self, message: str, *, algorithm: str, expected: str, actual: str, path: Path, url: str
    ) -> None:
        super().__init__(message, method="GET", url=url)
        self.algorithm = algorithm
        self.expected = expected
        self.actual = actual
        self.path = path


@dataclass(frozen=True)
class DownloadPlan:
    """What to fetch and how to check it (`algorithm`/`expected` are None when not verifying)."""

    url: str
    dest: Path
    filename: str
    size: int | None
    algorithm: str | None
    expected: str | None


def _attr(obj: Any, name: str) -> Any:
    value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
    # generated models mark absent fields with an `Unset` instance
    return None if value is None or type(value).__name__ == "Unset" else value


def _pick_file(version_or_file: Any) -> Any:
    files = _attr(version_or_file, "files")
    if files is None:
        if _attr(version_or_file, "url") is None:
            raise TypeError(
                "download_version_file() takes a Version or one of its files (VersionFile), "
                f"got {type(version_or_file).__name__}"
            )
        return version_or_file
    if not files:
        raise ValueError(f"version {_attr(version_or_file, 'id')!r} has no files to download")
    # Modrinth: "if there are not any primary files, it can be inferred that the first file is the primary one"
    return next((f for f in files if _attr(f, "primary")), files[0])


def _expected_hash(file: Any) -> tuple[str, str] | None:
    hashes = _attr(file, "hashes")
    if hashes is None:
        return None
    for algorithm in reversed(HASH_ALGORITHMS):  # sha512 first: the stronger one
        value = _attr(hashes, algorithm)
        if value is None and not isinstance(hashes, dict):
            value = getattr(hashes, "additional_properties", {}).get(algorithm)
        if isinstance(value, str) and value:
            return algorithm, value.lower()
    return None


def plan_download(version_or_file: Any, dest_path: str | os.PathLike[str], *, verify: bool) -> DownloadPlan:
    """Decide the file (a version's primary file, else its first), the URL, destination and hash.

    `dest_path` may be an existing directory: the file keeps its own name inside it.
    """
    file = _pick_file(version_or_file)
    url = _attr(file, "url")
    if not isinstance(url, str):
        raise ValueError("this file has no download url")
    # the file name comes from the server: it must be a plain file name (no "../", NUL, dotfile ...)
    filename = str(_attr(file, "filename") or url.rsplit("/", 1)[-1])
    dest = Path(dest_path)
    if dest.is_dir():
        dest = dest / safe_filename(filename, url=url)
    if not dest.parent.is_dir():
        raise FileNotFoundError(
            f"the folder {dest.parent} does not exist: create it, or pass another dest_path"
        )
    algorithm = expected = None
    if verify:
        found = _expected_hash(file)
        if found is None:
            raise ValueError(
                f"{filename!r} lists no sha512/sha1 hash to verify against; pass verify=False to "
                "download it unverified"
            )
        algorithm, expected = found
    size = _attr(file, "size")
    return DownloadPlan(
        url=url,
        dest=dest,
        filename=filename,
        size=size if isinstance(size, int) else None,
        algorithm=algorithm,
        expected=expected,
    )


class AtomicDownload(PartFile):
    """A temporary file beside the destination that becomes the destination only once verified.

    `write()` chunks (hashing as it goes; a resumed transfer appends, so the hash runs on), `restart()`
    to begin again from byte 0,
    then `commit()`; `abort()` on any failure removes the temporary file. A context manager:
    leaving the block without `commit()` aborts.
    """

    def __init__(self, plan: DownloadPlan) -> None:
        self.plan = plan
        super().__init__(plan.dest, plan.size, f"listed for {plan.filename!r}")
        self._hasher = hashlib.new(plan.algorithm) if plan.algorithm else None

    def _error(self, message: str) -> DownloadError:
        return DownloadError(message, method="GET", url=self.plan.url)

    def write(self, chunk: bytes) -> None:
        """Append a chunk; `DownloadError` (and nothing left) past the listed size or on a full disk."""
        super().write(chunk)
        if self._hasher is not None:
            self._hasher.update(chunk)

    def restart(self) -> None:
        super().restart()
        if self.plan.algorithm:
            self._hasher = hashlib.new(self.plan.algorithm)

    def commit(self) -> Path:
        """Verify, then atomically move into place; `HashMismatchError` (and no file) on a mismatch."""
        plan = self.plan
        self.close()
        if self._hasher is not None and plan.expected is not None:
            actual = self._hasher.hexdigest()
            if actual != plan.expected:
                self.abort()
                raise HashMismatchError(
                    f"{plan.filename!r} downloaded from {plan.url} has {plan.algorithm} {actual}, but "
                    f"Modrinth lists {plan.expected}; nothing was written to {plan.dest}",
                    algorithm=plan.algorithm or "",
                    expected=plan.expected,
                    actual=actual,
                    path=plan.dest,
                    url=plan.url,
                )
        return super().commit()

    def abort(self) -> None:
        self.discard()

    def __enter__(self) -> AtomicDownload:
        return self

    def __exit__(self, *exc: object) -> None:
        self.abort()
