"""An archive download whose connection breaks mid-body is fetched again (sync and async, over the fake
on a loopback socket that cuts the connection): for the rest when the server serves ranges, else all of
it; a changed archive is an error; the retry policy bounds the attempts; no secret in errors or logs."""

from __future__ import annotations

import gzip
import hashlib
import logging
import re
from pathlib import Path
from typing import Any

import pytest
from craftapis import APIError, DownloadError, call_options
from craftapis.railcraft import RailcraftDownloadError

from ..hostile.server import HostileServer, Raw, Seen, chunked, response
from .fake import CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX, FakeRailcraft
from .harness import close, fast_retry, make, resolve

HALF = 75_000  # the fake cuts a 150 000-byte archive after half of it
# chunks that divide the halves (75 000, then 37 500 of a 206): httpx delivers only whole chunks
CHUNK = 500


async def _download(
    mode: str, server: str, fake: FakeRailcraft, target: Path, *, cuts: int = 1, **kwargs: Any
) -> tuple[Any, list[tuple[int, int | None]]]:
    """download_details() then download_archive() with `cuts` answers cut off halfway."""
    progress: list[tuple[int, int | None]] = []
    client = make(mode, base_url=server, retry=kwargs.pop("retry", fast_retry()), **kwargs)
    try:
        details = await resolve(client.download_details())
        fake.cut_downloads = cuts
        await resolve(
            client.download_archive(
                details, target, progress=lambda d, t: progress.append((d, t)), chunk_size=CHUNK
            )
        )
    finally:
        await close(client)
    return details, progress


