"""A gzip bomb (about 1000:1) must not spike memory before a size check stops it: the *decoded* size is
bounded as it is decoded, in steps of at most a download chunk, for downloads (Modrinth, Railcraft) and
for buffered API calls, sync and async. Peak memory is traced (tracemalloc) over the call alone and must
stay under a generous fixed multiple of the 64 KiB chunk; httpx inflating a whole received chunk at once
held 129 MiB (sync) / 258 MiB (async) here."""

from __future__ import annotations

import gzip
import hashlib
import tracemalloc
import zlib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from craftapis import DownloadError, Limits, ResponseTooLargeError

from tests.faults.apis import MODRINTH, RAILCRAFT, close, resolve

from .server import HostileServer, Raw, gzip_bomb, response

ROUTE = "/data/AABBCCDD/versions/IIJJKKLL/"
#: 16 MiB: 256 download chunks. A bomb's decoded size must never be held; a few chunks at a time may.
PEAK_BOUND = 16 * 1024 * 1024
BOMB = gzip_bomb(1024 * 1024 * 1024)  # 1 GiB of zeros in about 1 MB


def _deflate_bomb(mib: int) -> bytes:
    """`mib` MiB of zeros, zlib-wrapped deflate, built in slices."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    return b"".join([compressor.compress(block) for _ in range(mib)] + [compressor.flush()])


def _file(url: str, content: bytes, size: int | None = None) -> Any:
    from craftapis_generated.modrinth.models import VersionFile

    return VersionFile.from_dict(
        {
            "hashes": {"sha512": hashlib.sha512(content).hexdigest()},
            "url": url,
            "filename": "mod.jar",
            "primary": True,
            "size": len(content) if size is None else size,
            "file_type": None,
        }
    )


async def _peak(call: Callable[[], Awaitable[Any] | Any]) -> tuple[Any, int]:
    """(the result or the error raised, peak traced bytes above the start) of one call (sync or async)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        try:
            got = await resolve(call())
        except Exception as exc:
            got = exc
        return got, tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


async def _modrinth(mode: str, answer: Raw, file_of: Any, dest: Path, **options: Any) -> tuple[Any, int]:
    with HostileServer() as cdn, HostileServer(MODRINTH.app()) as api:
        cdn.always(answer)
        client = MODRINTH.make(mode, api.url, **options)
        try:
            return await _peak(
                lambda: client.download_version_file(file_of(cdn.url + ROUTE + "mod.jar"), dest)
            )
        finally:
            await close(client)


async def test_a_gzip_bomb_download_stops_at_the_listed_size_without_inflating(
    mode: str, tmp_path: Path
) -> None:
    answer = Raw(response(200, BOMB, {"Content-Encoding": "gzip"}))
    got, peak = await _modrinth(mode, answer, lambda url: _file(url, b"x" * 16384), tmp_path)
    assert isinstance(got, DownloadError), got
    assert "more than the 16384 bytes listed" in str(got), str(got)
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert list(tmp_path.iterdir()) == []


async def test_a_gzip_encoded_download_is_written_decoded(mode: str, tmp_path: Path) -> None:
    """A server that gzips anyway (Accept-Encoding: identity was asked): the file is the decoded bytes,
    checked against the listed size and hash, in bounded steps."""
    content = bytes(range(256)) * 4096 + b"tail"  # 1 MiB + 4: many decode steps
    answer = Raw(response(200, gzip.compress(content), {"Content-Encoding": "gzip"}))
    got, _ = await _modrinth(mode, answer, lambda url: _file(url, content), tmp_path / "mod.jar")
    assert got == tmp_path / "mod.jar", got
    assert got.read_bytes() == content


async def test_a_brotli_download_is_refused_not_inflated(mode: str, tmp_path: Path) -> None:
    answer = Raw(response(200, b"\x0b\x02\x80hello\x03", {"Content-Encoding": "br"}))
    got, _ = await _modrinth(mode, answer, lambda url: _file(url, b"hello"), tmp_path / "mod.jar")
    assert "'br'-encoded" in str(got), got
    assert list(tmp_path.iterdir()) == []


async def _railcraft(mode: str, tmp_path: Path, bare: bool, **options: Any) -> tuple[Any, int]:
    with HostileServer(RAILCRAFT.app()) as server:
        client = RAILCRAFT.make(mode, server.url, **options)
        try:
            details = await resolve(client.download_details())
            server.always(
                Raw(response(200, BOMB, {"Content-Encoding": "gzip"})), path="/railcraftpack/api/get_file"
            )
            target = details.id if bare else details
            return await _peak(lambda: client.download_archive(target, tmp_path / "pack.zip"))
        finally:
            await close(client)


async def test_a_railcraft_gzip_bomb_stops_at_size_raw_without_inflating(mode: str, tmp_path: Path) -> None:
    got, peak = await _railcraft(mode, tmp_path, bare=False)
    assert isinstance(got, DownloadError), got
    assert "more than the" in str(got) and "size_raw" in str(got), str(got)
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert list(tmp_path.iterdir()) == []


async def test_a_gzip_bomb_of_unknown_size_stops_at_max_body_size(mode: str, tmp_path: Path) -> None:
    """A bare archive id: no size to hold the body to, and the Content-Length is the encoded one. The
    decoded body may not pass Limits.max_body_size; the error names the knob."""
    got, peak = await _railcraft(mode, tmp_path, bare=True, limits=Limits(max_body_size=4 * 1024 * 1024))
    assert isinstance(got, DownloadError), got
    message = str(got)
    assert "gzip-encoded" in message and "Limits.max_body_size (4194304 bytes)" in message, message
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.1f} MiB"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
async def test_a_gzip_bomb_api_answer_stops_at_max_body_size(mode: str, encoding: str) -> None:
    body = BOMB if encoding == "gzip" else _deflate_bomb(256)
    with HostileServer(MODRINTH.app()) as api:
        api.always(
            Raw(response(200, body, {"Content-Encoding": encoding, "Content-Type": "application/json"}))
        )
        client = MODRINTH.make(mode, api.url, limits=Limits(max_body_size=1024 * 1024))
        try:
            got, peak = await _peak(lambda: client.get_project("AABBCCDD"))
        finally:
            await close(client)
    assert isinstance(got, ResponseTooLargeError), got
    assert "Limits.max_body_size (1048576 bytes)" in str(got), str(got)
    assert peak < PEAK_BOUND, f"peak {peak / 2**20:.1f} MiB"
