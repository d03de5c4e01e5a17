"""download_version_file: streamed through the client, verified, atomic, token kept off the CDN."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from craftapis import APIConnectionError, NotFoundError, __version__
from craftapis.modrinth import AsyncModrinth, HashMismatchError, Modrinth
from craftapis_generated.modrinth.models import Version
from loopback import LoopbackServer, Reply

from ..appserver import AppServer as RawAppServer
from .conftest import FAKE_TOKEN, close, fast_retry, make_client, resolve
from .fake_modrinth import AppServer, FakeModrinth, file_bytes

Client = Modrinth | AsyncModrinth


def _auth_header(headers: Any) -> str | None:
    return next((v for k, v in headers.items() if k.lower() == "authorization"), None)


def _version_at(url: str, content: bytes, **hashes: str) -> Version:
    """A version whose one file is served at `url` and has `content` (or the given hashes)."""
    payload = FakeModrinth().version("IIJJKKLL")
    file = payload["files"][0]
    file["url"] = url
    file["size"] = len(content)
    file["hashes"] = hashes or {
        "sha1": hashlib.sha1(content).hexdigest(),
        "sha512": hashlib.sha512(content).hexdigest(),
    }
    return Version.from_dict(payload)


async def test_downloads_and_verifies_without_sending_the_token_to_the_cdn(
    client: Client, fake: FakeModrinth, api: AppServer, cdn: AppServer, tmp_path: Path
) -> None:
    version = await resolve(client.get_version("IIJJKKLL"))
    assert version.files[0].url.startswith(cdn.url)
    progress: list[tuple[int, int | None]] = []
    dest = tmp_path / "mod.jar"
    written = await resolve(
        client.download_version_file(
            version, dest, progress=lambda done, total: progress.append((done, total))
        )
    )
    content = file_bytes("IIJJKKLL")
    assert written == dest and dest.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mod.jar"]
    assert progress[-1] == (len(content), len(content))
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    api_request, cdn_request = fake.requests
    assert _auth_header(api_request.headers) == FAKE_TOKEN
    assert cdn_request.url.path.startswith("/data/") and _auth_header(cdn_request.headers) is None
    assert cdn_request.headers["user-agent"].endswith(f"craftapis/{__version__}")


async def test_a_file_on_the_api_origin_gets_the_token(
    mode: str, loopback: LoopbackServer, tmp_path: Path
) -> None:
    content = b"same-origin file"
    loopback.script(Reply(200, content))
    client = make_client(mode, base_url=f"{loopback.url}/v2", token=FAKE_TOKEN)
    try:
        await resolve(
            client.download_version_file(_version_at(f"{loopback.url}/files/a.jar", content), tmp_path)
        )
    finally:
        await close(client)
    assert (tmp_path / "iijjkkll-1.0.0.jar").read_bytes() == content
    assert _auth_header(loopback.requests[0].headers) == FAKE_TOKEN


async def test_a_token_in_headers_does_not_leak_to_another_host(
    mode: str, loopback: LoopbackServer, api: AppServer, tmp_path: Path
) -> None:
    content = b"cdn file"
    loopback.script(Reply(200, content))
    client = make_client(mode, base_url=f"{api.url}/v2", headers={"Authorization": FAKE_TOKEN})
    try:
        await resolve(
            client.download_version_file(_version_at(f"{loopback.url}/data/x.jar", content), tmp_path)
        )
    finally:
        await close(client)
    assert _auth_header(loopback.requests[0].headers) is None


async def test_a_hash_mismatch_raises_and_leaves_no_file(
    client: Client, fake: FakeModrinth, tmp_path: Path
) -> None:
    version = await resolve(client.get_version("IIJJKKLL"))
    fake.corrupt_downloads = True
    dest = tmp_path / "mod.jar"
    with pytest.raises(HashMismatchError) as caught:
        await resolve(client.download_version_file(version, dest))
    error = caught.value
    assert not dest.exists() and list(tmp_path.iterdir()) == []
    assert error.algorithm == "sha512"
    assert error.expected == hashlib.sha512(file_bytes("IIJJKKLL")).hexdigest()
    assert error.actual == hashlib.sha512(file_bytes("IIJJKKLL")[:-1] + b"!").hexdigest()
    assert error.path == dest
    assert "nothing was written" in str(error) and "retry" in str(error)


async def test_an_existing_file_survives_a_failed_download(
    client: Client, fake: FakeModrinth, tmp_path: Path
) -> None:
    version = await resolve(client.get_version("IIJJKKLL"))
    dest = tmp_path / "mod.jar"
    dest.write_bytes(b"the previous, good file")
    fake.corrupt_downloads = True
    with pytest.raises(HashMismatchError):
        await resolve(client.download_version_file(version, dest))
    assert dest.read_bytes() == b"the previous, good file"
    assert [p.name for p in tmp_path.iterdir()] == ["mod.jar"]


async def test_sha1_is_used_when_sha512_is_absent(
    mode: str, loopback: LoopbackServer, tmp_path: Path
) -> None:
    content = b"only sha1 known"
    loopback.script(Reply(200, content), Reply(200, content))
    client = make_client(mode, base_url=loopback.url)
    try:
        good = _version_at(f"{loopback.url}/a.jar", content, sha1=hashlib.sha1(content).hexdigest())
        await resolve(client.download_version_file(good, tmp_path / "a.jar"))
        bad = _version_at(f"{loopback.url}/a.jar", content, sha1="0" * 40)
        with pytest.raises(HashMismatchError) as caught:
            await resolve(client.download_version_file(bad, tmp_path / "b.jar"))
    finally:
        await close(client)
    assert (tmp_path / "a.jar").read_bytes() == content and caught.value.algorithm == "sha1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.jar"]


async def test_an_interrupted_transfer_is_restarted(
    mode: str, loopback: LoopbackServer, tmp_path: Path
) -> None:
    content = bytes(range(256)) * 512  # 128 KiB: several chunks
    loopback.script(Reply(200, content, reset_after=40_000), Reply(200, content))
    client = make_client(mode, base_url=loopback.url)
    progress: list[int] = []
    try:
        written = await resolve(
            client.download_version_file(
                _version_at(f"{loopback.url}/big.jar", content),
                tmp_path / "big.jar",
                progress=lambda done, _total: progress.append(done),
            )
        )
    finally:
        await close(client)
    assert written.read_bytes() == content and loopback.count() == 2
    assert progress[-1] == len(content)
    assert [p.name for p in tmp_path.iterdir()] == ["big.jar"]


class _RangeCDN:
    """A CDN that serves `Range` (206, with an ETag) and cuts its first answer off halfway (a FIN)."""

    def __init__(self, content: bytes) -> None:
        self.content = content
        self.ranges: list[str | None] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        asked = request.headers.get("range")
        self.ranges.append(asked)
        start = int(asked.removeprefix("bytes=").removesuffix("-")) if asked else 0
        headers = {"ETag": '"v1"'}
        if start:
            headers["Content-Range"] = f"bytes {start}-{len(self.content) - 1}/{len(self.content)}"
        response = httpx.Response(206 if start else 200, content=self.content[start:], headers=headers)
        if len(self.ranges) == 1:
            response.extensions["cut_after"] = len(self.content) // 2
        return response


async def test_an_interrupted_transfer_resumes_where_the_cdn_serves_ranges(mode: str, tmp_path: Path) -> None:
    content = bytes(range(256)) * 1024  # 256 KiB: cut after 2 chunks of 64 KiB
    cdn = _RangeCDN(content)
    with RawAppServer(cdn) as server:
        client = make_client(mode, base_url=server.url, retry=fast_retry())
        try:
            written = await resolve(
                client.download_version_file(
                    _version_at(f"{server.url}/big.jar", content), tmp_path / "big.jar"
                )
            )
        finally:
            await close(client)
    assert written.read_bytes() == content  # and its sha512 checked: the hash ran on over the resume
    assert cdn.ranges == [None, f"bytes={len(content) // 2}-"]


async def test_an_interruption_that_persists_leaves_no_file(
    mode: str, loopback: LoopbackServer, tmp_path: Path
) -> None:
    content = bytes(range(256)) * 512
    loopback.script(*[Reply(200, content, reset_after=1000) for _ in range(3)])
    client = make_client(mode, base_url=loopback.url, retry=fast_retry(max_attempts=3))
    try:
        with pytest.raises(APIConnectionError) as caught:
            await resolve(
                client.download_version_file(_version_at(f"{loopback.url}/big.jar", content), tmp_path)
            )
    finally:
        await close(client)
    assert loopback.count() == 3
    assert list(tmp_path.iterdir()) == []
    assert caught.value.url == f"{loopback.url}/big.jar"


async def test_a_missing_file_raises_not_found(mode: str, loopback: LoopbackServer, tmp_path: Path) -> None:
    loopback.script(Reply(404, ""))
    client = make_client(mode, base_url=loopback.url)
    try:
        with pytest.raises(NotFoundError):
            await resolve(
                client.download_version_file(_version_at(f"{loopback.url}/gone.jar", b"x"), tmp_path)
            )
    finally:
        await close(client)
    assert list(tmp_path.iterdir()) == []


async def test_verify_false_and_files_without_hashes(
    mode: str, loopback: LoopbackServer, tmp_path: Path
) -> None:
    loopback.script(Reply(200, b"unverified"))
    client = make_client(mode, base_url=loopback.url)
    try:
        no_hashes = _version_at(f"{loopback.url}/n.jar", b"unverified", md5="abc")
        with pytest.raises(ValueError, match="verify=False"):
            await resolve(client.download_version_file(no_hashes, tmp_path))
        assert loopback.count() == 0  # refused before any request
        with pytest.raises(FileNotFoundError, match="does not exist"):
            await resolve(client.download_version_file(no_hashes, tmp_path / "no" / "n.jar", verify=False))
        file = no_hashes.files[0]
        written = await resolve(client.download_version_file(file, tmp_path / "n.jar", verify=False))
    finally:
        await close(client)
    assert written.read_bytes() == b"unverified"


async def test_a_server_file_name_cannot_escape_the_directory(
    mode: str, loopback: LoopbackServer, tmp_path: Path
) -> None:
    content = b"named by the server"
    loopback.script(Reply(200, content))
    version = _version_at(f"{loopback.url}/x.jar", content)
    version.files[0].filename = "../../escape.jar"
    target = tmp_path / "downloads"
    target.mkdir()
    client = make_client(mode, base_url=loopback.url)
    try:
        written = await resolve(client.download_version_file(version, target))
    finally:
        await close(client)
    assert written == target / "escape.jar" and written.read_bytes() == content
