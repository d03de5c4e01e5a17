"""Findings 4 and 6 (downloads) and the download parts of 11, on Modrinth's verified download, sync and
async: hostile file names, bodies past the listed size (plain and gzip-encoded), a full disk, file
modes and leftovers of a killed run. Every failure is a `DownloadError` and leaves nothing behind."""

from __future__ import annotations

import contextlib
import hashlib
import os
import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from craftapis import DownloadError

from tests.faults.apis import MODRINTH, close, resolve

from .server import HostileServer, Raw, gzip_bomb, response

CONTENT = bytes(range(256)) * 64  # 16 KiB
ROUTE = "/data/AABBCCDD/versions/IIJJKKLL/"


def _file(url: str, filename: str, size: int = len(CONTENT), content: bytes = CONTENT) -> Any:
    from craftapis_generated.modrinth.models import VersionFile

    return VersionFile.from_dict(
        {
            "hashes": {
                "sha1": hashlib.sha1(content).hexdigest(),
                "sha512": hashlib.sha512(content).hexdigest(),
            },
            "url": url,
            "filename": filename,
            "primary": True,
            "size": size,
            "file_type": None,
        }
    )


@contextlib.contextmanager
def _cdn(answer: Raw | None = None) -> Iterator[HostileServer]:
    with HostileServer() as server:
        server.always(answer or Raw(response(200, CONTENT, {"Content-Type": "application/java-archive"})))
        yield server


async def _download(mode: str, file: Any, dest: Path) -> Path:
    with HostileServer(MODRINTH.app()) as api:
        client = MODRINTH.make(mode, api.url)
        try:
            result: Path = await resolve(client.download_version_file(file, dest))
            return result
        finally:
            await close(client)


@pytest.mark.parametrize(
    "name",
    ["evil\x00.jar", "x" * 300 + ".jar", ".bashrc", "..", "mod\n.jar"],
    ids=["nul", "300-chars", "dotfile", "dotdot", "newline"],
)
async def test_a_hostile_server_file_name_is_a_download_error(mode: str, tmp_path: Path, name: str) -> None:
    with _cdn() as cdn:
        with pytest.raises(DownloadError, match="the server names the file"):
            await _download(mode, _file(cdn.url + ROUTE + "f.jar", name), tmp_path)
        assert cdn.seen == []  # refused before anything was fetched
    assert list(tmp_path.iterdir()) == []


async def test_a_body_past_the_listed_size_stops_there(mode: str, tmp_path: Path) -> None:
    """The finding: 30 MB written before the hash check failed. Now: not a byte past the listed size."""
    big = b"\x01" * (30 * 1024 * 1024)
    with _cdn(Raw(response(200, big))) as cdn:
        with pytest.raises(DownloadError, match=f"more than the {len(CONTENT)} bytes listed"):
            await _download(mode, _file(cdn.url + ROUTE + "mod.jar", "mod.jar"), tmp_path)
        assert cdn.seen[0].headers.get("accept-encoding") == "identity"
    assert list(tmp_path.iterdir()) == []


async def test_a_gzip_encoded_download_cannot_fill_the_disk(mode: str, tmp_path: Path) -> None:
    bomb = gzip_bomb(512 * 1024 * 1024)
    answer = Raw(response(200, bomb, {"Content-Encoding": "gzip"}))
    with _cdn(answer) as cdn, pytest.raises(DownloadError, match="more than"):
        await _download(mode, _file(cdn.url + ROUTE + "mod.jar", "mod.jar"), tmp_path)
    assert list(tmp_path.iterdir()) == []


async def test_a_full_disk_is_a_download_error_and_leaves_nothing(mode: str, tmp_path: Path) -> None:
    """RLIMIT_FSIZE makes writes past 4 KiB fail with EFBIG, as a full disk fails with ENOSPC."""
    previous_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    with _cdn() as cdn:
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, hard))
        try:
            with pytest.raises(DownloadError, match="writing failed") as caught:
                await _download(mode, _file(cdn.url + ROUTE + "mod.jar", "mod.jar"), tmp_path)
        finally:
            resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
            signal.signal(signal.SIGXFSZ, previous_handler)
    assert isinstance(caught.value.__cause__, OSError)
    assert list(tmp_path.iterdir()) == []


async def test_the_file_gets_the_umask_mode_not_0600(mode: str, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with _cdn() as cdn:
            path = await _download(mode, _file(cdn.url + ROUTE + "mod.jar", "mod.jar"), tmp_path)
    finally:
        os.umask(old)
    assert path.read_bytes() == CONTENT
    assert path.stat().st_mode & 0o777 == 0o644


async def test_part_files_a_killed_run_left_are_cleaned_fresh_ones_kept(mode: str, tmp_path: Path) -> None:
    stale = tmp_path / ".mod.jar.k1ll3d.part"
    fresh = tmp_path / ".mod.jar.running.part"  # another download of the same file, still writing
    stale.write_bytes(b"half")
    fresh.write_bytes(b"half")
    an_hour_and_more = time.time() - 3700
    os.utime(stale, (an_hour_and_more, an_hour_and_more))
    with _cdn() as cdn:
        await _download(mode, _file(cdn.url + ROUTE + "mod.jar", "mod.jar"), tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".mod.jar.running.part", "mod.jar"]


# -- Railcraft: the same rules for its archives -----------------------------------------------------------


async def test_railcraft_archive_to_a_directory_fails_before_downloading(mode: str, tmp_path: Path) -> None:
    from tests.faults.apis import RAILCRAFT

    with HostileServer(RAILCRAFT.app()) as server:
        client = RAILCRAFT.make(mode, server.url)
        try:
            details = await resolve(client.download_details())
            with pytest.raises(DownloadError, match="is a directory"):
                await resolve(client.download_archive(details, tmp_path))
        finally:
            await close(client)
        assert not any("get_file" in s.path for s in server.seen)  # not a byte was fetched
    assert list(tmp_path.iterdir()) == []


async def test_railcraft_archive_stops_past_size_raw_and_gets_the_umask_mode(
    mode: str, tmp_path: Path
) -> None:
    from tests.faults.apis import RAILCRAFT

    old = os.umask(0o022)
    try:
        with HostileServer(RAILCRAFT.app()) as server:
            client = RAILCRAFT.make(mode, server.url)
            try:
                details = await resolve(client.download_details())
                saved = await resolve(client.download_archive(details, tmp_path / "pack.zip"))
                assert saved.stat().st_mode & 0o777 == 0o644
                server.script(
                    Raw(response(200, b"\x02" * (details.size_raw + 5 * 1024 * 1024))),
                    path="/railcraftpack/api/get_file",
                )
                with pytest.raises(DownloadError, match="more than the"):
                    await resolve(client.download_archive(details, tmp_path / "again.zip"))
            finally:
                await close(client)
    finally:
        os.umask(old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.zip"]
