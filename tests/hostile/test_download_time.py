"""Downloads bounded by time, not only by size: a raw-socket server dripping the body one byte per
(read timeout - epsilon) must end with `APITimeoutError` (`Limits.download_min_rate` over
`download_stall_window`, or `Limits.download_deadline`), sync and async, Modrinth and Railcraft, and
nothing is left behind. A steady slow download is *not* cut at `RetryPolicy.deadline`."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import pytest
from craftapis import APITimeoutError, DownloadError, Limits

from tests.faults.apis import MODRINTH, RAILCRAFT, close, fast_retry, resolve

from .server import HostileServer, Raw, response

CONTENT = bytes(range(256)) * 64  # 16 KiB
ROUTE = "/data/AABBCCDD/versions/IIJJKKLL/"


def _dripping(body: bytes, step: int, pause: float) -> Raw:
    """The status line and headers at once (a truthful Content-Length), then `step` bytes per `pause` s."""
    head, _, _ = response(200, body, {"Content-Type": "application/java-archive"}).partition(b"\r\n\r\n")
    return Raw(body, head=head + b"\r\n\r\n", drip=(step, pause))


def _file(url: str) -> Any:
    from craftapis_generated.modrinth.models import VersionFile

    return VersionFile.from_dict(
        {
            "hashes": {
                "sha1": hashlib.sha1(CONTENT).hexdigest(),
                "sha512": hashlib.sha512(CONTENT).hexdigest(),
            },
            "url": url,
            "filename": "mod.jar",
            "primary": True,
            "size": len(CONTENT),
            "file_type": None,
        }
    )


async def _modrinth_download(
    mode: str, answer: Raw | list[Raw], dest: Path, **options: Any
) -> tuple[Path | Exception, float]:
    """(the path written, or the error raised; seconds taken) for a Modrinth download from a CDN answering
    `answer` (every time), or the answers of a list in turn."""
    with HostileServer() as cdn, HostileServer(MODRINTH.app()) as api:
        if isinstance(answer, list):
            cdn.script(*answer)
        else:
            cdn.always(answer)
        client = MODRINTH.make(mode, api.url, **options)
        started = time.monotonic()
        try:
            return await resolve(client.download_version_file(_file(cdn.url + ROUTE + "mod.jar"), dest)), (
                time.monotonic() - started
            )
        except Exception as exc:
            return exc, time.monotonic() - started
        finally:
            await close(client)


async def test_a_body_dripping_a_byte_per_read_timeout_is_a_stall(mode: str, tmp_path: Path) -> None:
    """The finding: every read succeeds (a byte each 0.8 s under a 1 s read timeout), so only the size
    bounded the download (16 KiB: 3.6 hours). Now: below 64 bytes/s over 1 s, it stops."""
    limits = Limits(download_min_rate=64, download_stall_window=1.0)
    got, elapsed = await _modrinth_download(
        mode, _dripping(CONTENT, 1, 0.8), tmp_path / "mod.jar", limits=limits, timeout=1.0
    )
    assert isinstance(got, APITimeoutError), got
    assert not isinstance(got, DownloadError)
    message = str(got)
    assert "stalled" in message and "Limits.download_min_rate" in message, message
    assert f"GET {got.url}" in message and "/versions/IIJJKKLL/mod.jar" in (got.url or "")
    # the window (1 s) plus one read timeout (1 s) plus the API call and slack on a loaded machine
    assert elapsed < 1.0 + 1.0 + 3.0, f"the stalled download ran {elapsed:.1f} s"
    assert list(tmp_path.iterdir()) == []  # no .part file, no destination


async def test_a_download_passing_its_deadline_stops_there(mode: str, tmp_path: Path) -> None:
    """Fast enough for the stall bound (about 10 KB/s over 1 KiB/s), too slow for download_deadline."""
    limits = Limits(download_stall_window=0.2, download_deadline=0.6)
    got, elapsed = await _modrinth_download(
        mode, _dripping(CONTENT, 512, 0.05), tmp_path / "mod.jar", limits=limits, timeout=5.0
    )
    assert isinstance(got, APITimeoutError), got
    assert "Limits.download_deadline (0.6 s)" in str(got), str(got)
    assert elapsed < 0.6 + 3.0, f"the download ran {elapsed:.1f} s past a 0.6 s deadline"
    assert list(tmp_path.iterdir()) == []


async def test_a_steady_slow_download_outlasts_the_retry_deadline(mode: str, tmp_path: Path) -> None:
    """A large file over a slow link takes longer than RetryPolicy.deadline and must still complete:
    about 1.6 s of body at ~10 KB/s under a 0.5 s call deadline."""
    got, elapsed = await _modrinth_download(
        mode,
        _dripping(CONTENT, 1024, 0.1),
        tmp_path / "mod.jar",
        retry=fast_retry(MODRINTH.default_retry, deadline=0.5),
        limits=Limits(download_stall_window=0.5),
    )
    assert got == tmp_path / "mod.jar", got
    assert elapsed > 0.5
    assert (tmp_path / "mod.jar").read_bytes() == CONTENT


async def test_a_transfer_broken_off_after_the_retry_deadline_is_still_restarted(
    mode: str, tmp_path: Path
) -> None:
    """The body flowed 1.2 s (half the file) under a 0.5 s call deadline, then the connection broke:
    that time is the download's, not the call's, so the restart is not refused."""
    head, _, _ = response(200, CONTENT, {"Content-Type": "application/java-archive"}).partition(b"\r\n\r\n")
    broken = Raw(CONTENT[: len(CONTENT) // 2], head=head + b"\r\n\r\n", drip=(1024, 0.15))
    whole = Raw(response(200, CONTENT, {"Content-Type": "application/java-archive"}))
    got, elapsed = await _modrinth_download(
        mode,
        [broken, whole],
        tmp_path / "mod.jar",
        retry=fast_retry(MODRINTH.default_retry, deadline=0.5),
        limits=Limits(download_stall_window=0.5),
    )
    assert got == tmp_path / "mod.jar", got
    assert elapsed > 1.0
    assert (tmp_path / "mod.jar").read_bytes() == CONTENT


async def test_a_railcraft_archive_dripping_is_a_stall(mode: str, tmp_path: Path) -> None:
    with HostileServer(RAILCRAFT.app()) as server:
        client = RAILCRAFT.make(
            mode, server.url, limits=Limits(download_min_rate=64, download_stall_window=1.0), timeout=1.0
        )
        try:
            details = await resolve(client.download_details())
            server.script(_dripping(b"\x03" * details.size_raw, 1, 0.8), path="/railcraftpack/api/get_file")
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="stalled") as caught:
                await resolve(client.download_archive(details, tmp_path / "pack.zip"))
            elapsed = time.monotonic() - started
        finally:
            await close(client)
    assert "token" not in str(caught.value).lower()
    assert elapsed < 1.0 + 1.0 + 3.0, f"the stalled archive download ran {elapsed:.1f} s"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("knob", "value"),
    [
        ("download_min_rate", -1),
        ("download_min_rate", float("nan")),
        ("download_stall_window", 0),
        ("download_deadline", 0),
        ("download_deadline", -5.0),
    ],
)
def test_download_limits_are_checked(knob: str, value: float) -> None:
    with pytest.raises(ValueError, match=f"Limits.{knob}"):
        Limits(**{knob: value})


def test_download_limits_defaults() -> None:
    """Documented: 1 KiB/s over 30 s is a stall; no total deadline (a 2 GB pack over a slow link)."""
    limits = Limits()
    assert (limits.download_min_rate, limits.download_stall_window, limits.download_deadline) == (
        1024.0,
        30.0,
        None,
    )
    assert Limits(download_min_rate=0).download_min_rate == 0  # the check off


# -- the error answer of a download: bounded like any buffered body ------------------------------------


async def test_an_endless_error_body_of_a_download_stops_at_max_body_size(mode: str, tmp_path: Path) -> None:
    """The finding: a CDN's 404 with a 300 MB body grew the process by 1.5 GB (read whole to build the
    NotFoundError). Now it is read as every buffered body is, and stops at Limits.max_body_size."""
    from craftapis import ResponseTooLargeError

    big = b"x" * (8 * 1024 * 1024)
    answer = Raw(response(404, big, {"Content-Type": "text/plain"}))
    got, _ = await _modrinth_download(
        mode, answer, tmp_path / "mod.jar", limits=Limits(max_body_size=1024 * 1024)
    )
    assert isinstance(got, ResponseTooLargeError), got
    assert got.status_code == 404 and "Limits.max_body_size" in str(got)
    assert list(tmp_path.iterdir()) == []


async def test_a_small_error_body_of_a_download_is_still_its_status_error(mode: str, tmp_path: Path) -> None:
    from craftapis import NotFoundError

    answer = Raw(response(404, "no such file", {"Content-Type": "text/plain"}))
    got, _ = await _modrinth_download(mode, answer, tmp_path / "mod.jar")
    assert isinstance(got, NotFoundError), got
    assert got.status_code == 404
    assert list(tmp_path.iterdir()) == []


async def test_a_dripping_error_body_of_a_download_ends_at_the_call_deadline(
    mode: str, tmp_path: Path
) -> None:
    head, _, _ = response(403, b"y" * 4096, {"Content-Type": "text/plain"}).partition(b"\r\n\r\n")
    answer = Raw(b"y" * 4096, head=head + b"\r\n\r\n", drip=(1, 0.2))
    got, elapsed = await _modrinth_download(
        mode,
        answer,
        tmp_path / "mod.jar",
        timeout=1.0,
        retry=fast_retry(MODRINTH.default_retry, deadline=1.0),
    )
    assert isinstance(got, APITimeoutError), got
    assert "deadline" in str(got)
    assert elapsed < 1.0 + 1.0 + 2.0, f"the error body held the download {elapsed:.1f} s"
