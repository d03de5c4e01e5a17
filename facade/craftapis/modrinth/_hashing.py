"""File hashes as Modrinth identifies files by them: sha1 or sha512, hex, computed in a stream."""

from __future__ import annotations

import hashlib
import os
from typing import Final

__all__ = ["HASH_ALGORITHMS", "check_algorithm", "hash_file"]

#: The algorithms Modrinth lists in a file's `hashes` and accepts in `/version_file/{hash}`.
HASH_ALGORITHMS: Final = ("sha1", "sha512")
_CHUNK: Final = 1 << 20  # memory stays at one chunk whatever the file size


def check_algorithm(algorithm: str) -> str:
    """`algorithm` lower-cased if Modrinth knows it, else ValueError."""
    name = str(getattr(algorithm, "value", algorithm)).lower()
    if name not in HASH_ALGORITHMS:
        raise ValueError(f"Modrinth identifies files by sha1 or sha512, not {algorithm!r}")
    return name


def hash_file(path: str | os.PathLike[str], algorithm: str = "sha512") -> str:
    """The hex digest of a file, read in 1 MiB chunks (never the whole file in memory)."""
    hasher = hashlib.new(check_algorithm(algorithm))
    buffer = bytearray(_CHUNK)
    view = memoryview(buffer)
    with open(path, "rb", buffering=0) as file:
        while n := file.readinto(buffer):
            hasher.update(view[:n])
    return hasher.hexdigest()
