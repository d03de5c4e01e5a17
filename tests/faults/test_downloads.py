"""Large and broken bodies on the streaming paths: Modrinth `download_version_file` and Railcraft
`download_archive`.

A 50 MB body is streamed by the server from one preallocated 64 KiB block (the server holds no
copy), and the client must save it with bounded memory: tracemalloc's peak (all threads, the
server's included) stays under 10 MB, and the file has the right size and hash.
"""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from craftapis.railcraft import RailcraftDownloadError

from tests.railcraft import fake as rc_fake

from .apis import MODRINTH, RAILCRAFT, close, fast_retry, resolve
from .servers import FaultServer, ResetMidBody, Respond, Stream, pattern_chunks

SIZE = 50 * 1024 * 1024
PEAK_LIMIT = 10 * 1024 * 1024
BOUND = 30.0  # seconds for 50 MB over loopback under tracemalloc: generous

ARCHIVE_ROUTE = "/railcraftpack/api/get_file/"


def _digests(chunks: Iterator[Any]) -> dict[str, str]:
    hashers = {name: hashlib.new(name) for name in ("sha1", "sha256", "sha512")}
    for chunk in chunks:
        for hasher in hashers.values():
            hasher.update(chunk)
    return {name: hasher.hexdigest() for name, hasher in hashers.items()}


def _file_digest(path: Path, algorithm: str) -> str:
    hasher = hashlib.new(algorithm)
    with path.open("rb") as file:
        while block := file.read(1 << 20):
            hasher.update(block)
    return hasher.hexdigest()


@pytest.fixture(scope="module")
def expected() -> dict[str, str]:
    return _digests(pattern_chunks(SIZE)())


def _version_file(url: str, size: int, hashes: dict[str, str]) -> Any:
    from craftapis_generated.modrinth.models import VersionFile

    return VersionFile.from_dict(
        {
            "hashes": {"sha1": hashes["sha1"], "sha512": hashes["sha512"]},
            "url": url,
            "filename": "big.jar",
            "primary": True,
            "size": size,
            "file_type": None,
        }
    )


async def _measured(call: Any) -> tuple[Any, int, float]:
    """(result, tracemalloc peak in bytes, seconds) of `call()` (awaited if it is a coroutine)."""
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = await resolve(call())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak, time.monotonic() - started


# -- 50 MB -----------------------------------------------------------------------------------------


async def test_modrinth_download_of_50_mb_in_bounded_memory(
    mode: str, tmp_path: Path, expected: dict[str, str]
) -> None:
    route = "/data/AABBCCDD/versions/IIJJKKLL/big.jar"
    with FaultServer(MODRINTH.app()) as api, FaultServer() as cdn:
        cdn.script(Stream(SIZE, pattern_chunks(SIZE)), path=route)
        client = MODRINTH.make(mode, api.url)
        progress: list[int] = []
        try:
            file = _version_file(cdn.url + route, SIZE, expected)
            path, peak, seconds = await _measured(
                lambda: client.download_version_file(
                    file, tmp_path, progress=lambda done, total: progress.append(done)
                )
            )
        finally:
            await close(client)
        assert cdn.count("GET", route) == 1
    assert path == tmp_path / "big.jar"
    assert path.stat().st_size == SIZE
    assert _file_digest(path, "sha512") == expected["sha512"]
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
    assert seconds < BOUND
    assert progress[-1] == SIZE and progress == sorted(progress)
    assert [p.name for p in tmp_path.iterdir()] == ["big.jar"]  # no temporary file left


async def test_railcraft_archive_of_50_mb_in_bounded_memory(
    mode: str, tmp_path: Path, expected: dict[str, str]
) -> None:
    with FaultServer(RAILCRAFT.app()) as server:
        server.script(Stream(SIZE, pattern_chunks(SIZE)), path=ARCHIVE_ROUTE)
        client = RAILCRAFT.make(mode, server.url)
        target = tmp_path / "pack.zip"
        try:
            assert await resolve(client.test_token())  # the token first: only the download is measured
            path, peak, seconds = await _measured(
                lambda: client.download_archive(100, target, expected_size=SIZE)
            )
        finally:
            await close(client)
        (download,) = server.requests("POST", ARCHIVE_ROUTE)
    assert b"token=" in download.body and b"id=100" in download.body
    assert path == target
    assert target.stat().st_size == SIZE
    assert _file_digest(target, "sha256") == expected["sha256"]
    assert peak < PEAK_LIMIT, f"peak {peak / 2**20:.1f} MiB"
    assert seconds < BOUND
    assert [p.name for p in tmp_path.iterdir()] == ["pack.zip"]


# -- a reset mid-download --------------------------------------------------------------------------

CONTENT = bytes(range(256)) * 4096  # 1 MiB


async def test_modrinth_download_restarts_after_a_reset(mode: str, tmp_path: Path) -> None:
    """Documented: a transfer that breaks off mid-body is restarted (a GET is safe to repeat); the
    file is whole and verified, and nothing of the broken attempt remains."""
    route = "/data/AABBCCDD/versions/IIJJKKLL/small.jar"
    hashes = _digests(iter([CONTENT]))
    with FaultServer(MODRINTH.app()) as api, FaultServer() as cdn:
        cdn.script(ResetMidBody(CONTENT), Respond(200, CONTENT), path=route)
        client = MODRINTH.make(mode, api.url)
        try:
            file = _version_file(cdn.url + route, len(CONTENT), hashes)
            path = await resolve(client.download_version_file(file, tmp_path / "small.jar"))
        finally:
            await close(client)
        assert cdn.count("GET", route) == 2
    assert path.read_bytes() == CONTENT
    assert [p.name for p in tmp_path.iterdir()] == ["small.jar"]


async def test_railcraft_download_reset_leaves_nothing(mode: str, tmp_path: Path) -> None:
    """Documented: an archive download broken on every attempt the retry policy allows (it is
    fetched again: docs/railcraft.md) raises RailcraftDownloadError and leaves the target untouched
    (here: absent) and no temporary file."""
    with FaultServer(rc_fake.FakeRailcraft()) as server:
        server.script(*[ResetMidBody(CONTENT) for _ in range(3)], path=ARCHIVE_ROUTE)
        client = RAILCRAFT.make(mode, server.url, retry=fast_retry(RAILCRAFT.default_retry, max_attempts=3))
        target = tmp_path / "pack.zip"
        try:
            with pytest.raises(RailcraftDownloadError) as caught:
                await resolve(client.download_archive(100, target, expected_size=len(CONTENT)))
        finally:
            await close(client)
        assert server.count("POST", ARCHIVE_ROUTE) == 3  # max_attempts, no more
    assert caught.value.received < len(CONTENT)
    assert caught.value.expected_size == len(CONTENT)
    assert list(tmp_path.iterdir()) == []
