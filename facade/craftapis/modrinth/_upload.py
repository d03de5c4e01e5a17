"""The multipart body of `POST /version`: a JSON `data` part first, then one part per file.

Modrinth lets the file parts have any name as long as `data.file_parts` lists them (and
`data.primary_file` names one of them). craftapis names each part after its file name, so
`primary_file` and `file_types` can simply use file names.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final, TypeAlias

if TYPE_CHECKING:
    from craftapis_generated.modrinth.models import CreateVersionBody, VersionDependency

__all__ = ["FileSpec", "PreparedUpload", "prepare_create_version"]

#: A file to upload: a path, or `(file name, bytes or a binary file object)`.
FileSpec: TypeAlias = str | os.PathLike[str] | tuple[str, bytes | BinaryIO]

_CONTENT_TYPES: Final = {
    ".jar": "application/java-archive",
    ".zip": "application/zip",
    ".mrpack": "application/x-modrinth-modpack+zip",
}


@dataclass
class PreparedUpload:
    """The body to send, and the files opened for it (closed by `close()`, whatever happens)."""

    body: CreateVersionBody
    opened: list[BinaryIO] = field(default_factory=list)

    def close(self) -> None:
        for file in self.opened:
            file.close()
        self.opened.clear()


def _part(spec: Any, opened: list[BinaryIO]) -> tuple[str, BinaryIO]:
    if isinstance(spec, tuple):
        if len(spec) != 2 or not isinstance(spec[0], str):
            raise TypeError(f"a file to upload is a path or (file name, bytes or file object), got {spec!r}")
        name, content = spec
        payload: BinaryIO = io.BytesIO(content) if isinstance(content, bytes | bytearray) else content
        return Path(name).name, payload
    if isinstance(spec, str | os.PathLike):
        path = Path(spec)
        file = open(path, "rb")  # noqa: SIM115 - closed by PreparedUpload.close()
        opened.append(file)
        return path.name, file
    raise TypeError(
        f"a file to upload is a path or (file name, bytes or file object), got {type(spec).__name__}"
    )


def _dependency(dep: VersionDependency | Mapping[str, Any]) -> VersionDependency:
    from craftapis_generated.modrinth.models import VersionDependency

    return dep if isinstance(dep, VersionDependency) else VersionDependency.from_dict(dict(dep))


def prepare_create_version(
    *,
    project_id: str,
    version_number: str,
    files: Sequence[FileSpec],
    game_versions: Iterable[str],
    loaders: Iterable[str],
    name: str | None,
    version_type: str,
    primary_file: str | None,
    changelog: str | None,
    dependencies: Iterable[VersionDependency | Mapping[str, Any]] | None,
    featured: bool,
    status: str | None,
    requested_status: str | None,
    file_types: Mapping[str, str | None] | None,
) -> PreparedUpload:
    """Build the `CreateVersionBody` for `versions.create_version` (see `Modrinth.create_version`)."""
    from craftapis_generated.modrinth.models import (
        BaseVersionStatus,
        BaseVersionVersionType,
        CreatableVersion,
        CreatableVersionFileTypes,
        CreateVersionBody,
        FileType,
        VersionRequestedStatus,
    )
    from craftapis_generated.modrinth.types import UNSET, File

    if isinstance(files, str | os.PathLike | tuple) or not files:
        raise ValueError("files must be a non-empty list of paths or (file name, bytes) pairs")
    upload = PreparedUpload(body=None)  # type: ignore[arg-type]  # filled below, once the parts are open
    try:
        parts: list[tuple[str, BinaryIO]] = []
        for spec in files:
            part_name, payload = _part(spec, upload.opened)
            if any(part_name == seen for seen, _ in parts):
                raise ValueError(f"two files are named {part_name!r}: file names must be unique in a version")
            parts.append((part_name, payload))
        names = [n for n, _ in parts]
        primary = Path(os.fspath(primary_file)).name if primary_file is not None else None
        if primary is not None and primary not in names:
            raise ValueError(f"primary_file {primary_file!r} is not one of the files: {names}")
        data = CreatableVersion(
            name=name if name is not None else version_number,
            version_number=version_number,
            dependencies=[_dependency(d) for d in dependencies or ()],
            game_versions=list(game_versions),
            version_type=BaseVersionVersionType(version_type),
            loaders=list(loaders),
            featured=featured,
            project_id=project_id,
            file_parts=names,
            changelog=changelog if changelog is not None else UNSET,
            status=BaseVersionStatus(status) if status is not None else UNSET,
            requested_status=VersionRequestedStatus(requested_status)
            if requested_status is not None
            else UNSET,
            primary_file=primary if primary is not None else UNSET,
        )
        if file_types:
            types = CreatableVersionFileTypes()
            for part_name, file_type in file_types.items():
                key = Path(part_name).name
                if key not in names:
                    raise ValueError(
                        f"file_types names {part_name!r}, which is not one of the files: {names}"
                    )
                types[key] = FileType(file_type) if file_type is not None else None
            data.file_types = types
        body = CreateVersionBody(data=data)
        for part_name, payload in parts:
            suffix = Path(part_name).suffix.lower()
            content_type = _CONTENT_TYPES.get(suffix, "application/octet-stream")
            body[part_name] = File(payload=payload, file_name=part_name, mime_type=content_type)
        upload.body = body
        return upload
    except BaseException:
        upload.close()
        raise
