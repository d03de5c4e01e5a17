"""Reading a Modrinth modpack (`.mrpack`) as the untrusted input it is.

The format (Modrinth's "Modpack format" docs): a zip holding `modrinth.index.json` —
`formatVersion` 1, `game` "minecraft", `versionId`, `name`, `files[]` (each `path`, `hashes` with
`sha1` and `sha512`, optional `env` `{client, server}` of `required|optional|unsupported`,
`downloads[]` URLs, `fileSize`), `dependencies` (`minecraft`, `fabric-loader`, ...) — plus the
folders `overrides/`, `client-overrides/` and `server-overrides/` copied over the instance.

Every path (a file's `path`, an override's name) is checked before anything is written: no
absolute path, no drive letter, no backslash, no `..`, no empty or `.` component, nothing that
resolves outside the destination (a symlink in the way included). One bad path refuses the pack.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ._core import BadInput

__all__ = ["Pack", "PackError", "PackFile", "read_pack", "safe_path", "write_atomic"]

INDEX = "modrinth.index.json"


class PackError(BadInput):
    """The modpack is invalid or unsafe; nothing was written."""


def safe_path(raw: object, *, what: str) -> PurePosixPath:
    """`raw` as a relative path that cannot leave its folder; PackError naming `what` otherwise."""
    if not isinstance(raw, str) or not raw:
        raise PackError(f"{what}: the path {raw!r} is not a non-empty string")
    if "\\" in raw or "\x00" in raw:
        raise PackError(f"{what}: the path {raw!r} has a backslash or NUL; refused")
    if raw.startswith("/") or (len(raw) > 1 and raw[1] == ":") or ":" in raw.split("/")[0]:
        raise PackError(f"{what}: the path {raw!r} is absolute; a pack may only write inside --dest")
    parts = raw.split("/")
    if any(part in ("", ".", "..") for part in parts):
        raise PackError(f"{what}: the path {raw!r} has an empty, '.' or '..' component; refused")
    return PurePosixPath(*parts)


def inside(dest: Path, relative: PurePosixPath) -> Path:
    """`dest / relative`, refusing it if it resolves outside `dest` (through a symlink)."""
    target = dest / Path(*relative.parts)
    root = dest.resolve()
    resolved = target.resolve()
    if resolved != root and root not in resolved.parents:
        raise PackError(f"{relative} resolves to {resolved}, outside {root}; refused")
    return target


@dataclass(frozen=True)
class PackFile:
    """One file of the index."""

    path: PurePosixPath
    sha1: str
    sha512: str
    size: int | None
    downloads: tuple[str, ...]
    client: str
    server: str

    def wanted(self, *, server: bool) -> bool:
        """Whether this side installs it (`unsupported` on that side skips it)."""
        return (self.server if server else self.client) != "unsupported"


@dataclass(frozen=True)
class Pack:
    """A validated `.mrpack`: its index and which overrides it carries."""

    name: str
    version_id: str
    dependencies: dict[str, str]
    files: tuple[PackFile, ...]
    overrides: tuple[tuple[str, PurePosixPath], ...]  # (zip entry name, relative target) in order


def _file(entry: Any, n: int) -> PackFile:
    what = f"files[{n}]"
    if not isinstance(entry, dict):
        raise PackError(f"{what} is not an object")
    path = safe_path(entry.get("path"), what=what)
    hashes = entry.get("hashes")
    if not isinstance(hashes, dict):
        raise PackError(f"{what} ({path}) has no hashes")
    sha1, sha512 = hashes.get("sha1"), hashes.get("sha512")
    if not isinstance(sha1, str) or not isinstance(sha512, str):
        raise PackError(f"{what} ({path}) lacks its sha1 or sha512 hash (the format requires both)")
    downloads = entry.get("downloads")
    if not isinstance(downloads, list) or not downloads or not all(isinstance(u, str) for u in downloads):
        raise PackError(f"{what} ({path}) has no download URL")
    for url in downloads:
        if not url.startswith(("https://", "http://")):
            raise PackError(f"{what} ({path}) has a download URL that is not http(s): {url!r}")
    raw_env = entry.get("env")
    env: dict[str, Any] = raw_env if isinstance(raw_env, dict) else {}
    size = entry.get("fileSize")
    return PackFile(
        path=path,
        sha1=sha1.lower(),
        sha512=sha512.lower(),
        size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        downloads=tuple(downloads),
        client=str(env.get("client", "required")),
        server=str(env.get("server", "required")),
    )


def read_pack(archive: zipfile.ZipFile, *, server: bool) -> Pack:
    """Validate the whole pack (index and override names) before anything is installed."""
    try:
        index = json.loads(archive.read(INDEX))
    except KeyError as exc:
        raise PackError(f"not a Modrinth modpack: there is no {INDEX} in it") from exc
    except ValueError as exc:
        raise PackError(f"{INDEX} is not valid JSON: {exc}") from exc
    if not isinstance(index, dict):
        raise PackError(f"{INDEX} is not an object")
    if index.get("formatVersion") != 1:
        raise PackError(f"formatVersion {index.get('formatVersion')!r} is not supported (only 1)")
    if index.get("game") != "minecraft":
        raise PackError(f"the pack is for {index.get('game')!r}, not minecraft")
    raw_files = index.get("files", [])
    if not isinstance(raw_files, list):
        raise PackError("files is not a list")
    files = tuple(_file(entry, n) for n, entry in enumerate(raw_files))
    side = "server-overrides/" if server else "client-overrides/"
    overrides: list[tuple[str, PurePosixPath]] = []
    for prefix in ("overrides/", side):
        for info in archive.infolist():
            if info.is_dir() or not info.filename.startswith(prefix):
                continue
            if (info.external_attr >> 16) & 0o170000 == 0o120000:
                raise PackError(f"{info.filename} is a symbolic link; refused")
            overrides.append((info.filename, safe_path(info.filename[len(prefix) :], what=info.filename)))
    deps = index.get("dependencies")
    return Pack(
        name=str(index.get("name", "")),
        version_id=str(index.get("versionId", "")),
        dependencies={str(k): str(v) for k, v in deps.items()} if isinstance(deps, dict) else {},
        files=files,
        overrides=tuple(overrides),
    )


def sha512_of(path: Path) -> str | None:
    """The file's sha512, or None when it does not exist."""
    try:
        with open(path, "rb") as file:
            return hashlib.file_digest(file, "sha512").hexdigest()
    except FileNotFoundError:
        return None


def write_atomic(target: Path, chunks: Iterator[bytes]) -> None:
    """Write to a temporary file beside `target`, fsync, then rename it into place."""
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as file:
            for chunk in chunks:
                file.write(chunk)
            file.flush()
            os.fsync(file.fileno())
        os.replace(name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