async def test_a_cut_download_is_restarted_and_the_archive_is_whole(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    """Range ignored (a 200, the usual answer to a POST's Range): the temporary file is truncated and
    the archive written again from byte 0, so it is byte-identical, not the first half twice."""
    target = tmp_path / "pack.zip"
    details, progress = await _download(mode, server, fake, target)
    assert target.read_bytes() == fake.archives[details.id]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.zip"]
    first, second = fake.file_headers()
    assert "range" not in first
    assert second["range"] == f"bytes={HALF}-"  # asked for the rest; the server sent all of it
    assert fake.sent == [HALF, details.size_raw]
    # the progress went back to 0 with the restart, then up to the whole archive
    done = [d for d, _ in progress]
    restart = next(i for i in range(1, len(done)) if done[i] < done[i - 1])
    assert done[restart - 1] == HALF and done[restart] < HALF and progress[-1] == (150_000, 150_000)
    # the same id, the session's token, the credentials: the same request again
    forms = fake.forms("get_file")
    assert forms[0] == forms[1] and forms[0]["id"] == str(details.id)


async def test_a_server_that_serves_ranges_sends_only_the_rest(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    fake.honour_range = fake.etags = True
    target = tmp_path / "pack.zip"
    details, progress = await _download(mode, server, fake, target)
    content = fake.archives[details.id]
    assert target.read_bytes() == content
    _, second = fake.file_headers()
    assert second["range"] == f"bytes={HALF}-"
    assert second["if-range"].strip('"') == hashlib.sha1(content).hexdigest()
    assert fake.sent == [HALF, details.size_raw - HALF]  # 206: only the rest came
    done = [d for d, _ in progress]
    assert done == sorted(done) and progress[-1] == (details.size_raw, details.size_raw)


async def test_a_resumed_download_survives_two_cuts(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    fake.honour_range = True  # no ETag: the size alone says it is the same archive
    target = tmp_path / "pack.zip"
    details, _ = await _download(mode, server, fake, target, cuts=2)
    assert target.read_bytes() == fake.archives[details.id]
    ranges = [h.get("range") for h in fake.file_headers()]
    assert ranges == [None, f"bytes={HALF}-", f"bytes={HALF + HALF // 2}-"]


async def _refused(
    mode: str,
    server: str,
    fake: FakeRailcraft,
    target: Path,
    *,
    cuts: int = 1,
    change: bytes | None = None,
    **retry: Any,
) -> RailcraftDownloadError:
    """The error of a download with `cuts` answers cut off halfway (the archive becoming `change`
    after the first cut); nothing may be left in the target's folder."""
    client = make(mode, base_url=server, retry=fast_retry(**retry))
    try:
        details = await resolve(client.download_details())
        fake.cut_downloads = cuts
        if change is not None:
            fake.change_after_cut[details.id] = change
        with pytest.raises(RailcraftDownloadError) as caught:
            await resolve(client.download_archive(details, target, chunk_size=CHUNK))
    finally:
        await close(client)
    assert sorted(p.name for p in target.parent.iterdir() if p.name.startswith(f".{target.name}")) == []
    assert not target.exists()
    return caught.value


@pytest.mark.parametrize(("honour_range", "etags"), [(False, False), (True, False), (True, True)])
async def test_an_archive_that_grew_between_attempts_is_an_error(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path, honour_range: bool, etags: bool
) -> None:
    fake.honour_range, fake.etags = honour_range, etags
    error = await _refused(mode, server, fake, tmp_path / "pack.zip", change=b"\x07" * 160_000)
    message = str(error)
    assert "the file changed between attempts of its download" in message
    assert "its size 150000 became 160000 bytes" in message
    assert ("ETag" in message) == etags
    assert isinstance(error, DownloadError) and error.path == tmp_path / "pack.zip"


async def test_an_archive_rewritten_with_the_same_size_is_told_by_its_etag(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    """Same size, other bytes: the ETag says so (If-Range makes a range-serving server send it whole)."""
    fake.honour_range = fake.etags = True
    error = await _refused(mode, server, fake, tmp_path / "pack.zip", change=b"\x07" * 150_000)
    assert re.search(r"changed between attempts of its download \(ETag '\"[0-9a-f]+\"' became", str(error))
    assert fake.sent[1] == 150_000  # If-Range did not match: the whole new archive came


async def test_a_206_of_another_range_is_an_error(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    fake.honour_range = fake.wrong_range = True
    error = await _refused(mode, server, fake, tmp_path / "pack.zip")
    assert f"answered bytes {HALF + 1}-149999/150000 where craftapis asked for bytes {HALF}-149999" in str(
        error
    )


async def test_a_gzip_encoded_archive_restarts_from_zero_and_is_still_capped(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    """A range of encoded bytes cannot continue a decoder: no Range is asked, the archive comes whole
    and decoded in steps; its size is still held to size_raw."""
    fake.gzip_archives = fake.honour_range = True
    target = tmp_path / "pack.zip"
    details, _ = await _download(mode, server, fake, target)
    assert target.read_bytes() == fake.archives[details.id]
    assert [h.get("range") for h in fake.file_headers()] == [None, None]
    # a restart whose (encoded) answer decodes past size_raw: refused, nothing written
    bomb = b"\x00" * 10_000_000
    assert len(gzip.compress(bomb)) < 150_000  # compresses 1000:1
    error = await _refused(mode, server, fake, tmp_path / "bomb.zip", change=bomb)
    assert "more than the 150000 bytes" in str(error) and "gzip-encoded" in str(error)


async def test_a_server_that_always_cuts_is_given_up_on_after_max_attempts(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    error = await _refused(mode, server, fake, tmp_path / "pack.zip", cuts=100, max_attempts=3)
    assert len(fake.file_headers()) == 3
    assert isinstance(error, DownloadError)
    assert f"broke after {HALF} of 150000 bytes" in str(error) and "last attempt" in str(error)


async def test_the_retry_deadline_bounds_the_waits_between_attempts(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    """Backoffs of 0.4 s then 0.8 s (no jitter) under a 0.5 s deadline: the second wait would pass it,
    so there are two attempts, not max_attempts=10."""
    retry = {"max_attempts": 10, "initial_backoff": 0.4, "max_backoff": 8.0, "jitter": False}
    error = await _refused(mode, server, fake, tmp_path / "pack.zip", cuts=100, deadline=0.5, **retry)
    assert "last attempt" in str(error)
    assert len(fake.file_headers()) == 2


async def test_idempotent_false_turns_restarts_off(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    client = make(mode, base_url=server, retry=fast_retry())
    try:
        details = await resolve(client.download_details())
        fake.cut_downloads = 1
        with call_options(idempotent=False), pytest.raises(RailcraftDownloadError, match="broke after"):
            await resolve(client.download_archive(details, tmp_path / "pack.zip", chunk_size=CHUNK))
    finally:
        await close(client)
    assert len(fake.file_headers()) == 1
    assert list(tmp_path.iterdir()) == []


async def test_a_token_that_expired_during_the_transfer_is_renewed(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path
) -> None:
    """The restart's answer is the server's code 6 reply (HTTP 200, JSON), not a changed archive: the
    token is renewed once and the archive downloaded with the new one."""
    fake.expire_after_cut = True
    target = tmp_path / "pack.zip"
    details, _ = await _download(mode, server, fake, target)
    assert target.read_bytes() == fake.archives[details.id]
    assert fake.acquisitions == 2
    tokens = [form["token"] for form in fake.forms("get_file")]
    assert len(tokens) == 3 and tokens[0] == tokens[1] != tokens[2]


async def test_no_secret_in_the_errors_or_the_logs_of_restarts(
    mode: str, server: str, fake: FakeRailcraft, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    errors: list[APIError] = []
    client = make(mode, base_url=server, retry=fast_retry(max_attempts=3))
    try:
        details = await resolve(client.download_details())
        fake.cut_downloads = 100
        with pytest.raises(RailcraftDownloadError) as broke:
            await resolve(client.download_archive(details, tmp_path / "a.zip", chunk_size=CHUNK))
        errors.append(broke.value)
        fake.cut_downloads, fake.change_after_cut[details.id] = 1, b"x" * 10
        with pytest.raises(RailcraftDownloadError) as changed:
            await resolve(client.download_archive(details, tmp_path / "b.zip"))
        errors.append(changed.value)
    finally:
        await close(client)
    assert "restarting download" in caplog.text  # the restarts were logged
    shown = caplog.text + "".join(f"{e}{e!r}{e.args}{e.url}" for e in errors)
    for secret in (CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX):
        assert secret not in shown


async def test_a_chunked_archive_is_resumed_against_size_raw(mode: str, tmp_path: Path) -> None:
    """No Content-Length (a chunked body, as PHP streams one): the size download_details() listed
    says how large the archive is, so the restart still asks for the rest; a 206 of another total
    is a changed archive."""
    fake = FakeRailcraft()
    with HostileServer(fake) as server:
        client = make(mode, base_url=server.url + "/railcraftpack", retry=fast_retry())
        try:
            details = await resolve(client.download_details())
            content = fake.archives[details.id]
            head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/zip\r\n\r\n"
            broken = Raw(chunked(content[:HALF], final=b""), head=head)  # closed before the last chunk

            def rest(seen: Seen, total: int = len(content)) -> Raw:
                start = int(seen.headers["range"].removeprefix("bytes=").removesuffix("-"))
                ranged = {"Content-Range": f"bytes {start}-{total - 1}/{total}"}
                return Raw(response(206, content[start:], ranged))

            archive = "/railcraftpack/api/get_file/"
            server.script(broken, rest, path=archive)
            target = await resolve(client.download_archive(details, tmp_path / "pack.zip", chunk_size=CHUNK))
            assert target.read_bytes() == content
            assert [s.headers.get("range") for s in server.seen if s.route == archive] == [
                None,
                f"bytes={HALF}-",
            ]
            server.script(broken, lambda seen: rest(seen, len(content) + 1), path=archive)
            with pytest.raises(RailcraftDownloadError, match="its size 150000 became 150001 bytes"):
                await resolve(client.download_archive(details, tmp_path / "b.zip", chunk_size=CHUNK))
        finally:
            await close(client)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.zip"]
